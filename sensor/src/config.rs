//! Sensor configuration, in two steps: [`RawConfig`] is what the TOML file
//! says (every field documented, with its default); [`RawConfig::validate`]
//! turns it into a typed [`Config`] or refuses it naming the field and the
//! reason. The documented example is `sensor/sensor.example.toml`.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use towerwatch_models::{Position, PositionSource};

/// A refused configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("config: {field}: {reason}")]
pub struct ConfigError {
    /// Dotted field path, e.g. `broker.url`.
    pub field: String,
    /// Why.
    pub reason: String,
}

fn err(field: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The file as written. Unknown fields are refused, so a typo is not silently ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Required. This sensor's id, `[a-z0-9][a-z0-9_-]{0,62}`.
    pub sensor_id: Option<String>,
    /// Region prefix of the topics. Default `default`.
    #[serde(default = "default_region")]
    pub region: String,
    /// Required. Where the sensor is.
    pub position: Option<RawPosition>,
    /// The radio. Default: none (replay only).
    #[serde(default)]
    pub radio: Option<RawRadio>,
    /// Recordings to replay instead of a radio.
    #[serde(default)]
    pub replay: Option<RawReplay>,
    /// What to scan and how long to dwell.
    #[serde(default)]
    pub scan: RawScan,
    /// The MQTT broker.
    #[serde(default)]
    pub broker: RawBroker,
    /// State directory (outbox, baseline). Default `/var/lib/towerwatch-sensor`
    /// (systemd's `StateDirectory`), or `$STATE_DIRECTORY` when set.
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// Prometheus metrics address. Default `127.0.0.1:9464`; empty string disables.
    #[serde(default = "default_metrics")]
    pub metrics_listen: String,
    /// Largest number of observations kept waiting for the broker. Default 100000.
    #[serde(default = "default_outbox")]
    pub outbox_max: usize,
}

/// Position: static coordinates or a gpsd server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPosition {
    /// Latitude, degrees (static).
    pub lat: Option<f64>,
    /// Longitude, degrees (static).
    pub lon: Option<f64>,
    /// Altitude, metres. Optional.
    pub alt_m: Option<f64>,
    /// gpsd address (`host:port`) instead of static coordinates.
    pub gpsd: Option<String>,
}

/// The radio.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRadio {
    /// SoapySDR device arguments, e.g. `driver=rtlsdr` or `driver=hackrf,serial=…`.
    pub device: String,
    /// Sample rate, samples per second. Default 1.92e6.
    #[serde(default = "default_rate")]
    pub sample_rate: f64,
    /// Gain in dB; absent means automatic gain.
    pub gain_db: Option<f64>,
    /// Antenna name. Default: the driver's default.
    pub antenna: Option<String>,
    /// Calibration offset per band name (dBFS + offset = dBm). Key `default` applies elsewhere.
    #[serde(default)]
    pub calibration_db: BTreeMap<String, f64>,
    /// Known frequency error of the oscillator, ppm (self-calibration refines it). Default 0.
    #[serde(default)]
    pub ppm: f64,
}

/// Replay of recordings instead of a radio.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReplay {
    /// SigMF files or directories of them; each stands for the channel its centre frequency names.
    pub paths: Vec<PathBuf>,
    /// Start again at the end. Default false.
    #[serde(default)]
    pub r#loop: bool,
    /// Pace the replay at the recording's real rate. Default false (as fast as DSP runs).
    #[serde(default)]
    pub realtime: bool,
    /// Calibration of the radio that made the recordings, per band name as in
    /// `[radio.calibration_db]` (dBFS + offset = dBm). Default 0.
    #[serde(default)]
    pub calibration_db: BTreeMap<String, f64>,
}

/// The scan plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScan {
    /// LTE EARFCNs to visit.
    #[serde(default)]
    pub lte_earfcns: Vec<u32>,
    /// GSM ARFCNs to visit.
    #[serde(default)]
    pub gsm_arfcns: Vec<u16>,
    /// NR GSCNs to visit.
    #[serde(default)]
    pub nr_gscns: Vec<u32>,
    /// Bands whose whole channel raster is visited (`auto`), e.g. `["lte_b20", "gsm900"]`.
    #[serde(default)]
    pub auto_bands: Vec<String>,
    /// Dwell per LTE channel, ms (enough for SIB windows). Default 400.
    #[serde(default = "default_dwell_lte")]
    pub dwell_lte_ms: u64,
    /// Dwell per GSM channel, ms. Default 2000: a whole BCCH cycle (TS 45.002
    /// §6.3.1.3: the SI type follows TC = (FN div 51) mod 8, so every type
    /// comes once in 8 × 51 frames, 1.88 s).
    #[serde(default = "default_dwell_gsm")]
    pub dwell_gsm_ms: u64,
    /// Dwell per NR channel, ms. Default 100.
    #[serde(default = "default_dwell_nr")]
    pub dwell_nr_ms: u64,
    /// Channels with cells are revisited this many times as often as empty ones. Default 4.
    #[serde(default = "default_revisit")]
    pub revisit_factor: u32,
    /// A full sweep of every channel at least this often, seconds. Default 600.
    #[serde(default = "default_sweep")]
    pub full_sweep_s: u64,
}

impl Default for RawScan {
    fn default() -> Self {
        RawScan {
            lte_earfcns: Vec::new(),
            gsm_arfcns: Vec::new(),
            nr_gscns: Vec::new(),
            auto_bands: Vec::new(),
            dwell_lte_ms: default_dwell_lte(),
            dwell_gsm_ms: default_dwell_gsm(),
            dwell_nr_ms: default_dwell_nr(),
            revisit_factor: default_revisit(),
            full_sweep_s: default_sweep(),
        }
    }
}

/// The broker.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBroker {
    /// `mqtt://host:port` or `mqtts://host:port`. Default `mqtt://127.0.0.1:1883`.
    #[serde(default = "default_url")]
    pub url: String,
    /// CA certificate (PEM) for `mqtts`.
    pub ca: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// Client key (PEM) for mutual TLS.
    pub client_key: Option<PathBuf>,
    /// Keep-alive, seconds. Default 30.
    #[serde(default = "default_keep_alive")]
    pub keep_alive_s: u64,
    /// Observations in flight before waiting for acknowledgements. Default 100.
    #[serde(default = "default_inflight")]
    pub max_inflight: u16,
}

impl Default for RawBroker {
    fn default() -> Self {
        RawBroker {
            url: default_url(),
            ca: None,
            client_cert: None,
            client_key: None,
            keep_alive_s: default_keep_alive(),
            max_inflight: default_inflight(),
        }
    }
}

fn default_region() -> String {
    towerwatch_models::topic::DEFAULT_REGION.to_string()
}
fn default_metrics() -> String {
    "127.0.0.1:9464".into()
}
fn default_outbox() -> usize {
    100_000
}
fn default_rate() -> f64 {
    1.92e6
}
fn default_dwell_lte() -> u64 {
    400
}
fn default_dwell_gsm() -> u64 {
    2000
}
fn default_dwell_nr() -> u64 {
    100
}
fn default_revisit() -> u32 {
    4
}
fn default_sweep() -> u64 {
    600
}
fn default_url() -> String {
    "mqtt://127.0.0.1:1883".into()
}
fn default_keep_alive() -> u64 {
    30
}
fn default_inflight() -> u16 {
    100
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Sensor id.
    pub sensor_id: String,
    /// Region.
    pub region: String,
    /// Static position, or `None` with `gpsd` set.
    pub position: Option<Position>,
    /// gpsd address.
    pub gpsd: Option<String>,
    /// Radio, when live.
    pub radio: Option<RawRadio>,
    /// Replay, when not live.
    pub replay: Option<RawReplay>,
    /// Scan plan.
    pub scan: RawScan,
    /// Broker.
    pub broker: BrokerConfig,
    /// State directory.
    pub data_dir: PathBuf,
    /// Metrics address.
    pub metrics_listen: Option<SocketAddr>,
    /// Outbox bound.
    pub outbox_max: usize,
}

/// A validated broker address.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerConfig {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// TLS.
    pub tls: bool,
    /// CA file.
    pub ca: Option<PathBuf>,
    /// Client certificate and key.
    pub client_auth: Option<(PathBuf, PathBuf)>,
    /// Keep-alive.
    pub keep_alive: Duration,
    /// In-flight window.
    pub max_inflight: u16,
}

/// Parses `mqtt://host:port` / `mqtts://host:port` (port defaults 1883 / 8883).
pub fn parse_broker_url(url: &str) -> Result<(String, u16, bool), String> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("mqtts://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("mqtt://") {
        (false, r)
    } else {
        return Err("must start with mqtt:// or mqtts://".into());
    };
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
            h.trim_start_matches('[').trim_end_matches(']'),
            p.parse::<u16>().map_err(|_| format!("bad port {p:?}"))?,
        ),
        _ => (rest, if tls { 8883 } else { 1883 }),
    };
    if host.is_empty() || host.contains('/') {
        return Err("missing host".into());
    }
    Ok((host.to_string(), port, tls))
}

impl RawConfig {
    /// Parses TOML text.
    pub fn from_toml(text: &str) -> Result<RawConfig, ConfigError> {
        toml::from_str(text).map_err(|e| err("toml", e.to_string()))
    }

    /// Checks every field and derives the typed configuration.
    pub fn validate(self) -> Result<Config, ConfigError> {
        let sensor_id = self.sensor_id.ok_or_else(|| err("sensor_id", "required"))?;
        towerwatch_models::validate::check_id("sensor_id", &sensor_id)
            .map_err(|e| err("sensor_id", e.reason))?;
        towerwatch_models::validate::check_id("region", &self.region)
            .map_err(|e| err("region", e.reason))?;
        let pos = self
            .position
            .ok_or_else(|| err("position", "required: lat and lon, or gpsd"))?;
        let (position, gpsd) = match (pos.lat, pos.lon, pos.gpsd) {
            (Some(lat), Some(lon), None) => {
                let p = Position {
                    lat,
                    lon,
                    alt_m: pos.alt_m,
                    source: Some(PositionSource::Static),
                    accuracy_m: None,
                };
                towerwatch_models::validate::check_position("position", &p)
                    .map_err(|e| err(&e.field, e.reason))?;
                (Some(p), None)
            }
            (None, None, Some(g)) => (None, Some(g)),
            _ => return Err(err("position", "give either lat and lon, or gpsd")),
        };
        match (&self.radio, &self.replay) {
            (Some(_), Some(_)) => {
                return Err(err("radio", "give either radio or replay, not both"))
            }
            (None, None) => return Err(err("radio", "required: a radio, or replay paths")),
            _ => {}
        }
        if let Some(r) = &self.radio {
            if !(r.sample_rate.is_finite() && (2e5..=1e8).contains(&r.sample_rate)) {
                return Err(err(
                    "radio.sample_rate",
                    format!("{} outside 200 ksps … 100 Msps", r.sample_rate),
                ));
            }
            if r.gain_db
                .is_some_and(|g| !(g.is_finite() && (-20.0..=100.0).contains(&g)))
            {
                return Err(err("radio.gain_db", "outside −20 … 100 dB"));
            }
            if !(r.ppm.is_finite() && r.ppm.abs() <= 200.0) {
                return Err(err("radio.ppm", "outside ±200 ppm"));
            }
            if r.calibration_db
                .values()
                .any(|v| !(v.is_finite() && v.abs() <= 200.0))
            {
                return Err(err(
                    "radio.calibration_db",
                    "offsets must be within ±200 dB",
                ));
            }
        }
        if let Some(r) = &self.replay {
            if r.paths.is_empty() {
                return Err(err("replay.paths", "at least one file or directory"));
            }
            if let Some(p) = r
                .paths
                .iter()
                .find(|p| !p.exists() && !p.with_extension("sigmf-meta").exists())
            {
                return Err(err(
                    "replay.paths",
                    format!("{} does not exist", p.display()),
                ));
            }
        }
        let s = &self.scan;
        for (f, v) in [
            ("scan.dwell_lte_ms", s.dwell_lte_ms),
            ("scan.dwell_gsm_ms", s.dwell_gsm_ms),
            ("scan.dwell_nr_ms", s.dwell_nr_ms),
        ] {
            if !(10..=60_000).contains(&v) {
                return Err(err(f, "outside 10 … 60000 ms"));
            }
        }
        if s.revisit_factor == 0 {
            return Err(err("scan.revisit_factor", "must be at least 1"));
        }
        if let Some(e) = s
            .lte_earfcns
            .iter()
            .find(|e| towerwatch_models::band::lte_earfcn_to_freq(**e).is_none())
        {
            return Err(err("scan.lte_earfcns", format!("{e} is in no known band")));
        }
        if let Some(a) = s
            .gsm_arfcns
            .iter()
            .find(|a| towerwatch_models::band::gsm_arfcn_to_freq(**a, false).is_none())
        {
            return Err(err("scan.gsm_arfcns", format!("{a} is not a GSM ARFCN")));
        }
        let b = &self.broker;
        let (host, port, tls) = parse_broker_url(&b.url).map_err(|r| err("broker.url", r))?;
        let client_auth = match (&b.client_cert, &b.client_key) {
            (Some(c), Some(k)) => Some((c.clone(), k.clone())),
            (None, None) => None,
            _ => {
                return Err(err(
                    "broker.client_cert",
                    "client_cert and client_key go together",
                ))
            }
        };
        if !tls && (b.ca.is_some() || client_auth.is_some()) {
            return Err(err("broker.url", "certificates need an mqtts:// URL"));
        }
        if !(5..=3600).contains(&b.keep_alive_s) {
            return Err(err("broker.keep_alive_s", "outside 5 … 3600 s"));
        }
        if b.max_inflight == 0 {
            return Err(err("broker.max_inflight", "must be at least 1"));
        }
        let metrics_listen = if self.metrics_listen.is_empty() {
            None
        } else {
            Some(
                self.metrics_listen
                    .parse()
                    .map_err(|_| err("metrics_listen", "must be ADDR:PORT or empty"))?,
            )
        };
        if self.outbox_max == 0 {
            return Err(err("outbox_max", "must be at least 1"));
        }
        let data_dir = self
            .data_dir
            .or_else(|| std::env::var_os("STATE_DIRECTORY").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/var/lib/towerwatch-sensor"));
        Ok(Config {
            sensor_id,
            region: self.region,
            position,
            gpsd,
            radio: self.radio,
            replay: self.replay,
            scan: self.scan,
            broker: BrokerConfig {
                host,
                port,
                tls,
                ca: b.ca.clone(),
                client_auth,
                keep_alive: Duration::from_secs(b.keep_alive_s),
                max_inflight: b.max_inflight,
            },
            data_dir,
            metrics_listen,
            outbox_max: self.outbox_max,
        })
    }
}

impl Config {
    /// Calibration offset (dB) for a band name, falling back to `default`, then 0.
    pub fn calibration_db(&self, band: &str) -> f64 {
        let table = match (&self.radio, &self.replay) {
            (Some(r), _) => &r.calibration_db,
            (None, Some(r)) => &r.calibration_db,
            (None, None) => return 0.0,
        };
        table
            .get(band)
            .or_else(|| table.get("default"))
            .copied()
            .unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = r#"
sensor_id = "lamp-1"
position = { lat = 52.5, lon = 13.4 }
radio = { device = "driver=rtlsdr" }
"#;

    #[test]
    fn minimal_config_gets_defaults() {
        let c = RawConfig::from_toml(MIN).unwrap().validate().unwrap();
        assert_eq!(c.region, "default");
        assert_eq!(c.broker.host, "127.0.0.1");
        assert_eq!(c.broker.port, 1883);
        assert_eq!(c.scan.dwell_lte_ms, 400);
        assert_eq!(c.scan.dwell_gsm_ms, 2000);
        assert_eq!(c.outbox_max, 100_000);
        assert_eq!(c.metrics_listen, Some("127.0.0.1:9464".parse().unwrap()));
    }

    #[test]
    fn the_documented_example_is_valid() {
        let text = include_str!("../sensor.example.toml");
        let c = RawConfig::from_toml(text).unwrap().validate().unwrap();
        assert_eq!(c.sensor_id, "lamp-0042");
        assert!(c.broker.tls);
        assert_eq!(c.calibration_db("lte_b20"), -31.5);
        assert_eq!(c.calibration_db("gsm900"), -30.0);
    }

    #[test]
    fn bad_configs_name_the_field() {
        let cases = [
            ("position = { lat = 1.0, lon = 2.0 }\nradio = { device = \"x\" }", "sensor_id"),
            ("sensor_id = \"Lamp\"\nposition = { lat = 1.0, lon = 2.0 }\nradio = { device = \"x\" }", "sensor_id"),
            ("sensor_id = \"a\"\nposition = { lat = 91.0, lon = 2.0 }\nradio = { device = \"x\" }", "position.lat"),
            ("sensor_id = \"a\"\nposition = { lat = 1.0 }\nradio = { device = \"x\" }", "position"),
            ("sensor_id = \"a\"\nposition = { lat = 1.0, lon = 2.0 }", "radio"),
            ("sensor_id = \"a\"\nposition = { lat = 1.0, lon = 2.0 }\nradio = { device = \"x\", sample_rate = 5.0 }", "radio.sample_rate"),
            ("sensor_id = \"a\"\nposition = { lat = 1.0, lon = 2.0 }\nradio = { device = \"x\" }\nbroker = { url = \"http://x\" }", "broker.url"),
            ("sensor_id = \"a\"\nposition = { lat = 1.0, lon = 2.0 }\nradio = { device = \"x\" }\nscan = { lte_earfcns = [99999] }", "scan.lte_earfcns"),
            ("sensor_id = \"a\"\nposition = { lat = 1.0, lon = 2.0 }\nradio = { device = \"x\" }\nbogus = 1", "toml"),
            ("sensor_id = \"a\"\nposition = { lat = 1.0, lon = 2.0 }\nradio = { device = \"x\" }\nbroker = { url = \"mqtt://h\", ca = \"/ca.pem\" }", "broker.url"),
        ];
        for (text, field) in cases {
            let e = RawConfig::from_toml(text)
                .and_then(RawConfig::validate)
                .unwrap_err();
            assert_eq!(e.field, field, "{text}: {e}");
        }
    }

    #[test]
    fn broker_urls() {
        assert_eq!(
            parse_broker_url("mqtt://h:1").unwrap(),
            ("h".into(), 1, false)
        );
        assert_eq!(
            parse_broker_url("mqtts://broker.example").unwrap(),
            ("broker.example".into(), 8883, true)
        );
        assert_eq!(
            parse_broker_url("mqtt://[::1]:1884").unwrap(),
            ("::1".into(), 1884, false)
        );
        assert!(parse_broker_url("mqtt://h:x").is_err());
        assert!(parse_broker_url("tcp://h").is_err());
    }
}
