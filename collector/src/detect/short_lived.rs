//! `short_lived`: an unknown cell that appears and disappears within minutes.
//!
//! **Evidence**: an unknown cell (global identity not known) first heard at
//! `t0` and last at `t1` with `t1 − t0 < MAX_LIFE_S`, then silent for
//! `GAP_S`. IMSI catchers are often switched on briefly, to harvest
//! identities, then off. Reported at the tick after the silence. Weight 0.3.
//!
//! **False positives**: a cell heard only at the edge of coverage, in and out
//! of the sensor's sensitivity; a sensor whose scan plan visits the channel
//! rarely; a legitimate cell restarted or a temporary cell.

use super::{Analyzer, CellKey, Finding, Knowledge};
use std::collections::{BTreeSet, HashMap};
use towerwatch_models::{CellId, Evidence, Observation, Rat, Timestamp};

/// Rule name.
pub const NAME: &str = "short_lived";
/// Rule version.
pub const VERSION: u32 = 1;
/// Weight of the evidence.
pub const WEIGHT: f64 = 0.3;
/// Longest life that counts as short, seconds.
pub const MAX_LIFE_S: f64 = 1800.0;
/// Silence after which a cell counts as gone, seconds.
pub const GAP_S: f64 = 600.0;
/// Most cells tracked.
pub const MAX_STATE: usize = 100_000;

#[derive(Debug, Clone)]
struct Life {
    rat: Rat,
    cell: CellId,
    first: Timestamp,
    last: Timestamp,
    sensors: BTreeSet<String>,
}

/// State: the lifetime of every unknown cell heard recently.
#[derive(Debug, Default)]
pub struct ShortLived {
    lives: HashMap<CellKey, Life>,
}

impl Analyzer for ShortLived {
    fn name(&self) -> &'static str {
        NAME
    }
    fn version(&self) -> u32 {
        VERSION
    }
    fn observe(&mut self, obs: &Observation, known: &Knowledge, _out: &mut Vec<Finding>) {
        if super::global_key(obs.rat, &obs.cell).is_none()
            || known.lookup(obs.rat, &obs.cell).is_some()
        {
            return;
        }
        let key = CellKey::of(obs.rat, &obs.cell);
        if self.lives.len() >= MAX_STATE && !self.lives.contains_key(&key) {
            return;
        }
        let life = self.lives.entry(key).or_insert_with(|| Life {
            rat: obs.rat,
            cell: obs.cell.clone(),
            first: obs.time,
            last: obs.time,
            sensors: BTreeSet::new(),
        });
        life.first = life.first.min(obs.time);
        life.last = life.last.max(obs.time);
        if life.sensors.len() < 32 {
            life.sensors.insert(obs.sensor_id.clone());
        }
    }
    fn tick(&mut self, now: Timestamp, _known: &Knowledge, out: &mut Vec<Finding>) {
        self.lives.retain(|key, l| {
            if now.seconds_since(l.last) < GAP_S {
                return true;
            }
            let life = l.last.seconds_since(l.first);
            if life < MAX_LIFE_S {
                out.push(Finding {
                    key: key.clone(),
                    rat: l.rat,
                    cell: l.cell.clone(),
                    evidence: Evidence {
                        kind: NAME.into(),
                        sensor_id: None,
                        detail: format!(
                            "on air for {:.0} s ({} to {}), heard by {:?}, silent since",
                            life, l.first, l.last, l.sensors
                        ),
                        rule_version: Some(VERSION),
                        time: Some(l.last),
                        weight: Some(WEIGHT),
                    },
                });
            }
            false
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testutil::*;

    #[test]
    fn brief_cell_is_reported_after_the_gap() {
        let k = Knowledge::new();
        let mut a = ShortLived::default();
        let mut out = Vec::new();
        for s in [0, 60, 120, 300] {
            a.observe(
                &lte("a", s, 6300, 301, ("262", "01"), 9999, 77, -60.0),
                &k,
                &mut out,
            );
        }
        // A long-lived one.
        for s in (0..4000).step_by(100) {
            a.observe(
                &lte("a", s, 6300, 1, ("262", "01"), 4021, 100, -80.0),
                &k,
                &mut out,
            );
        }
        a.tick(t(600), &k, &mut out);
        assert!(out.is_empty(), "still within the gap");
        a.tick(t(901), &k, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].key.0, "lte:262-01:9999:77");
        assert!(
            out[0].evidence.detail.contains("300 s"),
            "{}",
            out[0].evidence.detail
        );
        a.tick(t(5000), &k, &mut out);
        assert_eq!(
            out.len(),
            1,
            "the long-lived cell is forgotten, not reported"
        );
    }
}
