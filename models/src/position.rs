//! Geographic positions (WGS 84).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a position came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PositionSource {
    /// Surveyed and written in the configuration.
    Static,
    /// A GNSS receiver (gpsd or the radio's own).
    Gps,
    /// Estimated by the collector (localization).
    Estimated,
}

/// A WGS 84 position.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Position {
    /// Latitude in degrees, −90…90.
    pub lat: f64,
    /// Longitude in degrees, −180…180.
    pub lon: f64,
    /// Altitude above the ellipsoid or ground, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_m: Option<f64>,
    /// Where the position came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<PositionSource>,
    /// Horizontal accuracy (1 σ), metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
}

impl Position {
    /// A static position without altitude.
    pub const fn new(lat: f64, lon: f64) -> Self {
        Position {
            lat,
            lon,
            alt_m: None,
            source: Some(PositionSource::Static),
            accuracy_m: None,
        }
    }
}
