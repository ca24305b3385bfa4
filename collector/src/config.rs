//! Configuration in two steps: a raw serde struct with documented defaults
//! (the TOML file, overridden by flags), validated into a typed [`Config`].
//! A bad value is refused at start with the field name and the reason.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The TOML file. Every field is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Database directory. Default `./towerwatch-collector-data`.
    pub data_dir: Option<PathBuf>,
    /// Start the embedded broker here (`ADDR:PORT`). Default `127.0.0.1:1883` unless `mqtt_url` is set.
    pub mqtt_listen: Option<String>,
    /// Use an external broker instead (`mqtt://HOST:PORT`), with MQTT 5 shared subscriptions.
    pub mqtt_url: Option<String>,
    /// HTTP API address. Default `127.0.0.1:8080`.
    pub http_listen: Option<String>,
    /// Bearer token for the HTTP API (required when `http_listen` is not loopback).
    pub api_token: Option<String>,
    /// Region served and published. Default `default`.
    pub region: Option<String>,
    /// Days of observations kept. Default 30.
    pub retention_days: Option<f64>,
    /// Webhook URLs (`http://…`) that receive every suspect change as a JSON POST.
    pub webhooks: Option<Vec<String>>,
    /// Path-loss exponent for localization. Default 3.5.
    pub path_loss_exponent: Option<f64>,
    /// Shadowing standard deviation, dB. Default 8.
    pub shadowing_db: Option<f64>,
    /// Noise floor of sensors that did not hear a cell, dBm. Default −120.
    pub noise_floor_dbm: Option<f64>,
    /// Learning mode: cells heard become learned known cells. Default false.
    pub learn: Option<bool>,
    /// MQTT client id of this collector. Default `towerwatch-collector`.
    pub client_id: Option<String>,
    /// Raster tile URL template for the analyst map's base layer, e.g.
    /// `https://tile.openstreetmap.org/{z}/{x}/{y}.png`. Default none: the map
    /// shows a plain metric grid (air-gapped sites).
    pub tiles: Option<String>,
    /// Attribution text shown under the tiles (plain text), e.g.
    /// `© OpenStreetMap contributors`.
    pub tile_attribution: Option<String>,
}

/// Where MQTT comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mqtt {
    /// Start the embedded broker on this address and connect to it.
    Embedded(SocketAddr),
    /// Connect to an external broker.
    External {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Database directory.
    pub data_dir: PathBuf,
    /// Broker.
    pub mqtt: Mqtt,
    /// HTTP API address.
    pub http_listen: SocketAddr,
    /// API token.
    pub api_token: Option<String>,
    /// Region.
    pub region: String,
    /// Retention of observations, seconds.
    pub retention_s: f64,
    /// Webhooks.
    pub webhooks: Vec<String>,
    /// Path-loss exponent.
    pub path_loss_exponent: f64,
    /// Shadowing σ, dB.
    pub shadowing_db: f64,
    /// Noise floor, dBm.
    pub noise_floor_dbm: f64,
    /// Learning mode.
    pub learn: bool,
    /// MQTT client id.
    pub client_id: String,
    /// Analyst map base layer: raster tile URL template (`{z}`, `{x}`, `{y}`,
    /// optional `{s}`); `None` = no tiles, a plain grid.
    pub tiles: Option<String>,
    /// Attribution text for the tiles.
    pub tile_attribution: Option<String>,
}

/// A refused configuration value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config {field}: {reason}")]
pub struct ConfigError {
    /// The field.
    pub field: &'static str,
    /// Why.
    pub reason: String,
}

fn err(field: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        field,
        reason: reason.into(),
    }
}

impl RawConfig {
    /// Parses TOML text.
    pub fn from_toml(text: &str) -> Result<RawConfig, ConfigError> {
        toml::from_str(text).map_err(|e| err("file", e.to_string()))
    }

    /// `self` with every field set in `over` replaced.
    pub fn overridden_by(self, over: RawConfig) -> RawConfig {
        RawConfig {
            data_dir: over.data_dir.or(self.data_dir),
            mqtt_listen: over.mqtt_listen.or(self.mqtt_listen),
            mqtt_url: over.mqtt_url.or(self.mqtt_url),
            http_listen: over.http_listen.or(self.http_listen),
            api_token: over.api_token.or(self.api_token),
            region: over.region.or(self.region),
            retention_days: over.retention_days.or(self.retention_days),
            webhooks: over.webhooks.or(self.webhooks),
            path_loss_exponent: over.path_loss_exponent.or(self.path_loss_exponent),
            shadowing_db: over.shadowing_db.or(self.shadowing_db),
            noise_floor_dbm: over.noise_floor_dbm.or(self.noise_floor_dbm),
            learn: over.learn.or(self.learn),
            client_id: over.client_id.or(self.client_id),
            tiles: over.tiles.or(self.tiles),
            tile_attribution: over.tile_attribution.or(self.tile_attribution),
        }
    }

    /// Validates into a [`Config`].
    pub fn validate(self) -> Result<Config, ConfigError> {
        let mqtt = match (&self.mqtt_url, &self.mqtt_listen) {
            (Some(_), Some(_)) => {
                return Err(err(
                    "mqtt_url",
                    "give either mqtt_url or mqtt_listen, not both",
                ))
            }
            (Some(url), None) => {
                let rest = url.strip_prefix("mqtt://").ok_or_else(|| {
                    err(
                        "mqtt_url",
                        "must be mqtt://HOST:PORT (mqtts is not supported yet)",
                    )
                })?;
                let (host, port) = rest
                    .rsplit_once(':')
                    .ok_or_else(|| err("mqtt_url", "missing :PORT"))?;
                let port: u16 = port
                    .trim_end_matches('/')
                    .parse()
                    .map_err(|_| err("mqtt_url", "bad port"))?;
                if host.is_empty() {
                    return Err(err("mqtt_url", "missing host"));
                }
                Mqtt::External {
                    host: host.trim_matches(['[', ']']).to_string(),
                    port,
                }
            }
            (None, l) => Mqtt::Embedded(
                l.as_deref()
                    .unwrap_or("127.0.0.1:1883")
                    .parse()
                    .map_err(|_| err("mqtt_listen", "must be ADDR:PORT"))?,
            ),
        };
        let http_listen: SocketAddr = self
            .http_listen
            .as_deref()
            .unwrap_or("127.0.0.1:8080")
            .parse()
            .map_err(|_| err("http_listen", "must be ADDR:PORT"))?;
        let api_token = self.api_token.filter(|t| !t.is_empty());
        if !http_listen.ip().is_loopback() && api_token.is_none() {
            return Err(err(
                "api_token",
                format!("required to serve the HTTP API on the non-loopback address {http_listen}"),
            ));
        }
        let region = self
            .region
            .unwrap_or_else(|| towerwatch_models::topic::DEFAULT_REGION.into());
        towerwatch_models::validate::check_id("region", &region)
            .map_err(|e| err("region", e.reason))?;
        let positive = |field: &'static str,
                        v: Option<f64>,
                        default: f64,
                        lo: f64,
                        hi: f64|
         -> Result<f64, ConfigError> {
            let v = v.unwrap_or(default);
            if v.is_finite() && v >= lo && v <= hi {
                Ok(v)
            } else {
                Err(err(field, format!("{v} outside {lo}…{hi}")))
            }
        };
        let webhooks = self.webhooks.unwrap_or_default();
        for w in &webhooks {
            if !w.starts_with("http://") {
                return Err(err(
                    "webhooks",
                    format!("{w:?}: only http:// URLs are supported"),
                ));
            }
        }
        let tiles = self.tiles.filter(|t| !t.is_empty());
        if let Some(t) = &tiles {
            check_tiles(t)?;
        }
        let tile_attribution = self.tile_attribution.filter(|t| !t.is_empty());
        if let Some(a) = &tile_attribution {
            if a.chars().count() > 300 || a.chars().any(char::is_control) {
                return Err(err(
                    "tile_attribution",
                    "at most 300 characters, no control characters",
                ));
            }
        }
        Ok(Config {
            data_dir: self
                .data_dir
                .unwrap_or_else(|| PathBuf::from("towerwatch-collector-data")),
            mqtt,
            http_listen,
            api_token,
            region,
            retention_s: positive("retention_days", self.retention_days, 30.0, 0.001, 36500.0)?
                * 86_400.0,
            webhooks,
            path_loss_exponent: positive(
                "path_loss_exponent",
                self.path_loss_exponent,
                3.5,
                1.5,
                6.0,
            )?,
            shadowing_db: positive("shadowing_db", self.shadowing_db, 8.0, 0.5, 20.0)?,
            noise_floor_dbm: positive(
                "noise_floor_dbm",
                self.noise_floor_dbm,
                -120.0,
                -200.0,
                0.0,
            )?,
            learn: self.learn.unwrap_or(false),
            client_id: self
                .client_id
                .unwrap_or_else(|| "towerwatch-collector".into()),
            tiles,
            tile_attribution,
        })
    }
}

/// A tile URL template: `http(s)://…` with `{z}`, `{x}` and `{y}`, nothing
/// that could break out of a URL (quotes, angle brackets, whitespace).
fn check_tiles(t: &str) -> Result<(), ConfigError> {
    let rest = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .ok_or_else(|| err("tiles", "must start with http:// or https://"))?;
    if t.len() > 2048 {
        return Err(err("tiles", "longer than 2048 characters"));
    }
    if let Some(c) = t
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "\"'<>`\\".contains(*c))
    {
        return Err(err("tiles", format!("{c:?} is not allowed in the URL")));
    }
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() {
        return Err(err("tiles", "missing host"));
    }
    for p in ["{z}", "{x}", "{y}"] {
        if !t.contains(p) {
            return Err(err("tiles", format!("template lacks {p}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_overrides_and_refusals() {
        let c = RawConfig::default().validate().unwrap();
        assert_eq!(c.mqtt, Mqtt::Embedded("127.0.0.1:1883".parse().unwrap()));
        assert_eq!(c.http_listen.to_string(), "127.0.0.1:8080");
        let file = RawConfig::from_toml("region = \"berlin\"\nhttp_listen = \"127.0.0.1:9000\"\nwebhooks = [\"http://127.0.0.1:1/hook\"]\n").unwrap();
        let flags = RawConfig {
            http_listen: Some("127.0.0.1:9001".into()),
            ..RawConfig::default()
        };
        let c = file.overridden_by(flags).validate().unwrap();
        assert_eq!(
            (c.region.as_str(), c.http_listen.port(), c.webhooks.len()),
            ("berlin", 9001, 1)
        );
        let open = RawConfig {
            http_listen: Some("0.0.0.0:8080".into()),
            ..RawConfig::default()
        };
        assert_eq!(open.clone().validate().unwrap_err().field, "api_token");
        assert!(RawConfig {
            api_token: Some("t".into()),
            ..open
        }
        .validate()
        .is_ok());
        let ext = RawConfig {
            mqtt_url: Some("mqtt://broker.local:1884".into()),
            ..RawConfig::default()
        }
        .validate()
        .unwrap();
        assert_eq!(
            ext.mqtt,
            Mqtt::External {
                host: "broker.local".into(),
                port: 1884
            }
        );
        let tiled = RawConfig::from_toml(
            "tiles = \"https://{s}.tile.example.org/{z}/{x}/{y}.png\"\ntile_attribution = \"© the tile makers\"\n",
        )
        .unwrap()
        .validate()
        .unwrap();
        assert_eq!(
            tiled.tiles.as_deref(),
            Some("https://{s}.tile.example.org/{z}/{x}/{y}.png")
        );
        assert_eq!(c.tiles, None, "no tiles by default (air-gapped)");
        for bad in [
            "ftp://t.example.org/{z}/{x}/{y}.png",
            "https://t.example.org/{z}/{x}.png",
            "https://t.example.org/{z}/{x}/{y}.png\" onerror=\"x",
            "https:///{z}/{x}/{y}",
        ] {
            let e = RawConfig {
                tiles: Some(bad.into()),
                ..RawConfig::default()
            }
            .validate()
            .unwrap_err();
            assert_eq!(e.field, "tiles", "{bad}");
        }
        assert_eq!(
            RawConfig::from_toml("nonsense = 1").unwrap_err().field,
            "file"
        );
        assert_eq!(
            RawConfig {
                path_loss_exponent: Some(9.0),
                ..RawConfig::default()
            }
            .validate()
            .unwrap_err()
            .field,
            "path_loss_exponent"
        );
    }
}
