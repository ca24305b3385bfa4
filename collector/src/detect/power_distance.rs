//! `power_distance` and `power_jump`: a known cell received far stronger than
//! its distance allows, or far off a sensor's learned power profile.
//!
//! **Evidence**: (a) a known cell with a known site, received at a sensor
//! `d` metres away at a power more than `MARGIN_DB` above the most a macro
//! cell could give there, `P0_MAX_DBM − 10·N_MIN·log10(d)` (a generous
//! model: strong transmitter, low exponent). A rogue station that copies a
//! real cell's identity near a sensor is received far stronger than the real
//! site could be. Weight 0.5. (b) a known cell whose power at one sensor,
//! with at least `MIN_PROFILE` earlier measurements, differs from the
//! profile mean by more than `max(JUMP_DB, 4σ)`. Weight 0.4.
//!
//! **False positives**: (a) wrong imported site positions (crowd-sourced
//! positions can be off by kilometres), small cells or repeaters that carry
//! the identity; (b) changes of antenna tilt or power by the operator,
//! construction (new buildings), a sensor's own antenna or gain change.

use super::{Analyzer, Finding, Knowledge};
use crate::locate::geo::haversine_m;
use std::collections::HashMap;
use towerwatch_models::{Observation, Timestamp};

/// Rule name of the distance check.
pub const NAME: &str = "power_distance";
/// Rule name of the profile check.
pub const JUMP: &str = "power_jump";
/// Rule version.
pub const VERSION: u32 = 1;
/// Weight of a power too strong for the distance.
pub const WEIGHT: f64 = 0.5;
/// Weight of a jump off the profile.
pub const JUMP_WEIGHT: f64 = 0.4;
/// Highest received power at 1 m from a macro site, dBm (RSRP-scale).
pub const P0_MAX_DBM: f64 = 0.0;
/// Lowest path-loss exponent considered.
pub const N_MIN: f64 = 2.5;
/// Margin above the bound before reporting, dB.
pub const MARGIN_DB: f64 = 10.0;
/// Sites closer than this are not judged, metres.
pub const MIN_DISTANCE_M: f64 = 200.0;
/// Smallest jump reported, dB.
pub const JUMP_DB: f64 = 15.0;
/// Measurements needed in a profile before jumps are judged.
pub const MIN_PROFILE: u64 = 20;
/// Re-report at most this often per (cell, sensor, kind), seconds.
pub const REPORT_INTERVAL_S: f64 = 600.0;
/// Most pairs remembered.
pub const MAX_STATE: usize = 200_000;

/// State: when each (cell, sensor, kind) was last reported.
#[derive(Debug, Default)]
pub struct PowerDistance {
    reported: HashMap<(String, String, &'static str), Timestamp>,
}

impl PowerDistance {
    fn fresh(&mut self, key: &str, obs: &Observation, kind: &'static str) -> bool {
        let k = (key.to_string(), obs.sensor_id.clone(), kind);
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

impl Analyzer for PowerDistance {
    fn name(&self) -> &'static str {
        NAME
    }
    fn version(&self) -> u32 {
        VERSION
    }
    fn observe(&mut self, obs: &Observation, known: &Knowledge, out: &mut Vec<Finding>) {
        let Some(kc) = known.lookup(obs.rat, &obs.cell) else {
            return;
        };
        let Some(p) = obs.measurement.main_power_dbm() else {
            return;
        };
        let key = super::CellKey::of(obs.rat, &obs.cell).0;
        let sensor = obs
            .position
            .as_ref()
            .or_else(|| known.sensor(&obs.sensor_id));
        if let (Some(s), Some(lat), Some(lon)) = (sensor, kc.lat, kc.lon) {
            let d = haversine_m((s.lat, s.lon), (lat, lon));
            let bound = P0_MAX_DBM - 10.0 * N_MIN * d.max(1.0).log10();
            if d >= MIN_DISTANCE_M && p > bound + MARGIN_DB && self.fresh(&key, obs, NAME) {
                let detail = format!("{p:.1} dBm at {:.0} m from the known site of {}; at most {bound:.1} dBm expected", d, obs.cell.describe(obs.rat));
                out.push(Finding::about(obs, NAME, VERSION, WEIGHT, detail));
            }
        }
        if let Some(prof) = kc.profiles.iter().find(|pp| pp.sensor_id == obs.sensor_id) {
            let limit = JUMP_DB.max(4.0 * prof.std_db);
            if prof.count >= MIN_PROFILE
                && (p - prof.mean_dbm).abs() > limit
                && self.fresh(&key, obs, JUMP)
            {
                let detail = format!("{p:.1} dBm, {:+.1} dB off this sensor's profile ({:.1} ± {:.1} dB over {} measurements)", p - prof.mean_dbm, prof.mean_dbm, prof.std_db, prof.count);
                out.push(Finding::about(obs, JUMP, VERSION, JUMP_WEIGHT, detail));
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
    use towerwatch_models::known_cell::{KnownCell, KnownCellSource, PowerProfile};

    #[test]
    fn too_strong_for_the_distance_and_off_profile() {
        let o = lte("a", 0, 6300, 1, ("262", "01"), 4021, 100, -80.0);
        let mut k = Knowledge::new();
        let prof = PowerProfile {
            sensor_id: "a".into(),
            count: 50,
            mean_dbm: -95.0,
            std_db: 3.0,
            last_seen: None,
        };
        // Site 1.11 km north of the sensor: bound 0 − 25·log10(1112) = −76.2 dBm.
        k.insert(KnownCell {
            rat: o.rat,
            cell: o.cell.clone(),
            lat: Some(52.53),
            lon: Some(13.40),
            range_m: None,
            samples: 9,
            source: KnownCellSource::Imported,
            average_signal_dbm: None,
            created: None,
            updated: None,
            profiles: vec![prof],
        });
        let mut a = PowerDistance::default();
        let mut out = Vec::new();
        // −80 dBm is 15 dB off the profile (not more): nothing; and below the distance bound.
        a.observe(&at(o.clone(), 52.52, 13.40), &k, &mut out);
        assert!(out.is_empty(), "{out:?}");
        // −50 dBm: 26 dB above the bound and 45 dB off the profile.
        let mut strong = at(o.clone(), 52.52, 13.40);
        strong.measurement.rsrp_dbm = Some(-50.0);
        a.observe(&strong, &k, &mut out);
        let kinds: Vec<&str> = out.iter().map(|f| f.evidence.kind.as_str()).collect();
        assert_eq!(kinds, vec![NAME, JUMP]);
        assert!(
            out[0].evidence.detail.contains("1112 m"),
            "{}",
            out[0].evidence.detail
        );
        // Unknown cells are not judged here.
        let other = at(
            lte("a", 0, 6300, 2, ("262", "01"), 4021, 999, -30.0),
            52.52,
            13.40,
        );
        a.observe(&other, &k, &mut out);
        assert_eq!(out.len(), 2);
    }
}
