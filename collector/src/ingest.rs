//! Ingest: what an MQTT message is, and whether it is accepted.
//!
//! Pure: a topic and a payload in, an [`Inbound`] message or a [`Reject`]
//! with a low-cardinality reason out. Never panics on any input (a property
//! test feeds it random bytes). De-duplication on `(sensor_id, seq)` is the
//! store's job (it is durable); everything else is decided here.

use towerwatch_models::topic::TopicKind;
use towerwatch_models::validate::parse_payload;
use towerwatch_models::{Observation, SensorStatus, Spectrum, Topic, ValidationError};

/// An accepted message.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// An observation.
    Observation(Box<Observation>),
    /// A sensor status (or last will).
    Status(SensorStatus),
    /// A band power scan.
    Spectrum(Spectrum),
}

impl Inbound {
    /// The metric label of the kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Inbound::Observation(_) => "observation",
            Inbound::Status(_) => "status",
            Inbound::Spectrum(_) => "spectrum",
        }
    }
}

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Reject {
    /// The topic is not a sensor topic of the contract.
    #[error("topic: {0}")]
    Topic(ValidationError),
    /// The payload failed to parse or validate.
    #[error("payload: {0}")]
    Invalid(ValidationError),
    /// The payload's sensor is not the topic's sensor (an impostor).
    #[error("sensor id mismatch: topic {topic:?}, payload {payload:?}")]
    SensorMismatch {
        /// Sensor in the topic.
        topic: String,
        /// Sensor in the payload.
        payload: String,
    },
    /// The region is not one this collector serves.
    #[error("region {0:?} not served")]
    Region(String),
    /// A parser panicked on this payload (caught).
    #[error("parser fault")]
    ParserFault,
    /// Already stored: `(sensor_id, seq)` replayed.
    #[error("duplicate ({sensor_id}, {seq})")]
    Duplicate {
        /// Sensor.
        sensor_id: String,
        /// Sequence number.
        seq: u64,
    },
}

impl Reject {
    /// A short, stable reason label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Reject::Topic(_) => "topic",
            Reject::Invalid(e) => match e.label() {
                "payload" => "too_large",
                "json" => "json",
                "schema" => "schema",
                "sensor_id" => "sensor_id",
                _ => "field",
            },
            Reject::SensorMismatch { .. } => "sensor_mismatch",
            Reject::Region(_) => "region",
            Reject::Duplicate { .. } => "duplicate",
            Reject::ParserFault => "parser_fault",
        }
    }
}

/// Classifies one message: parse the topic, parse and validate the payload,
/// and check that the topic's and the payload's sensor agree. `region`
/// restricts the regions served (`None` = all).
///
/// A panic inside a parser (a bug: e.g. `towerwatch-models`' timestamp
/// parser overflows on years outside 1678–2261 in builds with overflow
/// checks) is caught and counted as `parser_fault`, never fatal.
pub fn classify(topic: &str, payload: &[u8], region: Option<&str>) -> Result<Inbound, Reject> {
    std::panic::catch_unwind(|| classify_unguarded(topic, payload, region))
        .unwrap_or(Err(Reject::ParserFault))
}

fn classify_unguarded(
    topic: &str,
    payload: &[u8],
    region: Option<&str>,
) -> Result<Inbound, Reject> {
    let t = Topic::parse(topic).map_err(Reject::Topic)?;
    if let Some(r) = region {
        if t.region() != r {
            return Err(Reject::Region(t.region().to_string()));
        }
    }
    let Some(topic_sensor) = t.sensor_id() else {
        return Err(Reject::Topic(ValidationError::new(
            "topic",
            "not a sensor topic",
        )));
    };
    let check = |payload_sensor: &str| -> Result<(), Reject> {
        if payload_sensor == topic_sensor {
            Ok(())
        } else {
            Err(Reject::SensorMismatch {
                topic: topic_sensor.to_string(),
                payload: payload_sensor.chars().take(64).collect(),
            })
        }
    };
    match t.kind() {
        TopicKind::Observations => {
            let o = Observation::from_json_slice(payload).map_err(Reject::Invalid)?;
            check(&o.sensor_id)?;
            Ok(Inbound::Observation(Box::new(o)))
        }
        TopicKind::Status => {
            let s: SensorStatus = parse_payload(payload).map_err(Reject::Invalid)?;
            s.validate().map_err(Reject::Invalid)?;
            check(&s.sensor_id)?;
            Ok(Inbound::Status(s))
        }
        TopicKind::Spectrum => {
            let s: Spectrum = parse_payload(payload).map_err(Reject::Invalid)?;
            s.validate().map_err(Reject::Invalid)?;
            check(&s.sensor_id)?;
            Ok(Inbound::Spectrum(s))
        }
        TopicKind::Alerts => Err(Reject::Topic(ValidationError::new(
            "topic",
            "alerts are not ingested",
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const OBS: &str = r#"{"schema":1,"sensor_id":"lamp-1","seq":5,"time":"2026-11-21T23:40:00.123Z","rat":"lte","cell":{"earfcn":6300,"pci":1,"mcc":"262","mnc":"01","tac":1,"cell_identity":2},"measurement":{"rsrp_dbm":-80.0}}"#;

    #[test]
    fn accepts_matching_ids_and_rejects_the_rest() {
        let ok = classify(
            "towerwatch/v1/default/sensors/lamp-1/observations",
            OBS.as_bytes(),
            None,
        )
        .unwrap();
        assert_eq!(ok.kind(), "observation");
        let imp = classify(
            "towerwatch/v1/default/sensors/lamp-2/observations",
            OBS.as_bytes(),
            None,
        )
        .unwrap_err();
        assert_eq!(imp.label(), "sensor_mismatch");
        assert_eq!(
            classify(
                "towerwatch/v1/default/sensors/lamp-1/observations",
                b"\xff\x00garbage",
                None
            )
            .unwrap_err()
            .label(),
            "json"
        );
        assert_eq!(
            classify(
                "towerwatch/v1/default/sensors/lamp-1/observations",
                OBS.replace("\"schema\":1", "\"schema\":9").as_bytes(),
                None
            )
            .unwrap_err()
            .label(),
            "schema"
        );
        assert_eq!(
            classify(
                "towerwatch/v1/default/sensors/lamp-1/observations",
                OBS.replace("-80.0", "1e9").as_bytes(),
                None
            )
            .unwrap_err()
            .label(),
            "field"
        );
        assert_eq!(
            classify("other/topic", OBS.as_bytes(), None)
                .unwrap_err()
                .label(),
            "topic"
        );
        assert_eq!(
            classify("towerwatch/v1/default/alerts", OBS.as_bytes(), None)
                .unwrap_err()
                .label(),
            "topic"
        );
        assert_eq!(
            classify(
                "towerwatch/v1/berlin/sensors/lamp-1/observations",
                OBS.as_bytes(),
                Some("default")
            )
            .unwrap_err()
            .label(),
            "region"
        );
        // A year whose nanoseconds overflow i64 is refused, whatever the parser does.
        let r = classify(
            "towerwatch/v1/default/sensors/lamp-1/observations",
            OBS.replace("2026-", "0026-").as_bytes(),
            None,
        );
        assert!(
            r.is_err()
                || r.as_ref()
                    .is_ok_and(|i| matches!(i, Inbound::Observation(_)))
        );
        let big = vec![b' '; towerwatch_models::MAX_PAYLOAD_BYTES + 1];
        assert_eq!(
            classify(
                "towerwatch/v1/default/sensors/lamp-1/observations",
                &big,
                None
            )
            .unwrap_err()
            .label(),
            "too_large"
        );
        let will = br#"{"schema":1,"sensor_id":"lamp-1","state":"offline"}"#;
        assert_eq!(
            classify("towerwatch/v1/default/sensors/lamp-1/status", will, None)
                .unwrap()
                .kind(),
            "status"
        );
        assert_eq!(
            classify("towerwatch/v1/default/sensors/lamp-9/status", will, None)
                .unwrap_err()
                .label(),
            "sensor_mismatch"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
        #[test]
        fn random_payloads_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..512), leaf in 0usize..4) {
            let leaf = ["observations", "status", "spectrum", "alerts"][leaf];
            let topic = format!("towerwatch/v1/default/sensors/lamp-1/{leaf}");
            let r = classify(&topic, &payload, None);
            prop_assert!(r.is_err() || serde_json::from_slice::<serde_json::Value>(&payload).is_ok());
        }

        #[test]
        fn mutated_observations_never_panic(cut in 0usize..300, byte in any::<u8>()) {
            let mut p = OBS.as_bytes().to_vec();
            let i = cut % p.len();
            p[i] = byte;
            let _ = classify("towerwatch/v1/default/sensors/lamp-1/observations", &p, None);
            let _ = classify("towerwatch/v1/default/sensors/lamp-1/observations", &p[..i], None);
        }
    }
}
