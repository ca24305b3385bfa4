//! The GSM downlink receiver: composes the blocks below it and holds no
//! signal math of its own (TS 45.002 framing, TS 45.010 synchronisation).
//!
//! For each channel of the plan (given offsets, or the band scan's strong
//! channels):
//! 1. [`Channelizer`]: shift, filter and resample to `sps` samples per symbol.
//! 2. [`FcchDetector`]: frequency correction bursts → carrier frequency offset
//!    (SNR-weighted consensus of the bursts, [`consensus_offset`]) and a
//!    coarse frame timing. The channel is then
//!    re-centred on the carrier.
//! 3. SCH, one frame after each FCCH (TS 45.002 §7 table 3): burst located on
//!    the extended training sequence ([`BurstReceiver`]), equalized and decoded
//!    ([`SchDecoder`]) → BSIC and TDMA frame number. The SCH that most others
//!    agree with (BSIC, and frame number against instant) is the reference.
//! 4. Timing tracking (TS 45.010 §5: the BTS keeps 1250 symbol periods per
//!    frame to 0.05 ppm; the receiver's clock need not): a straight-line fit of
//!    the SCH burst instants against their frame numbers predicts every
//!    timeslot-0 burst; each burst is then searched ± `burst_search_symbols`.
//! 5. Every 4-burst block of timeslot 0 (BCCH and CCCH positions of table 3)
//!    → normal-burst reception with training sequence BCC → 4 × 114 LLRs →
//!    [`XcchDecoder`] → 23-octet frames that pass the Fire code.
//!
//! Nothing found is not an error: it is a [`ChannelMiss`] with its figures.
//! Buffers are kept between calls; `process` reallocates only when the input
//! grows or the sample rate changes.

use num_complex::Complex32;

use super::band_scan::{BandScanConfig, BandScanner};
use super::burst::{normal_burst_data, sch_burst, sch_burst_data};
use super::burst_rx::{BurstKind, BurstReceiver, DRIFT_SPAN_SYMBOLS};
use super::channelizer::{derotate, Channelizer};
use super::fcch::{consensus_offset, FcchConfig, FcchDetector, FcchSearch};
use super::multiframe::{ts0_slot, Ts0Channel};
use super::sch::{encode_sch, SchDecoder, SchInfo, HYPERFRAME};
use super::tx::FRAME_SYMBOLS;
use super::xcch::{XcchDecoder, XCCH_FRAME_LEN};
use crate::signal::resample::ResampleError;

/// FCCH hits within this of the consensus offset count as the same carrier, Hz.
const CFO_TOLERANCE_HZ: f64 = 1_500.0;
/// Offsets up to this are corrected by derotating the channel (its filter
/// passes ±100 kHz, GMSK's 99 % bandwidth is about ±125 kHz: a 25 kHz shift
/// moves little energy into the transition band); larger ones by channelizing
/// again around the carrier. Hz.
const RECHANNELIZE_ABOVE_HZ: f64 = 25_000.0;
/// Largest residual offset corrected from the SCH bursts, Hz (beyond, the
/// estimate is not trusted: 1 kHz turns 1.7 rad between the compared half-bursts,
/// the estimate wraps at 1.9 kHz).
const MAX_RESIDUAL_HZ: f64 = 1_000.0;
/// A residual offset below this is only reported, not removed, Hz: it turns
/// the phase by less than 0.1 rad across a burst, which the equalizer's
/// per-burst channel estimate absorbs (the BCCH error rate is the same), and
/// derotating the whole channel costs about a tenth of the receiver's time.
const DEROTATE_RESIDUAL_ABOVE_HZ: f64 = 50.0;
/// SCH searches per channel (after the strongest agreeing FCCH bursts).
const MAX_SCH_TRIES: usize = 12;

/// Which channels to look at.
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelPlan {
    /// These offsets from the capture centre, Hz.
    Offsets(Vec<f64>),
    /// The band scan's channels whose power is `min_excess_db` above the median
    /// channel (the floor), strongest first, at most `max_channels`.
    Scan {
        /// Required excess over the median channel power, dB.
        min_excess_db: f64,
        /// Most channels to decode.
        max_channels: usize,
    },
}

/// Receiver settings.
#[derive(Debug, Clone, PartialEq)]
pub struct GsmReceiverConfig {
    /// Channels to decode (default: the capture centre only).
    pub channels: ChannelPlan,
    /// Working samples per symbol, 1–8 (default 2).
    pub sps: usize,
    /// FCCH detector settings.
    pub fcch: FcchConfig,
    /// SCH search half-width around the FCCH's prediction, symbols (default 16).
    pub sch_search_symbols: usize,
    /// Normal-burst search half-width around the tracked timing, symbols (default 2).
    pub burst_search_symbols: usize,
}

impl Default for GsmReceiverConfig {
    fn default() -> Self {
        GsmReceiverConfig {
            channels: ChannelPlan::Offsets(vec![0.0]),
            sps: 2,
            fcch: FcchConfig::default(),
            sch_search_symbols: 16,
            burst_search_symbols: 2,
        }
    }
}

/// Errors of the receiver (bad configuration or input description, never "no cell").
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GsmRxError {
    /// A configuration field is out of range.
    #[error("config field `{field}`: {reason}")]
    Config {
        /// The field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The sample rate cannot carry a GSM channel (finite, 250 kHz … 1 GHz).
    #[error("sample rate {0} Hz is not usable (need 250 kHz … 1 GHz)")]
    SampleRate(f64),
    /// The resampler refused the rates.
    #[error("resampler: {0}")]
    Resample(#[from] ResampleError),
}

/// One decoded block of timeslot 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GsmFrame {
    /// TDMA frame number of the block's first burst.
    pub fnum: u32,
    /// Its channel in the non-combined layout (CCCH_CONF ≠ 1; with CCCH_CONF = 1,
    /// CCCH blocks 3–8 are SDCCH/4 and SACCH/4).
    pub channel: Ts0Channel,
    /// The 23-octet L2 frame (Fire code passed).
    pub data: [u8; XCCH_FRAME_LEN],
    /// Coded bits the channel flipped (re-encoding check).
    pub bit_errors: usize,
}

/// A cell found on one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct GsmCellReport {
    /// Channel offset from the capture centre, Hz.
    pub arfcn_offset_hz: f64,
    /// Carrier frequency offset from that channel, Hz (from the FCCH).
    pub cfo_hz: f64,
    /// BSIC = NCC·8 + BCC.
    pub bsic: u8,
    /// Network colour code.
    pub ncc: u8,
    /// Base station colour code (training sequence of the normal bursts).
    pub bcc: u8,
    /// Frame number of the first timeslot-0 burst wholly inside the input.
    pub fn_first: u32,
    /// Decoded blocks, in time order.
    pub frames: Vec<GsmFrame>,
    /// FCCH bursts detected.
    pub fcch_count: usize,
    /// SCH bursts whose parity passed with the expected frame number.
    pub sch_ok: usize,
    /// SCH bursts that failed (parity, or a frame number off the track).
    pub sch_failed: usize,
    /// Complete blocks that passed the Fire code.
    pub bcch_ok: usize,
    /// Complete blocks that failed it (includes blocks of dummy bursts).
    pub bcch_failed: usize,
    /// Mean power of the timeslot-0 bursts after channel filtering, dBFS.
    pub power_dbfs: f64,
    /// Median training-sequence SNR of the timeslot-0 bursts, dB.
    pub snr_db: f64,
    /// Measured frame-rate error (receiver clock against the BTS), ppm; 0 when
    /// the decoded SCH bursts span fewer than 100 frames (too short to tell).
    pub timing_drift_ppm: f64,
}

/// Why a channel gave no cell.
#[derive(Debug, Clone, PartialEq)]
pub enum MissReason {
    /// No frequency correction burst.
    NoFcch {
        /// Highest FCCH statistic seen (0–1).
        best_rho: f32,
    },
    /// FCCH bursts but no SCH decoded after them.
    NoSch {
        /// FCCH bursts detected.
        fcch_count: usize,
        /// Their median offset, Hz.
        cfo_hz: f64,
    },
}

/// A channel without a cell.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelMiss {
    /// Channel offset from the capture centre, Hz.
    pub offset_hz: f64,
    /// Why.
    pub reason: MissReason,
}

/// What one call of [`GsmReceiver::process`] found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GsmReport {
    /// Input sample rate, Hz.
    pub sample_rate: f64,
    /// Input duration, s.
    pub duration_s: f64,
    /// Cells found (one per channel at most).
    pub cells: Vec<GsmCellReport>,
    /// Channels searched without result.
    pub misses: Vec<ChannelMiss>,
}

/// The receiver. Build once, feed recordings or dwell buffers.
#[derive(Debug)]
pub struct GsmReceiver {
    cfg: GsmReceiverConfig,
    channelizer: Option<Channelizer>,
    fcch: FcchDetector,
    bursts: BurstReceiver,
    sch: SchDecoder,
    xcch: XcchDecoder,
    scanner: BandScanner,
    x: Vec<Complex32>,
    block: Vec<f32>,
}

/// A decoded SCH: (burst instant, its info, training SNR dB).
type SchFix = (usize, SchInfo, f32);

impl GsmReceiver {
    /// Validates `cfg` and allocates the decoders.
    pub fn new(cfg: GsmReceiverConfig) -> Result<Self, GsmRxError> {
        if !(1..=8).contains(&cfg.sps) {
            return Err(GsmRxError::Config {
                field: "sps",
                reason: "must be 1 to 8",
            });
        }
        if cfg.sch_search_symbols > 200 || cfg.burst_search_symbols > 20 {
            return Err(GsmRxError::Config {
                field: "sch_search_symbols/burst_search_symbols",
                reason: "at most 200 / 20 symbols",
            });
        }
        match &cfg.channels {
            ChannelPlan::Offsets(o) if o.iter().any(|f| !f.is_finite()) => {
                return Err(GsmRxError::Config {
                    field: "channels",
                    reason: "offsets must be finite",
                })
            }
            ChannelPlan::Scan { min_excess_db, .. } if !min_excess_db.is_finite() => {
                return Err(GsmRxError::Config {
                    field: "channels.min_excess_db",
                    reason: "must be finite",
                })
            }
            _ => {}
        }
        Ok(GsmReceiver {
            fcch: FcchDetector::new(cfg.fcch, cfg.sps),
            bursts: BurstReceiver::new(cfg.sps),
            sch: SchDecoder::new(),
            xcch: XcchDecoder::new(),
            scanner: BandScanner::new(BandScanConfig::default()),
            channelizer: None,
            x: Vec::new(),
            block: vec![0.0; 4 * 114],
            cfg,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &GsmReceiverConfig {
        &self.cfg
    }

    /// Decodes every cell of the channel plan in `samples` (complex baseband at
    /// `sample_rate` Hz, capture centre = 0 Hz).
    pub fn process(
        &mut self,
        samples: &[Complex32],
        sample_rate: f64,
    ) -> Result<GsmReport, GsmRxError> {
        if !(sample_rate.is_finite() && (250e3..=1e9).contains(&sample_rate)) {
            return Err(GsmRxError::SampleRate(sample_rate));
        }
        let offsets = match &self.cfg.channels {
            ChannelPlan::Offsets(o) => o.clone(),
            ChannelPlan::Scan {
                min_excess_db,
                max_channels,
            } => {
                let mut ch = self
                    .scanner
                    .scan(samples, sample_rate, None)
                    .unwrap_or_default();
                let mut powers: Vec<f64> = ch.iter().map(|c| c.power_dbfs).collect();
                powers.sort_by(f64::total_cmp);
                let floor = powers.get(powers.len() / 2).copied().unwrap_or(0.0);
                ch.retain(|c| c.power_dbfs >= floor + min_excess_db);
                ch.sort_by(|a, b| b.power_dbfs.total_cmp(&a.power_dbfs));
                ch.truncate(*max_channels);
                ch.into_iter().map(|c| c.offset_hz).collect()
            }
        };
        let mut report = GsmReport {
            sample_rate,
            duration_s: samples.len() as f64 / sample_rate,
            ..GsmReport::default()
        };
        for offset in offsets {
            match self.process_channel(samples, sample_rate, offset)? {
                Ok(cell) => report.cells.push(cell),
                Err(miss) => report.misses.push(miss),
            }
        }
        Ok(report)
    }

    fn channelize(
        &mut self,
        samples: &[Complex32],
        rate: f64,
        offset: f64,
    ) -> Result<(), GsmRxError> {
        match self.channelizer.as_mut() {
            Some(c) if c.input_rate() == rate => c.set_offset_hz(offset),
            _ => self.channelizer = Some(Channelizer::new(rate, offset, self.cfg.sps)?),
        }
        if let Some(c) = self.channelizer.as_mut() {
            c.process(samples, &mut self.x);
        }
        Ok(())
    }

    /// One channel: a cell, or why not.
    fn process_channel(
        &mut self,
        samples: &[Complex32],
        rate: f64,
        offset: f64,
    ) -> Result<Result<GsmCellReport, ChannelMiss>, GsmRxError> {
        let sps = self.cfg.sps;
        let fs = super::SYMBOL_RATE * sps as f64;
        self.channelize(samples, rate, offset)?;
        let hits = match self.fcch.search(&self.x) {
            FcchSearch::Found { hits } => hits,
            FcchSearch::NotFound { best_rho } => {
                return Ok(Err(ChannelMiss {
                    offset_hz: offset,
                    reason: MissReason::NoFcch { best_rho },
                }))
            }
        };
        let Some((cfo, agreeing)) = consensus_offset(&hits, CFO_TOLERANCE_HZ) else {
            return Ok(Err(ChannelMiss {
                offset_hz: offset,
                reason: MissReason::NoFcch { best_rho: 0.0 },
            }));
        };
        // Re-centre on the carrier: small offsets by derotation, larger ones by
        // channelizing again so the channel filter sits on the signal.
        if cfo.abs() > RECHANNELIZE_ABOVE_HZ {
            self.channelize(samples, rate, offset + cfo)?;
        } else {
            derotate(&mut self.x, cfo, fs);
        }
        let frame = (FRAME_SYMBOLS * sps) as f64;
        // SCH one frame after each FCCH.
        let r1 = self.cfg.sch_search_symbols * sps;
        let mut fixes: Vec<SchFix> = Vec::new();
        for h in agreeing.iter().take(MAX_SCH_TRIES) {
            let pred = h.start + FRAME_SYMBOLS * sps;
            if let Some((t, info, snr)) = self.sch_at(pred.saturating_sub(r1), pred + r1) {
                fixes.push((t, info, snr));
            }
        }
        // The best SCH and those consistent with it.
        let Some(&(t_ref, info_ref, _)) = fixes.iter().max_by(|a, b| a.2.total_cmp(&b.2)) else {
            return Ok(Err(ChannelMiss {
                offset_hz: offset,
                reason: MissReason::NoSch {
                    fcch_count: hits.len(),
                    cfo_hz: cfo,
                },
            }));
        };
        let fn_ref = info_ref.frame_number();
        let dfn = |f: u32| -> i64 {
            let d = (i64::from(f) - i64::from(fn_ref)).rem_euclid(i64::from(HYPERFRAME));
            if d > i64::from(HYPERFRAME / 2) {
                d - i64::from(HYPERFRAME)
            } else {
                d
            }
        };
        let tol = 2.0 * sps as f64;
        let track: Vec<(f64, f64)> = fixes
            .iter()
            .filter(|(_, i, _)| i.bsic() == info_ref.bsic())
            .map(|&(t, i, _)| (dfn(i.frame_number()) as f64, t as f64))
            .filter(|&(d, t)| (t - (t_ref as f64 + d * frame)).abs() <= tol)
            .collect();
        let (a, b) = line_fit(&track, t_ref as f64, frame);
        // Residual frequency error after the FCCH (TS 45.010 §6 asks the MS to
        // keep within 0.1 ppm; the FCCH estimate is good to some 100 Hz at low
        // SNR): measured on the decoded SCH bursts, whose bits are all known once
        // re-encoded, as the phase turned across each burst; removed before the
        // normal bursts are received.
        let mut drift = Complex32::default();
        for &(t, info, _) in fixes.iter().filter(|(t, i, _)| {
            i.bsic() == info_ref.bsic()
                && ((*t as f64) - (t_ref as f64 + dfn(i.frame_number()) as f64 * frame)).abs()
                    <= tol
        }) {
            let bits = sch_burst(&encode_sch(&info));
            if let Some(d) = self.bursts.phase_drift(&self.x, t, &bits) {
                drift += d;
            }
        }
        let residual = f64::from(drift.arg())
            / (std::f64::consts::TAU * DRIFT_SPAN_SYMBOLS as f64 / super::SYMBOL_RATE);
        let cfo = if drift.norm() > 0.0 && residual.abs() <= MAX_RESIDUAL_HZ {
            if residual.abs() > DEROTATE_RESIDUAL_ABOVE_HZ {
                derotate(&mut self.x, residual, fs);
            }
            cfo + residual
        } else {
            cfo
        };
        let timing_drift_ppm = (b / frame - 1.0) * 1e6;
        let bcc = info_ref.bcc;
        // Every timeslot-0 burst inside the buffer.
        let r2 = (self.cfg.burst_search_symbols * sps) as f64;
        let burst_span = (148 * sps) as f64;
        let d_lo = ((r2 - a) / b).ceil() as i64;
        let d_hi = ((self.x.len() as f64 - burst_span - r2 - a) / b).floor() as i64;
        let mut cell = GsmCellReport {
            arfcn_offset_hz: offset,
            cfo_hz: cfo,
            bsic: info_ref.bsic(),
            ncc: info_ref.ncc,
            bcc,
            fn_first: fn_at(fn_ref, d_lo),
            frames: Vec::new(),
            fcch_count: hits.len(),
            sch_ok: 0,
            sch_failed: 0,
            bcch_ok: 0,
            bcch_failed: 0,
            power_dbfs: 0.0,
            snr_db: 0.0,
            timing_drift_ppm: if track.len() > 1 {
                timing_drift_ppm
            } else {
                0.0
            },
        };
        let mut powers = Vec::new();
        let mut snrs = Vec::new();
        let mut have = [false; 4];
        let mut block_first = None;
        for d in d_lo..=d_hi {
            let fnum = fn_at(fn_ref, d);
            let pred = a + b * d as f64;
            let lo = (pred - r2).round().max(0.0) as usize;
            let hi = (pred + r2).round().max(0.0) as usize;
            let slot = ts0_slot(fnum, false);
            match slot.channel {
                Ts0Channel::Fcch | Ts0Channel::Idle => {}
                Ts0Channel::Sch => match self.sch_at(lo, hi) {
                    Some((_, info, _))
                        if info.frame_number() == fnum && info.bsic() == cell.bsic =>
                    {
                        cell.sch_ok += 1
                    }
                    _ => cell.sch_failed += 1,
                },
                channel => {
                    let k = usize::from(slot.burst & 3);
                    let first = fnum.wrapping_sub(k as u32);
                    if block_first != Some(first) {
                        block_first = Some(first);
                        have = [false; 4];
                    }
                    if let Some(rx) =
                        self.bursts
                            .receive(&self.x, BurstKind::Normal { tsc: bcc }, lo, hi)
                    {
                        if let Some(data) = normal_burst_data(&rx.llrs) {
                            self.block[k * 114..(k + 1) * 114].copy_from_slice(&data);
                            have[k] = true;
                        }
                        powers.push(rx.power);
                        snrs.push(rx.channel.snr_db());
                    }
                    if k == 3 && have.iter().all(|&h| h) {
                        match self.xcch.decode(&self.block) {
                            Ok(blk) if blk.fire_ok => {
                                cell.bcch_ok += 1;
                                cell.frames.push(GsmFrame {
                                    fnum: first,
                                    channel,
                                    data: blk.frame,
                                    bit_errors: blk.bit_errors,
                                });
                            }
                            _ => cell.bcch_failed += 1,
                        }
                    }
                }
            }
        }
        if !powers.is_empty() {
            let mean = powers.iter().map(|&p| f64::from(p)).sum::<f64>() / powers.len() as f64;
            cell.power_dbfs = 10.0 * mean.max(1e-30).log10();
        }
        snrs.sort_by(f32::total_cmp);
        cell.snr_db = snrs.get(snrs.len() / 2).copied().map_or(0.0, f64::from);
        Ok(Ok(cell))
    }

    /// Receives and decodes an SCH burst searched in `lo..=hi`.
    fn sch_at(&mut self, lo: usize, hi: usize) -> Option<SchFix> {
        let rx = self.bursts.receive(&self.x, BurstKind::Sch, lo, hi)?;
        let data = sch_burst_data(&rx.llrs)?;
        let info = self.sch.decode(&data).ok()?.info?;
        Some((rx.t, info, rx.channel.snr_db()))
    }
}

/// FN `d` frames after `fn_ref` (d may be negative), modulo the hyperframe.
fn fn_at(fn_ref: u32, d: i64) -> u32 {
    (i64::from(fn_ref) + d).rem_euclid(i64::from(HYPERFRAME)) as u32
}

/// Frames the SCH instants must span before their slope is trusted: the
/// instants are known to half a symbol, so over 100 frames the slope is good to
/// about 4 ppm; over fewer the nominal frame length is the better guess.
const MIN_DRIFT_SPAN_FRAMES: f64 = 100.0;

/// Line t = a + b·d through `pts` (d, t): least squares when the points span at
/// least [`MIN_DRIFT_SPAN_FRAMES`], otherwise slope `b0` through their mean;
/// with no points, through (0, t0).
fn line_fit(pts: &[(f64, f64)], t0: f64, b0: f64) -> (f64, f64) {
    if pts.is_empty() {
        return (t0, b0);
    }
    let n = pts.len() as f64;
    let md = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let mt = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let nominal = (mt - b0 * md, b0);
    let (lo, hi) = pts.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.0), hi.max(p.0))
    });
    if hi - lo < MIN_DRIFT_SPAN_FRAMES {
        return nominal;
    }
    let sdd: f64 = pts.iter().map(|p| (p.0 - md) * (p.0 - md)).sum();
    let sdt: f64 = pts.iter().map(|p| (p.0 - md) * (p.1 - mt)).sum();
    let b = sdt / sdd;
    // Guard against nonsense (more than 100 ppm off nominal).
    if !b.is_finite() || (b / b0 - 1.0).abs() > 1e-4 {
        return nominal;
    }
    (mt - b * md, b)
}
