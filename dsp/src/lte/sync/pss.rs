//! Primary synchronisation signal, TS 36.211 §6.11.1: sequence generation and
//! a frequency-hypothesis PSS search.
//!
//! `d_u(n) = e^{-jπ u n(n+1)/63}` (n = 0..30) and `e^{-jπ u (n+1)(n+2)/63}`
//! (n = 31..61), roots u = 25, 29, 34 for N_ID^(2) = 0, 1, 2 (Table 6.11.1.1-1),
//! mapped to `k = n − 31 + N_RB·12/2` (§6.11.1.2), i.e. central subcarriers
//! `k' = n + 5`. FDD: last symbol of slots 0 and 10; TDD: third symbol of
//! subframes 1 and 6.
//!
//! The search decimates the 1.92 Msps input by two, correlates it with the three
//! 64-sample PSS replicas at every frequency hypothesis (a grid of
//! `cfo_step_hz`, covering integer and fractional offsets) by overlap-save FFT
//! filtering, and accumulates `|corr|²` non-coherently modulo the 5 ms PSS
//! period. [`refine`] then fixes timing at 1.92 Msps and the CFO from the phase
//! difference of the PSS halves.

use super::cfo::{cfo_from_halves, Derotator};
use crate::lte::grid::{FFT_1M92, HALF_FRAME_1M92};
use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Zadoff–Chu roots for N_ID^(2) = 0, 1, 2 (Table 6.11.1.1-1).
pub const PSS_ROOTS: [u32; 3] = [25, 29, 34];

/// The 62-element PSS sequence `d_u(n)`; `n_id_2` above 2 is taken modulo 3.
pub fn pss_sequence(n_id_2: u8) -> [Complex32; 62] {
    let u = PSS_ROOTS[usize::from(n_id_2 % 3)];
    let mut d = [Complex32::default(); 62];
    for (n, v) in d.iter_mut().enumerate() {
        let n = n as u32;
        let q = if n < 31 {
            u * n * (n + 1)
        } else {
            u * (n + 1) * (n + 2)
        } % 126;
        let ph = -std::f64::consts::PI * f64::from(q) / 63.0;
        *v = Complex32::new(ph.cos() as f32, ph.sin() as f32);
    }
    d
}

/// Time-domain PSS symbol (no CP) with an `n`-point IFFT (`n` ≥ 64, power of two
/// not required), unit energy `Σ|x|² = 1`.
pub fn pss_time(n_id_2: u8, n: usize) -> Vec<Complex32> {
    let n = n.max(64);
    let d = pss_sequence(n_id_2);
    let mut f = vec![Complex32::default(); n];
    for (i, &v) in d.iter().enumerate() {
        // k' = i + 5 → frequency index relative to DC.
        let fi = if i < 31 { n - 31 + i } else { i - 30 };
        f[fi] = v;
    }
    let ifft = FftPlanner::new().plan_fft_inverse(n);
    ifft.process(&mut f);
    let e: f32 = f.iter().map(|c| c.norm_sqr()).sum::<f32>().sqrt();
    for v in &mut f {
        *v /= e;
    }
    f
}

/// PSS search settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PssSearchConfig {
    /// Largest |CFO| searched (Hz).
    pub max_cfo_hz: f64,
    /// Spacing of the frequency hypotheses (Hz); 7.5 kHz loses at most ~1 dB.
    pub cfo_step_hz: f64,
    /// Peak-to-mean ratio a correlation peak needs to become a candidate.
    pub min_peak_to_mean: f32,
    /// Most candidates returned per N_ID^(2).
    pub max_candidates_per_root: usize,
}

impl Default for PssSearchConfig {
    fn default() -> Self {
        PssSearchConfig {
            max_cfo_hz: 25e3,
            cfo_step_hz: 7.5e3,
            min_peak_to_mean: 6.0,
            max_candidates_per_root: 3,
        }
    }
}

/// One PSS correlation peak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PssCandidate {
    /// N_ID^(2).
    pub n_id_2: u8,
    /// First sample of the PSS symbol's useful part (after its CP), 1.92 Msps,
    /// modulo the 9600-sample half frame.
    pub offset: usize,
    /// Frequency offset estimate (Hz).
    pub cfo_hz: f64,
    /// Accumulated peak over the mean of all offsets (same root and frequency).
    pub peak_to_mean: f32,
}

/// Result of [`PssSearcher::search`].
#[derive(Debug, Clone, PartialEq)]
pub enum PssSearch {
    /// Peaks above the threshold, strongest first.
    Found {
        /// Candidates, strongest first.
        candidates: Vec<PssCandidate>,
    },
    /// Nothing above the threshold.
    NotFound {
        /// The best peak-to-mean ratio seen.
        best_peak_to_mean: f32,
    },
}

/// Decimation factor of the search (1.92 → 0.96 Msps keeps all 62 PSS subcarriers;
/// decimating further halves the correlation gain, which the data load of a real
/// cell does not allow).
const DEC: usize = 2;
const DEC_TAPS: usize = 23;
const DEC_HALF: usize = DEC_TAPS / 2;
const OS_FFT: usize = 512;
const REPLICA: usize = 128 / DEC;
const OS_STEP: usize = OS_FFT - REPLICA;
const PERIOD_DEC: usize = HALF_FRAME_1M92 / DEC;

/// PSS searcher; `new` plans FFTs and replicas, `search` allocates only its result.
pub struct PssSearcher {
    cfg: PssSearchConfig,
    cfos: Vec<f64>,
    fwd: Arc<dyn Fft<f32>>,
    inv: Arc<dyn Fft<f32>>,
    /// conj(FFT of replica) per (root, hypothesis).
    filters: Vec<Vec<Complex32>>,
    taps: [f32; DEC_TAPS],
    dec: Vec<Complex32>,
    block: Vec<Complex32>,
    prod: Vec<Complex32>,
    scratch: Vec<Complex32>,
    /// |corr|² accumulated modulo the period, per (root, hypothesis).
    metric: Vec<Vec<f32>>,
}

impl std::fmt::Debug for PssSearcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PssSearcher")
            .field("cfg", &self.cfg)
            .field("cfos", &self.cfos)
            .finish()
    }
}

impl PssSearcher {
    /// Plans the search.
    pub fn new(cfg: PssSearchConfig) -> Self {
        let step = if cfg.cfo_step_hz.is_finite() && cfg.cfo_step_hz > 100.0 {
            cfg.cfo_step_hz.min(15e3)
        } else {
            7.5e3
        };
        // The full grid: relying on the Zadoff–Chu time–frequency coupling alone
        // (fractional hypotheses only) lost ~15 % of detections at −6 dB.
        let maxc = if cfg.max_cfo_hz.is_finite() {
            cfg.max_cfo_hz.clamp(0.0, 100e3)
        } else {
            25e3
        };
        let nh = (maxc / step + 0.5).floor() as i64;
        let cfos: Vec<f64> = (-nh..=nh).map(|i| i as f64 * step).collect();
        let mut planner = FftPlanner::new();
        let fwd = planner.plan_fft_forward(OS_FFT);
        let inv = planner.plan_fft_inverse(OS_FFT);
        let fs = super::super::SEARCH_RATE_HZ / DEC as f64;
        let mut filters = Vec::new();
        for r in 0..3u8 {
            let rep = pss_time(r, REPLICA);
            for &f in &cfos {
                let rot = Derotator::new(-f, fs);
                let mut buf = vec![Complex32::default(); OS_FFT];
                for (i, &v) in rep.iter().enumerate() {
                    buf[i] = v * rot.phasor(i as i64);
                }
                fwd.process(&mut buf);
                for v in &mut buf {
                    *v = v.conj() / OS_FFT as f32;
                }
                filters.push(buf);
            }
        }
        let mut taps = [0f32; DEC_TAPS];
        // Windowed-sinc half-band low-pass (cutoff fs/4 = 480 kHz): every other tap
        // is zero, which the decimator skips.
        let fc = 0.25;
        for (i, t) in taps.iter_mut().enumerate() {
            let m = i as f64 - DEC_HALF as f64;
            let sinc = if m == 0.0 {
                2.0 * fc
            } else {
                (std::f64::consts::TAU * fc * m).sin() / (std::f64::consts::PI * m)
            };
            let w = 0.54 + 0.46 * (std::f64::consts::PI * m / (DEC_HALF as f64 + 1.0)).cos();
            *t = (sinc * w) as f32;
        }
        let s: f32 = taps.iter().sum();
        for t in &mut taps {
            *t /= s;
        }
        let scratch_len = fwd
            .get_inplace_scratch_len()
            .max(inv.get_inplace_scratch_len());
        PssSearcher {
            cfg,
            metric: vec![vec![0.0; PERIOD_DEC]; filters.len()],
            cfos,
            fwd,
            inv,
            filters,
            taps,
            dec: Vec::new(),
            block: vec![Complex32::default(); OS_FFT],
            prod: vec![Complex32::default(); OS_FFT],
            scratch: vec![Complex32::default(); scratch_len],
        }
    }

    /// The frequency hypotheses searched (Hz).
    pub fn cfo_hypotheses(&self) -> &[f64] {
        &self.cfos
    }

    /// Searches the first `window` samples of `x` (1.92 Msps; non-finite samples
    /// count as zero). Needs at least one PSS period plus a symbol to find anything.
    pub fn search(&mut self, x: &[Complex32], window: usize) -> PssSearch {
        let x = &x[..window.min(x.len())];
        for m in &mut self.metric {
            m.fill(0.0);
        }
        // Decimate with the low-pass (output m ↔ input DEC·m). The caller's samples
        // may be non-finite: those count as zero.
        let m_len = x.len() / DEC;
        self.dec.clear();
        self.dec.reserve(m_len);
        for m in 0..m_len {
            let mut acc = Complex32::default();
            let c = DEC * m;
            if c >= DEC_HALF && c + DEC_HALF < x.len() {
                let w = &x[c - DEC_HALF..=c + DEC_HALF];
                // Half-band: taps at odd distance from the centre only, plus the centre.
                acc = w[DEC_HALF] * self.taps[DEC_HALF];
                for i in (1..=DEC_HALF).step_by(2) {
                    acc += (w[DEC_HALF - i] + w[DEC_HALF + i]) * self.taps[DEC_HALF + i];
                }
            } else {
                for (i, &t) in self.taps.iter().enumerate() {
                    if let Some(&s) = (c + i).checked_sub(DEC_HALF).and_then(|j| x.get(j)) {
                        acc += s * t;
                    }
                }
            }
            if !(acc.re.is_finite() && acc.im.is_finite()) {
                acc = Complex32::default();
            }
            self.dec.push(acc);
        }
        if m_len < REPLICA + 1 {
            return PssSearch::NotFound {
                best_peak_to_mean: 0.0,
            };
        }
        let mut s = 0;
        while s + REPLICA <= m_len {
            for (i, b) in self.block.iter_mut().enumerate() {
                *b = self.dec.get(s + i).copied().unwrap_or_default();
            }
            self.fwd
                .process_with_scratch(&mut self.block, &mut self.scratch);
            let valid = OS_STEP.min(m_len - REPLICA + 1 - s);
            for (h, filt) in self.filters.iter().enumerate() {
                for ((p, &b), &f) in self.prod.iter_mut().zip(&self.block).zip(filt) {
                    *p = b * f;
                }
                self.inv
                    .process_with_scratch(&mut self.prod, &mut self.scratch);
                let met = &mut self.metric[h];
                let mut idx = s % PERIOD_DEC;
                for c in &self.prod[..valid] {
                    met[idx] += c.norm_sqr();
                    idx += 1;
                    if idx == PERIOD_DEC {
                        idx = 0;
                    }
                }
            }
            s += OS_STEP;
        }
        self.candidates()
    }

    fn candidates(&self) -> PssSearch {
        let nh = self.cfos.len();
        let mut out = Vec::new();
        let mut best_ratio = 0.0f32;
        for r in 0..3usize {
            // Mean over all offsets and hypotheses of this root.
            let mut mean = 0.0f64;
            for h in 0..nh {
                mean += self.metric[r * nh + h]
                    .iter()
                    .map(|&v| f64::from(v))
                    .sum::<f64>();
            }
            mean /= (nh * PERIOD_DEC) as f64;
            if !(mean.is_finite() && mean > 0.0) {
                continue;
            }
            // Best hypothesis per offset.
            let mut best: Vec<(f32, usize)> = (0..PERIOD_DEC)
                .map(|n| {
                    let mut b = (0.0f32, 0usize);
                    for h in 0..nh {
                        let v = self.metric[r * nh + h][n];
                        if v > b.0 {
                            b = (v, h);
                        }
                    }
                    b
                })
                .collect();
            let mut found = 0;
            while found < self.cfg.max_candidates_per_root {
                let Some((n, &(v, h))) = best
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1 .0.total_cmp(&b.1 .0))
                else {
                    break;
                };
                let ratio = (f64::from(v) / mean) as f32;
                best_ratio = best_ratio.max(ratio);
                if ratio.is_nan() || ratio < self.cfg.min_peak_to_mean {
                    break;
                }
                out.push(PssCandidate {
                    n_id_2: r as u8,
                    offset: DEC * n,
                    cfo_hz: self.cfos[h],
                    peak_to_mean: ratio,
                });
                found += 1;
                // Suppress the peak's main lobe (±3 decimated samples, circular).
                // Zadoff–Chu time–frequency ambiguity puts "ghost" peaks of a cell at
                // other frequency hypotheses tens of samples away, sometimes stronger
                // than the true one: they stay candidates and the SSS rejects them.
                for d in 0..=6usize {
                    let i = (n + PERIOD_DEC + d - 3) % PERIOD_DEC;
                    best[i] = (0.0, 0);
                }
            }
        }
        if out.is_empty() {
            PssSearch::NotFound {
                best_peak_to_mean: best_ratio,
            }
        } else {
            out.sort_by(|a, b| b.peak_to_mean.total_cmp(&a.peak_to_mean));
            PssSearch::Found { candidates: out }
        }
    }
}

/// Correlations of one PSS occurrence at 1.92 Msps: full symbol and its two halves.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PssCorr {
    /// Σ over the 128 samples.
    pub full: Complex32,
    /// Σ over the first 64.
    pub first: Complex32,
    /// Σ over the last 64.
    pub second: Complex32,
    /// Received energy over the 128 samples.
    pub energy: f32,
}

/// Correlates `x[pos..pos+128]`, derotated by `cfo_hz` (absolute sample index), with
/// the unit-energy 128-sample replica. None when the window leaves `x`.
pub fn correlate_at(
    x: &[Complex32],
    pos: i64,
    replica: &[Complex32],
    rot: &Derotator,
) -> Option<PssCorr> {
    let p = usize::try_from(pos).ok()?;
    let win = x.get(p..p.checked_add(FFT_1M92)?)?;
    let mut ph = rot.phasor(pos);
    let step = rot.step();
    let mut c = PssCorr::default();
    for (i, (&s, &r)) in win.iter().zip(replica).enumerate() {
        let s = if s.re.is_finite() && s.im.is_finite() {
            s
        } else {
            Complex32::default()
        };
        let v = s * ph * r.conj();
        c.energy += s.norm_sqr();
        if i < FFT_1M92 / 2 {
            c.first += v;
        } else {
            c.second += v;
        }
        ph *= step;
    }
    c.full = c.first + c.second;
    Some(c)
}

/// A PSS timing and frequency refined at 1.92 Msps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RefinedPss {
    /// PSS useful-part start in the first half frame, modulo 9600.
    pub offset: usize,
    /// Refined CFO (Hz).
    pub cfo_hz: f64,
    /// Occurrences used.
    pub occurrences: usize,
    /// Mean normalised correlation `|c|²/(E_rx)` of the occurrences (0..1).
    pub quality: f32,
}

/// Refines a candidate: timing ±2 samples over the first `window` samples, then the
/// CFO twice from the phase difference of the PSS halves over all of `x`.
pub fn refine(
    x_all: &[Complex32],
    window: usize,
    cand: &PssCandidate,
    replica: &[Complex32],
) -> RefinedPss {
    let fs = crate::lte::SEARCH_RATE_HZ;
    let x = &x_all[..window.min(x_all.len())];
    let mut cfo = cand.cfo_hz;
    let mut best = (cand.offset as i64, -1.0f32);
    let occ = |off: i64| {
        (0..)
            .map(move |h: i64| off + h * HALF_FRAME_1M92 as i64)
            .take_while(move |&p| p + 128 <= x.len() as i64)
    };
    for dt in -(DEC as i64)..=DEC as i64 {
        let off = (cand.offset as i64 + dt).rem_euclid(HALF_FRAME_1M92 as i64);
        let rot = Derotator::new(cfo, fs);
        let m: f32 = occ(off)
            .filter_map(|p| correlate_at(x, p, replica, &rot))
            .map(|c| c.full.norm_sqr())
            .sum();
        if m > best.1 {
            best = (off, m);
        }
    }
    let off = best.0;
    let occ = |off: i64| {
        (0..)
            .map(move |h: i64| off + h * HALF_FRAME_1M92 as i64)
            .take_while(move |&p| p + 128 <= x_all.len() as i64)
    };
    for _ in 0..2 {
        let rot = Derotator::new(cfo, fs);
        let acc: Complex32 = occ(off)
            .filter_map(|p| correlate_at(x, p, replica, &rot))
            .map(|c| c.second * c.first.conj())
            .sum();
        cfo += cfo_from_halves(acc, FFT_1M92 / 2, fs);
    }
    let rot = Derotator::new(cfo, fs);
    let (mut q, mut n) = (0.0f32, 0usize);
    for c in occ(off).filter_map(|p| correlate_at(x, p, replica, &rot)) {
        if c.energy > 0.0 {
            q += c.full.norm_sqr() / c.energy;
        }
        n += 1;
    }
    RefinedPss {
        offset: off as usize,
        cfo_hz: cfo,
        occurrences: n,
        quality: if n > 0 { q / n as f32 } else { 0.0 },
    }
}

/// PSS timing tracked over a whole recording: `position(h) = intercept + period·h`
/// for the h-th half frame, a weighted least-squares line through the
/// per-half-frame peaks (re-estimated every 5 ms, so sample-clock drift is followed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PssTrack {
    /// Fitted position of occurrence 0.
    pub intercept: f64,
    /// Fitted samples per half frame (9600 without drift).
    pub period: f64,
    /// Occurrences measured.
    pub points: usize,
}

impl PssTrack {
    /// Sample-clock drift in ppm (positive: the recording runs slow, periods are longer).
    pub fn drift_ppm(&self) -> f64 {
        (self.period / HALF_FRAME_1M92 as f64 - 1.0) * 1e6
    }

    /// Fitted PSS position of half frame `h` (may be negative).
    pub fn position(&self, h: i64) -> f64 {
        self.intercept + self.period * h as f64
    }
}

/// Largest drift accepted by [`track`]; beyond it the nominal period is kept.
pub const MAX_DRIFT_PPM: f64 = 200.0;

/// Re-measures the PSS peak near every expected position (±2 samples, parabolic
/// interpolation) and fits a line.
pub fn track(x: &[Complex32], offset: usize, cfo_hz: f64, replica: &[Complex32]) -> PssTrack {
    let rot = Derotator::new(cfo_hz, crate::lte::SEARCH_RATE_HZ);
    let nominal = HALF_FRAME_1M92 as f64;
    let mut pred = offset as f64;
    let (mut sw, mut sh, mut sp, mut shh, mut shp) = (0.0f64, 0.0, 0.0, 0.0, 0.0);
    let mut points = 0;
    let mut h = 0i64;
    while pred + 140.0 < x.len() as f64 {
        let c0 = pred.round() as i64;
        let m: Vec<(f32, f32)> = (-3..=3)
            .map(|d| {
                correlate_at(x, c0 + d, replica, &rot)
                    .map_or((0.0, 0.0), |c| (c.full.norm_sqr(), c.energy))
            })
            .collect();
        if let Some((i, &(v, e))) = m
            .iter()
            .enumerate()
            .skip(1)
            .take(5)
            .max_by(|a, b| a.1 .0.total_cmp(&b.1 .0))
        {
            if v > 0.0 && e > 0.0 {
                let (l, r) = (m[i - 1].0, m[i + 1].0);
                let den = l - 2.0 * v + r;
                let frac = if den < 0.0 {
                    (0.5 * (l - r) / den).clamp(-0.5, 0.5)
                } else {
                    0.0
                };
                let pos = (c0 + i as i64 - 3) as f64 + f64::from(frac);
                let w = f64::from(v / e);
                if w.is_finite() && w > 0.0 {
                    sw += w;
                    sh += w * h as f64;
                    sp += w * pos;
                    shh += w * (h * h) as f64;
                    shp += w * h as f64 * pos;
                    points += 1;
                    // Follow the measurement only when it is convincing.
                    if w > 0.2 {
                        pred = pos;
                    }
                }
            }
        }
        pred += nominal;
        h += 1;
    }
    let det = sw * shh - sh * sh;
    if points >= 2 && det > 1e-9 * sw * sw {
        let b = (sw * shp - sh * sp) / det;
        let a = (sp - b * sh) / sw;
        if ((b / nominal - 1.0) * 1e6).abs() <= MAX_DRIFT_PPM && a.is_finite() {
            return PssTrack {
                intercept: a,
                period: b,
                points,
            };
        }
    }
    let a = if sw > 0.0 {
        (sp - nominal * sh) / sw
    } else {
        offset as f64
    };
    PssTrack {
        intercept: if a.is_finite() { a } else { offset as f64 },
        period: nominal,
        points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_hand_values() {
        let d = pss_sequence(0);
        // n = 0 → phase 0; n = 1 → -π·25·2/63.
        assert!((d[0] - Complex32::new(1.0, 0.0)).norm() < 1e-6);
        let ph = -std::f64::consts::PI * 50.0 / 63.0;
        assert!((d[1] - Complex32::new(ph.cos() as f32, ph.sin() as f32)).norm() < 1e-6);
        // n = 31 uses (n+1)(n+2) = 32·33.
        let ph = -std::f64::consts::PI * f64::from((25 * 32 * 33) % 126) / 63.0;
        assert!((d[31] - Complex32::new(ph.cos() as f32, ph.sin() as f32)).norm() < 1e-5);
        for n in [0u8, 1, 2] {
            let t = pss_time(n, 128);
            let e: f32 = t.iter().map(|c| c.norm_sqr()).sum();
            assert!((e - 1.0).abs() < 1e-4);
        }
        // Roots are nearly orthogonal.
        let a = pss_time(0, 128);
        let b = pss_time(1, 128);
        let c: Complex32 = a.iter().zip(&b).map(|(x, y)| x * y.conj()).sum();
        assert!(c.norm() < 0.3);
    }
}
