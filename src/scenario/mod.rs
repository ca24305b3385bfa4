//! City scenarios: what is where, as a TOML file.
//!
//! A scenario names an area (a reference point), sensors (explicit positions
//! or a grid, each with its radio's impairments), legitimate cells and rogue
//! stations (RAT, channel, identity, system-information content, power,
//! position, on/off times) and a propagation model. [`Scenario::parse`]
//! checks everything a user can get wrong and [`Scenario::resolve`] turns it
//! into a [`World`]: positions in a local east-north frame, per-sensor
//! impairments filled in, scan channels and cycle times computed.
//!
//! Times are scenario seconds from `time.start`. The sensors scan in cycles:
//! every cycle each sensor dwells once on every channel of the scan plan;
//! cycle `k` starts at `k · cycle_s`. A station is on air in cycle `k` when
//! `on_s ≤ k · cycle_s < off_s`.

pub mod propagation;

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use towerwatch_collector::locate::geo::LocalFrame;
use towerwatch_dsp::iq::DataType;
use towerwatch_models::{band, Rat, Timestamp};

pub use propagation::{Propagation, PropagationModel};

/// A scenario file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Not valid TOML or not the scenario schema.
    #[error("scenario: {0}")]
    Toml(#[from] toml::de::Error),
    /// A value out of range or inconsistent with another.
    #[error("scenario field `{field}`: {reason}")]
    Invalid {
        /// Dotted path of the field.
        field: String,
        /// Why.
        reason: String,
    },
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The scenario file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name (used in sensor ids and file names).
    pub name: String,
    /// What it shows.
    #[serde(default)]
    pub description: String,
    /// Seed of every random draw (shadowing, LOS, noise, timing): same seed, same recordings.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// MQTT region the sensors publish to.
    #[serde(default = "default_region")]
    pub region: String,
    /// The reference point.
    pub area: Area,
    /// Clock.
    #[serde(default)]
    pub time: TimeSpec,
    /// Dwell lengths.
    #[serde(default)]
    pub scan: ScanSpec,
    /// Path loss, shadowing, noise.
    #[serde(default)]
    pub propagation: Propagation,
    /// Radio settings every sensor starts from.
    #[serde(default)]
    pub sensor_defaults: RadioSpec,
    /// A rectangular grid of sensors (ids `<prefix>-01` …, row by row from the south-west).
    #[serde(default)]
    pub sensor_grid: Option<GridSpec>,
    /// Individual sensors; an entry whose id matches a grid sensor overrides its settings.
    #[serde(default)]
    pub sensors: Vec<SensorSpec>,
    /// Base stations, legitimate and rogue.
    #[serde(default)]
    pub cells: Vec<CellSpec>,
}

fn default_seed() -> u64 {
    1
}
fn default_region() -> String {
    "demo".into()
}

/// The reference point; positions are metres east/north of it unless given as lat/lon.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
}

/// Scenario clock.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSpec {
    /// Wall-clock time of scenario second 0 (RFC 3339).
    #[serde(default = "default_start")]
    pub start: String,
    /// Scan cycles rendered.
    #[serde(default = "default_cycles")]
    pub cycles: u32,
    /// Scenario seconds between cycle starts (default: the sum of one cycle's dwells).
    #[serde(default)]
    pub cycle_s: Option<f64>,
}

fn default_start() -> String {
    "2026-01-01T12:00:00Z".into()
}
fn default_cycles() -> u32 {
    4
}

impl Default for TimeSpec {
    fn default() -> Self {
        TimeSpec {
            start: default_start(),
            cycles: default_cycles(),
            cycle_s: None,
        }
    }
}

/// How long a sensor listens to each channel per cycle.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSpec {
    /// LTE dwell, ms (MIB needs 40 ms; SIB1 80 ms; other SIs their window period).
    #[serde(default = "default_lte_dwell")]
    pub lte_dwell_ms: u32,
    /// GSM dwell, ms (SI3 comes every 4 multiframes ≈ 0.94 s; all of SI1–4 in 8 ≈ 1.9 s).
    #[serde(default = "default_gsm_dwell")]
    pub gsm_dwell_ms: u32,
}

fn default_lte_dwell() -> u32 {
    200
}
fn default_gsm_dwell() -> u32 {
    1000
}

impl Default for ScanSpec {
    fn default() -> Self {
        ScanSpec {
            lte_dwell_ms: default_lte_dwell(),
            gsm_dwell_ms: default_gsm_dwell(),
        }
    }
}

/// A sensor radio's settings and impairments (every field optional: unset fields inherit).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RadioSpec {
    /// Local oscillator error, ppm (shifts every channel by `ppm · f`).
    pub ppm: Option<f64>,
    /// True gain minus nominal gain, dB: what the sensor's calibration does not know.
    pub gain_offset_db: Option<f64>,
    /// Noise figure, dB.
    pub noise_figure_db: Option<f64>,
    /// Input power that reaches ADC full scale (nominal calibration: dBm = dBFS + this).
    pub full_scale_dbm: Option<f64>,
    /// Sample rate on LTE channels, samples/s.
    pub lte_sample_rate: Option<f64>,
    /// Sample rate on GSM channels, samples/s.
    pub gsm_sample_rate: Option<f64>,
    /// Sample format of the recordings: `cf32_le`, `ci16_le`, `ci8`, `cu8`.
    pub datatype: Option<String>,
    /// Antenna height above ground, m.
    pub height_m: Option<f64>,
}

impl RadioSpec {
    fn or(&self, base: &RadioSpec) -> RadioSpec {
        RadioSpec {
            ppm: self.ppm.or(base.ppm),
            gain_offset_db: self.gain_offset_db.or(base.gain_offset_db),
            noise_figure_db: self.noise_figure_db.or(base.noise_figure_db),
            full_scale_dbm: self.full_scale_dbm.or(base.full_scale_dbm),
            lte_sample_rate: self.lte_sample_rate.or(base.lte_sample_rate),
            gsm_sample_rate: self.gsm_sample_rate.or(base.gsm_sample_rate),
            datatype: self.datatype.clone().or_else(|| base.datatype.clone()),
            height_m: self.height_m.or(base.height_m),
        }
    }
}

/// A grid of sensors.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GridSpec {
    /// Id prefix.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// Rows (south to north).
    pub rows: u32,
    /// Columns (west to east).
    pub cols: u32,
    /// Spacing, m.
    pub spacing_m: f64,
    /// East offset of the grid centre from the reference point, m.
    #[serde(default)]
    pub center_east_m: f64,
    /// North offset of the grid centre, m.
    #[serde(default)]
    pub center_north_m: f64,
}

fn default_prefix() -> String {
    "lamp".into()
}

/// One sensor, or overrides for a grid sensor of the same id. Position as
/// `east_m`/`north_m` or `lat`/`lon`; every [`RadioSpec`] field may be given.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SensorSpec {
    /// Sensor id (MQTT topic level rules: `[A-Za-z0-9_-]`).
    pub id: String,
    /// East of the reference point, m.
    pub east_m: Option<f64>,
    /// North of the reference point, m.
    pub north_m: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
    /// See [`RadioSpec::ppm`].
    pub ppm: Option<f64>,
    /// See [`RadioSpec::gain_offset_db`].
    pub gain_offset_db: Option<f64>,
    /// See [`RadioSpec::noise_figure_db`].
    pub noise_figure_db: Option<f64>,
    /// See [`RadioSpec::full_scale_dbm`].
    pub full_scale_dbm: Option<f64>,
    /// See [`RadioSpec::lte_sample_rate`].
    pub lte_sample_rate: Option<f64>,
    /// See [`RadioSpec::gsm_sample_rate`].
    pub gsm_sample_rate: Option<f64>,
    /// See [`RadioSpec::datatype`].
    pub datatype: Option<String>,
    /// See [`RadioSpec::height_m`].
    pub height_m: Option<f64>,
}

impl SensorSpec {
    fn radio(&self) -> RadioSpec {
        RadioSpec {
            ppm: self.ppm,
            gain_offset_db: self.gain_offset_db,
            noise_figure_db: self.noise_figure_db,
            full_scale_dbm: self.full_scale_dbm,
            lte_sample_rate: self.lte_sample_rate,
            gsm_sample_rate: self.gsm_sample_rate,
            datatype: self.datatype.clone(),
            height_m: self.height_m,
        }
    }
}

/// A position: local metres or lat/lon.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Place {
    /// Metres east and north of the reference point.
    Local {
        /// East, m.
        east_m: f64,
        /// North, m.
        north_m: f64,
    },
    /// Degrees.
    Geo {
        /// Latitude.
        lat: f64,
        /// Longitude.
        lon: f64,
    },
}

impl Place {
    /// From the four optional fields: exactly one pair must be given.
    pub fn from_fields(
        field: &str,
        east_m: Option<f64>,
        north_m: Option<f64>,
        lat: Option<f64>,
        lon: Option<f64>,
    ) -> Result<Option<Place>, ScenarioError> {
        match (east_m, north_m, lat, lon) {
            (Some(east_m), Some(north_m), None, None) => Ok(Some(Place::Local { east_m, north_m })),
            (None, None, Some(lat), Some(lon)) => Ok(Some(Place::Geo { lat, lon })),
            (None, None, None, None) => Ok(None),
            _ => Err(invalid(field, "give east_m and north_m, or lat and lon")),
        }
    }
}

/// A base station.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CellSpec {
    /// Name in the truth file.
    pub name: String,
    /// `lte` or `gsm`.
    pub rat: Rat,
    /// A rogue station (what the system must find).
    #[serde(default)]
    pub rogue: bool,
    /// In the operator's cell list the collector imports (default: legitimate cells are).
    #[serde(default)]
    pub listed: Option<bool>,
    /// East of the reference point, m (or `lat`/`lon`).
    pub east_m: Option<f64>,
    /// North of the reference point, m.
    pub north_m: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
    /// Antenna height, m.
    #[serde(default = "default_cell_height")]
    pub height_m: f64,
    /// LTE: reference-signal power per resource element (EPRE), dBm; GSM: BCCH carrier power, dBm.
    pub power_dbm: f64,
    /// Carrier frequency error of the station itself, Hz.
    #[serde(default)]
    pub freq_offset_hz: f64,
    /// On air from this scenario second.
    #[serde(default)]
    pub on_s: f64,
    /// Off air from this scenario second.
    #[serde(default)]
    pub off_s: Option<f64>,
    /// Mobile country code.
    pub mcc: String,
    /// Mobile network code.
    pub mnc: String,
    /// LTE settings.
    #[serde(default)]
    pub lte: Option<LteCellSpec>,
    /// GSM settings.
    #[serde(default)]
    pub gsm: Option<GsmCellSpec>,
}

fn default_cell_height() -> f64 {
    20.0
}

/// LTE cell settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LteCellSpec {
    /// Downlink EARFCN.
    pub earfcn: u32,
    /// Physical cell identity 0..504.
    pub pci: u16,
    /// Bandwidth, PRB (6, 15, 25, 50, 75, 100).
    #[serde(default = "default_prb")]
    pub nof_prb: u8,
    /// CRS antenna ports (1, 2, 4).
    #[serde(default = "default_ports")]
    pub ports: u8,
    /// Tracking area code.
    pub tac: u32,
    /// E-UTRAN cell identity (28 bits).
    pub cell_identity: u32,
    /// SIB3 cellReselectionPriority of the serving frequency (0–7).
    #[serde(default = "default_lte_priority")]
    pub serving_priority: u8,
    /// SIB7: GERAN carriers (ARFCNs) and their reselection priority, if any.
    #[serde(default)]
    pub geran_neighbours: Vec<u16>,
    /// SIB7 cellReselectionPriority of the GERAN carriers (0–7).
    #[serde(default)]
    pub geran_priority: Option<u8>,
    /// SIB5: other LTE carriers (EARFCNs).
    #[serde(default)]
    pub eutra_neighbours: Vec<u32>,
    /// SIB1 q-RxLevMin, dBm (−140 … −44, even).
    #[serde(default = "default_qrxlevmin")]
    pub q_rx_lev_min_dbm: i16,
}

fn default_prb() -> u8 {
    6
}
fn default_ports() -> u8 {
    2
}
fn default_lte_priority() -> u8 {
    5
}
fn default_qrxlevmin() -> i16 {
    -120
}

/// GSM cell settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GsmCellSpec {
    /// BCCH carrier ARFCN.
    pub arfcn: u16,
    /// Network colour code (0–7).
    pub ncc: u8,
    /// Base station colour code (0–7).
    pub bcc: u8,
    /// Location area code.
    pub lac: u16,
    /// Cell identity.
    pub ci: u16,
    /// SI2 BCCH allocation (neighbour ARFCNs); empty is a catcher's habit.
    #[serde(default)]
    pub neighbours: Vec<u16>,
    /// SI3/SI4 RXLEV-ACCESS-MIN, dBm (−110 … −48).
    #[serde(default = "default_rxlev_min")]
    pub rx_lev_access_min_dbm: i16,
    /// SI3 rest octets CELL_RESELECT_OFFSET, dB (0 … 126, even); catchers raise it.
    #[serde(default)]
    pub cell_reselect_offset_db: u8,
}

fn default_rxlev_min() -> i16 {
    -104
}

/// A sensor as rendered.
#[derive(Debug, Clone, Serialize)]
pub struct SimSensor {
    /// Id.
    pub id: String,
    /// East, north, m.
    pub enu: [f64; 2],
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Antenna height, m.
    pub height_m: f64,
    /// LO error, ppm.
    pub ppm: f64,
    /// Unknown gain error, dB.
    pub gain_offset_db: f64,
    /// Noise figure, dB.
    pub noise_figure_db: f64,
    /// dBFS → dBm nominal calibration.
    pub full_scale_dbm: f64,
    /// LTE sample rate.
    pub lte_sample_rate: f64,
    /// GSM sample rate.
    pub gsm_sample_rate: f64,
    /// Recording format.
    #[serde(serialize_with = "ser_datatype")]
    pub datatype: DataType,
}

fn ser_datatype<S: serde::Serializer>(d: &DataType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(d.sigmf_name())
}

/// A base station as rendered.
#[derive(Debug, Clone, Serialize)]
pub struct SimCell {
    /// The scenario entry.
    pub spec: CellSpec,
    /// East, north, m.
    pub enu: [f64; 2],
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Carrier frequency, Hz.
    pub freq_hz: f64,
}

impl SimCell {
    /// The channel it transmits on.
    pub fn channel(&self) -> ScanChannel {
        match (&self.spec.lte, &self.spec.gsm) {
            (Some(l), _) => ScanChannel {
                rat: Rat::Lte,
                number: l.earfcn,
                freq_hz: self.freq_hz,
            },
            (_, Some(g)) => ScanChannel {
                rat: Rat::Gsm,
                number: u32::from(g.arfcn),
                freq_hz: self.freq_hz,
            },
            _ => unreachable!("resolve() checked that every cell has its RAT's settings"),
        }
    }

    /// Whether it is on air at scenario second `t`.
    pub fn on_air(&self, t: f64) -> bool {
        t >= self.spec.on_s && self.spec.off_s.is_none_or(|off| t < off)
    }

    /// Listed in the operator cell list the collector imports.
    pub fn listed(&self) -> bool {
        self.spec.listed.unwrap_or(!self.spec.rogue)
    }
}

/// One channel of the scan plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScanChannel {
    /// RAT.
    pub rat: Rat,
    /// EARFCN or ARFCN.
    pub number: u32,
    /// Downlink centre frequency, Hz.
    pub freq_hz: f64,
}

impl ScanChannel {
    /// File-name stem, e.g. `lte_1300` or `gsm_62`.
    pub fn stem(&self) -> String {
        format!("{}_{}", self.rat.as_str(), self.number)
    }
}

/// A resolved scenario.
#[derive(Debug, Clone)]
pub struct World {
    /// The file as read.
    pub scenario: Scenario,
    /// The local frame around the reference point.
    pub frame: LocalFrame,
    /// Wall-clock time of second 0.
    pub start: Timestamp,
    /// Sensors.
    pub sensors: Vec<SimSensor>,
    /// Stations.
    pub cells: Vec<SimCell>,
    /// Channels every sensor scans, LTE first, in frequency order.
    pub channels: Vec<ScanChannel>,
    /// Scenario seconds between cycle starts.
    pub cycle_s: f64,
}

impl World {
    /// Dwell length on a channel of `rat`, seconds.
    pub fn dwell_s(&self, rat: Rat) -> f64 {
        match rat {
            Rat::Lte => f64::from(self.scenario.scan.lte_dwell_ms) / 1e3,
            Rat::Gsm => f64::from(self.scenario.scan.gsm_dwell_ms) / 1e3,
            Rat::Nr => 0.02,
        }
    }

    /// Scenario second at which cycle `k` starts.
    pub fn cycle_start(&self, k: u32) -> f64 {
        f64::from(k) * self.cycle_s
    }
}

const VALID_PRB: [u8; 6] = [6, 15, 25, 50, 75, 100];

fn check_plmn(field: &str, mcc: &str, mnc: &str) -> Result<(), ScenarioError> {
    if mcc.len() != 3 || !mcc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(format!("{field}.mcc"), "three digits"));
    }
    if !(2..=3).contains(&mnc.len()) || !mnc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(format!("{field}.mnc"), "two or three digits"));
    }
    Ok(())
}

fn finite(field: &str, v: f64, lo: f64, hi: f64) -> Result<f64, ScenarioError> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(invalid(field, format!("{v} is outside {lo} … {hi}")))
    }
}

impl Scenario {
    /// Reads a scenario from TOML text.
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Ok(toml::from_str(text)?)
    }

    /// Checks the scenario and places everything.
    pub fn resolve(self) -> Result<World, ScenarioError> {
        finite("area.lat", self.area.lat, -85.0, 85.0)?;
        finite("area.lon", self.area.lon, -180.0, 180.0)?;
        if self.name.is_empty()
            || !self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(invalid("name", "letters, digits, - and _ only"));
        }
        let start: Timestamp = self
            .time
            .start
            .parse()
            .map_err(|e| invalid("time.start", format!("{e}")))?;
        if self.time.cycles == 0 || self.time.cycles > 10_000 {
            return Err(invalid("time.cycles", "1 … 10000"));
        }
        if !(40..=10_000).contains(&self.scan.lte_dwell_ms) {
            return Err(invalid("scan.lte_dwell_ms", "40 … 10000 ms"));
        }
        if !(250..=10_000).contains(&self.scan.gsm_dwell_ms) {
            return Err(invalid("scan.gsm_dwell_ms", "250 … 10000 ms"));
        }
        self.propagation.check()?;
        let frame = LocalFrame::new(self.area.lat, self.area.lon);
        let place = |field: &str, p: Place| -> Result<[f64; 2], ScenarioError> {
            let enu = match p {
                Place::Local { east_m, north_m } => {
                    finite(&format!("{field}.east_m"), east_m, -50e3, 50e3)?;
                    finite(&format!("{field}.north_m"), north_m, -50e3, 50e3)?;
                    [east_m, north_m]
                }
                Place::Geo { lat, lon } => {
                    finite(&format!("{field}.lat"), lat, -85.0, 85.0)?;
                    finite(&format!("{field}.lon"), lon, -180.0, 180.0)?;
                    frame.to_enu(lat, lon)
                }
            };
            if enu[0].hypot(enu[1]) > 50e3 {
                return Err(invalid(field, "more than 50 km from the reference point"));
            }
            Ok(enu)
        };

        // Sensors: the grid, then explicit entries (new ones or overrides).
        let base = RadioSpec::default()
            .or(&self.sensor_defaults)
            .or(&RadioSpec {
                ppm: Some(0.0),
                gain_offset_db: Some(0.0),
                noise_figure_db: Some(6.0),
                full_scale_dbm: Some(-40.0),
                lte_sample_rate: Some(1.92e6),
                gsm_sample_rate: Some(1e6),
                datatype: Some("ci16_le".into()),
                height_m: Some(4.0),
            });
        let mut placed: Vec<(String, [f64; 2], RadioSpec)> = Vec::new();
        if let Some(g) = &self.sensor_grid {
            if g.rows == 0 || g.cols == 0 || g.rows * g.cols > 10_000 {
                return Err(invalid("sensor_grid", "1 … 10000 sensors"));
            }
            finite("sensor_grid.spacing_m", g.spacing_m, 1.0, 10_000.0)?;
            let w = f64::from(g.cols - 1) * g.spacing_m;
            let h = f64::from(g.rows - 1) * g.spacing_m;
            let mut k = 0;
            for r in 0..g.rows {
                for c in 0..g.cols {
                    k += 1;
                    placed.push((
                        format!("{}-{k:02}", g.prefix),
                        [
                            g.center_east_m - w / 2.0 + f64::from(c) * g.spacing_m,
                            g.center_north_m - h / 2.0 + f64::from(r) * g.spacing_m,
                        ],
                        base.clone(),
                    ));
                }
            }
        }
        for (i, s) in self.sensors.iter().enumerate() {
            let field = format!("sensors[{i}]");
            towerwatch_models::validate::check_id(&format!("{field}.id"), &s.id)
                .map_err(|e| invalid(e.field, e.reason))?;
            let at = Place::from_fields(&field, s.east_m, s.north_m, s.lat, s.lon)?;
            match placed.iter_mut().find(|p| p.0 == s.id) {
                Some(p) => {
                    if let Some(at) = at {
                        p.1 = place(&field, at)?;
                    }
                    p.2 = s.radio().or(&p.2);
                }
                None => {
                    let at = at.ok_or_else(|| {
                        invalid(&field, "a new sensor needs east_m/north_m or lat/lon")
                    })?;
                    placed.push((s.id.clone(), place(&field, at)?, s.radio().or(&base)));
                }
            }
        }
        if placed.is_empty() {
            return Err(invalid("sensors", "no sensors"));
        }
        let mut sensors = Vec::with_capacity(placed.len());
        for (id, enu, r) in placed {
            let field = format!("sensor {id}");
            let dt_name = r.datatype.clone().unwrap_or_default();
            let datatype = dt_name.parse::<DataType>().map_err(|_| {
                invalid(format!("{field}.datatype"), format!("unknown {dt_name:?}"))
            })?;
            let (lat, lon) = frame.to_geo(enu);
            let get = |v: Option<f64>| v.unwrap_or_default();
            sensors.push(SimSensor {
                ppm: finite(&format!("{field}.ppm"), get(r.ppm), -100.0, 100.0)?,
                gain_offset_db: finite(
                    &format!("{field}.gain_offset_db"),
                    get(r.gain_offset_db),
                    -30.0,
                    30.0,
                )?,
                noise_figure_db: finite(
                    &format!("{field}.noise_figure_db"),
                    get(r.noise_figure_db),
                    0.0,
                    30.0,
                )?,
                full_scale_dbm: finite(
                    &format!("{field}.full_scale_dbm"),
                    get(r.full_scale_dbm),
                    -100.0,
                    20.0,
                )?,
                lte_sample_rate: finite(
                    &format!("{field}.lte_sample_rate"),
                    get(r.lte_sample_rate),
                    1.92e6,
                    30.72e6,
                )?,
                gsm_sample_rate: finite(
                    &format!("{field}.gsm_sample_rate"),
                    get(r.gsm_sample_rate),
                    270_833.0,
                    30.72e6,
                )?,
                height_m: finite(&format!("{field}.height_m"), get(r.height_m), 0.5, 300.0)?,
                datatype,
                id,
                enu,
                lat,
                lon,
            });
        }
        let mut ids = BTreeSet::new();
        for s in &sensors {
            if !ids.insert(s.id.clone()) {
                return Err(invalid("sensors", format!("duplicate id {}", s.id)));
            }
        }

        // Cells.
        let mut cells = Vec::with_capacity(self.cells.len());
        for (i, c) in self.cells.iter().enumerate() {
            let field = format!("cells[{i}] ({})", c.name);
            check_plmn(&field, &c.mcc, &c.mnc)?;
            finite(&format!("{field}.power_dbm"), c.power_dbm, -60.0, 60.0)?;
            finite(&format!("{field}.height_m"), c.height_m, 0.5, 300.0)?;
            finite(
                &format!("{field}.freq_offset_hz"),
                c.freq_offset_hz,
                -20e3,
                20e3,
            )?;
            finite(&format!("{field}.on_s"), c.on_s, 0.0, 1e9)?;
            if let Some(off) = c.off_s {
                if off.partial_cmp(&c.on_s) != Some(std::cmp::Ordering::Greater) {
                    return Err(invalid(format!("{field}.off_s"), "must be after on_s"));
                }
            }
            let at = Place::from_fields(&field, c.east_m, c.north_m, c.lat, c.lon)?
                .ok_or_else(|| invalid(&field, "needs east_m/north_m or lat/lon"))?;
            let enu = place(&field, at)?;
            let freq_hz = match (c.rat, &c.lte, &c.gsm) {
                (Rat::Lte, Some(l), None) => {
                    if l.pci >= 504 {
                        return Err(invalid(format!("{field}.lte.pci"), "0 … 503"));
                    }
                    if !VALID_PRB.contains(&l.nof_prb) {
                        return Err(invalid(
                            format!("{field}.lte.nof_prb"),
                            "6, 15, 25, 50, 75 or 100",
                        ));
                    }
                    if ![1, 2, 4].contains(&l.ports) {
                        return Err(invalid(format!("{field}.lte.ports"), "1, 2 or 4"));
                    }
                    if l.tac > 0xffff || l.cell_identity >= 1 << 28 {
                        return Err(invalid(
                            format!("{field}.lte"),
                            "tac is 16 bits, cell_identity 28 bits",
                        ));
                    }
                    if l.serving_priority > 7 || l.geran_priority.is_some_and(|p| p > 7) {
                        return Err(invalid(format!("{field}.lte"), "priorities are 0 … 7"));
                    }
                    if !(-140..=-44).contains(&l.q_rx_lev_min_dbm) || l.q_rx_lev_min_dbm % 2 != 0
                    {
                        return Err(invalid(
                            format!("{field}.lte.q_rx_lev_min_dbm"),
                            "even, −140 … −44",
                        ));
                    }
                    band::lte_earfcn_to_freq(l.earfcn)
                        .ok_or_else(|| invalid(format!("{field}.lte.earfcn"), "not a downlink EARFCN"))?
                        .1 as f64
                }
                (Rat::Gsm, None, Some(g)) => {
                    if g.ncc > 7 || g.bcc > 7 {
                        return Err(invalid(format!("{field}.gsm"), "ncc and bcc are 0 … 7"));
                    }
                    if !(-110..=-48).contains(&g.rx_lev_access_min_dbm)
                        || g.cell_reselect_offset_db > 126
                    {
                        return Err(invalid(
                            format!("{field}.gsm"),
                            "rx_lev_access_min_dbm −110 … −48, cell_reselect_offset_db 0 … 126",
                        ));
                    }
                    band::gsm_arfcn_to_freq(g.arfcn, false)
                        .ok_or_else(|| invalid(format!("{field}.gsm.arfcn"), "not a GSM ARFCN"))?
                        as f64
                }
                (Rat::Nr, _, _) => {
                    return Err(invalid(
                        &field,
                        "NR stations cannot be rendered yet (no NR transmitter in towerwatch-dsp)",
                    ))
                }
                _ => {
                    return Err(invalid(
                        &field,
                        "an LTE cell needs an [lte] table, a GSM cell a [gsm] table (and not the other)",
                    ))
                }
            };
            let (lat, lon) = frame.to_geo(enu);
            cells.push(SimCell {
                spec: c.clone(),
                enu,
                lat,
                lon,
                freq_hz,
            });
        }

        let mut channels: Vec<ScanChannel> = Vec::new();
        for c in &cells {
            let ch = c.channel();
            if !channels.contains(&ch) {
                channels.push(ch);
            }
        }
        channels.sort_by(|a, b| {
            (a.rat != Rat::Lte, a.freq_hz)
                .partial_cmp(&(b.rat != Rat::Lte, b.freq_hz))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        if channels.is_empty() {
            return Err(invalid("cells", "no cells: nothing to scan"));
        }
        let min_cycle: f64 = channels
            .iter()
            .map(|c| match c.rat {
                Rat::Lte => f64::from(self.scan.lte_dwell_ms) / 1e3,
                _ => f64::from(self.scan.gsm_dwell_ms) / 1e3,
            })
            .sum();
        let cycle_s = match self.time.cycle_s {
            Some(c) => finite("time.cycle_s", c, min_cycle, 86_400.0)?,
            None => min_cycle,
        };
        Ok(World {
            scenario: self,
            frame,
            start,
            sensors,
            cells,
            channels,
            cycle_s,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
name = "t"
[area]
lat = 52.52
lon = 13.40
[sensor_grid]
rows = 2
cols = 3
spacing_m = 100
[[sensors]]
id = "lamp-02"
ppm = 3.0
datatype = "cu8"
[[sensors]]
id = "roof"
lat = 52.521
lon = 13.401
[[cells]]
name = "a"
rat = "lte"
east_m = 10
north_m = -20
power_dbm = 15
mcc = "262"
mnc = "01"
lte = { earfcn = 1300, pci = 7, tac = 1, cell_identity = 2 }
[[cells]]
name = "b"
rat = "gsm"
rogue = true
east_m = 0
north_m = 0
power_dbm = 30
on_s = 5
mcc = "262"
mnc = "01"
gsm = { arfcn = 20, ncc = 1, bcc = 2, lac = 3, ci = 4 }
"#;

    #[test]
    fn resolves_grid_overrides_and_channels() {
        let w = Scenario::parse(SMALL).unwrap().resolve().unwrap();
        assert_eq!(w.sensors.len(), 7);
        let s2 = w.sensors.iter().find(|s| s.id == "lamp-02").unwrap();
        assert_eq!(s2.ppm, 3.0);
        assert_eq!(s2.datatype, DataType::Cu8);
        assert_eq!(s2.enu, [0.0, -50.0]);
        assert_eq!(w.sensors[0].enu, [-100.0, -50.0]);
        let roof = w.sensors.iter().find(|s| s.id == "roof").unwrap();
        assert!((roof.lat - 52.521).abs() < 1e-9);
        assert_eq!(w.channels.len(), 2);
        assert_eq!(w.channels[0].rat, Rat::Lte);
        assert!((w.channels[0].freq_hz - 1815e6).abs() < 1.0);
        assert!((w.channels[1].freq_hz - 939e6).abs() < 1.0);
        assert!((w.cycle_s - 1.2).abs() < 1e-9);
        assert!(!w.cells[1].on_air(0.0) && w.cells[1].on_air(5.0));
        assert!(w.cells[0].listed() && !w.cells[1].listed());
    }

    #[test]
    fn rejects_what_users_get_wrong() {
        let bad = [
            ("pci = 7", "pci = 504"),
            ("datatype = \"cu8\"", "datatype = \"u4\""),
            ("mcc = \"262\"", "mcc = \"26\""),
            ("on_s = 5", "on_s = 5\noff_s = 4"),
            ("earfcn = 1300", "earfcn = 99999999"),
            ("lon = 13.40", "lon = 13.40\nzoom = 3"),
        ];
        for (from, to) in bad {
            let text = SMALL.replacen(from, to, 1);
            assert!(
                Scenario::parse(&text).and_then(Scenario::resolve).is_err(),
                "{to} accepted"
            );
        }
    }
}
