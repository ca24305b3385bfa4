//! Re-synthesis and subtraction of a decoded cell (successive interference
//! cancellation), with per-subframe CRS measurements on the way.
//!
//! Signals regenerated from the decoded parameters: PSS/SSS (TS 36.211 §6.11),
//! CRS of every port (§6.10.1) and PBCH (§6.6 with the decoded MIB and each
//! frame's SFN), each weighted by the channel estimated from that subframe's
//! CRS (port 0 for PSS/SSS), OFDM-modulated (§6.12) with the cell's CFO and
//! timing, and subtracted in the time domain so weaker cells, including those on
//! the same PSS root, can be searched for afterwards.

use super::chest::{ChannelEstimate, ChannelEstimator, CrsTable};
use super::crs::{is_crs_symbol, k_offset};
use super::grid::{central_bin, crs_symbol_mask, Numerology, OfdmDemod, FFT_1M92};
use super::measure::MeasurementAccumulator;
use super::pbch::{encode_bits, frame_symbols, re_positions};
use super::sync::cfo::Derotator;
use super::sync::pss::pss_sequence;
use super::sync::sss::sss_sequence;
use super::{CyclicPrefix, Duplex, CENTRAL_SC};
use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Everything needed to regenerate a decoded cell's known signals.
#[derive(Debug, Clone, PartialEq)]
pub struct CellModel {
    /// Physical cell identity.
    pub pci: u16,
    /// Cyclic prefix.
    pub cp: CyclicPrefix,
    /// Duplex mode.
    pub duplex: Duplex,
    /// CRS ports (1, 2, 4).
    pub ports: u8,
    /// Decoded MIB bits (the SFN field is rewritten per frame).
    pub mib_bits: [u8; 24],
    /// Frequency offset (Hz).
    pub cfo_hz: f64,
    /// Start of subframe 0 of frame index 0 (samples, may be negative).
    pub frame0_start: f64,
    /// Samples per frame (19200 without sample-clock drift).
    pub frame_len: f64,
    /// SFN of frame index 0.
    pub sfn0: u16,
}

/// Least-squares weights `(a, b)` with `Y ≈ (a·H0 + b·H1)·d` over the 62 sync
/// subcarriers (`b = 0` for one port).
fn fit_two_ports(
    y: &[Complex32; CENTRAL_SC],
    est: &ChannelEstimate,
    d: &[Complex32; 62],
    two: bool,
) -> (Complex32, Complex32) {
    let (mut uu, mut vv, mut uv, mut uy, mut vy) = (
        0.0f32,
        0.0f32,
        Complex32::default(),
        Complex32::default(),
        Complex32::default(),
    );
    for n in 0..62 {
        let u = est.h[0][n + 5] * d[n];
        let v = if two {
            est.h[1][n + 5] * d[n]
        } else {
            Complex32::default()
        };
        let yy = y[n + 5];
        uu += u.norm_sqr();
        vv += v.norm_sqr();
        uv += u.conj() * v;
        uy += u.conj() * yy;
        vy += v.conj() * yy;
    }
    let one = (Complex32::new(1.0, 0.0), Complex32::default());
    if !(uu > 0.0 && uu.is_finite()) {
        return one;
    }
    let det = uu * vv - uv.norm_sqr();
    let (a, b) = if two && det > 1e-3 * uu * vv.max(1e-30) {
        // [uu uv; uv* vv] [a; b] = [uy; vy]
        ((uy * vv - uv * vy) / det, (vy * uu - uv.conj() * uy) / det)
    } else {
        (uy / uu, Complex32::default())
    };
    if a.re.is_finite() && a.im.is_finite() && b.re.is_finite() && b.im.is_finite() {
        (a, b)
    } else {
        one
    }
}

/// FFT window offset into the cyclic prefix used for demodulation.
pub const BACKOFF: usize = 2;

/// Subtracts decoded cells and measures them; `new` plans FFTs and buffers.
pub struct CellCanceller {
    demod: OfdmDemod,
    chest: ChannelEstimator,
    est: ChannelEstimate,
    ifft: Arc<dyn Fft<f32>>,
    buf: Vec<Complex32>,
    grid: Vec<[Complex32; CENTRAL_SC]>,
    orig: Vec<[Complex32; CENTRAL_SC]>,
    sync_sym: [Complex32; CENTRAL_SC],
    xhat: [Complex32; CENTRAL_SC],
    crs: CrsTable,
}

impl std::fmt::Debug for CellCanceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CellCanceller").finish_non_exhaustive()
    }
}

impl Default for CellCanceller {
    fn default() -> Self {
        Self::new(4.0)
    }
}

impl CellCanceller {
    /// A canceller using a channel estimator with the given smoothing half-width.
    pub fn new(smoothing: f32) -> Self {
        CellCanceller {
            demod: OfdmDemod::new(),
            chest: ChannelEstimator::new(smoothing),
            est: ChannelEstimate::default(),
            ifft: FftPlanner::new().plan_fft_inverse(FFT_1M92),
            buf: vec![Complex32::default(); FFT_1M92],
            grid: Vec::with_capacity(14),
            orig: Vec::with_capacity(14),
            sync_sym: [Complex32::default(); CENTRAL_SC],
            xhat: [Complex32::default(); CENTRAL_SC],
            crs: CrsTable::default(),
        }
    }

    /// Measures the cell (RSSI on `original`) and, if `cancel`, subtracts its
    /// regenerated signals from `work`: every subframe that starts before sample
    /// `full_span`, and after it only subframes 0, 1, 5 and 6 (the ones later
    /// searches look at: PSS/SSS, PBCH and the CRS used for frequency refinement).
    pub fn process(
        &mut self,
        work: &mut [Complex32],
        original: &[Complex32],
        m: &CellModel,
        acc: &mut MeasurementAccumulator,
        cancel: bool,
        full_span: usize,
    ) {
        self.process_any(work, Some(original), m, acc, cancel, full_span);
    }

    /// As [`Self::process`] when nothing has been subtracted from `work` yet (it is
    /// the original input): the RSSI symbols come from the demodulation of `work`
    /// made for the channel estimate instead of a second one (each subframe is
    /// measured before it is modified).
    pub fn process_first(
        &mut self,
        work: &mut [Complex32],
        m: &CellModel,
        acc: &mut MeasurementAccumulator,
        cancel: bool,
        full_span: usize,
    ) {
        self.process_any(work, None, m, acc, cancel, full_span);
    }

    /// [`Self::process`] (`original` given) or [`Self::process_first`] (`None`).
    pub fn process_any(
        &mut self,
        work: &mut [Complex32],
        original: Option<&[Complex32]>,
        m: &CellModel,
        acc: &mut MeasurementAccumulator,
        cancel: bool,
        full_span: usize,
    ) {
        let fs = crate::lte::SEARCH_RATE_HZ;
        let rot = Derotator::new(m.cfo_hz, fs);
        let num = Numerology::search(m.cp);
        let nsym_slot = m.cp.symbols_per_slot();
        let sf_len = m.frame_len / 10.0;
        if !(sf_len.is_finite() && sf_len > 100.0 && m.frame0_start.is_finite()) {
            return;
        }
        let len = work.len().min(original.map_or(usize::MAX, <[_]>::len)) as f64;
        let first = (-m.frame0_start / sf_len).ceil() as i64;
        let last = ((len - 1920.0 - m.frame0_start) / sf_len).floor() as i64;
        let pss = pss_sequence((m.pci % 3) as u8);
        let positions = re_positions(m.cp, m.pci);
        let mut pbch_cache: Option<(u16, Vec<Vec<Complex32>>)> = None;
        // Weights of ports 0 and 1 in the synchronisation signals (which port carries
        // them is not specified), fitted on each SSS.
        let mut sync_w = (Complex32::new(1.0, 0.0), Complex32::default());
        for abs_sf in first..=last {
            let start = (m.frame0_start + abs_sf as f64 * sf_len).round() as i64;
            if start < 0 || start as f64 + 1920.0 > len {
                continue;
            }
            let sf = abs_sf.rem_euclid(10) as usize;
            if start as usize >= full_span && !matches!(sf, 0 | 1 | 5 | 6) {
                continue;
            }
            let frame = abs_sf.div_euclid(10);
            let sfn = (i64::from(m.sfn0) + frame).rem_euclid(1024) as u16;
            let crs_mask = crs_symbol_mask(m.cp, usize::from(m.ports));
            if self.demod.demod_subframe_masked(
                work,
                start,
                m.cp,
                &rot,
                BACKOFF,
                crs_mask,
                &mut self.grid,
            ) < crs_mask.count_ones() as usize
            {
                continue;
            }
            self.chest.estimate(
                &self.grid,
                m.pci,
                m.cp,
                sf,
                usize::from(m.ports),
                &mut self.est,
            );
            let sure = matches!(sf, 0 | 5) || m.duplex == Duplex::Fdd;
            if !sure && self.est.port0_pilot_power <= 2.0 * self.est.noise_var {
                continue;
            }
            acc.add_subframe(&self.est);
            let rssi_grid = match original {
                Some(original) => {
                    self.demod.demod_subframe_masked(
                        original,
                        start,
                        m.cp,
                        &rot,
                        BACKOFF,
                        crs_symbol_mask(m.cp, 1),
                        &mut self.orig,
                    );
                    &self.orig
                }
                // Port-0 CRS symbols are among those just demodulated from `work`.
                None => &self.grid,
            };
            for slot in 0..2 {
                for l in [0, nsym_slot - 3] {
                    if let Some(y) = rssi_grid.get(slot * nsym_slot + l) {
                        acc.add_rssi_symbol(y);
                    }
                }
            }
            if !cancel {
                continue;
            }
            for sym in 0..num.symbols_per_subframe() {
                let slot = sym / nsym_slot;
                let l = sym % nsym_slot;
                let ns = 2 * sf + slot;
                self.xhat = [Complex32::default(); CENTRAL_SC];
                let mut any = false;
                for p in 0..usize::from(m.ports) {
                    if is_crs_symbol(p, l, m.cp) {
                        let r = self.crs.get(m.pci, ns, l, m.cp);
                        let off = k_offset(p, l, ns, m.pci);
                        for (i, &v) in r.iter().enumerate() {
                            let k = 6 * i + off;
                            self.xhat[k] += self.est.h[p][k] * v;
                        }
                        any = true;
                    }
                }
                let (pss_here, sss_here) = match m.duplex {
                    Duplex::Fdd => (
                        matches!(sf, 0 | 5) && sym == nsym_slot - 1,
                        matches!(sf, 0 | 5) && sym == nsym_slot - 2,
                    ),
                    Duplex::Tdd => (
                        matches!(sf, 1 | 6) && sym == 2,
                        matches!(sf, 0 | 5) && sym == 2 * nsym_slot - 1,
                    ),
                };
                if sss_here {
                    let d = sss_sequence(m.pci / 3, (m.pci % 3) as u8, sf == 5);
                    let sym_start = start + num.useful_offset(sym) as i64 - BACKOFF as i64;
                    if self
                        .demod
                        .demod_rot(work, sym_start as isize, &rot, &mut self.sync_sym)
                    {
                        sync_w = fit_two_ports(
                            &self.sync_sym,
                            &self.est,
                            &d.map(|v| Complex32::new(v, 0.0)),
                            m.ports > 1,
                        );
                    }
                    for (n, &v) in d.iter().enumerate() {
                        self.xhat[n + 5] +=
                            (self.est.h[0][n + 5] * sync_w.0 + self.est.h[1][n + 5] * sync_w.1) * v;
                    }
                    any = true;
                }
                if pss_here {
                    for (n, &d) in pss.iter().enumerate() {
                        self.xhat[n + 5] +=
                            (self.est.h[0][n + 5] * sync_w.0 + self.est.h[1][n + 5] * sync_w.1) * d;
                    }
                    any = true;
                }
                if sf == 0 && slot == 1 && l < 4 {
                    if pbch_cache.as_ref().is_none_or(|(s, _)| *s != sfn) {
                        let mut bits = m.mib_bits;
                        for (i, b) in bits[6..14].iter_mut().enumerate() {
                            *b = ((sfn >> (9 - i)) & 1) as u8;
                        }
                        let coded = encode_bits(&bits, m.ports, m.pci, m.cp);
                        pbch_cache = Some((
                            sfn,
                            frame_symbols(&coded, usize::from(sfn % 4), m.ports, m.cp),
                        ));
                    }
                    if let Some((_, ys)) = &pbch_cache {
                        for (i, &(pl, k)) in positions.iter().enumerate() {
                            if pl != l {
                                continue;
                            }
                            for (p, y) in ys.iter().enumerate() {
                                if let Some(&v) = y.get(i) {
                                    self.xhat[k] += self.est.h[p][k] * v;
                                }
                            }
                        }
                    }
                    any = true;
                }
                if !any {
                    continue;
                }
                // Synthesize the symbol as the demodulator saw it and subtract.
                self.buf.fill(Complex32::default());
                for (k, &v) in self.xhat.iter().enumerate() {
                    self.buf[central_bin(k, FFT_1M92)] = v / FFT_1M92 as f32;
                }
                self.ifft.process(&mut self.buf);
                let useful = start + num.useful_offset(sym) as i64;
                let w = useful - BACKOFF as i64;
                let cp_len = num.cp_len(l) as i64;
                let mut ph = rot.phasor(useful - cp_len).conj();
                let step = rot.step().conj();
                for a in (useful - cp_len)..(useful + FFT_1M92 as i64) {
                    if let Some(s) = usize::try_from(a).ok().and_then(|i| work.get_mut(i)) {
                        let z = self.buf[(a - w).rem_euclid(FFT_1M92 as i64) as usize];
                        *s -= z * ph;
                    }
                    ph *= step;
                }
            }
        }
    }
}
