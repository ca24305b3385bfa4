//! `sensor_anomaly` (pass-through) and `downgrade_priority`: what the
//! sensors' own fingerprinting rules found, and the collector's own check of
//! reselection priorities.
//!
//! **Evidence**: every anomaly a sensor attached to an observation becomes
//! evidence with the sensor's kind (`downgrade_priority`,
//! `empty_neighbour_list`, `low_rx_lev_min`, …) and the weight of its
//! severity (low 0.2, medium 0.5, high 0.8; info is dropped), halved for
//! known cells and ignoring the sensor's `new_cell` for known cells. Besides,
//! an LTE cell whose SIB6/SIB7/SIB8 gives a 3G/2G/CDMA carrier a reselection
//! priority above its own (SIB3) pushes phones down to a RAT without mutual
//! authentication: `downgrade_priority`, weight 0.6.
//!
//! **False positives**: operators that still prefer 3G/2G in places (rare
//! since 2G/3G shutdowns, but real); sensor rules with their own false
//! positives (see their rule versions); neighbour lists legitimately empty
//! on isolated cells.

use super::{Analyzer, Finding, Knowledge};
use std::collections::HashMap;
use towerwatch_models::anomaly::kinds;
use towerwatch_models::{Observation, Rat, Severity, Timestamp};

/// Rule name of the pass-through.
pub const NAME: &str = "sensor_anomaly";
/// Rule name of the collector's own downgrade check.
pub const DOWNGRADE: &str = kinds::DOWNGRADE_PRIORITY;
/// Rule version.
pub const VERSION: u32 = 1;
/// Weight of the collector's downgrade check.
pub const DOWNGRADE_WEIGHT: f64 = 0.6;
/// Re-report the same (cell, sensor, kind) at most this often, seconds.
pub const REPORT_INTERVAL_S: f64 = 600.0;
/// Most (cell, sensor, kind) triples remembered.
pub const MAX_STATE: usize = 200_000;

/// State: when each (cell, sensor, kind) was last reported.
#[derive(Debug, Default)]
pub struct SensorAnomalies {
    reported: HashMap<(String, String, String), Timestamp>,
}

impl SensorAnomalies {
    fn fresh(&mut self, obs: &Observation, kind: &str) -> bool {
        let k = (
            super::CellKey::of(obs.rat, &obs.cell).0,
            obs.sensor_id.clone(),
            kind.to_string(),
        );
        match self.reported.get(&k) {
            Some(t) if obs.time.seconds_since(*t).abs() < REPORT_INTERVAL_S => false,
            _ if self.reported.len() >= MAX_STATE && !self.reported.contains_key(&k) => false,
            _ => {
                self.reported.insert(k, obs.time);
                true
            }
        }
    }
}

/// The highest inter-RAT priority above the serving priority, if any: `(serving, other, what)`.
pub fn downgrade(obs: &Observation) -> Option<(u8, u8, &'static str)> {
    if obs.rat != Rat::Lte {
        return None;
    }
    let si = obs.system_info.as_ref()?;
    let serving = si.sib3.as_ref()?.cell_reselection_priority?;
    let mut best: Option<(u8, &'static str)> = None;
    let mut consider = |p: Option<u8>, what: &'static str| {
        if let Some(p) = p {
            if p > serving && best.is_none_or(|(b, _)| p > b) {
                best = Some((p, what));
            }
        }
    };
    for c in si.sib6.iter().flat_map(|s| &s.carriers) {
        consider(c.cell_reselection_priority, "UTRA (SIB6)");
    }
    for c in si.sib7.iter().flat_map(|s| &s.carriers) {
        consider(c.cell_reselection_priority, "GERAN (SIB7)");
    }
    for c in si.sib8.iter().flat_map(|s| &s.band_classes) {
        consider(c.cell_reselection_priority, "CDMA2000 (SIB8)");
    }
    best.map(|(p, w)| (serving, p, w))
}

impl Analyzer for SensorAnomalies {
    fn name(&self) -> &'static str {
        NAME
    }
    fn version(&self) -> u32 {
        VERSION
    }
    fn observe(&mut self, obs: &Observation, known: &Knowledge, out: &mut Vec<Finding>) {
        let is_known = known.lookup(obs.rat, &obs.cell).is_some();
        for a in &obs.anomalies {
            if a.severity == Severity::Info
                || (is_known && a.kind == kinds::NEW_CELL)
                || !self.fresh(obs, &a.kind)
            {
                continue;
            }
            let w = a.severity.weight() * if is_known { 0.5 } else { 1.0 };
            let mut f = Finding::about(
                obs,
                &a.kind,
                a.rule_version.unwrap_or(0),
                w,
                format!("sensor rule: {}", a.detail),
            );
            f.evidence.rule_version = a.rule_version;
            out.push(f);
        }
        if let Some((serving, other, what)) = downgrade(obs) {
            if !obs.anomalies.iter().any(|a| a.kind == DOWNGRADE) && self.fresh(obs, DOWNGRADE) {
                let detail = format!(
                    "{what} reselection priority {other} above the serving LTE priority {serving}"
                );
                let w = DOWNGRADE_WEIGHT * if is_known { 0.5 } else { 1.0 };
                out.push(Finding::about(obs, DOWNGRADE, VERSION, w, detail));
            }
        }
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
    use towerwatch_models::system_info::{GeranCarrier, Sib3, Sib7};
    use towerwatch_models::{Anomaly, SystemInfo};

    #[test]
    fn passes_sensor_anomalies_through() {
        let k = Knowledge::new();
        let mut a = SensorAnomalies::default();
        let mut out = Vec::new();
        let mut o = lte("a", 0, 6300, 301, ("262", "01"), 9999, 77, -60.0);
        o.anomalies.push(Anomaly {
            kind: "empty_neighbour_list".into(),
            severity: Severity::Medium,
            detail: "SIB5 absent".into(),
            rule_version: Some(3),
        });
        o.anomalies.push(Anomaly {
            kind: "cell_barred".into(),
            severity: Severity::Info,
            detail: "".into(),
            rule_version: None,
        });
        a.observe(&o, &k, &mut out);
        a.observe(&o, &k, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].evidence.kind, "empty_neighbour_list");
        assert_eq!(out[0].evidence.weight, Some(0.5));
        assert_eq!(out[0].evidence.rule_version, Some(3));
        assert_eq!(out[0].evidence.sensor_id.as_deref(), Some("a"));
    }

    #[test]
    fn own_downgrade_check() {
        let k = Knowledge::new();
        let mut a = SensorAnomalies::default();
        let mut out = Vec::new();
        let mut o = lte("a", 0, 6300, 301, ("262", "01"), 9999, 77, -60.0);
        let mut si = SystemInfo {
            sib3: Some(Sib3 {
                cell_reselection_priority: Some(5),
                ..Default::default()
            }),
            sib7: Some(Sib7 {
                carriers: vec![GeranCarrier {
                    arfcns: vec![62],
                    band_indicator: None,
                    cell_reselection_priority: Some(7),
                    q_rx_lev_min_dbm: None,
                }],
            }),
            ..SystemInfo::default()
        };
        o.system_info = Some(si.clone());
        assert_eq!(downgrade(&o), Some((5, 7, "GERAN (SIB7)")));
        a.observe(&o, &k, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].evidence.kind, "downgrade_priority");
        assert!(
            out[0].evidence.detail.contains("priority 7 above"),
            "{}",
            out[0].evidence.detail
        );
        // Priority below serving: nothing.
        si.sib7.as_mut().unwrap().carriers[0].cell_reselection_priority = Some(2);
        o.system_info = Some(si);
        assert_eq!(downgrade(&o), None);
    }
}
