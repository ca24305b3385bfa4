//! LTE cell search on the central 6 PRB at 1.92 Msps: composes PSS search and
//! refinement ([`super::sync::pss`], TS 36.211 §6.11.1), SSS detection
//! ([`super::sync::sss`], §6.11.2), CRS channel estimation ([`super::chest`],
//! §6.10.1), PBCH/MIB decoding ([`super::pbch`], [`super::mib`]; TS 36.212
//! §5.3.1, TS 36.331), measurements ([`super::measure`], TS 36.214) and
//! successive cancellation of decoded cells ([`super::cancel`]). Holds no math
//! of its own.
//!
//! ```
//! use towerwatch_dsp::lte::cell_search::{LteCellSearcher, LteSearchConfig};
//! let mut searcher = LteCellSearcher::new(LteSearchConfig::default());
//! let samples = vec![towerwatch_dsp::Complex32::new(0.0, 0.0); 19200 * 4];
//! assert!(searcher.search(&samples).is_empty()); // silence: no cell
//! ```

use super::cancel::{CellCanceller, CellModel, BACKOFF};
use super::chest::{ChannelEstimate, ChannelEstimator, CrsTable};
use super::grid::{
    crs_symbol_mask, pbch_symbol_mask, Numerology, OfdmDemod, FFT_1M92, FRAME_1M92,
    HALF_FRAME_1M92, SUBFRAME_1M92,
};
use super::measure::{MeasurementAccumulator, Measurements};
use super::mib::Mib;
use super::pbch::{PbchDecode, PbchDecoder};
use super::sync::cfo::{cfo_from_halves, cfo_from_slot_phase, crs_slot_phase_with, Derotator};
use super::sync::pss::{
    pss_time, refine, track, PssCandidate, PssSearch, PssSearchConfig, PssSearcher, PssTrack,
};
use super::sync::sss::{pss_sss_phase, sss_observation, SssDetector};
use super::{pci, CyclicPrefix, Duplex, CENTRAL_SC, SEARCH_RATE_HZ, SUBCARRIER_SPACING_HZ};
use num_complex::Complex32;
use serde::{Deserialize, Serialize};

/// Cell search settings. Defaults suit a sensor dwelling 40–80 ms per channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LteSearchConfig {
    /// Largest |frequency offset| searched (Hz, at most 100 kHz). Default 25 kHz.
    /// Cheap receivers need more at high carrier frequencies: an RTL-SDR is often
    /// 50–70 kHz off at 800–1800 MHz (±80 kHz covers the shared recordings).
    pub max_cfo_hz: f64,
    /// Spacing of the PSS frequency hypotheses (Hz) when the cyclic-prefix CFO
    /// estimate is unreliable; after a reliable one only whole subcarriers (15 kHz)
    /// are searched. Default 7.5 kHz.
    pub cfo_step_hz: f64,
    /// Length of the PSS/SSS search window at the start of the input (ms); longer
    /// windows accumulate more PSS occurrences (better at low SNR) at a proportional
    /// cost. Default 20.
    pub pss_window_ms: f64,
    /// PSS peak-to-mean ratio for a candidate. Default 6.
    pub min_pss_peak_to_mean: f32,
    /// SSS z-score (correlation in noise standard deviations) to attempt the PBCH. Default 4.5.
    pub min_sss_z: f32,
    /// Most cells reported. Default 8.
    pub max_cells: usize,
    /// PSS candidates tried per search pass (per N_ID^(2) and in total). Default 8.
    pub max_candidates: usize,
    /// Most frames (from the start) whose PBCH is used. Default 8.
    pub max_pbch_frames: usize,
    /// Subtract each decoded cell before searching again. Default true.
    pub cancel: bool,
    /// Also report cells whose PSS/SSS were found but whose MIB did not decode
    /// (`crc_ok == false`, `mib == None`). Default false.
    pub report_unconfirmed: bool,
    /// Restrict the cyclic prefix hypotheses (None: both).
    pub cp: Option<CyclicPrefix>,
    /// Restrict the duplex hypotheses (None: both).
    pub duplex: Option<Duplex>,
    /// Half-width of the channel estimator's frequency smoothing (subcarriers). Default 4.
    pub chest_smoothing: f32,
}

impl Default for LteSearchConfig {
    fn default() -> Self {
        LteSearchConfig {
            max_cfo_hz: 25e3,
            cfo_step_hz: 7.5e3,
            pss_window_ms: 20.0,
            min_pss_peak_to_mean: 6.0,
            min_sss_z: 4.5,
            max_cells: 8,
            max_candidates: 8,
            max_pbch_frames: 8,
            cancel: true,
            report_unconfirmed: false,
            cp: None,
            duplex: None,
            chest_smoothing: 4.0,
        }
    }
}

/// One cell found by [`LteCellSearcher::search`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LteCellReport {
    /// Physical cell identity.
    pub pci: u16,
    /// N_ID^(1) (0..168).
    pub n_id_1: u16,
    /// N_ID^(2) (0..3).
    pub n_id_2: u8,
    /// Cyclic prefix.
    pub cp: CyclicPrefix,
    /// Duplex mode, from the PSS–SSS spacing.
    pub duplex: Duplex,
    /// Carrier frequency offset of the input relative to the cell (Hz).
    pub cfo_hz: f64,
    /// Sample (1.92 Msps) where the first radio frame that starts inside the input begins.
    pub frame_start: usize,
    /// Sample-clock drift over the input (ppm; positive: frames longer than 19200 samples).
    pub timing_drift_ppm: f64,
    /// The decoded MIB (None for detection-only reports). Its `sfn` is the SFN of the
    /// frame starting at `frame_start`.
    pub mib: Option<Mib>,
    /// Whether the PBCH CRC passed (always true unless `report_unconfirmed`).
    pub crc_ok: bool,
    /// Measurements (dBFS/dB; NaN when no subframe could be measured).
    pub rsrp_dbfs: f32,
    /// RSSI over 6 PRB (dBFS).
    pub rssi_dbfs: f32,
    /// RSRQ (dB).
    pub rsrq_db: f32,
    /// CRS SINR (dB).
    pub sinr_db: f32,
    /// PSS accumulated peak-to-mean ratio.
    pub pss_peak_to_mean: f32,
    /// SSS detection z-score.
    pub sss_z_score: f32,
    /// Frames whose PBCH was combined in the successful decode.
    pub pbch_frames: usize,
    /// Agreement of the re-encoded PBCH with the received bit decisions (0..1).
    pub pbch_agreement: f32,
}

struct Detected {
    n_id_1: u16,
    n_id_2: u8,
    cp: CyclicPrefix,
    duplex: Duplex,
    cfo_hz: f64,
    frame0_start: f64,
    frame_len: f64,
    drift_ppm: f64,
    pss_ratio: f32,
    sss_z: f32,
}

struct Decoded {
    mib: Mib,
    sfn0: u16,
    frames: usize,
    agreement: f32,
}

/// LTE cell searcher. `new` plans FFTs and tabulates sequences; `search` reuses them.
pub struct LteCellSearcher {
    cfg: LteSearchConfig,
    pss: PssSearcher,
    replicas: [Vec<Complex32>; 3],
    sss: SssDetector,
    demod: OfdmDemod,
    chest: ChannelEstimator,
    est: ChannelEstimate,
    pbch: PbchDecoder,
    canceller: CellCanceller,
    crs: CrsTable,
    work: Vec<Complex32>,
    /// Whether `work` holds the residual; before the first cancellation it is empty
    /// and `original` stands for it.
    work_valid: bool,
    original: Vec<Complex32>,
    grid: Vec<[Complex32; CENTRAL_SC]>,
    sss_obs: Vec<[Complex32; 62]>,
    pss_syms: Vec<(i64, i64, [Complex32; CENTRAL_SC])>,
    /// LLRs per frame and port hypothesis (1, 2, 4).
    llrs: Vec<[Vec<f32>; 3]>,
}

impl std::fmt::Debug for LteCellSearcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LteCellSearcher")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

const PORT_HYPS: [u8; 3] = [1, 2, 4];

impl LteCellSearcher {
    /// Builds the searcher (FFT plans, sequence tables, buffers).
    pub fn new(cfg: LteSearchConfig) -> Self {
        let pss = PssSearcher::new(PssSearchConfig {
            max_cfo_hz: cfg.max_cfo_hz,
            cfo_step_hz: cfg.cfo_step_hz,
            min_peak_to_mean: cfg.min_pss_peak_to_mean,
            max_candidates_per_root: cfg.max_candidates.clamp(1, 16),
        });
        LteCellSearcher {
            pss,
            replicas: [pss_time(0, 128), pss_time(1, 128), pss_time(2, 128)],
            sss: SssDetector::new(),
            demod: OfdmDemod::new(),
            chest: ChannelEstimator::new(cfg.chest_smoothing),
            est: ChannelEstimate::default(),
            pbch: PbchDecoder::new(),
            canceller: CellCanceller::new(cfg.chest_smoothing),
            crs: CrsTable::default(),
            work: Vec::new(),
            work_valid: false,
            original: Vec::new(),
            grid: Vec::with_capacity(14),
            sss_obs: Vec::new(),
            pss_syms: Vec::new(),
            llrs: Vec::new(),
            cfg,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &LteSearchConfig {
        &self.cfg
    }

    /// Finds every cell in `samples` (1.92 Msps, central 6 PRB), strongest first.
    /// Never fails: malformed samples (NaN, inf, huge) are zeroed, short input gives
    /// no cell. Only cells with a passing MIB CRC are returned unless
    /// `report_unconfirmed` is set.
    pub fn search(&mut self, samples: &[Complex32]) -> Vec<LteCellReport> {
        self.original.clear();
        self.original.resize(samples.len(), Complex32::default());
        for (o, s) in self.original.iter_mut().zip(samples) {
            // `abs() < 1e6` is false for NaN and ±inf too (branch-free select).
            let ok = (s.re.abs() < 1e6) & (s.im.abs() < 1e6);
            *o = Complex32::new(if ok { s.re } else { 0.0 }, if ok { s.im } else { 0.0 });
        }
        // `work` (the input minus the cells cancelled so far) is copied from
        // `original` only when a first cell is cancelled.
        self.work.clear();
        self.work_valid = false;
        let window = ((self.cfg.pss_window_ms.clamp(5.5, 1e4) * 1e-3 * SEARCH_RATE_HZ) as usize)
            .min(self.original.len());
        let mut reports: Vec<LteCellReport> = Vec::new();
        let mut tried: Vec<(u8, usize, f64)> = Vec::new();
        let max_passes = self.cfg.max_cells + 4;
        let mut changed: Vec<std::ops::Range<usize>> = Vec::new();
        for pass in 0..max_passes {
            if reports.iter().filter(|r| r.crc_ok).count() >= self.cfg.max_cells {
                break;
            }
            let x: &[Complex32] = if self.work_valid {
                &self.work
            } else {
                &self.original
            };
            // After a cancellation only the correlation around the cancelled cell's PSS
            // is recomputed (see `pss_ranges`).
            let found = if pass == 0 {
                self.pss.search(x, window)
            } else {
                self.pss.update(x, window, &changed)
            };
            changed.clear();
            let cands = match found {
                PssSearch::Found { candidates } => candidates,
                PssSearch::NotFound { .. } => break,
            };
            let mut progressed = false;
            for cand in cands.iter().take(self.cfg.max_candidates) {
                // The same peak (root, timing and frequency) as a candidate that failed.
                let near = |&(n2, off, cfo): &(u8, usize, f64)| {
                    let d = (off as i64 - cand.offset as i64).rem_euclid(HALF_FRAME_1M92 as i64);
                    n2 == cand.n_id_2
                        && (d <= 6 || d >= HALF_FRAME_1M92 as i64 - 6)
                        && (cfo - cand.cfo_hz).abs() < 0.9 * SUBCARRIER_SPACING_HZ
                };
                if tried.iter().any(near) {
                    continue;
                }
                let Some(det) = self.detect(cand, window) else {
                    tried.push((cand.n_id_2, cand.offset, cand.cfo_hz));
                    continue;
                };
                let cell_pci = pci(det.n_id_1, det.n_id_2);
                let duplicate = reports.iter().any(|r| {
                    let d = (r.frame_start as i64 - det.frame0_start.round() as i64)
                        .rem_euclid(FRAME_1M92 as i64);
                    r.pci == cell_pci && (d <= 20 || d >= FRAME_1M92 as i64 - 20)
                });
                if duplicate {
                    tried.push((cand.n_id_2, cand.offset, cand.cfo_hz));
                    continue;
                }
                match self.decode_pbch(&det) {
                    Some(dec) => {
                        let model = CellModel {
                            pci: cell_pci,
                            cp: det.cp,
                            duplex: det.duplex,
                            ports: dec.mib.ports,
                            mib_bits: dec.mib.bits,
                            cfo_hz: det.cfo_hz,
                            frame0_start: det.frame0_start,
                            frame_len: det.frame_len,
                            sfn0: dec.sfn0,
                        };
                        let mut acc = MeasurementAccumulator::new();
                        let first = !self.work_valid;
                        if first {
                            self.work.extend_from_slice(&self.original);
                            self.work_valid = true;
                        }
                        self.canceller.process_any(
                            &mut self.work,
                            (!first).then_some(&self.original[..]),
                            &model,
                            &mut acc,
                            self.cfg.cancel,
                            // Only subframes 0, 1, 5 and 6 (PSS, SSS, PBCH and the CRS
                            // the CFO refinement uses) matter to later passes; the PSS
                            // metric is only recomputed around the PSS (`pss_ranges`).
                            0,
                        );
                        if self.cfg.cancel {
                            pss_ranges(&det, window, &mut changed);
                        }
                        reports.push(report(&det, Some(&dec), acc.finish()));
                        progressed = true;
                        break;
                    }
                    None => {
                        tried.push((cand.n_id_2, cand.offset, cand.cfo_hz));
                        if self.cfg.report_unconfirmed {
                            let model = CellModel {
                                pci: cell_pci,
                                cp: det.cp,
                                duplex: det.duplex,
                                ports: 1,
                                mib_bits: [0; 24],
                                cfo_hz: det.cfo_hz,
                                frame0_start: det.frame0_start,
                                frame_len: det.frame_len,
                                sfn0: 0,
                            };
                            let mut acc = MeasurementAccumulator::new();
                            let first = !self.work_valid;
                            if first {
                                self.work.extend_from_slice(&self.original);
                                self.work_valid = true;
                            }
                            self.canceller.process_any(
                                &mut self.work,
                                (!first).then_some(&self.original[..]),
                                &model,
                                &mut acc,
                                false,
                                window,
                            );
                            reports.push(report(&det, None, acc.finish()));
                        }
                    }
                }
            }
            if !progressed {
                break;
            }
        }
        reports.sort_by(|a, b| {
            b.crc_ok
                .cmp(&a.crc_ok)
                .then(b.rsrp_dbfs.total_cmp(&a.rsrp_dbfs))
        });
        reports
    }

    /// PSS refinement, tracking and SSS detection for one candidate.
    fn detect(&mut self, cand: &PssCandidate, window: usize) -> Option<Detected> {
        let x: &[Complex32] = if self.work_valid {
            &self.work
        } else {
            &self.original
        };
        let replica = &self.replicas[usize::from(cand.n_id_2 % 3)];
        let refined = refine(x, window, cand, replica);
        // Nominal timing for the SSS stage; the drift-tracking fit runs only for
        // candidates whose SSS is found.
        let nominal = PssTrack {
            intercept: refined.offset as f64,
            period: HALF_FRAME_1M92 as f64,
            points: 0,
        };
        let tr = nominal;
        let rot = Derotator::new(refined.cfo_hz, SEARCH_RATE_HZ);
        let mut best: Option<(f32, CyclicPrefix, Duplex, u16, i64)> = None;
        let cps: &[CyclicPrefix] = match self.cfg.cp {
            Some(CyclicPrefix::Normal) => &[CyclicPrefix::Normal],
            Some(CyclicPrefix::Extended) => &[CyclicPrefix::Extended],
            None => &[CyclicPrefix::Normal, CyclicPrefix::Extended],
        };
        let dups: &[Duplex] = match self.cfg.duplex {
            Some(Duplex::Fdd) => &[Duplex::Fdd],
            Some(Duplex::Tdd) => &[Duplex::Tdd],
            None => &[Duplex::Fdd, Duplex::Tdd],
        };
        let len = x.len() as f64;
        let mut y_pss = [Complex32::default(); CENTRAL_SC];
        let mut y_sss = [Complex32::default(); CENTRAL_SC];
        // PSS symbols of the half frames inside the search window (shared by all
        // CP/duplex hypotheses).
        let sss_span = (window as f64).max(2.0 * HALF_FRAME_1M92 as f64).min(len);
        self.pss_syms.clear();
        let mut h = 0i64;
        while tr.position(h) + 130.0 <= sss_span {
            let tp = tr.position(h).round() as i64;
            if self
                .demod
                .demod_rot(x, (tp - BACKOFF as i64) as isize, &rot, &mut y_pss)
            {
                self.pss_syms.push((h, tp, y_pss));
            }
            h += 1;
        }
        for &cp in cps {
            let num = Numerology::search(cp);
            for &duplex in dups {
                let delta = pss_to_sss(&num, duplex);
                self.sss_obs.clear();
                let mut h_start = None;
                for &(h, tp, ref yp) in &self.pss_syms {
                    let ts = tp - delta - BACKOFF as i64;
                    if ts < 0 {
                        continue;
                    }
                    // Consecutive half frames only (the detector alternates subframes 0/5).
                    if let Some(h0) = h_start {
                        if h != h0 + self.sss_obs.len() as i64 {
                            break;
                        }
                    }
                    if !self.demod.demod_rot(x, ts as isize, &rot, &mut y_sss) {
                        break;
                    }
                    h_start.get_or_insert(h);
                    self.sss_obs.push(sss_observation(yp, &y_sss, cand.n_id_2));
                }
                let (Some(h_start), Some(d)) =
                    (h_start, self.sss.detect(cand.n_id_2, &self.sss_obs))
                else {
                    continue;
                };
                if best.is_none_or(|b| d.z_score > b.0) {
                    let h0 = if d.first_is_subframe0 {
                        h_start
                    } else {
                        h_start + 1
                    };
                    best = Some((d.z_score, cp, duplex, d.n_id_1, h0));
                }
            }
        }
        let (z, cp, duplex, n_id_1, h0) = best?;
        if z.is_nan() || z < self.cfg.min_sss_z {
            return None;
        }
        let tr = track(x, refined.offset, refined.cfo_hz, replica);
        let num = Numerology::search(cp);
        // CFO from the SSS→PSS phase advance (unambiguous ±fs/(2Δ): ±7 kHz FDD).
        let delta = pss_to_sss(&num, duplex);
        let mut acc = Complex32::default();
        let mut h = h0 % 2;
        while tr.position(h) + 130.0 < len {
            let tp = tr.position(h).round() as i64;
            if tp - delta - (BACKOFF as i64) >= 0
                && self
                    .demod
                    .demod_rot(x, (tp - BACKOFF as i64) as isize, &rot, &mut y_pss)
                && self
                    .demod
                    .demod_rot(x, (tp - delta - BACKOFF as i64) as isize, &rot, &mut y_sss)
            {
                acc += pss_sss_phase(
                    &y_pss,
                    &y_sss,
                    n_id_1,
                    cand.n_id_2,
                    (h - h0).rem_euclid(2) == 1,
                );
            }
            h += 1;
        }
        let cfo_pss_sss = refined.cfo_hz + cfo_from_halves(acc, delta as usize, SEARCH_RATE_HZ);
        let rot = Derotator::new(cfo_pss_sss, SEARCH_RATE_HZ);
        let frame_len = 2.0 * tr.period;
        let mut f0 = tr.position(h0) - pss_in_frame(&num, duplex) as f64;
        // First frame starting inside the input.
        f0 -= (f0 / frame_len).floor() * frame_len;
        if f0 > frame_len - 0.5 {
            f0 -= frame_len;
        }
        // Fine CFO from the CRS of subframes 0 and 5 over the whole input.
        let cell_pci = pci(n_id_1, cand.n_id_2);
        let mut acc = Complex32::default();
        for j in 0..2 * self.cfg.max_pbch_frames.max(8) {
            let start = (f0 + j as f64 * frame_len / 2.0).round() as i64;
            if start as f64 + SUBFRAME_1M92 as f64 > len {
                break;
            }
            let mask = crs_symbol_mask(cp, 1);
            if start >= 0
                && self.demod.demod_subframe_masked(
                    x,
                    start,
                    cp,
                    &rot,
                    BACKOFF,
                    mask,
                    &mut self.grid,
                ) == mask.count_ones() as usize
            {
                acc += crs_slot_phase_with(&self.grid, cell_pci, cp, 5 * (j % 2), &mut self.crs);
            }
        }
        let cfo_hz = cfo_pss_sss + cfo_from_slot_phase(acc);
        Some(Detected {
            n_id_1,
            n_id_2: cand.n_id_2,
            cp,
            duplex,
            cfo_hz,
            frame0_start: f0,
            frame_len,
            drift_ppm: tr.drift_ppm(),
            pss_ratio: cand.peak_to_mean,
            sss_z: z,
        })
    }

    /// PBCH over the first frames: port hypotheses × 40 ms phases, soft combining.
    fn decode_pbch(&mut self, det: &Detected) -> Option<Decoded> {
        let x: &[Complex32] = if self.work_valid {
            &self.work
        } else {
            &self.original
        };
        let cell_pci = pci(det.n_id_1, det.n_id_2);
        self.pbch.set_cell(cell_pci, det.cp);
        let e = self.pbch.frame_bits();
        let rot = Derotator::new(det.cfo_hz, SEARCH_RATE_HZ);
        let nsym = det.cp.symbols_per_slot();
        let mut n_frames = 0;
        let mut port_pow = [0.0f32; 4];
        for j in 0..self.cfg.max_pbch_frames {
            let start = (det.frame0_start + j as f64 * det.frame_len).round() as i64;
            if start < 0 || start as f64 + SUBFRAME_1M92 as f64 > x.len() as f64 {
                break;
            }
            let mask = crs_symbol_mask(det.cp, 4) | pbch_symbol_mask(det.cp);
            if self.demod.demod_subframe_masked(
                x,
                start,
                det.cp,
                &rot,
                BACKOFF,
                mask,
                &mut self.grid,
            ) < mask.count_ones() as usize
            {
                break;
            }
            self.chest
                .estimate(&self.grid, cell_pci, det.cp, 0, 4, &mut self.est);
            for (a, b) in port_pow.iter_mut().zip(self.est.port_power) {
                *a += b;
            }
            if self.llrs.len() <= n_frames {
                self.llrs
                    .push([vec![0.0; 480], vec![0.0; 480], vec![0.0; 480]]);
            }
            for (hi, &ports) in PORT_HYPS.iter().enumerate() {
                let out = &mut self.llrs[n_frames][hi];
                out.resize(e, 0.0);
                self.pbch
                    .frame_llrs(&self.grid[nsym..2 * nsym], &self.est, ports, out);
            }
            n_frames += 1;
        }
        if n_frames == 0 {
            return None;
        }
        // 40 ms phase scores of every port hypothesis (cheap next to a Viterbi run).
        let mut scores = [[0.0f32; 4]; 3];
        for (hi, score) in scores.iter_mut().enumerate() {
            for j in 0..n_frames {
                let s = self.pbch.phase_scores(&self.llrs[j][hi]);
                for (p0, sc) in score.iter_mut().enumerate() {
                    *sc += s[(p0 + j) % 4];
                }
            }
        }
        // Most likely port count first: the hypothesis whose descrambled soft bits
        // combine most coherently over the frames (wrong transmit-diversity
        // combining scrambles them), the CRS power of ports 1 and 2 relative to
        // port 0 breaking ties. A data-loaded cell puts power on the port 2/3 CRS
        // positions whatever its port count, so the power alone often put 4 ports
        // first. Every hypothesis is still tried until one passes the CRC.
        let mut order: [usize; 3] = if port_pow[1] > 0.3 * port_pow[0] {
            if port_pow[2] > 0.3 * port_pow[0] {
                [2, 1, 0]
            } else {
                [1, 2, 0]
            }
        } else {
            [0, 1, 2]
        };
        let best = |hi: usize| scores[hi].iter().fold(0.0f32, |a, &b| a.max(b));
        order.sort_by(|&a, &b| best(b).total_cmp(&best(a)));
        for hi in order {
            let ports = PORT_HYPS[hi];
            let score = scores[hi];
            let mut p0s = [0usize, 1, 2, 3];
            p0s.sort_by(|&a, &b| score[b].total_cmp(&score[a]));
            let tries = if n_frames <= 2 { 4 } else { 2 };
            for &p0 in p0s.iter().take(tries) {
                // Frames of the same 40 ms period, largest group first.
                let mut groups: Vec<Vec<usize>> = Vec::new();
                for j in 0..n_frames {
                    let g = (p0 + j) / 4;
                    if groups.len() <= g {
                        groups.resize(g + 1, Vec::new());
                    }
                    groups[g].push(j);
                }
                groups.sort_by_key(|g| std::cmp::Reverse(g.len()));
                for g in groups.iter().filter(|g| !g.is_empty()) {
                    let frames: Vec<(&[f32], usize)> = g
                        .iter()
                        .map(|&j| (&self.llrs[j][hi][..], (p0 + j) % 4))
                        .collect();
                    if let PbchDecode::Ok(d) = self.pbch.decode(&frames, ports) {
                        let j1 = g[0];
                        let Ok(mut mib) =
                            Mib::from_bits(&d.mib_bits, ((p0 + j1) % 4) as u8, d.ports)
                        else {
                            continue;
                        };
                        let sfn0 = (i64::from(mib.sfn) - j1 as i64).rem_euclid(1024) as u16;
                        mib.sfn = sfn0;
                        return Some(Decoded {
                            mib,
                            sfn0,
                            frames: g.len(),
                            agreement: d.agreement,
                        });
                    }
                }
            }
        }
        None
    }
}

/// Sample ranges of a detected cell's PSS symbols (with their CP and a margin for
/// rounding and drift) that start before `window`. The canceller also removes the
/// cell's CRS, SSS and PBCH elsewhere, but those correlate with the PSS replicas
/// like noise: only the PSS regions change the PSS search metric materially, so the
/// next search pass recomputes just those ([`PssSearcher::update`]).
fn pss_ranges(det: &Detected, window: usize, out: &mut Vec<std::ops::Range<usize>>) {
    const MARGIN: f64 = 24.0;
    let num = Numerology::search(det.cp);
    let half = det.frame_len / 2.0;
    if !(half.is_finite() && half > 1000.0 && det.frame0_start.is_finite()) {
        // Cannot happen for a detected cell; recompute everything rather than guess.
        out.push(0..window);
        return;
    }
    let first = det.frame0_start + pss_in_frame(&num, det.duplex) as f64;
    let mut p = first - (first / half).floor() * half;
    let cp_len = num.cp_len(1) as f64;
    while p - cp_len - MARGIN < window as f64 {
        let a = (p - cp_len - MARGIN).max(0.0) as usize;
        let b = (p + FFT_1M92 as f64 + MARGIN).max(0.0) as usize;
        out.push(a..b);
        p += half;
    }
}

/// Samples from the SSS useful part to the PSS useful part.
fn pss_to_sss(num: &Numerology, duplex: Duplex) -> i64 {
    let n = num.cp.symbols_per_slot();
    match duplex {
        Duplex::Fdd => num.useful_offset(n - 1) as i64 - num.useful_offset(n - 2) as i64,
        Duplex::Tdd => {
            (SUBFRAME_1M92 + num.useful_offset(2)) as i64 - num.useful_offset(2 * n - 1) as i64
        }
    }
}

/// Samples from the frame start to the PSS useful part of subframe 0 (FDD) or 1 (TDD).
fn pss_in_frame(num: &Numerology, duplex: Duplex) -> usize {
    match duplex {
        Duplex::Fdd => num.useful_offset(num.cp.symbols_per_slot() - 1),
        Duplex::Tdd => SUBFRAME_1M92 + num.useful_offset(2),
    }
}

fn report(det: &Detected, dec: Option<&Decoded>, meas: Option<Measurements>) -> LteCellReport {
    let m = meas.unwrap_or(Measurements {
        rsrp_dbfs: f32::NAN,
        rssi_dbfs: f32::NAN,
        rsrq_db: f32::NAN,
        sinr_db: f32::NAN,
        subframes: 0,
    });
    LteCellReport {
        pci: pci(det.n_id_1, det.n_id_2),
        n_id_1: det.n_id_1,
        n_id_2: det.n_id_2,
        cp: det.cp,
        duplex: det.duplex,
        cfo_hz: det.cfo_hz,
        frame_start: det.frame0_start.round().max(0.0) as usize,
        timing_drift_ppm: det.drift_ppm,
        mib: dec.map(|d| d.mib),
        crc_ok: dec.is_some(),
        rsrp_dbfs: m.rsrp_dbfs,
        rssi_dbfs: m.rssi_dbfs,
        rsrq_db: m.rsrq_db,
        sinr_db: m.sinr_db,
        pss_peak_to_mean: det.pss_ratio,
        sss_z_score: det.sss_z,
        pbch_frames: dec.map_or(0, |d| d.frames),
        pbch_agreement: dec.map_or(0.0, |d| d.agreement),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spacing_hand_values() {
        let n = Numerology::search(CyclicPrefix::Normal);
        assert_eq!(pss_to_sss(&n, Duplex::Fdd), 137);
        assert_eq!(pss_to_sss(&n, Duplex::Tdd), 412);
        let e = Numerology::search(CyclicPrefix::Extended);
        assert_eq!(pss_to_sss(&e, Duplex::Fdd), 160);
        assert_eq!(pss_to_sss(&e, Duplex::Tdd), 480);
        assert_eq!(pss_in_frame(&n, Duplex::Fdd), 960 - 128);
    }

    #[test]
    fn pss_ranges_cover_each_pss_symbol_in_the_window() {
        let det = |frame0_start: f64, duplex: Duplex| Detected {
            n_id_1: 0,
            n_id_2: 0,
            cp: CyclicPrefix::Normal,
            duplex,
            cfo_hz: 0.0,
            frame0_start,
            frame_len: 19200.0,
            drift_ppm: 0.0,
            pss_ratio: 0.0,
            sss_z: 0.0,
        };
        let mut r = Vec::new();
        // FDD: PSS useful part at 832 + 9600·h, CP 9 samples, margin 24.
        pss_ranges(&det(0.0, Duplex::Fdd), 38_400, &mut r);
        assert_eq!(
            r,
            vec![799..984, 10_399..10_584, 19_999..20_184, 29_599..29_784]
        );
        // A frame starting late: the occurrence before it is covered too.
        r.clear();
        pss_ranges(&det(12_000.0, Duplex::Fdd), 20_000, &mut r);
        assert_eq!(r, vec![3_199..3_384, 12_799..12_984]);
        // TDD: third symbol of subframe 1, 1920 + 138 + 137 + 9 = 2204.
        r.clear();
        pss_ranges(&det(0.0, Duplex::Tdd), 9_600, &mut r);
        assert_eq!(r, vec![2_171..2_356]);
        // Nonsense timing: everything.
        r.clear();
        pss_ranges(&det(f64::NAN, Duplex::Fdd), 500, &mut r);
        assert_eq!(r, vec![0..500]);
    }
}
