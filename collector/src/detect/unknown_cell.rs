//! `unknown_cell`: a cell whose global identity is neither imported nor learned.
//!
//! **Evidence**: an observation with a full global identity (PLMN, TAC/LAC,
//! cell identity) that matches no known cell. Weight 0.4: alone it is weak.
//!
//! **False positives**: a legitimate cell switched on after the import or the
//! learning period (new sites, capacity carriers, temporary cells at events),
//! an incomplete import, cells of a neighbouring country at a border.
//! Observations without a global identity (SIB1 not decoded) are not judged.

use super::{Analyzer, Finding, Knowledge};
use std::collections::HashMap;
use towerwatch_models::{Observation, Timestamp};

/// Rule name.
pub const NAME: &str = "unknown_cell";
/// Rule version.
pub const VERSION: u32 = 1;
/// Weight of the evidence.
pub const WEIGHT: f64 = 0.4;
/// Re-report the same cell and sensor at most this often, seconds.
pub const REPORT_INTERVAL_S: f64 = 600.0;
/// Most (cell, sensor) pairs remembered.
pub const MAX_STATE: usize = 200_000;

/// State: when each (cell, sensor) pair was last reported.
#[derive(Debug, Default)]
pub struct UnknownCell {
    reported: HashMap<(String, String), Timestamp>,
}

impl Analyzer for UnknownCell {
    fn name(&self) -> &'static str {
        NAME
    }
    fn version(&self) -> u32 {
        VERSION
    }
    fn observe(&mut self, obs: &Observation, known: &Knowledge, out: &mut Vec<Finding>) {
        let Some(key) = super::global_key(obs.rat, &obs.cell) else {
            return;
        };
        if known.lookup(obs.rat, &obs.cell).is_some() {
            return;
        }
        let k = (key, obs.sensor_id.clone());
        if let Some(t) = self.reported.get(&k) {
            if obs.time.seconds_since(*t).abs() < REPORT_INTERVAL_S {
                return;
            }
        }
        if self.reported.len() >= MAX_STATE && !self.reported.contains_key(&k) {
            return;
        }
        self.reported.insert(k, obs.time);
        let detail = format!(
            "{} is not a known cell ({} known)",
            obs.cell.describe(obs.rat),
            known.len()
        );
        out.push(Finding::about(obs, NAME, VERSION, WEIGHT, detail));
    }
    fn tick(&mut self, now: Timestamp, _known: &Knowledge, _out: &mut Vec<Finding>) {
        self.reported
            .retain(|_, t| now.seconds_since(*t) < REPORT_INTERVAL_S);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testutil::*;
    use towerwatch_models::known_cell::{KnownCell, KnownCellSource};

    #[test]
    fn unknown_is_reported_once_per_interval_and_known_never() {
        let mut k = Knowledge::new();
        let legit = lte("a", 0, 6300, 1, ("262", "01"), 4021, 100, -80.0);
        k.insert(KnownCell {
            rat: legit.rat,
            cell: legit.cell.clone(),
            lat: None,
            lon: None,
            range_m: None,
            samples: 1,
            source: KnownCellSource::Imported,
            average_signal_dbm: None,
            created: None,
            updated: None,
            profiles: vec![],
        });
        let mut a = UnknownCell::default();
        let mut out = Vec::new();
        a.observe(&legit, &k, &mut out);
        assert!(out.is_empty());
        let rogue = lte("a", 0, 6300, 301, ("262", "01"), 9999, 77, -60.0);
        a.observe(&rogue, &k, &mut out);
        a.observe(
            &lte("a", 30, 6300, 301, ("262", "01"), 9999, 77, -60.0),
            &k,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].evidence.kind, "unknown_cell");
        assert_eq!(out[0].evidence.rule_version, Some(1));
        assert_eq!(out[0].key.0, "lte:262-01:9999:77");
        // Another sensor reports it too; and the first again after the interval.
        a.observe(
            &lte("b", 31, 6300, 301, ("262", "01"), 9999, 77, -70.0),
            &k,
            &mut out,
        );
        a.observe(
            &lte("a", 700, 6300, 301, ("262", "01"), 9999, 77, -60.0),
            &k,
            &mut out,
        );
        assert_eq!(out.len(), 3);
        // Without a global identity nothing is judged.
        let mut partial = rogue.clone();
        partial.cell.cell_identity = None;
        a.observe(&partial, &k, &mut out);
        assert_eq!(out.len(), 3);
    }
}
