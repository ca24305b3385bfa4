//! Sensor status (retained, and the MQTT last will).

use crate::{Position, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a sensor is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SensorState {
    /// Scanning normally.
    Online,
    /// Disconnected (the last will says so).
    Offline,
    /// Running, but the radio is missing or failing; reopening with backoff.
    RadioFault,
    /// Starting up.
    Starting,
}

/// A sensor's health, published retained on its `status` topic.
///
/// Only `schema`, `sensor_id` and `state` are required, so the static last
/// will (`{"schema":1,"sensor_id":"…","state":"offline"}`) is a valid status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SensorStatus {
    /// Payload schema version.
    #[serde(default = "crate::default_schema")]
    pub schema: u32,
    /// The sensor.
    pub sensor_id: String,
    /// Current state.
    pub state: SensorState,
    /// When the status was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// Where the sensor is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// Software version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Seconds since the daemon started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime_s: Option<f64>,
    /// The radio (driver and serial), e.g. `"hackrf 0000000000000000457863c82a3c5b1f"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radio: Option<String>,
    /// The radio's measured frequency error, ppm (self-calibration from cells).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_error_ppm: Option<f64>,
    /// Last `seq` assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seq: Option<u64>,
    /// Observations waiting in the outbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox_len: Option<u64>,
    /// Observations dropped because the outbox was full, since start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox_dropped_total: Option<u64>,
    /// Sample blocks dropped because DSP fell behind, since start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocks_dropped_total: Option<u64>,
    /// A short human-readable reason for a fault state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl SensorStatus {
    /// The last-will payload for `sensor_id`.
    pub fn offline(sensor_id: impl Into<String>) -> Self {
        SensorStatus {
            schema: crate::SCHEMA_VERSION,
            sensor_id: sensor_id.into(),
            state: SensorState::Offline,
            time: None,
            position: None,
            version: None,
            uptime_s: None,
            radio: None,
            frequency_error_ppm: None,
            last_seq: None,
            outbox_len: None,
            outbox_dropped_total: None,
            blocks_dropped_total: None,
            detail: None,
        }
    }
}
