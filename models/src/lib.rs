//! towerwatch's shared vocabulary: the wire types of `WIRE.md`, the MQTT topic
//! names, validation, and the JSON Schema generated from these types.
//!
//! Everything a sensor publishes and a collector accepts is defined here and
//! nowhere else. The rules of the contract:
//! - names and types of existing fields never change; new fields are optional;
//! - a field a sensor could not decode is absent, never zero;
//! - identities are numbers, except MCC and MNC, which are strings (`"001"`);
//! - every payload carries `schema` ([`SCHEMA_VERSION`]).
//!
//! This crate does no I/O and no async; it only describes and checks data.

pub mod anomaly;
pub mod band;
pub mod cell;
pub mod gsm;
pub mod measurement;
pub mod observation;
pub mod position;
pub mod schema;
pub mod spectrum;
pub mod status;
pub mod suspect;
pub mod system_info;
pub mod time;
pub mod topic;
pub mod validate;

pub use anomaly::{Anomaly, Severity};
pub use cell::{CellId, Rat};
pub use measurement::Measurement;
pub use observation::Observation;
pub use position::{Position, PositionSource};
pub use spectrum::{Spectrum, SpectrumChannel};
pub use status::{SensorState, SensorStatus};
pub use suspect::{ErrorEllipse, Evidence, Location, Suspect};
pub use system_info::SystemInfo;
pub use time::Timestamp;
pub use topic::Topic;
pub use validate::ValidationError;

/// The `schema` value of every payload this version writes and accepts.
pub const SCHEMA_VERSION: u32 = 1;

/// Largest MQTT payload a collector accepts, in bytes. Observations are a few KiB.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

fn default_schema() -> u32 {
    SCHEMA_VERSION
}
pub mod known_cell;
