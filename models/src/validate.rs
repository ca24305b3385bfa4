//! Validation of payloads from the wire: typed errors that name the field.
//!
//! Everything that arrives over MQTT is attacker-controlled. A payload is
//! accepted only if it parses, carries a supported `schema`, and every field
//! lies in its range; strings and lists are bounded so one payload cannot
//! grow a collector's memory without bound.

use crate::{
    CellId, Measurement, Observation, Position, Rat, SensorStatus, Spectrum, Suspect, SystemInfo,
};
use serde::de::DeserializeOwned;

/// Why a payload or identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ValidationError {
    /// The offending field (dotted path) or `payload`.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ValidationError {
    /// A new error.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ValidationError {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// A short, stable, low-cardinality reason label for metrics (the field name).
    pub fn label(&self) -> &str {
        match self.field.as_str() {
            "payload" | "json" | "schema" | "topic" | "sensor_id" => &self.field,
            _ => "field",
        }
    }
}

/// Largest number of anomalies in one observation.
pub const MAX_ANOMALIES: usize = 64;
/// Largest length of a free-text field, bytes.
pub const MAX_TEXT: usize = 2048;
/// Largest hex-encoded raw PDU, characters.
pub const MAX_RAW_HEX: usize = 8192;
/// Largest number of raw PDUs of one kind.
pub const MAX_RAW_PDUS: usize = 64;
/// Largest list inside system information (carriers, neighbours, PLMNs).
pub const MAX_LIST: usize = 1024;

/// Checks a sensor id or region against `[a-z0-9][a-z0-9_-]{0,62}`.
pub fn check_id(field: &str, s: &str) -> Result<(), ValidationError> {
    let b = s.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 63
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            "must match [a-z0-9][a-z0-9_-]{0,62}",
        ))
    }
}

/// Parses a JSON payload of at most [`crate::MAX_PAYLOAD_BYTES`] and checks its `schema`.
pub fn parse_payload<T: DeserializeOwned + HasSchema>(bytes: &[u8]) -> Result<T, ValidationError> {
    if bytes.len() > crate::MAX_PAYLOAD_BYTES {
        return Err(ValidationError::new(
            "payload",
            format!("{} bytes, limit {}", bytes.len(), crate::MAX_PAYLOAD_BYTES),
        ));
    }
    let v: T =
        serde_json::from_slice(bytes).map_err(|e| ValidationError::new("json", e.to_string()))?;
    if v.schema() != crate::SCHEMA_VERSION {
        return Err(ValidationError::new(
            "schema",
            format!(
                "unsupported schema {} (this build reads {})",
                v.schema(),
                crate::SCHEMA_VERSION
            ),
        ));
    }
    Ok(v)
}

/// Payloads with a `schema` field.
pub trait HasSchema {
    /// The payload's schema version.
    fn schema(&self) -> u32;
}

macro_rules! has_schema {
    ($($t:ty),*) => { $(impl HasSchema for $t { fn schema(&self) -> u32 { self.schema } })* };
}
has_schema!(Observation, SensorStatus, Spectrum, Suspect);

fn finite_in(field: &str, v: Option<f64>, lo: f64, hi: f64) -> Result<(), ValidationError> {
    match v {
        Some(x) if !(x.is_finite() && x >= lo && x <= hi) => Err(ValidationError::new(
            field,
            format!("{x} outside {lo}…{hi}"),
        )),
        _ => Ok(()),
    }
}

fn max_in<T: PartialOrd + Copy + std::fmt::Display>(
    field: &str,
    v: Option<T>,
    hi: T,
) -> Result<(), ValidationError> {
    match v {
        Some(x) if x > hi => Err(ValidationError::new(field, format!("{x} above {hi}"))),
        _ => Ok(()),
    }
}

fn text(field: &str, s: &str) -> Result<(), ValidationError> {
    if s.len() > MAX_TEXT {
        Err(ValidationError::new(
            field,
            format!("longer than {MAX_TEXT} bytes"),
        ))
    } else {
        Ok(())
    }
}

fn digits(field: &str, s: &Option<String>, lens: &[usize]) -> Result<(), ValidationError> {
    match s {
        Some(s) if !(lens.contains(&s.len()) && s.bytes().all(|c| c.is_ascii_digit())) => Err(
            ValidationError::new(field, format!("must be {lens:?} decimal digits")),
        ),
        _ => Ok(()),
    }
}

/// Checks a position's ranges.
pub fn check_position(field: &str, p: &Position) -> Result<(), ValidationError> {
    finite_in(&format!("{field}.lat"), Some(p.lat), -90.0, 90.0)?;
    finite_in(&format!("{field}.lon"), Some(p.lon), -180.0, 180.0)?;
    finite_in(&format!("{field}.alt_m"), p.alt_m, -1000.0, 100_000.0)?;
    finite_in(&format!("{field}.accuracy_m"), p.accuracy_m, 0.0, 1e7)
}

/// Checks a cell identity against the ranges of `rat`.
pub fn check_cell(rat: Rat, c: &CellId) -> Result<(), ValidationError> {
    digits("cell.mcc", &c.mcc, &[3])?;
    digits("cell.mnc", &c.mnc, &[2, 3])?;
    match rat {
        Rat::Lte => {
            max_in("cell.earfcn", c.earfcn, 262_143)?;
            max_in("cell.pci", c.pci, 503)?;
            max_in("cell.tac", c.tac, 0xffff)?;
            max_in("cell.cell_identity", c.cell_identity, (1 << 28) - 1)?;
        }
        Rat::Nr => {
            max_in("cell.nr_arfcn", c.nr_arfcn, 3_279_165)?;
            max_in("cell.gscn", c.gscn, 26_639)?;
            max_in("cell.pci", c.pci, 1007)?;
            max_in("cell.ssb_index", c.ssb_index, 63)?;
            max_in("cell.tac", c.tac, 0xff_ffff)?;
            max_in("cell.cell_identity", c.cell_identity, (1 << 36) - 1)?;
        }
        Rat::Gsm => {
            max_in("cell.arfcn", c.arfcn, 1023)?;
            max_in("cell.bsic", c.bsic, 63)?;
            max_in("cell.cell_identity", c.cell_identity, 0xffff)?;
        }
    }
    if rat != Rat::Gsm && (c.arfcn.is_some() || c.bsic.is_some() || c.lac.is_some()) {
        return Err(ValidationError::new(
            "cell",
            format!("GSM fields in a {rat} cell"),
        ));
    }
    if rat != Rat::Lte && c.earfcn.is_some() {
        return Err(ValidationError::new(
            "cell.earfcn",
            format!("in a {rat} cell"),
        ));
    }
    if rat != Rat::Nr && (c.nr_arfcn.is_some() || c.gscn.is_some() || c.ssb_index.is_some()) {
        return Err(ValidationError::new(
            "cell",
            format!("NR fields in a {rat} cell"),
        ));
    }
    if c.channel(rat).is_none() && c.phy_id(rat).is_none() {
        return Err(ValidationError::new(
            "cell",
            "neither a channel nor a physical identity",
        ));
    }
    Ok(())
}

fn check_measurement(m: &Measurement) -> Result<(), ValidationError> {
    for (f, v) in [
        ("measurement.rsrp_dbm", m.rsrp_dbm),
        ("measurement.rssi_dbm", m.rssi_dbm),
        ("measurement.rxlev_dbm", m.rxlev_dbm),
        ("measurement.ss_rsrp_dbm", m.ss_rsrp_dbm),
    ] {
        finite_in(f, v, -250.0, 60.0)?;
    }
    finite_in("measurement.power_dbfs", m.power_dbfs, -300.0, 60.0)?;
    for (f, v) in [
        ("measurement.rsrq_db", m.rsrq_db),
        ("measurement.ss_rsrq_db", m.ss_rsrq_db),
    ] {
        finite_in(f, v, -60.0, 20.0)?;
    }
    for (f, v) in [
        ("measurement.sinr_db", m.sinr_db),
        ("measurement.ss_sinr_db", m.ss_sinr_db),
    ] {
        finite_in(f, v, -60.0, 100.0)?;
    }
    finite_in("measurement.cfo_hz", m.cfo_hz, -1e6, 1e6)?;
    finite_in(
        "measurement.frame_arrival_uncertainty_ns",
        m.frame_arrival_uncertainty_ns,
        0.0,
        1e12,
    )
}

fn check_system_info(si: &SystemInfo) -> Result<(), ValidationError> {
    if let Some(sib1) = &si.sib1 {
        if sib1.plmns.len() > MAX_LIST || sib1.scheduling.len() > MAX_LIST {
            return Err(ValidationError::new("system_info.sib1", "list too long"));
        }
        for p in &sib1.plmns {
            if !(5..=6).contains(&p.len()) || !p.bytes().all(|c| c.is_ascii_digit()) {
                return Err(ValidationError::new(
                    "system_info.sib1.plmns",
                    "entries are 5 or 6 digits",
                ));
            }
        }
    }
    let lens = [
        si.sib4.as_ref().map_or(0, |s| s.neighbours.len()),
        si.sib5.as_ref().map_or(0, |s| s.carriers.len()),
        si.sib6.as_ref().map_or(0, |s| s.carriers.len()),
        si.sib7.as_ref().map_or(0, |s| s.carriers.len()),
        si.sib8.as_ref().map_or(0, |s| s.band_classes.len()),
    ];
    if lens.iter().any(|&n| n > MAX_LIST) {
        return Err(ValidationError::new("system_info", "list too long"));
    }
    if let Some(raw) = &si.raw {
        let all = raw
            .mib
            .iter()
            .chain(&raw.sib1)
            .chain(&raw.si)
            .chain(&raw.bcch);
        if raw.si.len() > MAX_RAW_PDUS || raw.bcch.len() > MAX_RAW_PDUS {
            return Err(ValidationError::new("system_info.raw", "too many PDUs"));
        }
        for h in all {
            if h.len() > MAX_RAW_HEX
                || h.len() % 2 != 0
                || !h.bytes().all(|c| c.is_ascii_hexdigit())
            {
                return Err(ValidationError::new(
                    "system_info.raw",
                    "PDUs are even-length hex strings",
                ));
            }
        }
    }
    Ok(())
}

impl Observation {
    /// Checks every field's range (the schema version is checked when parsing).
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id("sensor_id", &self.sensor_id)?;
        if let Some(p) = &self.position {
            check_position("position", p)?;
        }
        max_in("center_freq_hz", self.center_freq_hz, 120_000_000_000)?;
        check_cell(self.rat, &self.cell)?;
        check_measurement(&self.measurement)?;
        if let Some(si) = &self.system_info {
            check_system_info(si)?;
        }
        if self.anomalies.len() > MAX_ANOMALIES {
            return Err(ValidationError::new(
                "anomalies",
                format!("more than {MAX_ANOMALIES}"),
            ));
        }
        for a in &self.anomalies {
            text("anomalies.kind", &a.kind)?;
            text("anomalies.detail", &a.detail)?;
        }
        if let Some(s) = &self.source {
            text("source", s)?;
        }
        Ok(())
    }
}

impl SensorStatus {
    /// Checks every field's range.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id("sensor_id", &self.sensor_id)?;
        if let Some(p) = &self.position {
            check_position("position", p)?;
        }
        finite_in(
            "frequency_error_ppm",
            self.frequency_error_ppm,
            -1000.0,
            1000.0,
        )?;
        finite_in("uptime_s", self.uptime_s, 0.0, 1e10)?;
        for (f, s) in [
            ("version", &self.version),
            ("radio", &self.radio),
            ("detail", &self.detail),
        ] {
            if let Some(s) = s {
                text(f, s)?;
            }
        }
        Ok(())
    }
}

impl Spectrum {
    /// Checks every field's range.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id("sensor_id", &self.sensor_id)?;
        text("band", &self.band)?;
        if self.channels.len() > 8192 {
            return Err(ValidationError::new("channels", "more than 8192"));
        }
        for c in &self.channels {
            finite_in("channels.power_dbm", Some(c.power_dbm), -250.0, 60.0)?;
        }
        Ok(())
    }
}

impl Suspect {
    /// Checks every field's range.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id("region", &self.region)?;
        text("id", &self.id)?;
        finite_in("score", Some(self.score), 0.0, 1.0)?;
        check_cell(self.rat, &self.cell)?;
        if let Some(l) = &self.location {
            check_position("location", &Position::new(l.lat, l.lon))?;
            let e = &l.error_ellipse_m;
            finite_in("location.error_ellipse_m.major", Some(e.major), 0.0, 1e8)?;
            finite_in("location.error_ellipse_m.minor", Some(e.minor), 0.0, 1e8)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensor_ids() {
        for ok in ["a", "lamp-0042", "0_x", &"a".repeat(63)] {
            assert!(check_id("sensor_id", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "_a",
            "A",
            "lamp 1",
            "lamp/1",
            "lämp",
            "+",
            "#",
            &"a".repeat(64),
        ] {
            assert!(check_id("sensor_id", bad).is_err(), "{bad}");
        }
    }
}
