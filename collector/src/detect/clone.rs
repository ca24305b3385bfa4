//! `cell_clone`: one cell identity in two places at once, or a known cell
//! whose estimated position has moved far from where it belongs.
//!
//! **Evidence**: (a) the same global identity heard within `WINDOW_S` by two
//! sensors farther apart than `MAX_SPAN_M` (no single cell covers both);
//! (b) the same global identity on two different channels or physical
//! identities within `WINDOW_S` (an identity belongs to one carrier);
//! (c) [`moved`]: a known cell localized farther from its known site than
//! `MOVE_MIN_M` and three times its 95 % ellipse. Weight 0.8 for (a)/(b), 0.7 for (c).
//!
//! **False positives**: (a) sensor positions that are wrong (GPS glitches,
//! misconfigured static positions) or elevated sensors hearing very far;
//! (b) a re-planned cell (new EARFCN/PCI) within the window of a change;
//! (c) a wrong imported position (OpenCellID positions are crowd-sourced
//! averages, often hundreds of metres off), or a localization outlier.

use super::{Finding, Knowledge};
use crate::locate::geo::haversine_m;
use std::collections::HashMap;
use towerwatch_models::known_cell::KnownCell;
use towerwatch_models::{Observation, Rat, Timestamp};

/// Rule name.
pub const NAME: &str = "cell_clone";
/// Rule version.
pub const VERSION: u32 = 1;
/// Weight of a simultaneous sighting at two places or on two channels.
pub const WEIGHT: f64 = 0.8;
/// Weight of a known cell that moved.
pub const MOVED_WEIGHT: f64 = 0.7;
/// Sightings closer in time than this are simultaneous, seconds.
pub const WINDOW_S: f64 = 120.0;
/// Two sensors farther apart than this cannot hear the same cell, metres.
pub const MAX_SPAN_M: f64 = 15_000.0;
/// A known cell estimated farther than this from its site has moved, metres.
pub const MOVE_MIN_M: f64 = 500.0;
/// Most identities remembered.
pub const MAX_STATE: usize = 200_000;
/// Most sightings remembered per identity.
pub const MAX_SIGHTINGS: usize = 16;

#[derive(Debug, Clone)]
struct Sighting {
    sensor_id: String,
    pos: Option<(f64, f64)>,
    time: Timestamp,
    channel: Option<u32>,
    phy: Option<u16>,
}

/// State: recent sightings per global identity.
#[derive(Debug, Default)]
pub struct Clone {
    sightings: HashMap<String, Vec<Sighting>>,
}

impl super::Analyzer for Clone {
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
        let pos = obs
            .position
            .as_ref()
            .or_else(|| known.sensor(&obs.sensor_id))
            .map(|p| (p.lat, p.lon));
        let me = Sighting {
            sensor_id: obs.sensor_id.clone(),
            pos,
            time: obs.time,
            channel: obs.cell.channel(obs.rat),
            phy: obs.cell.phy_id(obs.rat),
        };
        if self.sightings.len() >= MAX_STATE && !self.sightings.contains_key(&key) {
            return;
        }
        let list = self.sightings.entry(key).or_default();
        list.retain(|s| obs.time.seconds_since(s.time).abs() < WINDOW_S);
        for s in list.iter() {
            if let (Some(a), Some(b)) = (me.pos, s.pos) {
                let d = haversine_m(a, b);
                if d > MAX_SPAN_M {
                    let detail = format!(
                        "{} heard by {} and by {} {:.1} km apart within {:.0} s",
                        obs.cell.describe(obs.rat),
                        obs.sensor_id,
                        s.sensor_id,
                        d / 1000.0,
                        obs.time.seconds_since(s.time).abs()
                    );
                    out.push(Finding::about(obs, NAME, VERSION, WEIGHT, detail));
                    break;
                }
            }
            let differs = |a: Option<_>, b: Option<_>| a.is_some() && b.is_some() && a != b;
            if differs(me.channel, s.channel)
                || differs(me.phy.map(u32::from), s.phy.map(u32::from))
            {
                let detail = format!(
                    "{} broadcast on channel/id {}/{} by {} and {}/{} by {} within {:.0} s",
                    obs.cell.describe(obs.rat),
                    fmt_opt(me.channel),
                    fmt_opt(me.phy.map(u32::from)),
                    obs.sensor_id,
                    fmt_opt(s.channel),
                    fmt_opt(s.phy.map(u32::from)),
                    s.sensor_id,
                    obs.time.seconds_since(s.time).abs()
                );
                out.push(Finding::about(obs, NAME, VERSION, WEIGHT, detail));
                break;
            }
        }
        list.retain(|s| {
            !(s.sensor_id == me.sensor_id && s.channel == me.channel && s.phy == me.phy)
        });
        if list.len() >= MAX_SIGHTINGS {
            list.remove(0);
        }
        list.push(me);
    }
    fn tick(&mut self, now: Timestamp, _known: &Knowledge, _out: &mut Vec<Finding>) {
        self.sightings.retain(|_, l| {
            l.retain(|s| now.seconds_since(s.time) < WINDOW_S);
            !l.is_empty()
        });
    }
}

fn fmt_opt(v: Option<u32>) -> String {
    v.map_or("?".into(), |v| v.to_string())
}

/// Evidence that known cell `known` has moved: it was localized at `(lat, lon)`
/// with a 95 % ellipse of semi-major axis `major_m`.
pub fn moved(
    rat: Rat,
    known: &KnownCell,
    lat: f64,
    lon: f64,
    major_m: f64,
    time: Timestamp,
) -> Option<Finding> {
    let d = haversine_m((known.lat?, known.lon?), (lat, lon));
    let tolerance = MOVE_MIN_M
        .max(3.0 * major_m)
        .max(known.range_m.unwrap_or(0.0).min(5_000.0));
    if d <= tolerance {
        return None;
    }
    Some(Finding {
        key: super::CellKey::of(rat, &known.cell),
        rat,
        cell: known.cell.clone(),
        evidence: towerwatch_models::Evidence {
            kind: NAME.into(),
            sensor_id: None,
            detail: format!(
                "{} localized {:.0} m from its known site (tolerance {:.0} m)",
                known.cell.describe(rat),
                d,
                tolerance
            ),
            rule_version: Some(VERSION),
            time: Some(time),
            weight: Some(MOVED_WEIGHT),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testutil::*;
    use crate::detect::Analyzer;
    use towerwatch_models::known_cell::KnownCellSource;

    #[test]
    fn same_identity_far_apart_at_once() {
        let k = Knowledge::new();
        let mut a = Clone::default();
        let mut out = Vec::new();
        a.observe(
            &at(
                lte("a", 0, 6300, 1, ("262", "01"), 4021, 100, -80.0),
                52.52,
                13.40,
            ),
            &k,
            &mut out,
        );
        // Same sensor again, nearby sensor: nothing.
        a.observe(
            &at(
                lte("a", 10, 6300, 1, ("262", "01"), 4021, 100, -80.0),
                52.52,
                13.40,
            ),
            &k,
            &mut out,
        );
        a.observe(
            &at(
                lte("b", 20, 6300, 1, ("262", "01"), 4021, 100, -85.0),
                52.53,
                13.41,
            ),
            &k,
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
        // 60 km away (Potsdam is 26 km; this is farther), 30 s later.
        a.observe(
            &at(
                lte("c", 30, 6300, 1, ("262", "01"), 4021, 100, -70.0),
                52.0,
                13.0,
            ),
            &k,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert!(
            out[0].evidence.detail.contains("km apart"),
            "{}",
            out[0].evidence.detail
        );
        // Far apart but not simultaneous: nothing.
        let mut b = Clone::default();
        let mut out2 = Vec::new();
        b.observe(
            &at(
                lte("a", 0, 6300, 1, ("262", "01"), 4021, 100, -80.0),
                52.52,
                13.40,
            ),
            &k,
            &mut out2,
        );
        b.observe(
            &at(
                lte("c", 1000, 6300, 1, ("262", "01"), 4021, 100, -70.0),
                52.0,
                13.0,
            ),
            &k,
            &mut out2,
        );
        assert!(out2.is_empty());
    }

    #[test]
    fn same_identity_on_two_channels() {
        let k = Knowledge::new();
        let mut a = Clone::default();
        let mut out = Vec::new();
        a.observe(
            &lte("a", 0, 6300, 1, ("262", "01"), 4021, 100, -80.0),
            &k,
            &mut out,
        );
        a.observe(
            &lte("b", 5, 1300, 1, ("262", "01"), 4021, 100, -60.0),
            &k,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert!(
            out[0].evidence.detail.contains("1300/1"),
            "{}",
            out[0].evidence.detail
        );
    }

    #[test]
    fn known_cell_that_moved() {
        let o = lte("a", 0, 6300, 1, ("262", "01"), 4021, 100, -80.0);
        let kc = KnownCell {
            rat: o.rat,
            cell: o.cell.clone(),
            lat: Some(52.52),
            lon: Some(13.40),
            range_m: Some(300.0),
            samples: 10,
            source: KnownCellSource::Imported,
            average_signal_dbm: None,
            created: None,
            updated: None,
            profiles: vec![],
        };
        assert!(moved(o.rat, &kc, 52.5205, 13.4005, 100.0, t(0)).is_none());
        let f = moved(o.rat, &kc, 52.53, 13.40, 100.0, t(0)).unwrap();
        assert!(
            f.evidence.detail.contains("1112 m"),
            "{}",
            f.evidence.detail
        );
        // A wide ellipse tolerates the same offset.
        assert!(moved(o.rat, &kc, 52.53, 13.40, 400.0, t(0)).is_none());
    }
}
