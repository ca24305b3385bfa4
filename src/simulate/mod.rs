//! `towerwatch simulate`: renders what every sensor of a scenario would record.
//!
//! For each channel of the scan plan and each cycle, every station on that
//! channel that is on air is generated once by the `towerwatch-dsp`
//! transmitters ([`lte`], [`gsm`]) at each sample rate the sensors use; each
//! sensor then receives the sum of the stations with their path loss and
//! shadowing ([`crate::scenario::propagation`]), propagation delay (whole
//! samples), the station's and the sensor's frequency errors, its gain error,
//! thermal noise at its noise figure, and quantization to its datatype.
//!
//! Output, under `--out DIR`:
//! - `sensors/<id>/<rat>_<channel>.sigmf-{meta,data}`: one recording per
//!   sensor and channel holding that channel's dwell of every cycle in turn
//!   (one SigMF capture segment per cycle, with its date and time), so a
//!   sensor replaying the folder reads cycle after cycle;
//! - `sensors/<id>/sensor.toml`: a `towerwatch-sensor run` configuration replaying them;
//! - `truth.json`: what is where (sensors, stations, per-link loss and power);
//! - `known_cells.csv`: the listed (legitimate) cells as an OpenCellID file
//!   for `towerwatch-collector import-cells`.

pub mod gsm;
pub mod gsm_si;
pub mod lte;
pub mod lte_si;
pub mod truth;

use crate::scenario::propagation::{noise_dbm, Link};
use crate::scenario::{ScanChannel, SimCell, SimSensor, World};
use std::io::Write;
use std::path::{Path, PathBuf};
use towerwatch_dsp::lte::tx::channel::{add_awgn, Rng};
use towerwatch_dsp::sigmf::{Capture, SigmfMeta};
use towerwatch_dsp::Complex32;
use towerwatch_models::Rat;

pub use truth::Truth;

/// A rendering failure.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// Writing the output failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A transmitter refused a station's settings.
    #[error("station {cell}: {reason}")]
    Station {
        /// Station name.
        cell: String,
        /// Why.
        reason: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SimulateError + '_ {
    move |source| SimulateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What was rendered.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The truth file's content.
    pub truth: Truth,
    /// Recordings written.
    pub recordings: usize,
    /// Bytes of samples written.
    pub bytes: u64,
    /// Each sensor's folder.
    pub sensor_dirs: Vec<(String, PathBuf)>,
}

/// Number of samples of one dwell on `rat` at `rate` — the same formula as the sensor's scan loop.
pub fn dwell_samples(world: &World, rat: Rat, rate: f64) -> usize {
    let ms = match rat {
        Rat::Lte => world.scenario.scan.lte_dwell_ms,
        _ => world.scenario.scan.gsm_dwell_ms,
    };
    (f64::from(ms) * 1e-3 * rate) as usize
}

/// Scenario second at which `ch` is visited in cycle `k`.
pub fn visit_time(world: &World, ch: usize, k: u32) -> f64 {
    world.cycle_start(k)
        + world.channels[..ch]
            .iter()
            .map(|c| world.dwell_s(c.rat))
            .sum::<f64>()
}

/// The sensor's sample rate on `rat`.
pub fn sensor_rate(s: &SimSensor, rat: Rat) -> f64 {
    match rat {
        Rat::Gsm => s.gsm_sample_rate,
        _ => s.lte_sample_rate,
    }
}

/// One station's signal on one channel and cycle at one sample rate,
/// normalized (LTE: 0 dB per resource element; GSM: unit carrier power).
fn station_signal(
    world: &World,
    cell: &SimCell,
    t: f64,
    rate: f64,
    n: usize,
    seed: u64,
) -> Result<Vec<Complex32>, SimulateError> {
    let err = |reason: String| SimulateError::Station {
        cell: cell.spec.name.clone(),
        reason,
    };
    match cell.spec.rat {
        Rat::Lte => lte::render(world, cell, t, rate, n, seed).map_err(err),
        Rat::Gsm => gsm::render(cell, t, rate, n).map_err(err),
        Rat::Nr => Err(err("NR stations cannot be rendered".into())),
    }
}

/// Adds `x · gain · e^{j(2π f n / rate + φ0)}` into `acc` (no copy of `x`:
/// each station's signal is shared by every sensor at the same rate).
fn add_shifted(
    acc: &mut [Complex32],
    x: &[Complex32],
    gain: f32,
    f_hz: f64,
    rate: f64,
    phase0: f64,
) {
    let step = 2.0 * std::f64::consts::PI * f_hz / rate;
    // Phasor recurrence, renormalised every block to stop amplitude drift.
    let mut ph = Complex32::from_polar(gain, phase0 as f32);
    let rot = Complex32::from_polar(1.0, step as f32);
    for (i, (a, &v)) in acc.iter_mut().zip(x).enumerate() {
        *a += v * ph;
        ph *= rot;
        if i % 1024 == 0 {
            ph = ph * (gain / ph.norm().max(1e-30));
        }
    }
}

/// Renders `world` into `out`; `progress(done, total)` after each channel-cycle.
pub fn render(
    world: &World,
    out: &Path,
    mut progress: impl FnMut(u64, u64),
) -> Result<Rendered, SimulateError> {
    std::fs::create_dir_all(out).map_err(io(out))?;
    let seed = world.scenario.seed;
    let mut rng = Rng::new(seed ^ 0x05ee_d0fc_17e5);

    // Large-scale links: per station, correlated over the sensors.
    let rx: Vec<[f64; 3]> = world
        .sensors
        .iter()
        .map(|s| [s.enu[0], s.enu[1], s.height_m])
        .collect();
    let links: Vec<Vec<Link>> = world
        .cells
        .iter()
        .map(|c| {
            world
                .scenario
                .propagation
                .links(c.enu, c.spec.height_m, c.freq_hz, &rx, &mut rng)
        })
        .collect();
    let truth = Truth::new(world, &links);
    let max_distance = links
        .iter()
        .flatten()
        .map(|l| l.distance_m)
        .fold(0.0, f64::max);

    let mut sensor_dirs = Vec::new();
    for s in &world.sensors {
        let dir = out.join("sensors").join(&s.id);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        sensor_dirs.push((s.id.clone(), dir));
    }

    let total = (world.channels.len() * world.scenario.time.cycles as usize) as u64;
    let mut done = 0u64;
    let mut bytes = 0u64;
    let mut recordings = 0usize;
    for (ci, ch) in world.channels.iter().enumerate() {
        let on_channel: Vec<usize> = world
            .cells
            .iter()
            .enumerate()
            .filter(|(_, c)| c.channel() == *ch)
            .map(|(i, _)| i)
            .collect();
        // Distinct rates on this RAT.
        let mut rates: Vec<f64> = world
            .sensors
            .iter()
            .map(|s| sensor_rate(s, ch.rat))
            .collect();
        rates.sort_by(f64::total_cmp);
        rates.dedup();
        // Open every sensor's recording of this channel.
        let mut files = Vec::with_capacity(world.sensors.len());
        let mut metas = Vec::with_capacity(world.sensors.len());
        for (s, (_, dir)) in world.sensors.iter().zip(&sensor_dirs) {
            let path = dir.join(format!("{}.sigmf-data", ch.stem()));
            let f = std::fs::File::create(&path).map_err(io(&path))?;
            files.push((path, std::io::BufWriter::with_capacity(1 << 20, f)));
            let mut meta = SigmfMeta::new(s.datatype, sensor_rate(s, ch.rat), Some(ch.freq_hz));
            meta.captures.clear();
            meta.global.description = Some(format!(
                "towerwatch simulate: scenario {}, sensor {}, {} channel {}",
                world.scenario.name,
                s.id,
                ch.rat.as_str(),
                ch.number
            ));
            meta.global.recorder = Some(format!("towerwatch {}", env!("CARGO_PKG_VERSION")));
            meta.global.geolocation = Some((s.lon, s.lat, Some(s.height_m)));
            metas.push(meta);
        }
        let mut bytes_buf = Vec::new();
        for k in 0..world.scenario.time.cycles {
            let t = visit_time(world, ci, k);
            let when = world.start.add_seconds(t);
            // Each station once per rate (shared by every sensor at that rate).
            let mut signals: Vec<(f64, usize, Vec<Complex32>)> = Vec::new();
            for &rate in &rates {
                let n = dwell_samples(world, ch.rat, rate) + delay_samples(max_distance, rate);
                for &c in &on_channel {
                    let cell = &world.cells[c];
                    if !cell.on_air(t) {
                        continue;
                    }
                    let sig_seed = seed ^ (c as u64) << 32 ^ u64::from(k) << 8 ^ ci as u64;
                    signals.push((rate, c, station_signal(world, cell, t, rate, n, sig_seed)?));
                }
            }
            for (si, s) in world.sensors.iter().enumerate() {
                let rate = sensor_rate(s, ch.rat);
                let n = dwell_samples(world, ch.rat, rate);
                let mut acc = vec![Complex32::default(); n];
                for (r, c, x) in &signals {
                    if *r != rate {
                        continue;
                    }
                    let cell = &world.cells[*c];
                    let link = &links[*c][si];
                    let rx_dbfs =
                        cell.spec.power_dbm - link.loss_db() + s.gain_offset_db - s.full_scale_dbm;
                    let gain = 10f64.powf(rx_dbfs / 20.0) as f32;
                    let f_off = cell.spec.freq_offset_hz - s.ppm * 1e-6 * ch.freq_hz;
                    // The recording starts at the longest delay into each station's signal.
                    let skip =
                        delay_samples(max_distance, rate) - delay_samples(link.distance_m, rate);
                    add_shifted(
                        &mut acc,
                        &x[skip..],
                        gain,
                        f_off,
                        rate,
                        rng.uniform() * std::f64::consts::TAU,
                    );
                }
                // Thermal noise at the receiver's noise figure over the sampled band.
                let noise_dbfs =
                    noise_dbm(rate, s.noise_figure_db) + s.gain_offset_db - s.full_scale_dbm;
                add_awgn(&mut acc, 10f64.powf(noise_dbfs / 10.0), &mut rng);
                bytes_buf.clear();
                s.datatype.encode_into(&acc, &mut bytes_buf);
                let (path, w) = &mut files[si];
                w.write_all(&bytes_buf).map_err(io(path))?;
                bytes += bytes_buf.len() as u64;
                metas[si].captures.push(Capture {
                    sample_start: u64::from(k) * n as u64,
                    frequency: Some(ch.freq_hz),
                    datetime: Some(when.to_string()),
                    ..Capture::default()
                });
            }
            done += 1;
            progress(done, total);
        }
        for ((path, mut w), meta) in files.into_iter().zip(metas) {
            w.flush().map_err(io(&path))?;
            let meta_path = path.with_extension("sigmf-meta");
            std::fs::write(&meta_path, meta.to_json()).map_err(io(&meta_path))?;
            recordings += 1;
        }
    }

    for (s, (_, dir)) in world.sensors.iter().zip(&sensor_dirs) {
        let p = dir.join("sensor.toml");
        std::fs::write(
            &p,
            sensor_config(
                world,
                s,
                dir,
                &dir.join("state"),
                "mqtt://127.0.0.1:1883",
                true,
            ),
        )
        .map_err(io(&p))?;
    }
    let p = out.join("truth.json");
    std::fs::write(&p, serde_json::to_string_pretty(&truth).unwrap_or_default()).map_err(io(&p))?;
    let p = out.join("known_cells.csv");
    std::fs::write(&p, truth::known_cells_csv(world)).map_err(io(&p))?;
    Ok(Rendered {
        truth,
        recordings,
        bytes,
        sensor_dirs,
    })
}

/// Propagation delay over `distance_m` at `rate`, whole samples.
fn delay_samples(distance_m: f64, rate: f64) -> usize {
    (distance_m / crate::scenario::propagation::C * rate).round() as usize
}

/// A `towerwatch-sensor run` configuration replaying `dir` for sensor `s`.
pub fn sensor_config(
    world: &World,
    s: &SimSensor,
    dir: &Path,
    state_dir: &Path,
    broker_url: &str,
    realtime: bool,
) -> String {
    let lte: Vec<String> = world
        .channels
        .iter()
        .filter(|c| c.rat == Rat::Lte)
        .map(|c| c.number.to_string())
        .collect();
    let gsm: Vec<String> = world
        .channels
        .iter()
        .filter(|c| c.rat == Rat::Gsm)
        .map(|c| c.number.to_string())
        .collect();
    let path = dir
        .display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    let data = state_dir
        .display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    format!(
        r#"# Generated by `towerwatch simulate` for scenario {name}.
sensor_id = "{id}"
region = "{region}"
data_dir = "{data}"
metrics_listen = ""

[position]
lat = {lat:.7}
lon = {lon:.7}
alt_m = {alt:.1}

[replay]
paths = ["{path}"]
loop = false
realtime = {realtime}
# The simulated radio's nominal calibration (its gain error is not in it).
calibration_db = {{ default = {cal:.1} }}

[scan]
revisit_factor = 1
lte_earfcns = [{lte}]
gsm_arfcns = [{gsm}]
dwell_lte_ms = {dl}
dwell_gsm_ms = {dg}

[broker]
url = "{broker_url}"
"#,
        name = world.scenario.name,
        id = s.id,
        region = world.scenario.region,
        lat = s.lat,
        lon = s.lon,
        alt = s.height_m,
        cal = s.full_scale_dbm,
        lte = lte.join(", "),
        gsm = gsm.join(", "),
        dl = world.scenario.scan.lte_dwell_ms,
        dg = world.scenario.scan.gsm_dwell_ms,
    )
}

/// The channels, for the CLI summary.
pub fn describe_plan(world: &World) -> String {
    world
        .channels
        .iter()
        .map(|c: &ScanChannel| {
            format!(
                "{} {} ({:.1} MHz)",
                c.rat.as_str(),
                c.number,
                c.freq_hz / 1e6
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Resamples `x` from `fs` to `rate` (compensating the filter delay) and returns exactly `n` samples.
pub(crate) fn resample_to(x: Vec<Complex32>, fs: f64, rate: f64, n: usize) -> Vec<Complex32> {
    let mut y = if (fs - rate).abs() < 1e-6 * rate {
        x
    } else {
        match towerwatch_dsp::signal::resample::Resampler::new(fs, rate) {
            Ok(mut r) => {
                let d = r.delay_output_samples().round() as usize;
                let mut y = Vec::with_capacity((x.len() as f64 * rate / fs) as usize + 16);
                r.process(&x, &mut y);
                y.drain(..d.min(y.len()));
                y
            }
            Err(_) => Vec::new(),
        }
    };
    y.resize(n, Complex32::default());
    y
}
