//! The decode pipeline: a recording's samples in, Observations out.
//!
//! The same composition runs for replay (`decode`) and live scans: samples
//! are streamed, resampled to each RAT's search rate, handed to the RAT's
//! searcher in `towerwatch-dsp` window by window, and each decoded cell
//! becomes one Observation (WIRE.md). A cell seen in several windows of one
//! recording is reported once, with its measurements averaged.
//!
//! [`LteDwell`] and [`gsm::GsmDwell`] decode one RAT; [`Dwell`] feeds the
//! same samples to the dwells of several RATs (a frequency on the GSM raster
//! may carry GSM or LTE: [`auto_rats`]).

pub mod gsm;
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
    /// Length of one GSM search window, seconds (at least two 51-multiframes are best).
    pub gsm_window_s: f64,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            rat: RatChoice::Auto,
            sensor_id: "replay".into(),
            calibration_db: 0.0,
            window_s: 0.08,
            max_s: None,
            gsm_window_s: gsm::DEFAULT_WINDOW_S,
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
    /// Every decoded GSM broadcast block (for GSMTAP), in time order.
    pub gsm_blocks: Vec<gsm::GsmBlock>,
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
    /// Start (1.92 Msps samples from the dwell's start) of the window that first found the cell.
    offset: usize,
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
    /// The dwell's input at the source rate, for the system-information receiver
    /// (which works at each cell's own bandwidth); at most `raw_max` samples.
    raw: Vec<Complex32>,
    raw_max: usize,
    sample_rate: f64,
}

/// Longest stretch of a dwell kept for system information, seconds (SIB1 and
/// SI windows of 160 ms periodicity fit).
const SI_KEEP_S: f64 = 0.5;
/// Most samples kept for system information whatever the rate (128 MiB of Complex32).
const SI_KEEP_MAX: usize = 1 << 24;

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
            raw: Vec::new(),
            raw_max: ((SI_KEEP_S * sample_rate) as usize).min(SI_KEEP_MAX),
            sample_rate,
        })
    }

    /// Starts a new dwell (same channel and rate), keeping the FFT plans.
    pub fn restart(&mut self, ctx: lte::ChannelContext) {
        self.resampler.reset();
        self.ctx = ctx;
        self.buf.clear();
        self.done_out = 0;
        self.tracks.clear();
        self.raw.clear();
    }

    /// Feeds samples at the source rate.
    pub fn push(&mut self, samples: &[Complex32]) {
        let keep = self
            .raw_max
            .saturating_sub(self.raw.len())
            .min(samples.len());
        self.raw.extend_from_slice(&samples[..keep]);
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
                    offset: self.done_out,
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
        let obs = std::mem::take(&mut self.tracks)
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
                let mut o = lte::LteDecoder::observation(&r, &ctx);
                if r.mib.is_some() && !self.raw.is_empty() {
                    // The report's frame timing, from the dwell's first sample.
                    let mut at = k.first.clone();
                    at.frame_start = at.frame_start.saturating_add(k.offset);
                    // `decode_si` compensates the search resampler's delay only
                    // when it changes the rate; ours filters at equal rates too.
                    if (self.sample_rate - SEARCH_RATE_HZ).abs() <= 1.0 {
                        let d = self.resampler.delay_output_samples().round() as usize;
                        at.frame_start = at.frame_start.saturating_sub(d);
                    }
                    at.cfo_hz = r.cfo_hz;
                    let si = lte::decode_system_info(&self.raw, self.sample_rate, &at);
                    lte::apply_system_info(&mut o, &si);
                }
                o
            })
            .collect();
        self.raw.clear();
        obs
    }
}

/// The RATs to look for at `freq_hz` when the caller did not choose: GSM
/// and LTE on a frequency of the GSM raster inside a GSM band (every such
/// frequency is also on the LTE raster of an overlapping band: band 8 over
/// P-GSM, band 3 over DCS 1800, band 5 over GSM 850, band 2 over PCS 1900),
/// LTE elsewhere; both when the frequency is unknown.
pub fn auto_rats(freq_hz: Option<f64>) -> Vec<Rat> {
    match freq_hz {
        None => vec![Rat::Gsm, Rat::Lte],
        Some(f) => {
            let on_gsm_raster =
                gsm::arfcn_of(f).is_some() && ((f / 200e3).round() * 200e3 - f).abs() <= 1_000.0;
            if on_gsm_raster {
                vec![Rat::Gsm, Rat::Lte]
            } else {
                vec![Rat::Lte]
            }
        }
    }
}

/// Decodes one dwell on one channel with the dwells of several RATs, all fed
/// the same samples. The lead's RAT-generic entry point: `new` with the RATs
/// wanted, `push` samples at the source rate, `finish` for the Observations.
#[derive(Debug)]
pub struct Dwell {
    lte: Option<LteDwell>,
    gsm: Option<gsm::GsmDwell>,
}

impl Dwell {
    /// A dwell over `rats` (LTE and/or GSM; others are refused) on samples at
    /// `sample_rate`, with the LTE and GSM search windows in seconds.
    pub fn new(
        sample_rate: f64,
        rats: &[Rat],
        lte_window_s: f64,
        gsm_window_s: f64,
        ctx: lte::ChannelContext,
    ) -> Result<Self, DecodeError> {
        if let Some(r) = rats.iter().find(|r| !matches!(r, Rat::Lte | Rat::Gsm)) {
            return Err(DecodeError::NoDecoder(*r));
        }
        if rats.is_empty() {
            return Err(DecodeError::Unusable("no RAT to decode".into()));
        }
        let lte = if rats.contains(&Rat::Lte) {
            Some(LteDwell::new(sample_rate, lte_window_s, ctx.clone())?)
        } else {
            None
        };
        let gsm = if rats.contains(&Rat::Gsm) {
            Some(gsm::GsmDwell::new(sample_rate, gsm_window_s, ctx)?)
        } else {
            None
        };
        Ok(Dwell { lte, gsm })
    }

    /// The RATs decoded, GSM first.
    pub fn rats(&self) -> Vec<Rat> {
        let mut v = Vec::new();
        if self.gsm.is_some() {
            v.push(Rat::Gsm);
        }
        if self.lte.is_some() {
            v.push(Rat::Lte);
        }
        v
    }

    /// Starts a new dwell on the same rate and RATs, keeping buffers and plans.
    pub fn restart(&mut self, ctx: lte::ChannelContext) {
        if let Some(d) = self.lte.as_mut() {
            d.restart(ctx.clone());
        }
        if let Some(d) = self.gsm.as_mut() {
            d.restart(ctx);
        }
    }

    /// Feeds samples at the source rate to every RAT's dwell.
    pub fn push(&mut self, samples: &[Complex32]) {
        if let Some(d) = self.lte.as_mut() {
            d.push(samples);
        }
        if let Some(d) = self.gsm.as_mut() {
            d.push(samples);
        }
    }

    /// Seconds of signal pushed so far.
    pub fn seconds(&self) -> f64 {
        match (&self.lte, &self.gsm) {
            (_, Some(g)) => g.seconds(),
            (Some(l), None) => l.seconds(),
            (None, None) => 0.0,
        }
    }

    /// Ends the dwell: one Observation per cell, GSM cells first (seq 0).
    pub fn finish(&mut self) -> Vec<Observation> {
        self.finish_with_blocks().0
    }

    /// Ends the dwell: the Observations and the decoded GSM blocks.
    pub fn finish_with_blocks(&mut self) -> (Vec<Observation>, Vec<gsm::GsmBlock>) {
        let (mut obs, blocks) = self
            .gsm
            .as_mut()
            .map(|d| d.finish_with_blocks())
            .unwrap_or_default();
        if let Some(d) = self.lte.as_mut() {
            obs.extend(d.finish());
        }
        (obs, blocks)
    }
}

/// Decodes every cell of the chosen RATs in `rec`.
pub fn decode_recording(
    rec: &Recording,
    opts: &DecodeOptions,
) -> Result<DecodeResult, DecodeError> {
    let rate = rec.sample_rate().ok_or_else(|| {
        DecodeError::Unusable(format!("{}: no sample rate in the metadata", rec.name))
    })?;
    let rats = match opts.rat {
        RatChoice::Lte => vec![Rat::Lte],
        RatChoice::Gsm => vec![Rat::Gsm],
        RatChoice::Nr => return Err(DecodeError::NoDecoder(Rat::Nr)),
        // GSM needs at least 250 kHz of bandwidth; below, only LTE is tried.
        RatChoice::Auto => auto_rats(rec.frequency())
            .into_iter()
            .filter(|r| *r != Rat::Gsm || rate >= 250e3)
            .collect(),
    };
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
    let mut dwell = Dwell::new(rate, &rats, opts.window_s, opts.gsm_window_s, ctx)?;
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
    let searched = dwell.rats();
    let (observations, gsm_blocks) = dwell.finish_with_blocks();
    let observations = observations
        .into_iter()
        .enumerate()
        .map(|(i, mut o)| {
            o.seq = i as u64;
            o
        })
        .collect();
    Ok(DecodeResult {
        observations,
        searched,
        seconds,
        gsm_blocks,
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
    let f = |v: Option<f64>, p: usize| v.map_or("-".to_string(), |x| format!("{x:.p$}"));
    let lte: Vec<&Observation> = r
        .observations
        .iter()
        .filter(|o| o.rat == Rat::Lte)
        .collect();
    let gsm: Vec<&Observation> = r
        .observations
        .iter()
        .filter(|o| o.rat == Rat::Gsm)
        .collect();
    if !lte.is_empty() {
        s += "  rat  earfcn   pci  prb ports  sfn  phich            rsrp dBm  rsrq dB  sinr dB    cfo Hz\n";
    }
    for o in lte {
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
    if !gsm.is_empty() {
        s += "  rat  arfcn bsic  plmn       lac     ci  rxlev dBm   snr dB    cfo Hz  si\n";
    }
    for o in gsm {
        let c = &o.cell;
        let si = o.system_info.as_ref().map(|x| &x.gsm);
        let names: Vec<&str> = si
            .map(|g| {
                [
                    ("1", g.si1.is_some()),
                    ("2", g.si2.is_some()),
                    ("2bis", g.si2bis.is_some()),
                    ("2ter", g.si2ter.is_some()),
                    ("2quater", g.si2quater.is_some()),
                    ("3", g.si3.is_some()),
                    ("4", g.si4.is_some()),
                    ("13", g.si13.is_some()),
                ]
                .into_iter()
                .filter(|x| x.1)
                .map(|x| x.0)
                .collect()
            })
            .unwrap_or_default();
        s += &format!(
            "  {:<4} {:>5} {:>4}  {:<8} {:>5} {:>6} {:>10} {:>8} {:>9}  {}\n",
            o.rat.as_str(),
            c.arfcn.map_or("-".into(), |e| e.to_string()),
            c.bsic.map_or("-".into(), |e| e.to_string()),
            match (&c.mcc, &c.mnc) {
                (Some(mcc), Some(mnc)) => format!("{mcc}-{mnc}"),
                _ => "-".into(),
            },
            c.lac.map_or("-".into(), |e| e.to_string()),
            c.cell_identity.map_or("-".into(), |e| e.to_string()),
            f(o.measurement.rxlev_dbm, 1),
            f(o.measurement.sinr_db, 1),
            f(o.measurement.cfo_hz, 0),
            if names.is_empty() {
                "-".to_string()
            } else {
                format!("SI {}", names.join(" "))
            },
        );
    }
    s
}
