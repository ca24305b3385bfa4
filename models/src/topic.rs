//! MQTT topic names: the only place topic strings are built and parsed.
//!
//! ```text
//! towerwatch/v1/{region}/sensors/{sensor_id}/observations   QoS 1
//! towerwatch/v1/{region}/sensors/{sensor_id}/status         QoS 1, retained, last will
//! towerwatch/v1/{region}/sensors/{sensor_id}/spectrum       QoS 0
//! towerwatch/v1/{region}/alerts                             QoS 1
//! ```

use crate::validate::{check_id, ValidationError};
use std::fmt;

/// The fixed prefix of every topic.
pub const PREFIX: &str = "towerwatch/v1";

/// The region used when none is configured.
pub const DEFAULT_REGION: &str = "default";

/// The MQTT 5 shared-subscription group collectors join.
pub const SHARED_GROUP: &str = "collectors";

/// What a topic carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopicKind {
    /// Observations (QoS 1).
    Observations,
    /// Sensor status (QoS 1, retained).
    Status,
    /// Band power (QoS 0).
    Spectrum,
    /// Suspects from the collector (QoS 1).
    Alerts,
}

impl TopicKind {
    /// The QoS level the contract names for this topic.
    pub const fn qos(self) -> u8 {
        match self {
            TopicKind::Spectrum => 0,
            _ => 1,
        }
    }

    /// Whether messages on this topic are retained.
    pub const fn retained(self) -> bool {
        matches!(self, TopicKind::Status)
    }

    const fn leaf(self) -> &'static str {
        match self {
            TopicKind::Observations => "observations",
            TopicKind::Status => "status",
            TopicKind::Spectrum => "spectrum",
            TopicKind::Alerts => "alerts",
        }
    }
}

/// A parsed topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// `…/{region}/sensors/{sensor_id}/observations`
    Observations {
        /// Region.
        region: String,
        /// Sensor.
        sensor_id: String,
    },
    /// `…/{region}/sensors/{sensor_id}/status`
    Status {
        /// Region.
        region: String,
        /// Sensor.
        sensor_id: String,
    },
    /// `…/{region}/sensors/{sensor_id}/spectrum`
    Spectrum {
        /// Region.
        region: String,
        /// Sensor.
        sensor_id: String,
    },
    /// `…/{region}/alerts`
    Alerts {
        /// Region.
        region: String,
    },
}

impl Topic {
    /// A sensor topic; `region` and `sensor_id` are validated.
    pub fn sensor(
        kind: TopicKind,
        region: &str,
        sensor_id: &str,
    ) -> Result<Topic, ValidationError> {
        check_id("region", region)?;
        check_id("sensor_id", sensor_id)?;
        let (region, sensor_id) = (region.to_string(), sensor_id.to_string());
        Ok(match kind {
            TopicKind::Observations => Topic::Observations { region, sensor_id },
            TopicKind::Status => Topic::Status { region, sensor_id },
            TopicKind::Spectrum => Topic::Spectrum { region, sensor_id },
            TopicKind::Alerts => Topic::Alerts { region },
        })
    }

    /// The alerts topic of `region`.
    pub fn alerts(region: &str) -> Result<Topic, ValidationError> {
        check_id("region", region)?;
        Ok(Topic::Alerts {
            region: region.to_string(),
        })
    }

    /// What the topic carries.
    pub fn kind(&self) -> TopicKind {
        match self {
            Topic::Observations { .. } => TopicKind::Observations,
            Topic::Status { .. } => TopicKind::Status,
            Topic::Spectrum { .. } => TopicKind::Spectrum,
            Topic::Alerts { .. } => TopicKind::Alerts,
        }
    }

    /// The region.
    pub fn region(&self) -> &str {
        match self {
            Topic::Observations { region, .. }
            | Topic::Status { region, .. }
            | Topic::Spectrum { region, .. }
            | Topic::Alerts { region } => region,
        }
    }

    /// The sensor, for sensor topics.
    pub fn sensor_id(&self) -> Option<&str> {
        match self {
            Topic::Observations { sensor_id, .. }
            | Topic::Status { sensor_id, .. }
            | Topic::Spectrum { sensor_id, .. } => Some(sensor_id),
            Topic::Alerts { .. } => None,
        }
    }

    /// Parses a topic string; anything else is an error naming what is wrong.
    pub fn parse(s: &str) -> Result<Topic, ValidationError> {
        let rest = s
            .strip_prefix(PREFIX)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| ValidationError::new("topic", format!("must start with {PREFIX}/")))?;
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            [region, "alerts"] => Topic::alerts(region),
            [region, "sensors", sensor_id, leaf] => {
                let kind = match *leaf {
                    "observations" => TopicKind::Observations,
                    "status" => TopicKind::Status,
                    "spectrum" => TopicKind::Spectrum,
                    _ => {
                        return Err(ValidationError::new(
                            "topic",
                            format!("unknown leaf {leaf:?}"),
                        ))
                    }
                };
                Topic::sensor(kind, region, sensor_id)
            }
            _ => Err(ValidationError::new("topic", "unknown layout")),
        }
    }

    /// Subscription filter for one kind of sensor topic in `region` (`None` = every region, `+`).
    pub fn sensor_filter(kind: TopicKind, region: Option<&str>) -> String {
        format!(
            "{PREFIX}/{}/sensors/+/{}",
            region.unwrap_or("+"),
            kind.leaf()
        )
    }

    /// Subscription filter for alerts in `region` (`None` = every region).
    pub fn alerts_filter(region: Option<&str>) -> String {
        format!("{PREFIX}/{}/alerts", region.unwrap_or("+"))
    }

    /// The MQTT 5 shared-subscription form of `filter` (`$share/collectors/{filter}`).
    pub fn shared(filter: &str) -> String {
        format!("$share/{SHARED_GROUP}/{filter}")
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::Alerts { region } => write!(f, "{PREFIX}/{region}/alerts"),
            Topic::Observations { region, sensor_id }
            | Topic::Status { region, sensor_id }
            | Topic::Spectrum { region, sensor_id } => {
                write!(
                    f,
                    "{PREFIX}/{region}/sensors/{sensor_id}/{}",
                    self.kind().leaf()
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_wire_names() {
        let t = Topic::sensor(TopicKind::Observations, "default", "lamp-0042").unwrap();
        assert_eq!(
            t.to_string(),
            "towerwatch/v1/default/sensors/lamp-0042/observations"
        );
        assert_eq!(
            Topic::alerts("berlin").unwrap().to_string(),
            "towerwatch/v1/berlin/alerts"
        );
        assert_eq!(
            Topic::sensor(TopicKind::Status, "default", "a")
                .unwrap()
                .to_string(),
            "towerwatch/v1/default/sensors/a/status"
        );
        assert_eq!(
            Topic::sensor_filter(TopicKind::Spectrum, None),
            "towerwatch/v1/+/sensors/+/spectrum"
        );
        assert_eq!(
            Topic::shared(&Topic::sensor_filter(TopicKind::Observations, Some("x"))),
            "$share/collectors/towerwatch/v1/x/sensors/+/observations"
        );
        assert_eq!(TopicKind::Spectrum.qos(), 0);
        assert!(TopicKind::Status.retained());
    }

    #[test]
    fn parse_round_trips() {
        for kind in [
            TopicKind::Observations,
            TopicKind::Status,
            TopicKind::Spectrum,
        ] {
            let t = Topic::sensor(kind, "r-1", "s_2").unwrap();
            assert_eq!(Topic::parse(&t.to_string()).unwrap(), t);
        }
        let a = Topic::alerts("default").unwrap();
        assert_eq!(Topic::parse(&a.to_string()).unwrap(), a);
    }

    #[test]
    fn rejects_bad_topics() {
        for s in [
            "",
            "towerwatch/v2/default/alerts",
            "towerwatch/v1/default/sensors/Lamp/observations",
            "towerwatch/v1/default/sensors/lamp/observations/extra",
            "towerwatch/v1/default/sensors/+/observations",
            "towerwatch/v1//alerts",
            "towerwatch/v1/default/sensors/lamp/unknown",
        ] {
            assert!(Topic::parse(s).is_err(), "{s}");
        }
        assert!(Topic::sensor(TopicKind::Observations, "default", "a/b").is_err());
    }
}
