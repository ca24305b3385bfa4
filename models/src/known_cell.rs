//! Known cells: the legitimate network as the collector knows it, imported
//! (OpenCellID CSV) or learned from observations.

use crate::{CellId, Rat, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a known cell came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KnownCellSource {
    /// Imported from a cell database (OpenCellID CSV).
    Imported,
    /// Learned by the collector from stable observations.
    Learned,
}

/// One sensor's power profile for a known cell: running mean and spread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PowerProfile {
    /// The sensor.
    pub sensor_id: String,
    /// Number of measurements.
    pub count: u64,
    /// Mean calibrated power, dBm.
    pub mean_dbm: f64,
    /// Standard deviation, dB.
    pub std_db: f64,
    /// Latest measurement time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
}

/// A legitimate cell: identity, where it is and how sensors hear it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct KnownCell {
    /// Radio access technology.
    pub rat: Rat,
    /// Identity (PLMN, area and cell identity at least; channel and PCI/BSIC when learned).
    pub cell: CellId,
    /// Estimated site latitude, degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Estimated site longitude, degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// Uncertainty or coverage range of the position, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_m: Option<f64>,
    /// Measurements the position is based on.
    #[serde(default)]
    pub samples: u64,
    /// Imported or learned.
    pub source: KnownCellSource,
    /// Average signal reported by the database, dBm (OpenCellID `averageSignal`, 0 = unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_signal_dbm: Option<f64>,
    /// First time the cell was known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// Last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<Timestamp>,
    /// Per-sensor power profiles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<PowerProfile>,
}
