//! Detection: analyzers that turn observations into evidence, and the score
//! that combines evidence into a suspect.
//!
//! Pure and synchronous. One analyzer per file, each with a `NAME`, a
//! `VERSION` (carried in every piece of evidence), a doc comment stating its
//! evidence and its false positives (also in `docs/heuristics.md`), and
//! explicit, bounded state. Analyzers read observations and the
//! [`Knowledge`] of the legitimate network and emit [`Finding`]s.

pub mod area_mismatch;
pub mod clone;
pub mod jamming;
pub mod knowledge;
pub mod plmn_channel;
pub mod power_distance;
pub mod score;
pub mod sensor_anomalies;
pub mod short_lived;
pub mod unknown_cell;

pub use knowledge::{global_key, CellKey, Knowledge};
pub use score::score;

use towerwatch_models::{CellId, Evidence, Observation, Rat, Timestamp};

/// One piece of evidence about one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The cell the evidence is about.
    pub key: CellKey,
    /// Its RAT.
    pub rat: Rat,
    /// Its identity as broadcast.
    pub cell: CellId,
    /// The evidence, with `weight` and `rule_version` set.
    pub evidence: Evidence,
}

impl Finding {
    /// A finding about the cell of `obs`.
    pub fn about(obs: &Observation, kind: &str, version: u32, weight: f64, detail: String) -> Self {
        Finding {
            key: CellKey::of(obs.rat, &obs.cell),
            rat: obs.rat,
            cell: obs.cell.clone(),
            evidence: Evidence {
                kind: kind.to_string(),
                sensor_id: Some(obs.sensor_id.clone()),
                detail,
                rule_version: Some(version),
                time: Some(obs.time),
                weight: Some(weight.clamp(0.0, 1.0)),
            },
        }
    }
}

/// An analyzer of observations.
pub trait Analyzer: std::fmt::Debug + Send {
    /// Rule name (the evidence `kind` it emits, unless it passes kinds through).
    fn name(&self) -> &'static str;
    /// Rule version.
    fn version(&self) -> u32;
    /// Looks at one accepted observation.
    fn observe(&mut self, obs: &Observation, known: &Knowledge, out: &mut Vec<Finding>);
    /// Advances time: emits time-based findings and forgets old state.
    fn tick(&mut self, _now: Timestamp, _known: &Knowledge, _out: &mut Vec<Finding>) {}
}

/// The standard set of observation analyzers.
pub fn standard_analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![
        Box::new(unknown_cell::UnknownCell::default()),
        Box::new(clone::Clone::default()),
        Box::new(area_mismatch::AreaMismatch::default()),
        Box::new(plmn_channel::PlmnChannel::default()),
        Box::new(sensor_anomalies::SensorAnomalies::default()),
        Box::new(power_distance::PowerDistance::default()),
        Box::new(short_lived::ShortLived::default()),
    ]
}

#[cfg(test)]
pub(crate) mod testutil {
    use towerwatch_models::{CellId, Observation, Position, Rat, Timestamp};

    /// An LTE observation at `t_s` seconds with a full identity.
    #[allow(clippy::too_many_arguments)]
    pub fn lte(
        sensor: &str,
        t_s: i64,
        earfcn: u32,
        pci: u16,
        plmn: (&str, &str),
        tac: u32,
        ci: u64,
        rsrp: f64,
    ) -> Observation {
        let cell = CellId {
            earfcn: Some(earfcn),
            pci: Some(pci),
            mcc: Some(plmn.0.into()),
            mnc: Some(plmn.1.into()),
            tac: Some(tac),
            cell_identity: Some(ci),
            ..CellId::default()
        };
        let mut o = Observation::new(
            sensor,
            t_s as u64,
            Timestamp::from_unix_ms(1_800_000_000_000 + t_s * 1000),
            Rat::Lte,
            cell,
        );
        o.measurement.rsrp_dbm = Some(rsrp);
        o
    }

    /// `o` with the sensor at `(lat, lon)`.
    pub fn at(mut o: Observation, lat: f64, lon: f64) -> Observation {
        o.position = Some(Position::new(lat, lon));
        o
    }

    /// The instant of `t_s`.
    pub fn t(t_s: i64) -> Timestamp {
        Timestamp::from_unix_ms(1_800_000_000_000 + t_s * 1000)
    }
}
