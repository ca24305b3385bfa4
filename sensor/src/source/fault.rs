//! A source wrapper that injects the failures a radio on a lamppost sees:
//! read errors, lost devices, short reads and stalls. For tests of the scan
//! loop's resilience; deterministic (a seeded schedule).

use super::{IqSource, SourceError, Tuned};
use std::time::Duration;
use towerwatch_dsp::Complex32;

/// What to inject, each with a probability per call.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    /// A read fails with `Failed`.
    pub read_error: f64,
    /// A read fails with `Lost` (device unplugged).
    pub lost: f64,
    /// A read returns fewer samples than asked.
    pub short_read: f64,
    /// A read sleeps this long first (a stalled USB transfer), with probability `stall_p`.
    pub stall: Duration,
    /// Probability of a stall.
    pub stall_p: f64,
    /// A tune fails.
    pub tune_error: f64,
}

/// Wraps a source and injects [`Faults`].
#[derive(Debug)]
pub struct FaultySource<S> {
    inner: S,
    faults: Faults,
    state: u64,
    /// Faults injected so far.
    pub injected: u64,
}

impl<S: IqSource> FaultySource<S> {
    /// Wraps `inner`; `seed` fixes the fault schedule.
    pub fn new(inner: S, faults: Faults, seed: u64) -> Self {
        FaultySource {
            inner,
            faults,
            state: seed | 1,
            injected: 0,
        }
    }

    fn roll(&mut self, p: f64) -> bool {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let hit = ((self.state >> 11) as f64 / (1u64 << 53) as f64) < p;
        self.injected += u64::from(hit);
        hit
    }
}

impl<S: IqSource> IqSource for FaultySource<S> {
    fn describe(&self) -> String {
        format!("faulty({})", self.inner.describe())
    }

    fn available_channels(&self) -> Option<Vec<f64>> {
        self.inner.available_channels()
    }

    fn tune(&mut self, freq_hz: f64) -> Result<Tuned, SourceError> {
        if self.roll(self.faults.tune_error) {
            return Err(SourceError::Failed("injected tune failure".into()));
        }
        self.inner.tune(freq_hz)
    }

    fn sample_time(&self) -> Option<towerwatch_models::Timestamp> {
        self.inner.sample_time()
    }

    fn read(&mut self, max: usize, out: &mut Vec<Complex32>) -> Result<usize, SourceError> {
        if self.roll(self.faults.stall_p) {
            std::thread::sleep(self.faults.stall);
        }
        if self.roll(self.faults.lost) {
            return Err(SourceError::Lost("injected: device unplugged".into()));
        }
        if self.roll(self.faults.read_error) {
            return Err(SourceError::Failed("injected read error".into()));
        }
        let max = if self.roll(self.faults.short_read) {
            (max / 7).max(1)
        } else {
            max
        };
        self.inner.read(max, out)
    }
}
