//! The Observation: one cell seen by one sensor at one time (WIRE.md).

use crate::{Anomaly, CellId, Measurement, Position, Rat, SystemInfo, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One cell as one sensor saw it: identity, measurements, system information
/// and the anomalies the sensor's rules found. The MQTT payload of
/// `towerwatch/v1/{region}/sensors/{sensor_id}/observations` and one line of
/// `towerwatch-sensor decode --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Observation {
    /// Payload schema version ([`crate::SCHEMA_VERSION`]).
    #[serde(default = "crate::default_schema")]
    pub schema: u32,
    /// The sensor, `[a-z0-9][a-z0-9_-]{0,62}`.
    pub sensor_id: String,
    /// Rises by one per observation per sensor, across restarts.
    pub seq: u64,
    /// When the cell was measured (UTC).
    pub time: Timestamp,
    /// Where the sensor was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// Radio access technology.
    pub rat: Rat,
    /// Centre frequency the radio was tuned to, Hz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub center_freq_hz: Option<u64>,
    /// The cell's identities.
    pub cell: CellId,
    /// Power and quality measurements.
    #[serde(default)]
    pub measurement: Measurement,
    /// Decoded broadcast system information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_info: Option<SystemInfo>,
    /// Findings of the sensor's rules.
    #[serde(default)]
    pub anomalies: Vec<Anomaly>,
    /// Where the samples came from when not a live radio (a replayed recording's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Observation {
    /// A new observation with empty measurements, no system information and no anomalies.
    pub fn new(
        sensor_id: impl Into<String>,
        seq: u64,
        time: Timestamp,
        rat: Rat,
        cell: CellId,
    ) -> Self {
        Observation {
            schema: crate::SCHEMA_VERSION,
            sensor_id: sensor_id.into(),
            seq,
            time,
            position: None,
            rat,
            center_freq_hz: None,
            cell,
            measurement: Measurement::default(),
            system_info: None,
            anomalies: Vec::new(),
            source: None,
        }
    }

    /// Parses and validates a payload (size limit, JSON, schema, ranges).
    pub fn from_json_slice(bytes: &[u8]) -> Result<Self, crate::ValidationError> {
        let o: Observation = crate::validate::parse_payload(bytes)?;
        o.validate()?;
        Ok(o)
    }
}
