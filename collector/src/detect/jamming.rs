//! `wideband_power_rise`: power rising across a whole band at once (jamming).
//!
//! **Evidence**: in a sensor's `spectrum` scans of one band, after
//! `MIN_SCANS` scans have built a per-channel baseline (a slow exponential
//! average), a scan whose median rise over the baseline exceeds `RISE_DB`
//! with at least `MIN_FRACTION` of the channels `RISE_DB − 5` dB up. A
//! catcher may jam LTE to push phones to 2G, where it can act. The baseline
//! is frozen while the rise lasts. Weight 0.6.
//!
//! **False positives**: a new legitimate carrier switched on across the band,
//! the sensor's own gain or antenna change, strong nearby interference that
//! is not hostile (faulty amplifiers, industrial equipment).

use super::{CellKey, Finding};
use std::collections::HashMap;
use towerwatch_models::{CellId, Evidence, Rat, Spectrum, Timestamp};

/// Rule name.
pub const NAME: &str = "wideband_power_rise";
/// Rule version.
pub const VERSION: u32 = 1;
/// Weight of the evidence.
pub const WEIGHT: f64 = 0.6;
/// Median rise that counts, dB.
pub const RISE_DB: f64 = 15.0;
/// Fraction of channels that must have risen.
pub const MIN_FRACTION: f64 = 0.6;
/// Scans before the baseline is trusted.
pub const MIN_SCANS: u32 = 10;
/// Weight of a new scan in the baseline average.
pub const ALPHA: f64 = 0.1;
/// Most (sensor, band) baselines.
pub const MAX_STATE: usize = 100_000;

#[derive(Debug, Default, Clone)]
struct Baseline {
    scans: u32,
    power: HashMap<u64, f64>,
    rising: bool,
}

/// State: a per-channel baseline per (sensor, band).
#[derive(Debug, Default)]
pub struct Jamming {
    baselines: HashMap<(String, String), Baseline>,
}

/// The RAT a band name belongs to (`gsm900` → GSM, `n78` → NR, else LTE).
pub fn band_rat(band: &str) -> Rat {
    if band.starts_with("gsm") || band.starts_with("dcs") || band.starts_with("pcs") {
        Rat::Gsm
    } else if band.starts_with('n') {
        Rat::Nr
    } else {
        Rat::Lte
    }
}

impl Jamming {
    /// Rule name.
    pub fn name(&self) -> &'static str {
        NAME
    }

    /// Looks at one scan; a finding when it shows a wideband rise.
    pub fn observe(&mut self, s: &Spectrum) -> Option<Finding> {
        let k = (s.sensor_id.clone(), s.band.clone());
        if self.baselines.len() >= MAX_STATE && !self.baselines.contains_key(&k) {
            return None;
        }
        let b = self.baselines.entry(k).or_default();
        let mut rises: Vec<f64> = s
            .channels
            .iter()
            .filter_map(|c| b.power.get(&c.freq_hz).map(|base| c.power_dbm - base))
            .collect();
        let judged =
            b.scans >= MIN_SCANS && !rises.is_empty() && rises.len() * 2 >= s.channels.len();
        let mut finding = None;
        let mut rising = false;
        if judged {
            rises.sort_by(f64::total_cmp);
            let median = rises[rises.len() / 2];
            let frac =
                rises.iter().filter(|r| **r > RISE_DB - 5.0).count() as f64 / rises.len() as f64;
            rising = median > RISE_DB && frac >= MIN_FRACTION;
            if rising && !b.rising {
                finding = Some(Finding {
                    key: CellKey::other(format!("jamming:{}", s.band)),
                    rat: band_rat(&s.band),
                    cell: CellId::default(),
                    evidence: Evidence {
                        kind: NAME.into(),
                        sensor_id: Some(s.sensor_id.clone()),
                        detail: format!("{}: median power {median:+.1} dB over baseline on {:.0} % of {} channels", s.band, 100.0 * frac, rises.len()),
                        rule_version: Some(VERSION),
                        time: Some(s.time),
                        weight: Some(WEIGHT),
                    },
                });
            }
        }
        b.rising = rising;
        if !rising {
            for c in &s.channels {
                if b.power.len() >= 8192 && !b.power.contains_key(&c.freq_hz) {
                    continue;
                }
                let e = b.power.entry(c.freq_hz).or_insert(c.power_dbm);
                *e += ALPHA * (c.power_dbm - *e);
            }
            b.scans = b.scans.saturating_add(1);
        }
        finding
    }

    /// Forgets baselines of sensors not heard since long (no-op placeholder for time-based pruning).
    pub fn tick(&mut self, _now: Timestamp) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testutil::t;
    use towerwatch_models::SpectrumChannel;

    fn scan(i: i64, level: f64) -> Spectrum {
        Spectrum {
            schema: 1,
            sensor_id: "a".into(),
            time: t(i),
            band: "lte_b20".into(),
            channels: (0..30)
                .map(|c| SpectrumChannel {
                    freq_hz: 791_000_000 + c * 1_000_000,
                    power_dbm: level + if c % 3 == 0 { 3.0 } else { 0.0 },
                })
                .collect(),
        }
    }

    #[test]
    fn rise_after_baseline_once() {
        let mut j = Jamming::default();
        // A rise before the baseline is built is not judged.
        assert!(j.observe(&scan(0, -100.0)).is_none());
        for i in 1..12 {
            assert!(j.observe(&scan(i, -100.0 + (i % 2) as f64)).is_none());
        }
        // +10 dB: not enough.
        assert!(j.observe(&scan(12, -90.0)).is_none());
        let f = j.observe(&scan(13, -75.0)).expect("rise");
        assert_eq!(f.key.0, "jamming:lte_b20");
        assert_eq!(f.rat, Rat::Lte);
        assert!(f.evidence.detail.contains("100 %"), "{}", f.evidence.detail);
        // Reported once while it lasts, again after it ends and returns.
        assert!(j.observe(&scan(14, -75.0)).is_none());
        assert!(j.observe(&scan(15, -100.0)).is_none());
        assert!(j.observe(&scan(16, -74.0)).is_some());
        assert_eq!(band_rat("gsm900"), Rat::Gsm);
        assert_eq!(band_rat("n78"), Rat::Nr);
    }
}
