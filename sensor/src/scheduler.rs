//! The scan scheduler: a sans-I/O state machine that decides which channel to
//! visit next. It never touches a radio; the scan loop asks [`Scheduler::next`]
//! for a channel, tunes, dwells, and reports the outcome.
//!
//! Policy (stride scheduling): every channel has a weight — `revisit_factor`
//! when it had cells at its last visit, 1 when it was empty — and the channel
//! with the smallest accumulated pass (pass += 1/weight per visit) goes next.
//! Two overrides: a channel never visited goes first, and a channel not
//! visited for `full_sweep_s` is due before anything else (the full sweep
//! that catches a new station on an empty channel). Channels a replay source
//! cannot provide, or that ended, drop out.

use towerwatch_models::Rat;

/// One channel of the scan plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Channel {
    /// RAT to decode there.
    pub rat: Rat,
    /// Centre frequency, Hz.
    pub freq_hz: f64,
    /// EARFCN / ARFCN / GSCN.
    pub number: Option<u32>,
}

/// What a visit found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The dwell completed; this many cells decoded.
    Cells(usize),
    /// Tuning or reading failed; try again later.
    Failed,
    /// The channel will never give samples again (replay ended, no recording there).
    Gone,
}

#[derive(Debug, Clone)]
struct Entry {
    ch: Channel,
    pass: f64,
    last_visit: Option<f64>,
    has_cells: bool,
    gone: bool,
    failures: u32,
}

/// Chooses channels.
#[derive(Debug, Clone)]
pub struct Scheduler {
    entries: Vec<Entry>,
    revisit_factor: f64,
    full_sweep_s: f64,
}

impl Scheduler {
    /// A scheduler over `channels`.
    pub fn new(channels: Vec<Channel>, revisit_factor: u32, full_sweep_s: f64) -> Self {
        Scheduler {
            entries: channels
                .into_iter()
                .map(|ch| Entry {
                    ch,
                    pass: 0.0,
                    last_visit: None,
                    has_cells: false,
                    gone: false,
                    failures: 0,
                })
                .collect(),
            revisit_factor: f64::from(revisit_factor.max(1)),
            full_sweep_s: full_sweep_s.max(1.0),
        }
    }

    /// Number of channels still in the plan.
    pub fn active(&self) -> usize {
        self.entries.iter().filter(|e| !e.gone).count()
    }

    /// The channel to visit at time `now_s` (seconds on any monotonic clock), with its index;
    /// `None` when no channel is left.
    pub fn next(&mut self, now_s: f64) -> Option<(usize, Channel)> {
        let live = || self.entries.iter().enumerate().filter(|(_, e)| !e.gone);
        let pick = live()
            .find(|(_, e)| e.last_visit.is_none())
            .or_else(|| {
                live()
                    .filter(|(_, e)| e.last_visit.is_some_and(|t| now_s - t >= self.full_sweep_s))
                    .min_by(|a, b| {
                        a.1.last_visit
                            .partial_cmp(&b.1.last_visit)
                            .unwrap_or(std::cmp::Ordering::Equal)
                    })
            })
            .or_else(|| live().min_by(|a, b| a.1.pass.total_cmp(&b.1.pass)))
            .map(|(i, _)| i)?;
        let e = &mut self.entries[pick];
        e.last_visit = Some(now_s);
        let weight = if e.has_cells {
            self.revisit_factor
        } else {
            1.0
        };
        // A failing channel backs off: its weight halves per consecutive failure (at most 1/64).
        let weight = weight / f64::from(1u32 << e.failures.min(6));
        e.pass += 1.0 / weight;
        Some((pick, e.ch))
    }

    /// Reports the outcome of the visit to channel `idx`.
    pub fn report(&mut self, idx: usize, outcome: Outcome) {
        let Some(e) = self.entries.get_mut(idx) else {
            return;
        };
        match outcome {
            Outcome::Cells(n) => {
                e.has_cells = n > 0;
                e.failures = 0;
            }
            Outcome::Failed => e.failures = e.failures.saturating_add(1),
            Outcome::Gone => e.gone = true,
        }
        // Keep passes comparable: a channel returning from a long absence does not get a burst.
        let min = self
            .entries
            .iter()
            .filter(|e| !e.gone)
            .map(|e| e.pass)
            .fold(f64::INFINITY, f64::min);
        if min.is_finite() {
            for e in &mut self.entries {
                e.pass -= min;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(f: f64) -> Channel {
        Channel {
            rat: Rat::Lte,
            freq_hz: f,
            number: None,
        }
    }

    #[test]
    fn visits_everything_first_then_favours_channels_with_cells() {
        let mut s = Scheduler::new(vec![ch(1.0), ch(2.0), ch(3.0), ch(4.0)], 4, 1e9);
        let mut t = 0.0;
        for want in 0..4 {
            let (i, _) = s.next(t).unwrap();
            assert_eq!(i, want);
            s.report(i, Outcome::Cells(usize::from(i == 2)));
            t += 1.0;
        }
        let mut counts = [0; 4];
        for _ in 0..700 {
            let (i, _) = s.next(t).unwrap();
            counts[i] += 1;
            s.report(i, Outcome::Cells(usize::from(i == 2)));
            t += 1.0;
        }
        // Weight 4 against three channels of weight 1: 4/7 of the visits.
        assert!((395..=405).contains(&counts[2]), "{counts:?}");
        for (i, c) in counts.iter().enumerate().filter(|(i, _)| *i != 2) {
            assert!((95..=105).contains(c), "channel {i}: {counts:?}");
        }
    }

    #[test]
    fn full_sweep_deadline_wins() {
        let mut s = Scheduler::new(vec![ch(1.0), ch(2.0)], 1000, 10.0);
        let (a, _) = s.next(0.0).unwrap();
        s.report(a, Outcome::Cells(3));
        let (b, _) = s.next(0.5).unwrap();
        s.report(b, Outcome::Cells(0));
        // Channel a is favoured 1000:1, but b must be seen within the 10 s sweep.
        let mut last_b = 0.5;
        let mut t = 1.0;
        while t < 100.0 {
            let (i, _) = s.next(t).unwrap();
            if i == b {
                assert!(t - last_b <= 11.0, "b waited {} s", t - last_b);
                last_b = t;
            }
            s.report(i, Outcome::Cells(usize::from(i == a)));
            t += 1.0;
        }
    }

    #[test]
    fn gone_channels_drop_out_and_failures_back_off() {
        let mut s = Scheduler::new(vec![ch(1.0), ch(2.0)], 2, 1e9);
        let (i, _) = s.next(0.0).unwrap();
        s.report(i, Outcome::Gone);
        assert_eq!(s.active(), 1);
        let (j, c) = s.next(1.0).unwrap();
        assert_eq!(c.freq_hz, 2.0);
        s.report(j, Outcome::Gone);
        assert!(s.next(2.0).is_none());
        let mut s = Scheduler::new(vec![ch(1.0), ch(2.0)], 1, 1e9);
        let mut counts = [0; 2];
        for t in 0..200 {
            let (i, _) = s.next(f64::from(t)).unwrap();
            counts[i] += 1;
            s.report(
                i,
                if i == 0 {
                    Outcome::Failed
                } else {
                    Outcome::Cells(0)
                },
            );
        }
        assert!(
            counts[0] < counts[1] / 8,
            "failing channel backs off: {counts:?}"
        );
    }
}
