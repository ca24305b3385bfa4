//! The decode pipeline: a recording's samples in, Observations out.
//!
//! The same composition runs for replay (`decode`) and live scans: samples
//! are streamed, resampled to each RAT's search rate, handed to the RAT's
//! searcher in `towerwatch-dsp` window by window, and each decoded cell
//! becomes one Observation (WIRE.md). A cell seen in several windows of one
//! recording is reported once, with its measurements averaged.

pub mod lte;

use crate::source::Recording;
use clap::ValueEnum;
use towerwatch_dsp::lte::cell_search::LteCellReport;
use towerwatch_dsp::lte::SEARCH_RATE_HZ;
use towerwatch_dsp::signal::resample::Resampler;
use towerwatch_dsp::Complex32;
use towerwatch_models::{Observation, Rat, Timestamp};

/// Which RATs `decode` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RatChoice {
    /// Every RAT with a decoder.
    Auto,
    /// LTE only.
    Lte,
    /// GSM only.
    Gsm,
    /// 5G NR only.
    Nr,
}

/// Options of a decode run.
#[derive(Debug, Clone)]
pub struct DecodeOptions {
    /// Which RATs.
    pub rat: RatChoice,
    /// Sensor id in the Observations.
    pub sensor_id: String,
    /// dBFS → dBm.
    pub calibration_db: f64,
    /// Length of one search window, seconds (a sensor's dwell).
    pub window_s: f64,
    /// Stop after this much signal, seconds (`None`: the whole recording).
    pub max_s: Option<f64>,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            rat: RatChoice::Auto,
            sensor_id: "replay".into(),
            calibration_db: 0.0,
            window_s: 0.08,
            max_s: None,
        }
    }
}

/// What a decode run found.
#[derive(Debug, Clone, Default)]
pub struct DecodeResult {
    /// One per decoded cell.
    pub observations: Vec<Observation>,
    /// RATs searched.
    pub searched: Vec<Rat>,
    /// Seconds of signal processed.
    pub seconds: f64,
}

/// A decode run that could not happen.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The RAT has no decoder in this build.
    #[error("no {0} decoder exists yet in this build of towerwatch")]
    NoDecoder(Rat),
    /// The recording could not be read.
    #[error(transparent)]
    Recording(#[from] crate::source::RecordingError),
    /// The recording lacks what decoding needs.
    #[error("{0}")]
    Unusable(String),
}

/// One cell's reports across windows.
#[derive(Debug)]
struct Track {
    first: LteCellReport,
    time: Timestamp,
    rsrp: Vec<f32>,
    rssi: Vec<f32>,
    rsrq: Vec<f32>,
    sinr: Vec<f32>,
    cfo: Vec<f64>,
}

fn mean_f32(v: &[f32]) -> f32 {
    let f: Vec<f32> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if f.is_empty() {
        f32::NAN
    } else {
        f.iter().sum::<f32>() / f.len() as f32
    }
}

/// Mean of dB values taken in the linear domain.
fn mean_db(v: &[f32]) -> f32 {
    let f: Vec<f64> = v
        .iter()
        .filter(|x| x.is_finite())
        .map(|&x| 10f64.powf(f64::from(x) / 10.0))
        .collect();
    if f.is_empty() {
        f32::NAN
    } else {
        (10.0 * (f.iter().sum::<f64>() / f.len() as f64).log10()) as f32
    }
}

/// Decodes one dwell on one LTE channel: samples at the source's rate go in
/// block by block; every cell found in any window comes out once, with its
/// measurements averaged over the windows that saw it.
#[derive(Debug)]
pub struct LteDwell {
    resampler: Resampler,
    decoder: lte::LteDecoder,
    ctx: lte::ChannelContext,
    window: usize,
    buf: Vec<Complex32>,
    done_out: usize,
    tracks: Vec<Track>,
}

impl LteDwell {
    /// A dwell on samples at `sample_rate`, searched in windows of `window_s` seconds.
    pub fn new(
        sample_rate: f64,
        window_s: f64,
        ctx: lte::ChannelContext,
    ) -> Result<Self, DecodeError> {
        let resampler = Resampler::new(sample_rate, SEARCH_RATE_HZ)
            .map_err(|e| DecodeError::Unusable(e.to_string()))?;
        let window = (window_s.clamp(0.01, 10.0) * SEARCH_RATE_HZ) as usize;
        Ok(LteDwell {
            resampler,
            decoder: lte::LteDecoder::new(),
            ctx,
            window,
            buf: Vec::with_capacity(window * 2),
            done_out: 0,
            tracks: Vec::new(),
        })
    }

    /// Starts a new dwell (same channel and rate), keeping the FFT plans.
    pub fn restart(&mut self, ctx: lte::ChannelContext) {
        self.resampler.reset();
        self.ctx = ctx;
        self.buf.clear();
        self.done_out = 0;
        self.tracks.clear();
    }

    /// Feeds samples at the source rate.
    pub fn push(&mut self, samples: &[Complex32]) {
        self.resampler.process(samples, &mut self.buf);
        // Search whole windows in place (no copy), then drop them from the buffer.
        let buf = std::mem::take(&mut self.buf);
        let mut start = 0;
        while buf.len() - start >= self.window {
            self.search(&buf[start..start + self.window]);
            start += self.window;
            self.done_out += self.window;
        }
        self.buf = buf;
        self.buf.drain(..start);
    }

    fn search(&mut self, samples: &[Complex32]) {
        let t = self
            .ctx
            .time
            .add_seconds(self.done_out as f64 / SEARCH_RATE_HZ);
        for r in self.decoder.search(samples) {
            match self.tracks.iter_mut().find(|k| k.first.pci == r.pci) {
                Some(k) => {
                    k.rsrp.push(r.rsrp_dbfs);
                    k.rssi.push(r.rssi_dbfs);
                    k.rsrq.push(r.rsrq_db);
                    k.sinr.push(r.sinr_db);
                    k.cfo.push(r.cfo_hz);
                }
                None => self.tracks.push(Track {
                    time: t,
                    rsrp: vec![r.rsrp_dbfs],
                    rssi: vec![r.rssi_dbfs],
                    rsrq: vec![r.rsrq_db],
                    sinr: vec![r.sinr_db],
                    cfo: vec![r.cfo_hz],
                    first: r,
                }),
            }
        }
    }

    /// Seconds of signal pushed so far.
    pub fn seconds(&self) -> f64 {
        (self.done_out + self.buf.len()) as f64 / SEARCH_RATE_HZ
    }

    /// Ends the dwell: one Observation per cell (seq 0; the outbox numbers them).
    pub fn finish(&mut self) -> Vec<Observation> {
        // A tail of at least 5 ms can hold a PSS/SSS pair and a PBCH.
        if self.buf.len() as f64 >= 0.005 * SEARCH_RATE_HZ {
            let w = std::mem::take(&mut self.buf);
            self.search(&w);
            self.done_out += w.len();
        }
        self.buf.clear();
        std::mem::take(&mut self.tracks)
            .into_iter()
            .map(|k| {
                let mut r = k.first.clone();
                r.rsrp_dbfs = mean_db(&k.rsrp);
                r.rssi_dbfs = mean_db(&k.rssi);
                r.rsrq_db = mean_f32(&k.rsrq);
                r.sinr_db = mean_f32(&k.sinr);
                r.cfo_hz = k.cfo.iter().sum::<f64>() / k.cfo.len().max(1) as f64;
                let ctx = lte::ChannelContext {
                    time: k.time,
                    ..self.ctx.clone()
                };
                lte::LteDecoder::observation(&r, &ctx)
            })
            .collect()
    }
}

/// Decodes every cell of the chosen RATs in `rec`.
pub fn decode_recording(
    rec: &Recording,
    opts: &DecodeOptions,
) -> Result<DecodeResult, DecodeError> {
    match opts.rat {
        RatChoice::Auto | RatChoice::Lte => {}
        RatChoice::Gsm => return Err(DecodeError::NoDecoder(Rat::Gsm)),
        RatChoice::Nr => return Err(DecodeError::NoDecoder(Rat::Nr)),
    }
    let rate = rec.sample_rate().ok_or_else(|| {
        DecodeError::Unusable(format!("{}: no sample rate in the metadata", rec.name))
    })?;
    let start_time = rec
        .meta
        .captures
        .first()
        .and_then(|c| c.datetime.as_deref())
        .and_then(|d| d.parse::<Timestamp>().ok())
        .unwrap_or_else(Timestamp::now);
    let ctx = lte::ChannelContext {
        sensor_id: opts.sensor_id.clone(),
        center_freq_hz: rec.frequency(),
        calibration_db: opts.calibration_db,
        time: start_time,
        source: Some(rec.name.clone()),
    };
    let mut dwell = LteDwell::new(rate, opts.window_s, ctx)?;
    let max_in = opts.max_s.map(|s| (s * rate) as u64);
    let mut reader = rec.reader()?;
    let mut raw = Vec::with_capacity(1 << 16);
    let mut consumed_in = 0u64;
    loop {
        raw.clear();
        let want = max_in.map_or(1 << 16, |m| {
            m.saturating_sub(consumed_in).min(1 << 16) as usize
        });
        if want == 0 {
            break;
        }
        let n = reader.read_block(want, &mut raw)?;
        if n == 0 {
            break;
        }
        consumed_in += n as u64;
        dwell.push(&raw);
    }
    let seconds = dwell.seconds();
    let observations = dwell
        .finish()
        .into_iter()
        .enumerate()
        .map(|(i, mut o)| {
            o.seq = i as u64;
            o
        })
        .collect();
    Ok(DecodeResult {
        observations,
        searched: vec![Rat::Lte],
        seconds,
    })
}

/// A readable table of the decoded cells.
pub fn render_table(rec: &Recording, r: &DecodeResult) -> String {
    let mut s = format!(
        "{}: {} cell(s) in {:.0} ms ({})\n",
        rec.name,
        r.observations.len(),
        r.seconds * 1e3,
        r.searched
            .iter()
            .map(|x| x.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    if r.observations.is_empty() {
        return s;
    }
    s += "  rat  earfcn   pci  prb ports  sfn  phich            rsrp dBm  rsrq dB  sinr dB    cfo Hz\n";
    let f = |v: Option<f64>, p: usize| v.map_or("-".to_string(), |x| format!("{x:.p$}"));
    for o in &r.observations {
        let mib = o
            .system_info
            .as_ref()
            .and_then(|si| si.mib.clone())
            .unwrap_or_default();
        s += &format!(
            "  {:<4} {:>6} {:>5} {:>4} {:>5} {:>4}  {:<16} {:>8} {:>8} {:>8} {:>9}\n",
            o.rat.as_str(),
            o.cell.earfcn.map_or("-".into(), |e| e.to_string()),
            o.cell.pci.map_or("-".into(), |e| e.to_string()),
            mib.nof_prb.map_or("-".into(), |e| e.to_string()),
            mib.antenna_ports.map_or("-".into(), |e| e.to_string()),
            mib.sfn.map_or("-".into(), |e| e.to_string()),
            format!(
                "{}/{}",
                mib.phich_duration.unwrap_or_default(),
                mib.phich_resource.unwrap_or_default()
            ),
            f(o.measurement.rsrp_dbm, 1),
            f(o.measurement.rsrq_db, 1),
            f(o.measurement.sinr_db, 1),
            f(o.measurement.cfo_hz, 0),
        );
    }
    s
}
