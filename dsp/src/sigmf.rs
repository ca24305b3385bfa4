//! SigMF metadata (`.sigmf-meta`), SigMF specification v1.2 (`core` namespace).
//!
//! Pure parsing and writing of the metadata JSON; opening the data file,
//! streaming it and checking `core:sha512` happen at the edge (the sensor's
//! replay source). Fields this module does not model are kept in `extra` maps
//! and written back unchanged, so a recording passes through untouched.

use crate::iq::DataType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Why a metadata file was refused.
#[derive(Debug, thiserror::Error)]
pub enum SigmfError {
    /// Not JSON, or a field of the wrong type.
    #[error("SigMF metadata is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A datatype this project does not read.
    #[error(transparent)]
    DataType(#[from] crate::iq::UnsupportedDataType),
    /// A field with an impossible value.
    #[error("SigMF metadata: {field}: {reason}")]
    Invalid {
        /// The field, e.g. `global.core:sample_rate`.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// A SigMF recording's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct SigmfMeta {
    /// Global object.
    pub global: Global,
    /// Capture segments, sorted by `sample_start`.
    pub captures: Vec<Capture>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
}

/// The `global` object.
#[derive(Debug, Clone, PartialEq)]
pub struct Global {
    /// `core:datatype`.
    pub datatype: DataType,
    /// `core:sample_rate`, Hz.
    pub sample_rate: Option<f64>,
    /// `core:version`.
    pub version: String,
    /// `core:sha512` of the data file, lowercase hex.
    pub sha512: Option<String>,
    /// `core:description`.
    pub description: Option<String>,
    /// `core:author`.
    pub author: Option<String>,
    /// `core:hw`.
    pub hw: Option<String>,
    /// `core:recorder`.
    pub recorder: Option<String>,
    /// `core:num_channels` (only 1 is read).
    pub num_channels: Option<u64>,
    /// `core:offset`: sample index of the first sample in the file.
    pub offset: Option<u64>,
    /// `core:geolocation`: a GeoJSON point `[lon, lat, alt?]`.
    pub geolocation: Option<(f64, f64, Option<f64>)>,
    /// Every other field (other namespaces included), kept as is.
    pub extra: Map<String, Value>,
}

/// One `captures` segment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Capture {
    /// `core:sample_start`.
    pub sample_start: u64,
    /// `core:frequency`: centre frequency, Hz.
    pub frequency: Option<f64>,
    /// `core:datetime` (ISO 8601 UTC) of the first sample of the segment.
    pub datetime: Option<String>,
    /// `core:global_index`.
    pub global_index: Option<u64>,
    /// `core:header_bytes`: bytes to skip before this segment's samples.
    pub header_bytes: Option<u64>,
    /// Every other field.
    pub extra: Map<String, Value>,
}

/// One `annotations` entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Annotation {
    /// `core:sample_start`.
    pub sample_start: u64,
    /// `core:sample_count`.
    pub sample_count: Option<u64>,
    /// `core:freq_lower_edge`, Hz.
    pub freq_lower_edge: Option<f64>,
    /// `core:freq_upper_edge`, Hz.
    pub freq_upper_edge: Option<f64>,
    /// `core:label`.
    pub label: Option<String>,
    /// `core:comment`.
    pub comment: Option<String>,
    /// `core:generator`.
    pub generator: Option<String>,
    /// Every other field.
    pub extra: Map<String, Value>,
}

#[derive(Deserialize, Serialize)]
struct RawMeta {
    global: Map<String, Value>,
    #[serde(default)]
    captures: Vec<Map<String, Value>>,
    #[serde(default)]
    annotations: Vec<Map<String, Value>>,
}

fn take_str(
    m: &mut Map<String, Value>,
    k: &str,
    field: &'static str,
) -> Result<Option<String>, SigmfError> {
    match m.remove(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(SigmfError::Invalid {
            field,
            reason: "must be a string".into(),
        }),
    }
}

fn take_f64(
    m: &mut Map<String, Value>,
    k: &str,
    field: &'static str,
) -> Result<Option<f64>, SigmfError> {
    match m.remove(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(SigmfError::Invalid {
                field,
                reason: "must be a finite number".into(),
            }),
        },
        Some(_) => Err(SigmfError::Invalid {
            field,
            reason: "must be a number".into(),
        }),
    }
}

fn take_u64(
    m: &mut Map<String, Value>,
    k: &str,
    field: &'static str,
) -> Result<Option<u64>, SigmfError> {
    match m.remove(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or(SigmfError::Invalid {
            field,
            reason: "must be a non-negative integer".into(),
        }),
        Some(_) => Err(SigmfError::Invalid {
            field,
            reason: "must be an integer".into(),
        }),
    }
}

fn put<T: Into<Value>>(m: &mut Map<String, Value>, k: &str, v: Option<T>) {
    if let Some(v) = v {
        m.insert(k.to_string(), v.into());
    }
}

impl SigmfMeta {
    /// Metadata for a new single-capture recording.
    pub fn new(datatype: DataType, sample_rate: f64, frequency: Option<f64>) -> Self {
        SigmfMeta {
            global: Global {
                datatype,
                sample_rate: Some(sample_rate),
                version: "1.2.0".into(),
                sha512: None,
                description: None,
                author: None,
                hw: None,
                recorder: None,
                num_channels: None,
                offset: None,
                geolocation: None,
                extra: Map::new(),
            },
            captures: vec![Capture {
                sample_start: 0,
                frequency,
                ..Capture::default()
            }],
            annotations: Vec::new(),
        }
    }

    /// Parses a `.sigmf-meta` document.
    pub fn parse(json: &str) -> Result<Self, SigmfError> {
        let raw: RawMeta = serde_json::from_str(json)?;
        let mut g = raw.global;
        let datatype_s = take_str(&mut g, "core:datatype", "global.core:datatype")?.ok_or(
            SigmfError::Invalid {
                field: "global.core:datatype",
                reason: "required".into(),
            },
        )?;
        let datatype: DataType = datatype_s.parse()?;
        let sample_rate = take_f64(&mut g, "core:sample_rate", "global.core:sample_rate")?;
        if let Some(r) = sample_rate {
            if r <= 0.0 {
                return Err(SigmfError::Invalid {
                    field: "global.core:sample_rate",
                    reason: format!("{r} is not positive"),
                });
            }
        }
        let version = take_str(&mut g, "core:version", "global.core:version")?.unwrap_or_default();
        let sha512 =
            take_str(&mut g, "core:sha512", "global.core:sha512")?.map(|s| s.to_ascii_lowercase());
        if let Some(h) = &sha512 {
            if h.len() != 128 || !h.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(SigmfError::Invalid {
                    field: "global.core:sha512",
                    reason: "must be 128 hex digits".into(),
                });
            }
        }
        let num_channels = take_u64(&mut g, "core:num_channels", "global.core:num_channels")?;
        if num_channels.is_some_and(|n| n != 1) {
            return Err(SigmfError::Invalid {
                field: "global.core:num_channels",
                reason: "only single-channel recordings are read".into(),
            });
        }
        let geolocation = match g.remove("core:geolocation") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let c = v
                    .get("coordinates")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let n: Vec<f64> = c.iter().filter_map(Value::as_f64).collect();
                match n.as_slice() {
                    [lon, lat] => Some((*lon, *lat, None)),
                    [lon, lat, alt, ..] => Some((*lon, *lat, Some(*alt))),
                    _ => {
                        return Err(SigmfError::Invalid {
                            field: "global.core:geolocation",
                            reason: "needs a GeoJSON point".into(),
                        })
                    }
                }
            }
        };
        let global = Global {
            datatype,
            sample_rate,
            version,
            sha512,
            description: take_str(&mut g, "core:description", "global.core:description")?,
            author: take_str(&mut g, "core:author", "global.core:author")?,
            hw: take_str(&mut g, "core:hw", "global.core:hw")?,
            recorder: take_str(&mut g, "core:recorder", "global.core:recorder")?,
            num_channels,
            offset: take_u64(&mut g, "core:offset", "global.core:offset")?,
            geolocation,
            extra: g,
        };
        let mut captures = Vec::with_capacity(raw.captures.len());
        for mut c in raw.captures {
            captures.push(Capture {
                sample_start: take_u64(&mut c, "core:sample_start", "captures.core:sample_start")?
                    .unwrap_or(0),
                frequency: take_f64(&mut c, "core:frequency", "captures.core:frequency")?,
                datetime: take_str(&mut c, "core:datetime", "captures.core:datetime")?,
                global_index: take_u64(&mut c, "core:global_index", "captures.core:global_index")?,
                header_bytes: take_u64(&mut c, "core:header_bytes", "captures.core:header_bytes")?,
                extra: c,
            });
        }
        if captures
            .windows(2)
            .any(|w| w[0].sample_start >= w[1].sample_start)
        {
            return Err(SigmfError::Invalid {
                field: "captures",
                reason: "sample_start must increase".into(),
            });
        }
        let mut annotations = Vec::with_capacity(raw.annotations.len());
        for mut a in raw.annotations {
            annotations.push(Annotation {
                sample_start: take_u64(
                    &mut a,
                    "core:sample_start",
                    "annotations.core:sample_start",
                )?
                .unwrap_or(0),
                sample_count: take_u64(
                    &mut a,
                    "core:sample_count",
                    "annotations.core:sample_count",
                )?,
                freq_lower_edge: take_f64(
                    &mut a,
                    "core:freq_lower_edge",
                    "annotations.core:freq_lower_edge",
                )?,
                freq_upper_edge: take_f64(
                    &mut a,
                    "core:freq_upper_edge",
                    "annotations.core:freq_upper_edge",
                )?,
                label: take_str(&mut a, "core:label", "annotations.core:label")?,
                comment: take_str(&mut a, "core:comment", "annotations.core:comment")?,
                generator: take_str(&mut a, "core:generator", "annotations.core:generator")?,
                extra: a,
            });
        }
        Ok(SigmfMeta {
            global,
            captures,
            annotations,
        })
    }

    /// The metadata as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        let g = &self.global;
        let mut gm = Map::new();
        gm.insert("core:datatype".into(), g.datatype.sigmf_name().into());
        put(&mut gm, "core:sample_rate", g.sample_rate);
        gm.insert("core:version".into(), g.version.clone().into());
        put(&mut gm, "core:sha512", g.sha512.clone());
        put(&mut gm, "core:description", g.description.clone());
        put(&mut gm, "core:author", g.author.clone());
        put(&mut gm, "core:hw", g.hw.clone());
        put(&mut gm, "core:recorder", g.recorder.clone());
        put(&mut gm, "core:num_channels", g.num_channels);
        put(&mut gm, "core:offset", g.offset);
        if let Some((lon, lat, alt)) = g.geolocation {
            let mut c = vec![Value::from(lon), Value::from(lat)];
            if let Some(a) = alt {
                c.push(a.into());
            }
            gm.insert(
                "core:geolocation".into(),
                serde_json::json!({"type": "Point", "coordinates": c}),
            );
        }
        gm.extend(g.extra.clone());
        let captures = self
            .captures
            .iter()
            .map(|c| {
                let mut m = Map::new();
                m.insert("core:sample_start".into(), c.sample_start.into());
                put(&mut m, "core:frequency", c.frequency);
                put(&mut m, "core:datetime", c.datetime.clone());
                put(&mut m, "core:global_index", c.global_index);
                put(&mut m, "core:header_bytes", c.header_bytes);
                m.extend(c.extra.clone());
                m
            })
            .collect();
        let annotations = self
            .annotations
            .iter()
            .map(|a| {
                let mut m = Map::new();
                m.insert("core:sample_start".into(), a.sample_start.into());
                put(&mut m, "core:sample_count", a.sample_count);
                put(&mut m, "core:freq_lower_edge", a.freq_lower_edge);
                put(&mut m, "core:freq_upper_edge", a.freq_upper_edge);
                put(&mut m, "core:label", a.label.clone());
                put(&mut m, "core:comment", a.comment.clone());
                put(&mut m, "core:generator", a.generator.clone());
                m.extend(a.extra.clone());
                m
            })
            .collect();
        let raw = RawMeta {
            global: gm,
            captures,
            annotations,
        };
        let mut s = serde_json::to_string_pretty(&raw).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The capture segment that holds sample `index` (the last one starting at or before it).
    pub fn capture_at(&self, index: u64) -> Option<&Capture> {
        self.captures.iter().rev().find(|c| c.sample_start <= index)
    }

    /// Centre frequency at sample `index`, Hz.
    pub fn frequency_at(&self, index: u64) -> Option<f64> {
        self.capture_at(index).and_then(|c| c.frequency)
    }

    /// Total bytes of capture headers in the data file (skipped when reading samples).
    pub fn header_bytes_total(&self) -> u64 {
        self.captures.iter().filter_map(|c| c.header_bytes).sum()
    }

    /// Number of whole samples in a data file of `len` bytes.
    pub fn samples_in(&self, len: u64) -> u64 {
        len.saturating_sub(self.header_bytes_total())
            / self.global.datatype.bytes_per_sample() as u64
    }

    /// Duration in seconds of `samples` samples, when the rate is known.
    pub fn duration_s(&self, samples: u64) -> Option<f64> {
        self.global.sample_rate.map(|r| samples as f64 / r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str = r#"{
 "global": {"core:datatype": "ci16_le", "core:sample_rate": 1920000.0, "core:version": "1.2.0",
   "core:sha512": "5229222F963453ff687af108eec817f203e3d082ae58d20db0cde7c8fa0747895b77bbaa8b1916c545d99e1e734cc9001708383285bfd0a16f8ba27fb643f2f1",
   "core:description": "test", "my:extension": {"a": 1},
   "core:geolocation": {"type": "Point", "coordinates": [13.4, 52.5, 6.0]}},
 "captures": [{"core:sample_start": 0, "core:frequency": 1815000000.0, "core:datetime": "2026-11-21T23:40:00Z"},
              {"core:sample_start": 1000, "core:frequency": 1842500000.0, "other:x": true}],
 "annotations": [{"core:sample_start": 10, "core:sample_count": 5, "core:label": "cell"}]
}"#;

    #[test]
    fn parses_core_fields_and_keeps_the_rest() {
        let m = SigmfMeta::parse(META).unwrap();
        assert_eq!(m.global.datatype, DataType::Ci16Le);
        assert_eq!(m.global.sample_rate, Some(1.92e6));
        assert!(m.global.sha512.as_ref().unwrap().starts_with("5229222f"));
        assert_eq!(m.global.geolocation, Some((13.4, 52.5, Some(6.0))));
        assert_eq!(m.global.extra["my:extension"]["a"], 1);
        assert_eq!(m.frequency_at(0), Some(1.815e9));
        assert_eq!(m.frequency_at(999), Some(1.815e9));
        assert_eq!(m.frequency_at(5000), Some(1.8425e9));
        assert_eq!(m.captures[1].extra["other:x"], true);
        assert_eq!(m.annotations[0].label.as_deref(), Some("cell"));
        assert_eq!(m.samples_in(4001), 1000);
        assert_eq!(m.duration_s(1_920_000), Some(1.0));
    }

    #[test]
    fn write_then_parse_is_identity() {
        let m = SigmfMeta::parse(META).unwrap();
        let again = SigmfMeta::parse(&m.to_json()).unwrap();
        assert_eq!(again, m);
        let n = SigmfMeta::new(DataType::Cu8, 2.4e6, Some(9.47e8));
        assert_eq!(SigmfMeta::parse(&n.to_json()).unwrap(), n);
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let bad = [
            r#"{"global": {"core:datatype": "ri16_le"}}"#,
            r#"{"global": {}}"#,
            r#"{"global": {"core:datatype": "cf32_le", "core:sample_rate": -1}}"#,
            r#"{"global": {"core:datatype": "cf32_le", "core:sha512": "abc"}}"#,
            r#"{"global": {"core:datatype": "cf32_le", "core:num_channels": 2}}"#,
            r#"{"global": {"core:datatype": "cf32_le"}, "captures": [{"core:sample_start": 5}, {"core:sample_start": 5}]}"#,
            r#"{"global": {"core:datatype": 3}}"#,
            "not json",
        ];
        for b in bad {
            assert!(SigmfMeta::parse(b).is_err(), "{b}");
        }
    }
}
