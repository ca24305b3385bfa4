//! Where samples come from. Every source implements [`IqSource`]; the scan
//! loop does not know whether it talks to a radio, replays recordings or
//! reads a synthetic signal (the same pipeline runs live and in replay).
//!
//! - [`replay::ReplaySource`]: SigMF recordings, each standing for the
//!   channel its centre frequency names.
//! - [`fault::FaultySource`]: wraps another source and injects errors,
//!   short reads and stalls (tests).
//! - SoapySDR radios behind the `soapy` cargo feature.

pub mod fault;
pub mod recording;
pub mod replay;

pub use recording::{RawFormat, Recording, RecordingError, RecordingReader, ShaCheck};

use towerwatch_dsp::Complex32;

/// A source failure. Sources never panic; the scan loop reports the failure
/// in the sensor status and reopens the source with backoff.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Nothing can be received on this frequency (replay: no recording there).
    #[error("no signal available at {0:.0} Hz")]
    NoChannel(f64),
    /// The device or file failed.
    #[error("source failed: {0}")]
    Failed(String),
    /// The device is gone (unplugged); reopen it.
    #[error("source lost: {0}")]
    Lost(String),
    /// A recording problem.
    #[error(transparent)]
    Recording(#[from] RecordingError),
}

/// What a tune request achieved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuned {
    /// Centre frequency, Hz.
    pub freq_hz: f64,
    /// Sample rate, samples per second.
    pub sample_rate: f64,
}

/// A stream of complex samples that can be tuned.
pub trait IqSource: Send {
    /// A short description for logs and status (driver and serial, or the replay folder).
    fn describe(&self) -> String;

    /// Frequencies this source can provide, when it knows (replay); `None` for radios.
    fn available_channels(&self) -> Option<Vec<f64>>;

    /// Tunes to `freq_hz` and settles; samples read afterwards come from there.
    fn tune(&mut self, freq_hz: f64) -> Result<Tuned, SourceError>;

    /// Appends up to `max` samples to `out`; returns how many. `Ok(0)` means the
    /// channel has nothing more (a replayed recording ended and does not loop).
    fn read(&mut self, max: usize, out: &mut Vec<Complex32>) -> Result<usize, SourceError>;

    /// When the next sample read was received, if the source knows better than
    /// the clock: a replayed recording's capture date. `None` (radios): now.
    fn sample_time(&self) -> Option<towerwatch_models::Timestamp> {
        None
    }
}
