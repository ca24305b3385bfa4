//! Suspects: the collector's fused verdict on a possibly rogue station.

use crate::{CellId, Rat, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A station the collector believes may be rogue, with where it is and why.
/// Published on `towerwatch/v1/{region}/alerts` on every change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Suspect {
    /// Payload schema version.
    #[serde(default = "crate::default_schema")]
    pub schema: u32,
    /// Stable identifier, e.g. `"s-7f3a"`.
    pub id: String,
    /// Region the suspect was found in.
    pub region: String,
    /// Score in [0, 1]: how likely the station is rogue.
    pub score: f64,
    /// Radio access technology.
    pub rat: Rat,
    /// Identity as broadcast.
    pub cell: CellId,
    /// First observation that contributed.
    pub first_seen: Timestamp,
    /// Latest observation that contributed.
    pub last_seen: Timestamp,
    /// Location estimate, absent when not localizable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Why not localizable, when `location` is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_localizable: Option<String>,
    /// The evidence that made it suspect.
    pub evidence: Vec<Evidence>,
    /// Power each sensor measured, dBm (latest).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub powers: Vec<SensorPower>,
}

/// A location estimate with its uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Location {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// 95 % error ellipse, metres.
    pub error_ellipse_m: ErrorEllipse,
    /// Method, e.g. `"rss_ml"`, `"rss_tdoa"`, `"centroid"`.
    pub method: String,
    /// Sensors whose measurements were used (heard or censored).
    pub sensors_used: u32,
}

/// An error ellipse: semi-axes in metres, bearing of the major axis clockwise from north.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorEllipse {
    /// Semi-major axis, metres.
    pub major: f64,
    /// Semi-minor axis, metres.
    pub minor: f64,
    /// Bearing of the major axis, degrees clockwise from north.
    pub bearing_deg: f64,
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// Detector or sensor rule name, e.g. `unknown_cell`, `downgrade_priority`.
    pub kind: String,
    /// The sensor that saw it, when it came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensor_id: Option<String>,
    /// Human-readable detail.
    pub detail: String,
    /// Version of the detector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_version: Option<u32>,
    /// When it was seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// Contribution to the score in [0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

/// The power one sensor measured for a suspect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SensorPower {
    /// The sensor.
    pub sensor_id: String,
    /// Calibrated power, dBm.
    pub power_dbm: f64,
    /// When.
    pub time: Timestamp,
}
