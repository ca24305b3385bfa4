//! GSM: samples at the source rate → Observations, via
//! `towerwatch_dsp::gsm::receiver` (FCCH/SCH synchronisation and BCCH/CCCH
//! decoding, TS 45.002 §7, TS 45.010, TS 45.003 §4.1) and
//! `towerwatch_rrc::gsm` (system information, TS 44.018 §9.1). Shared by
//! `decode` and the live scan.
//!
//! Samples are searched in windows (at most [`MAX_WINDOW_SAMPLES`], so memory
//! is bounded whatever the dwell length) that overlap by [`OVERLAP_S`], more
//! than a 4-burst block, so no block is lost at a window edge; blocks seen in
//! two windows are kept once (by frame number). A cell is the pair (channel,
//! BSIC); its system information is the latest instance of each SI type
//! decoded from its BCCH blocks.

use super::lte::ChannelContext;
use super::DecodeError;
use std::collections::BTreeMap;
use towerwatch_dsp::gsm::multiframe::Ts0Channel;
use towerwatch_dsp::gsm::receiver::{ChannelPlan, GsmCellReport, GsmReceiver, GsmReceiverConfig};
use towerwatch_dsp::Complex32;
use towerwatch_models::system_info::RawPdus;
use towerwatch_models::{CellId, Measurement, Observation, Rat, SystemInfo, Timestamp};

/// Default search window, seconds: two 51-multiframes and more.
pub const DEFAULT_WINDOW_S: f64 = 1.0;
/// Largest window in samples at the source rate (32 MB of samples).
pub const MAX_WINDOW_SAMPLES: usize = 4 << 20;
/// Overlap of consecutive windows, seconds (a block spans 4 TDMA frames, 18.5 ms).
pub const OVERLAP_S: f64 = 0.03;
/// A tail shorter than this is not searched at the end of a dwell, seconds.
const MIN_TAIL_S: f64 = 0.005;
/// Most decoded blocks kept per cell per dwell (a 60 s dwell has about 2,600).
const MAX_FRAMES_PER_CELL: usize = 8_192;
/// Most distinct BCCH frames kept in `raw.bcch` per cell.
const MAX_RAW_BCCH: usize = 32;

/// One decoded broadcast block, for GSMTAP output.
#[derive(Debug, Clone, PartialEq)]
pub struct GsmBlock {
    /// ARFCN of the cell's carrier (when the frequency names one).
    pub arfcn: Option<u16>,
    /// The ARFCN is in the PCS 1900 band.
    pub pcs: bool,
    /// BSIC of the cell (NCC·8 + BCC).
    pub bsic: u8,
    /// TDMA frame number of the block's first burst.
    pub fnum: u32,
    /// Where it sits in the 51-multiframe.
    pub channel: Ts0Channel,
    /// The 23-octet L2 frame.
    pub data: [u8; 23],
    /// When it was received (approximately: the start of its window).
    pub time: Timestamp,
    /// Calibrated timeslot-0 power of the cell, dBm.
    pub signal_dbm: f64,
    /// Training-sequence SNR, dB.
    pub snr_db: f64,
}

#[derive(Debug)]
struct Track {
    offset_hz: f64,
    bsic: u8,
    time: Timestamp,
    power_dbfs: Vec<f64>,
    snr_db: Vec<f64>,
    cfo_hz: Vec<f64>,
    /// Blocks by frame number (first burst), with the time of their window.
    frames: BTreeMap<u32, (Ts0Channel, [u8; 23], Timestamp)>,
}

/// The ARFCN (and whether it is PCS 1900) of a carrier at `freq_hz`, on the 200 kHz raster.
pub fn arfcn_of(freq_hz: f64) -> Option<(u16, bool)> {
    if !freq_hz.is_finite() || freq_hz <= 0.0 {
        return None;
    }
    let f = (freq_hz / 200e3).round() * 200e3;
    towerwatch_models::band::gsm_freq_to_arfcn(f, false)
        .map(|a| (a, false))
        .or_else(|| towerwatch_models::band::gsm_freq_to_arfcn(f, true).map(|a| (a, true)))
}

/// The calibration band name of a GSM carrier (`gsm850`, `gsm900`, `dcs1800`, `pcs1900`).
pub fn band_name(arfcn: Option<u16>, pcs: bool) -> &'static str {
    match arfcn {
        Some(128..=251) => "gsm850",
        Some(512..=885) if pcs => "pcs1900",
        Some(512..=885) => "dcs1800",
        Some(_) => "gsm900",
        None => "gsm",
    }
}

/// Mean of dB figures in the linear domain.
fn mean_db(v: &[f64]) -> Option<f64> {
    let lin: Vec<f64> = v
        .iter()
        .filter(|x| x.is_finite())
        .map(|x| 10f64.powf(x / 10.0))
        .collect();
    (!lin.is_empty()).then(|| 10.0 * (lin.iter().sum::<f64>() / lin.len() as f64).log10())
}

fn mean(v: &[f64]) -> Option<f64> {
    let f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    (!f.is_empty()).then(|| f.iter().sum::<f64>() / f.len() as f64)
}

/// Decodes one dwell on one GSM channel: samples at the source's rate go in
/// block by block; every cell found in any window comes out once.
#[derive(Debug)]
pub struct GsmDwell {
    rx: GsmReceiver,
    rate: f64,
    ctx: ChannelContext,
    window: usize,
    overlap: usize,
    buf: Vec<Complex32>,
    /// Samples dropped from the front of `buf` so far.
    dropped: u64,
    /// Samples pushed so far.
    pushed: u64,
    /// Samples of `buf` already searched (the overlap kept for the next window).
    searched_upto: usize,
    tracks: Vec<Track>,
}

impl GsmDwell {
    /// A dwell on samples at `sample_rate` (≥ 250 kHz), centred on the
    /// carrier of `ctx.center_freq_hz`, searched in windows of `window_s`.
    pub fn new(sample_rate: f64, window_s: f64, ctx: ChannelContext) -> Result<Self, DecodeError> {
        Self::with_plan(sample_rate, window_s, ctx, ChannelPlan::Offsets(vec![0.0]))
    }

    /// As [`Self::new`], searching the channels of `plan` (offsets from the
    /// centre, or the band scan's strongest channels in a wideband capture).
    pub fn with_plan(
        sample_rate: f64,
        window_s: f64,
        ctx: ChannelContext,
        plan: ChannelPlan,
    ) -> Result<Self, DecodeError> {
        if !(sample_rate.is_finite() && (250e3..=1e9).contains(&sample_rate)) {
            return Err(DecodeError::Unusable(format!(
                "sample rate {sample_rate} Hz cannot carry a GSM channel (need at least 250 kHz)"
            )));
        }
        let rx = GsmReceiver::new(GsmReceiverConfig {
            channels: plan,
            ..GsmReceiverConfig::default()
        })
        .map_err(|e| DecodeError::Unusable(e.to_string()))?;
        let overlap = (OVERLAP_S * sample_rate).ceil() as usize;
        let window = ((window_s.clamp(0.1, 10.0) * sample_rate) as usize)
            .min(MAX_WINDOW_SAMPLES)
            .max(2 * overlap);
        Ok(GsmDwell {
            rx,
            rate: sample_rate,
            ctx,
            window,
            overlap,
            buf: Vec::with_capacity(window),
            dropped: 0,
            pushed: 0,
            searched_upto: 0,
            tracks: Vec::new(),
        })
    }

    /// Starts a new dwell (same rate), keeping the receiver's buffers.
    pub fn restart(&mut self, ctx: ChannelContext) {
        self.ctx = ctx;
        self.buf.clear();
        self.dropped = 0;
        self.pushed = 0;
        self.searched_upto = 0;
        self.tracks.clear();
    }

    /// Sample rate of the input.
    pub fn sample_rate(&self) -> f64 {
        self.rate
    }

    /// Feeds samples at the source rate.
    pub fn push(&mut self, mut samples: &[Complex32]) {
        self.pushed += samples.len() as u64;
        while !samples.is_empty() {
            let room = self.window - self.buf.len();
            let take = room.min(samples.len());
            self.buf.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            if self.buf.len() == self.window {
                self.search_buffer();
                // Keep the overlap for the next window.
                let drop = self.window - self.overlap;
                self.buf.drain(..drop);
                self.dropped += drop as u64;
                self.searched_upto = self.overlap;
            }
        }
    }

    fn search_buffer(&mut self) {
        let t0 = self.ctx.time.add_seconds(self.dropped as f64 / self.rate);
        let Ok(report) = self.rx.process(&self.buf, self.rate) else {
            return;
        };
        for c in report.cells {
            self.merge(c, t0);
        }
    }

    fn merge(&mut self, c: GsmCellReport, t0: Timestamp) {
        let idx = match self
            .tracks
            .iter()
            .position(|k| k.bsic == c.bsic && (k.offset_hz - c.arfcn_offset_hz).abs() < 1.0)
        {
            Some(i) => i,
            None => {
                self.tracks.push(Track {
                    offset_hz: c.arfcn_offset_hz,
                    bsic: c.bsic,
                    time: t0,
                    power_dbfs: Vec::new(),
                    snr_db: Vec::new(),
                    cfo_hz: Vec::new(),
                    frames: BTreeMap::new(),
                });
                self.tracks.len() - 1
            }
        };
        let k = &mut self.tracks[idx];
        if c.bcch_ok + c.bcch_failed > 0 {
            k.power_dbfs.push(c.power_dbfs);
            k.snr_db.push(c.snr_db);
        }
        k.cfo_hz.push(c.cfo_hz);
        for f in c.frames {
            if k.frames.len() >= MAX_FRAMES_PER_CELL && !k.frames.contains_key(&f.fnum) {
                break;
            }
            k.frames.entry(f.fnum).or_insert((f.channel, f.data, t0));
        }
    }

    /// Seconds of signal pushed so far.
    pub fn seconds(&self) -> f64 {
        self.pushed as f64 / self.rate
    }

    /// Ends the dwell: one Observation per cell (seq 0; the outbox numbers them).
    pub fn finish(&mut self) -> Vec<Observation> {
        self.finish_with_blocks().0
    }

    /// Ends the dwell: the Observations and every decoded block (for GSMTAP), in time order.
    pub fn finish_with_blocks(&mut self) -> (Vec<Observation>, Vec<GsmBlock>) {
        // The tail, unless it is only the overlap already searched.
        if self.buf.len() > self.searched_upto && self.buf.len() as f64 >= MIN_TAIL_S * self.rate {
            self.search_buffer();
        }
        self.buf.clear();
        self.searched_upto = 0;
        let tracks = std::mem::take(&mut self.tracks);
        let mut obs = Vec::with_capacity(tracks.len());
        let mut blocks = Vec::new();
        for k in tracks {
            let (o, b) = self.observation(k);
            obs.push(o);
            blocks.extend(b);
        }
        blocks.sort_by_key(|b| (b.time, b.fnum));
        (obs, blocks)
    }

    fn observation(&self, k: Track) -> (Observation, Vec<GsmBlock>) {
        let ctx = &self.ctx;
        let cfo = mean(&k.cfo_hz);
        let carrier = ctx
            .center_freq_hz
            .map(|f| f + k.offset_hz + cfo.unwrap_or(0.0));
        let (arfcn, pcs) = match carrier.and_then(arfcn_of) {
            Some((a, p)) => (Some(a), p),
            None => (None, false),
        };
        let bcch: Vec<&[u8; 23]> = k
            .frames
            .values()
            .filter(|(ch, _, _)| *ch == Ts0Channel::Bcch)
            .map(|(_, d, _)| d)
            .collect();
        let (info, _failed) =
            towerwatch_rrc::gsm::collect_system_info(bcch.iter().map(|d| d.as_slice()));
        let mut raw: Vec<String> = Vec::new();
        for d in &bcch {
            if matches!(
                towerwatch_rrc::gsm::decode_ccch_frame(d.as_slice()),
                Ok(towerwatch_rrc::gsm::RrMessage::Fill)
            ) {
                continue;
            }
            let h = hex::encode(d);
            if raw.len() < MAX_RAW_BCCH && !raw.contains(&h) {
                raw.push(h);
            }
        }
        let (mcc, mnc, lac) = match (&info.si3, &info.si4) {
            (Some(s), _) => (Some(s.mcc.clone()), Some(s.mnc.clone()), Some(s.lac)),
            (None, Some(s)) => (Some(s.mcc.clone()), Some(s.mnc.clone()), Some(s.lac)),
            _ => (None, None, None),
        };
        let cell = CellId {
            arfcn,
            bsic: Some(k.bsic),
            mcc,
            mnc,
            lac,
            cell_identity: info.si3.as_ref().map(|s| u64::from(s.cell_identity)),
            ..CellId::default()
        };
        let mut o = Observation::new(ctx.sensor_id.clone(), 0, k.time, Rat::Gsm, cell);
        o.center_freq_hz = ctx
            .center_freq_hz
            .filter(|f| f.is_finite() && *f > 0.0)
            .map(|f| f.round() as u64);
        let power = mean_db(&k.power_dbfs);
        let snr = mean(&k.snr_db);
        // Figures the wire cannot carry (WIRE.md ranges; e.g. a recording in ADC
        // counts instead of full scale 1.0, +60 dBFS and more) are left absent.
        let within = |v: Option<f64>, lo: f64, hi: f64| v.filter(|x| (lo..=hi).contains(x));
        o.measurement = Measurement {
            rxlev_dbm: within(power.map(|p| p + ctx.calibration_db), -250.0, 60.0),
            power_dbfs: within(power, -300.0, 60.0),
            sinr_db: within(snr, -60.0, 100.0),
            cfo_hz: within(cfo, -1e6, 1e6),
            ..Measurement::default()
        };
        if !info.is_empty() || !raw.is_empty() {
            o.system_info = Some(SystemInfo {
                gsm: info,
                raw: (!raw.is_empty()).then(|| RawPdus {
                    bcch: raw,
                    ..RawPdus::default()
                }),
                ..SystemInfo::default()
            });
        }
        o.source = ctx.source.clone();
        let signal = o.measurement.rxlev_dbm.unwrap_or(f64::NAN);
        let blocks = k
            .frames
            .into_iter()
            .map(|(fnum, (channel, data, time))| GsmBlock {
                arfcn,
                pcs,
                bsic: k.bsic,
                fnum,
                channel,
                data,
                time,
                signal_dbm: signal,
                snr_db: snr.unwrap_or(f64::NAN),
            })
            .collect();
        (o, blocks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arfcn_on_the_raster() {
        assert_eq!(arfcn_of(953.6e6 + 8_700.0), Some((93, false)));
        assert_eq!(arfcn_of(1847.8e6 - 3_000.0), Some((725, false)));
        assert_eq!(arfcn_of(1930.2e6), Some((512, true)));
        assert_eq!(arfcn_of(869.2e6), Some((128, false)));
        assert_eq!(arfcn_of(806e6), None);
        assert_eq!(arfcn_of(f64::NAN), None);
        assert_eq!(band_name(Some(93), false), "gsm900");
        assert_eq!(band_name(Some(725), false), "dcs1800");
        assert_eq!(band_name(Some(600), true), "pcs1900");
        assert_eq!(band_name(Some(130), false), "gsm850");
    }

    #[test]
    fn noise_gives_no_cell_and_bounded_buffers() {
        let ctx = ChannelContext {
            sensor_id: "t".into(),
            center_freq_hz: Some(935.2e6),
            calibration_db: 0.0,
            time: Timestamp::from_unix_ms(0),
            source: None,
        };
        let mut d = GsmDwell::new(1e6, 0.2, ctx).unwrap();
        let mut x = 0x1234_5678u32;
        let mut noise = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x as f32 / u32::MAX as f32) - 0.5
        };
        let block: Vec<Complex32> = (0..50_000)
            .map(|_| Complex32::new(noise(), noise()))
            .collect();
        for _ in 0..10 {
            d.push(&block);
            assert!(d.buf.len() <= d.window);
        }
        assert!((d.seconds() - 0.5).abs() < 1e-9);
        let (obs, blocks) = d.finish_with_blocks();
        assert!(obs.is_empty(), "{obs:?}");
        assert!(blocks.is_empty());
        assert!(GsmDwell::new(100e3, 1.0, d.ctx.clone()).is_err());
    }

    mod fuzz {
        use super::super::*;
        use proptest::prelude::*;

        fn sample() -> impl Strategy<Value = Complex32> {
            prop_oneof![
                (-1.0f32..1.0, -1.0f32..1.0).prop_map(|(a, b)| Complex32::new(a, b)),
                Just(Complex32::new(f32::NAN, 0.0)),
                Just(Complex32::new(f32::INFINITY, f32::NEG_INFINITY)),
                Just(Complex32::new(1e30, -1e30)),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]

            /// Hostile samples in blocks of any length: no panic, buffers bounded,
            /// every Observation valid.
            #[test]
            fn random_samples_never_panic(
                blocks in proptest::collection::vec(proptest::collection::vec(sample(), 0..40_000), 1..6),
                rate in prop::sample::select(vec![270_833.0, 500e3, 1e6]),
            ) {
                let ctx = ChannelContext {
                    sensor_id: "t".into(),
                    center_freq_hz: Some(935.2e6),
                    calibration_db: 0.0,
                    time: Timestamp::from_unix_ms(0),
                    source: None,
                };
                let mut d = GsmDwell::new(rate, 0.1, ctx).unwrap();
                for b in &blocks {
                    d.push(b);
                    prop_assert!(d.buf.len() <= d.window);
                }
                let (obs, _) = d.finish_with_blocks();
                for o in obs {
                    prop_assert!(o.validate().is_ok(), "{:?}", o);
                }
            }
        }
    }
}
