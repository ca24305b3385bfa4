//! Band power scans (the `spectrum` topic).

use crate::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Received power per channel across one band, one scan cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Spectrum {
    /// Payload schema version.
    #[serde(default = "crate::default_schema")]
    pub schema: u32,
    /// The sensor.
    pub sensor_id: String,
    /// When the scan ended.
    pub time: Timestamp,
    /// Band name, e.g. `"gsm900"`, `"lte_b20"`, `"n78"`.
    pub band: String,
    /// Power per channel.
    pub channels: Vec<SpectrumChannel>,
}

/// One channel's power.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SpectrumChannel {
    /// Channel centre, Hz.
    pub freq_hz: u64,
    /// Power in the channel after calibration, dBm.
    pub power_dbm: f64,
}
