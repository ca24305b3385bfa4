//! UTC timestamps as RFC 3339 strings on the wire (`2026-11-21T23:40:00.123Z`).
//!
//! A tiny, dependency-free implementation: the wire needs only UTC instants,
//! nanosecond precision and a stable text form.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// An instant in UTC, nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

/// A string that is not an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid RFC 3339 timestamp: {0}")]
pub struct TimestampError(&'static str);

const NS_PER_S: i64 = 1_000_000_000;

impl Timestamp {
    /// From Unix milliseconds.
    pub const fn from_unix_ms(ms: i64) -> Self {
        Timestamp(ms.saturating_mul(1_000_000))
    }

    /// From Unix nanoseconds.
    pub const fn from_unix_ns(ns: i64) -> Self {
        Timestamp(ns)
    }

    /// Unix milliseconds (floor).
    pub const fn unix_ms(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// Unix nanoseconds.
    pub const fn unix_ns(self) -> i64 {
        self.0
    }

    /// Seconds (as f64) from `earlier` to `self`.
    pub fn seconds_since(self, earlier: Timestamp) -> f64 {
        (self.0 as f64 - earlier.0 as f64) / 1e9
    }

    /// `self` plus a number of seconds (saturating).
    pub fn add_seconds(self, s: f64) -> Timestamp {
        let ns = (s * 1e9).clamp(i64::MIN as f64, i64::MAX as f64) as i64;
        Timestamp(self.0.saturating_add(ns))
    }

    /// The current time from the system clock.
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    // Shift the year to start in March so the leap day is the last day.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.div_euclid(NS_PER_S);
        let ns = self.0.rem_euclid(NS_PER_S);
        let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400);
        write!(
            f,
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
            sod / 3600,
            sod % 3600 / 60,
            sod % 60
        )?;
        if ns % 1_000_000 == 0 {
            write!(f, ".{:03}Z", ns / 1_000_000)
        } else {
            write!(f, ".{ns:09}Z")
        }
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() < 20 || b.len() > 40 {
            return Err(TimestampError("length"));
        }
        let num = |r: std::ops::Range<usize>| -> Result<i64, TimestampError> {
            let part = b.get(r).ok_or(TimestampError("truncated"))?;
            if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                return Err(TimestampError("digits expected"));
            }
            Ok(part.iter().fold(0i64, |a, &c| a * 10 + i64::from(c - b'0')))
        };
        if b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b'T' | b't' | b' ')
            || b[13] != b':'
            || b[16] != b':'
        {
            return Err(TimestampError("layout is YYYY-MM-DDTHH:MM:SS"));
        }
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo)
            || d < 1
            || d > days_in_month(y, mo)
            || h > 23
            || mi > 59
            || sec > 60
        {
            return Err(TimestampError("field out of range"));
        }
        let mut i = 19;
        let mut frac_ns = 0i64;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                if i - start < 9 {
                    frac_ns = frac_ns * 10 + i64::from(b[i] - b'0');
                }
                i += 1;
            }
            let n = i - start;
            if n == 0 {
                return Err(TimestampError("empty fraction"));
            }
            for _ in n..9 {
                frac_ns *= 10;
            }
        }
        let offset_s = match b.get(i) {
            Some(b'Z' | b'z') if i + 1 == b.len() => 0,
            Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
                let oh = num(i + 1..i + 3)?;
                let om = num(i + 4..i + 6)?;
                if oh > 23 || om > 59 {
                    return Err(TimestampError("offset out of range"));
                }
                let o = oh * 3600 + om * 60;
                if sign == b'+' {
                    o
                } else {
                    -o
                }
            }
            _ => return Err(TimestampError("zone must be Z or ±HH:MM")),
        };
        // A leap second (:60) is folded onto the next second.
        let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset_s;
        // Years outside about 1678–2262 do not fit in i64 nanoseconds: refuse them.
        secs.checked_mul(NS_PER_S)
            .and_then(|ns| ns.checked_add(frac_ns))
            .map(Timestamp)
            .ok_or(TimestampError(
                "outside the representable range (years 1678–2262)",
            ))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Timestamp {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "format": "date-time", "description": "RFC 3339 UTC instant, e.g. 2026-11-21T23:40:00.123Z"})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        let t: Timestamp = "1970-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(t.0, 0);
        let t: Timestamp = "2000-03-01T00:00:00.5Z".parse().unwrap();
        assert_eq!(t.0, 951_868_800 * NS_PER_S + 500_000_000);
        let t: Timestamp = "2026-11-21T23:40:00.123Z".parse().unwrap();
        assert_eq!(t.to_string(), "2026-11-21T23:40:00.123Z");
        assert_eq!(t.unix_ms(), 1_795_304_400_123);
        let t2: Timestamp = "2026-11-22T00:40:00.123+01:00".parse().unwrap();
        assert_eq!(t, t2);
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31T23:59:59.999999999Z");
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-11-21 23:40:00",
            "2026-11-21T23:40:00.Z",
            "２０２６-11-21T23:40:00Z",
        ] {
            assert!(s.parse::<Timestamp>().is_err(), "{s}");
        }
        assert!("2024-02-29T00:00:00Z".parse::<Timestamp>().is_ok());
        // Found by the property test: a year that overflows i64 nanoseconds is an error, not a panic.
        assert!("9999-12-31T23:59:59Z".parse::<Timestamp>().is_err());
        assert!("0001-01-01T00:00:00Z".parse::<Timestamp>().is_err());
    }

    #[test]
    fn civil_round_trip() {
        for z in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }
}
