//! `area_mismatch`: a tracking/location area code that differs from every
//! neighbouring cell of the same operator.
//!
//! **Evidence**: a cell of PLMN P broadcasting TAC (LTE/NR) or LAC (GSM) A,
//! heard by a sensor that within `WINDOW_S` also heard at least
//! `MIN_NEIGHBOURS` other cells of P and RAT, none of them in area A. A fake
//! cell picks a fresh area code so phones perform a location/tracking area
//! update, during which it asks for the IMSI. Weight 0.6. Cells known with
//! the same area are never reported.
//!
//! **False positives**: sensors at an area boundary that hear mostly cells of
//! the neighbouring area; a new area introduced by the operator (re-planning).

use super::{Analyzer, Finding, Knowledge};
use std::collections::HashMap;
use towerwatch_models::{Observation, Rat, Timestamp};

/// Rule name.
pub const NAME: &str = "area_mismatch";
/// Rule version.
pub const VERSION: u32 = 1;
/// Weight of the evidence.
pub const WEIGHT: f64 = 0.6;
/// Neighbours count when heard within this many seconds.
pub const WINDOW_S: f64 = 3600.0;
/// Fewest other cells of the same operator needed to judge.
pub const MIN_NEIGHBOURS: usize = 2;
/// Most (sensor, RAT, PLMN) groups remembered.
pub const MAX_GROUPS: usize = 100_000;
/// Most cells remembered per group.
pub const MAX_CELLS: usize = 256;

/// The area of each cell heard by one sensor, and when.
type Areas = HashMap<String, (u32, Timestamp)>;

/// State: per (sensor, RAT, PLMN), the area of each cell heard and when.
#[derive(Debug, Default)]
pub struct AreaMismatch {
    groups: HashMap<(String, Rat, String), Areas>,
}

impl Analyzer for AreaMismatch {
    fn name(&self) -> &'static str {
        NAME
    }
    fn version(&self) -> u32 {
        VERSION
    }
    fn observe(&mut self, obs: &Observation, known: &Knowledge, out: &mut Vec<Finding>) {
        let (Some(key), Some(plmn)) = (super::global_key(obs.rat, &obs.cell), obs.cell.plmn())
        else {
            return;
        };
        let Some(area) = obs.cell.tac.or(obs.cell.lac.map(u32::from)) else {
            return;
        };
        let gk = (obs.sensor_id.clone(), obs.rat, plmn.clone());
        if self.groups.len() >= MAX_GROUPS && !self.groups.contains_key(&gk) {
            return;
        }
        let group = self.groups.entry(gk).or_default();
        group.retain(|_, (_, t)| obs.time.seconds_since(*t).abs() < WINDOW_S);
        let neighbours: Vec<u32> = group
            .iter()
            .filter(|(k, _)| **k != key)
            .map(|(_, (a, _))| *a)
            .collect();
        if group.len() < MAX_CELLS || group.contains_key(&key) {
            group.insert(key, (area, obs.time));
        }
        if known.lookup(obs.rat, &obs.cell).is_some()
            || neighbours.len() < MIN_NEIGHBOURS
            || neighbours.contains(&area)
        {
            return;
        }
        let mut areas: Vec<u32> = neighbours.clone();
        areas.sort_unstable();
        areas.dedup();
        let word = if obs.rat == Rat::Gsm { "LAC" } else { "TAC" };
        let detail = format!(
            "{word} {area} differs from all {} other {plmn} cells heard by {} (areas {areas:?})",
            neighbours.len(),
            obs.sensor_id
        );
        out.push(Finding::about(obs, NAME, VERSION, WEIGHT, detail));
    }
    fn tick(&mut self, now: Timestamp, _known: &Knowledge, _out: &mut Vec<Finding>) {
        self.groups.retain(|_, g| {
            g.retain(|_, (_, t)| now.seconds_since(*t) < WINDOW_S);
            !g.is_empty()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testutil::*;

    #[test]
    fn odd_tac_among_neighbours() {
        let k = Knowledge::new();
        let mut a = AreaMismatch::default();
        let mut out = Vec::new();
        a.observe(
            &lte("a", 0, 6300, 1, ("262", "01"), 4021, 100, -80.0),
            &k,
            &mut out,
        );
        // One neighbour only: not enough to judge.
        a.observe(
            &lte("a", 1, 6300, 301, ("262", "01"), 9999, 77, -60.0),
            &k,
            &mut out,
        );
        assert!(out.is_empty());
        a.observe(
            &lte("a", 2, 1300, 2, ("262", "01"), 4021, 101, -85.0),
            &k,
            &mut out,
        );
        assert!(
            out.is_empty(),
            "a legitimate cell with one matching neighbour is fine: {out:?}"
        );
        a.observe(
            &lte("a", 3, 6300, 301, ("262", "01"), 9999, 77, -60.0),
            &k,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert!(
            out[0].evidence.detail.contains("TAC 9999"),
            "{}",
            out[0].evidence.detail
        );
        // Another operator's cells are not neighbours; another sensor has its own view.
        a.observe(
            &lte("b", 4, 6300, 301, ("262", "01"), 9999, 77, -60.0),
            &k,
            &mut out,
        );
        a.observe(
            &lte("a", 5, 6200, 7, ("262", "02"), 5555, 9, -60.0),
            &k,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        // Neighbours older than the window are forgotten.
        a.observe(
            &lte("a", 5000, 6300, 301, ("262", "01"), 9999, 77, -60.0),
            &k,
            &mut out,
        );
        assert_eq!(out.len(), 1);
    }
}
