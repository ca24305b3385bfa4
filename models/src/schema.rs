//! JSON Schema of the wire payloads, generated from the types.
//!
//! The checked-in copies live in `models/schema/*.schema.json`; a test fails
//! when they differ from what the types generate (run it with
//! `TOWERWATCH_UPDATE_SCHEMA=1` to rewrite them).

use schemars::{schema_for, Schema};

/// Every published payload: `(file stem, schema)`.
pub fn all() -> Vec<(&'static str, Schema)> {
    vec![
        ("observation", schema_for!(crate::Observation)),
        ("sensor_status", schema_for!(crate::SensorStatus)),
        ("spectrum", schema_for!(crate::Spectrum)),
        ("suspect", schema_for!(crate::Suspect)),
    ]
}

/// The pretty-printed JSON text of a schema, as checked in.
pub fn to_text(s: &Schema) -> String {
    let mut t = serde_json::to_string_pretty(s).unwrap_or_default();
    t.push('\n');
    t
}
