//! Primary synchronisation signal, TS 36.211 §6.11.1: sequence generation and
//! a frequency-hypothesis PSS search.
//!
//! `d_u(n) = e^{-jπ u n(n+1)/63}` (n = 0..30) and `e^{-jπ u (n+1)(n+2)/63}`
//! (n = 31..61), roots u = 25, 29, 34 for N_ID^(2) = 0, 1, 2 (Table 6.11.1.1-1),
//! mapped to `k = n − 31 + N_RB·12/2` (§6.11.1.2), i.e. central subcarriers
//! `k' = n + 5`. FDD: last symbol of slots 0 and 10; TDD: third symbol of
//! subframes 1 and 6.
//!
//! The search decimates the 1.92 Msps input by two and estimates the fractional
//! frequency offset (modulo the 15 kHz subcarrier spacing) from the cyclic
//! prefix (§6.12, [`CpEstimate`]). If that estimate is reliable the decimated
//! input is derotated by it and only integer offsets (multiples of 15 kHz within
//! `max_cfo_hz`) remain as hypotheses; otherwise a `cfo_step_hz` grid covers
//! integer and fractional offsets. The input is correlated with the three
//! 64-sample PSS replicas at every hypothesis by overlap-save FFT filtering (one
//! forward FFT per block shared by all roots and hypotheses), and `|corr|²` is
//! accumulated non-coherently modulo the 5 ms PSS period. After a cell has been
//! subtracted, [`PssSearcher::update`] recomputes only the correlation outputs
//! that depend on changed samples. [`refine`] then fixes timing at 1.92 Msps and
//! the CFO from the phase difference of the PSS halves.

use super::cfo::{cfo_from_halves, Derotator};
use crate::lte::grid::{Numerology, FFT_1M92, HALF_FRAME_1M92, SLOT_1M92};
use crate::lte::{CyclicPrefix, SEARCH_RATE_HZ, SUBCARRIER_SPACING_HZ};
use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Zadoff–Chu roots for N_ID^(2) = 0, 1, 2 (Table 6.11.1.1-1).
pub const PSS_ROOTS: [u32; 3] = [25, 29, 34];

/// The 62-element PSS sequence `d_u(n)`; `n_id_2` above 2 is taken modulo 3.
/// Tabulated on first use from [`pss_sequence_reference`].
pub fn pss_sequence(n_id_2: u8) -> [Complex32; 62] {
    static TABLE: std::sync::OnceLock<[[Complex32; 62]; 3]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| std::array::from_fn(|r| pss_sequence_reference(r as u8)))
        [usize::from(n_id_2 % 3)]
}

/// `d_u(n)` computed from its definition (TS 36.211 §6.11.1.1).
pub fn pss_sequence_reference(n_id_2: u8) -> [Complex32; 62] {
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
/// Sample rate of the search.
const FS_DEC: f64 = SEARCH_RATE_HZ / DEC as f64;
/// Slot length at the search rate (the CP pattern repeats every slot).
const SLOT_DEC: usize = SLOT_1M92 / DEC;
/// Largest |CFO| the searcher accepts in its configuration (Hz).
pub const MAX_CFO_LIMIT_HZ: f64 = 100e3;
/// CP correlation z-score (|Σ|² over its noise variance, exponential under noise)
/// above which the fractional CFO from the cyclic prefix is trusted; 960 timing and
/// CP hypotheses put the largest noise value near 7, a loaded cell at −6 dB SNR
/// gives about 100 over 20 ms.
pub const CP_MIN_Z: f32 = 20.0;
/// Margin (Hz) beyond `max_cfo_hz` of the integer hypotheses searched after a CP lock.
const CP_MODE_MARGIN_HZ: f64 = 1e3;

/// Fractional carrier frequency offset from the cyclic prefix: every OFDM symbol's
/// CP repeats its last samples one useful symbol (128 samples at 1.92 Msps, 1/15 kHz)
/// later (TS 36.211 §6.12), so `x(n)·conj(x(n+128))` has the phase `−2π·f/15 kHz`
/// in the CP. The products are folded modulo a slot (960 samples, the CP pattern's
/// period for normal and extended CP) and summed over the CP positions of each slot
/// timing; the timing-independent mean (noise, tones, DC) is removed first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpEstimate {
    /// Frequency offset modulo 15 kHz, in [−7.5, 7.5] kHz.
    pub frac_hz: f64,
    /// `|Σ|²` over its noise variance at the best timing (exponential with mean 1
    /// under noise).
    pub z: f32,
    /// Slot start modulo a slot, in samples at 1.92 Msps (even; ±1 sample).
    pub slot_offset: usize,
    /// The CP type whose pattern fitted best.
    pub cp: CyclicPrefix,
}

/// PSS searcher; `new` plans FFTs and replicas, `search` allocates only its result.
///
/// A search first estimates the fractional CFO from the cyclic prefix
/// ([`CpEstimate`]). When that locks (`z ≥` [`CP_MIN_Z`]) the decimated input is
/// derotated by it and only the integer hypotheses (multiples of 15 kHz) within
/// `max_cfo_hz` are correlated — 3 or 4 per root at ±25 kHz instead of 7; otherwise
/// the full `cfo_step_hz` grid is.
pub struct PssSearcher {
    cfg: PssSearchConfig,
    /// Frequency of each filter (same list for every root).
    filt_cfos: Vec<f64>,
    /// Filters of the fallback grid.
    grid_set: Vec<usize>,
    /// Filters at multiples of 15 kHz.
    int_set: Vec<usize>,
    maxc: f64,
    fwd: Arc<dyn Fft<f32>>,
    inv: Arc<dyn Fft<f32>>,
    /// conj(FFT of replica)/N per (root, filter), `OS_FFT` each, flat.
    filters: Vec<Complex32>,
    taps: [f32; DEC_TAPS],
    dec: Vec<Complex32>,
    /// Odd input samples for the polyphase decimator.
    odd: Vec<Complex32>,
    block: Vec<Complex32>,
    prod: Vec<Complex32>,
    scratch: Vec<Complex32>,
    /// Filters of the last search and the CFO each stands for.
    active: Vec<usize>,
    active_cfo: Vec<f64>,
    /// Derotation applied to `dec` (Hz).
    frac_hz: f64,
    cp_est: Option<CpEstimate>,
    /// Decimated samples of the last search.
    m_len: usize,
    /// |corr|² accumulated modulo the period, per (root, active hypothesis), flat.
    metric: Vec<f32>,
    fold: Vec<Complex32>,
    fold_pow: Vec<f32>,
    order: Vec<usize>,
}

impl std::fmt::Debug for PssSearcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PssSearcher")
            .field("cfg", &self.cfg)
            .field("active_cfo", &self.active_cfo)
            .field("cp_est", &self.cp_est)
            .finish()
    }
}

/// Removes `rot`'s frequency in place; `start` is the absolute index of `buf[0]`.
fn derotate_in_place(buf: &mut [Complex32], start: i64, rot: &Derotator) {
    let mut tmp = [Complex32::default(); 1024];
    for (c, chunk) in buf.chunks_mut(1024).enumerate() {
        let t = &mut tmp[..chunk.len()];
        rot.apply(chunk, start + (c * 1024) as i64, t);
        chunk.copy_from_slice(t);
    }
}

/// Σ v in f64, with eight f32 lanes per chunk of 64 (the lanes let the
/// compiler vectorise; a chunk's f32 partial sums lose nothing that matters here).
fn sum_f32(v: &[f32]) -> f64 {
    let mut total = 0.0f64;
    let mut chunks = v.chunks_exact(64);
    for c in &mut chunks {
        let mut lanes = [0f32; 8];
        for k in c.chunks_exact(8) {
            for (l, &x) in lanes.iter_mut().zip(k) {
                *l += x;
            }
        }
        total += lanes.iter().map(|&l| f64::from(l)).sum::<f64>();
    }
    total
        + chunks
            .remainder()
            .iter()
            .map(|&x| f64::from(x))
            .sum::<f64>()
}

/// The largest value (0 for an empty slice or all values ≤ 0; NaN ignored).
fn max_f32(v: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let mut chunks = v.chunks_exact(8);
    for c in &mut chunks {
        for (l, &x) in lanes.iter_mut().zip(c) {
            *l = if x > *l { x } else { *l };
        }
    }
    chunks
        .remainder()
        .iter()
        .chain(&lanes)
        .fold(0.0f32, |a, &x| if x > a { x } else { a })
}

/// `met[i] += sign·|p[i]|²`.
fn accumulate(met: &mut [f32], p: &[Complex32], sign: f32) {
    for (m, c) in met.iter_mut().zip(p) {
        *m += sign * (c.re * c.re + c.im * c.im);
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
        let maxc = if cfg.max_cfo_hz.is_finite() {
            cfg.max_cfo_hz.clamp(0.0, MAX_CFO_LIMIT_HZ)
        } else {
            25e3
        };
        let nh = (maxc / step + 0.5).floor() as i64;
        let mut filt_cfos: Vec<f64> = (-nh..=nh).map(|i| i as f64 * step).collect();
        let grid_set: Vec<usize> = (0..filt_cfos.len()).collect();
        let kmax = ((maxc + 7.5e3) / 15e3).ceil() as i64;
        let mut int_set = Vec::new();
        for k in -kmax..=kmax {
            let f = k as f64 * 15e3;
            let i = match filt_cfos.iter().position(|&g| (g - f).abs() < 1e-6) {
                Some(i) => i,
                None => {
                    filt_cfos.push(f);
                    filt_cfos.len() - 1
                }
            };
            int_set.push(i);
        }
        let mut planner = FftPlanner::new();
        let fwd = planner.plan_fft_forward(OS_FFT);
        let inv = planner.plan_fft_inverse(OS_FFT);
        let mut filters = Vec::with_capacity(3 * filt_cfos.len() * OS_FFT);
        let mut buf = vec![Complex32::default(); OS_FFT];
        for r in 0..3u8 {
            let rep = pss_time(r, REPLICA);
            for &f in &filt_cfos {
                let rot = Derotator::new(-f, FS_DEC);
                buf.fill(Complex32::default());
                for (i, &v) in rep.iter().enumerate() {
                    buf[i] = v * rot.phasor(i as i64);
                }
                fwd.process(&mut buf);
                filters.extend(buf.iter().map(|v| v.conj() / OS_FFT as f32));
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
        let max_active = grid_set.len().max(int_set.len());
        PssSearcher {
            cfg,
            metric: vec![0.0; 3 * max_active * PERIOD_DEC],
            filt_cfos,
            grid_set,
            int_set,
            maxc,
            fwd,
            inv,
            filters,
            taps,
            dec: Vec::new(),
            odd: Vec::new(),
            block: vec![Complex32::default(); OS_FFT],
            prod: vec![Complex32::default(); OS_FFT],
            scratch: vec![Complex32::default(); scratch_len],
            active: Vec::new(),
            active_cfo: Vec::new(),
            frac_hz: 0.0,
            cp_est: None,
            m_len: 0,
            fold: vec![Complex32::default(); SLOT_DEC],
            fold_pow: vec![0.0; SLOT_DEC],
            order: Vec::new(),
        }
    }

    /// The frequency hypotheses of the last search (Hz); empty before the first.
    pub fn cfo_hypotheses(&self) -> &[f64] {
        &self.active_cfo
    }

    /// The cyclic-prefix estimate of the last search (None when the window was
    /// shorter than a slot plus a symbol).
    pub fn cp_estimate(&self) -> Option<CpEstimate> {
        self.cp_est
    }

    /// Low-pass and decimate around input sample `DEC·m`; non-finite input counts
    /// as zero.
    fn decimate_at(taps: &[f32; DEC_TAPS], x: &[Complex32], m: usize) -> Complex32 {
        let mut acc = Complex32::default();
        let c = DEC * m;
        if c >= DEC_HALF && c + DEC_HALF < x.len() {
            let w = &x[c - DEC_HALF..=c + DEC_HALF];
            // Half-band: taps at odd distance from the centre only, plus the centre.
            acc = w[DEC_HALF] * taps[DEC_HALF];
            for i in (1..=DEC_HALF).step_by(2) {
                acc += (w[DEC_HALF - i] + w[DEC_HALF + i]) * taps[DEC_HALF + i];
            }
        } else {
            for (i, &t) in taps.iter().enumerate() {
                if let Some(&s) = (c + i).checked_sub(DEC_HALF).and_then(|j| x.get(j)) {
                    acc += s * t;
                }
            }
        }
        if acc.re.is_finite() && acc.im.is_finite() {
            acc
        } else {
            Complex32::default()
        }
    }

    /// `out[i]` = decimated sample `m0 + i` ([`Self::decimate_at`], the reference).
    /// Over the samples whose filter span lies inside `x` it runs polyphase: the odd
    /// input samples (the only ones the half-band's outer taps touch) are gathered
    /// into `odd`, then each tap pair is one contiguous, vectorisable pass; the
    /// operation order per output is the reference's, so the results are identical.
    fn decimate_range(
        taps: &[f32; DEC_TAPS],
        x: &[Complex32],
        out: &mut [Complex32],
        m0: usize,
        odd: &mut Vec<Complex32>,
    ) {
        // Interior: DEC·m ≥ DEC_HALF and DEC·m + DEC_HALF < x.len().
        let lo = DEC_HALF.div_ceil(DEC);
        let hi = if x.len() > DEC_HALF {
            (x.len() - DEC_HALF - 1) / DEC + 1
        } else {
            0
        };
        let a = lo.clamp(m0, m0 + out.len());
        let b = hi.clamp(a, m0 + out.len());
        for (i, o) in out.iter_mut().enumerate() {
            let m = m0 + i;
            if m < a || m >= b {
                *o = Self::decimate_at(taps, x, m);
            }
        }
        if a == b {
            return;
        }
        // x[2m − d] = odd[m − (d+1)/2 − base], x[2m + d] = odd[m + (d−1)/2 − base]
        // for odd d ≤ DEC_HALF, with odd[j] = x[2(base + j) + 1].
        const BELOW: usize = DEC_HALF.div_ceil(2);
        const ABOVE: usize = DEC_HALF / 2;
        let base = a - BELOW;
        odd.clear();
        odd.extend((base..b + ABOVE).map(|m| x[DEC * m + 1]));
        let inner = &mut out[a - m0..b - m0];
        let n = inner.len();
        let centre = taps[DEC_HALF];
        for (i, o) in inner.iter_mut().enumerate() {
            *o = x[DEC * (a + i)] * centre;
        }
        for d in (1..=DEC_HALF).step_by(2) {
            let t = taps[DEC_HALF + d];
            let left = &odd[BELOW - d.div_ceil(2)..][..n];
            let right = &odd[BELOW + (d - 1) / 2..][..n];
            for ((o, &l), &r) in inner.iter_mut().zip(left).zip(right) {
                *o += (l + r) * t;
            }
        }
        for o in inner.iter_mut() {
            if !(o.re.is_finite() && o.im.is_finite()) {
                *o = Complex32::default();
            }
        }
    }

    /// Searches the first `window` samples of `x` (1.92 Msps; non-finite samples
    /// count as zero). Needs at least one PSS period plus a symbol to find anything.
    pub fn search(&mut self, x: &[Complex32], window: usize) -> PssSearch {
        self.search_mode(x, window, None)
    }

    /// As [`Self::search`], with the CFO handling forced: `Some(Some(f))` derotates by
    /// `f` and searches the integer hypotheses, `Some(None)` searches the full grid,
    /// `None` decides from the cyclic prefix.
    fn search_mode(
        &mut self,
        x: &[Complex32],
        window: usize,
        force: Option<Option<f64>>,
    ) -> PssSearch {
        let x = &x[..window.min(x.len())];
        let m_len = x.len() / DEC;
        self.m_len = m_len;
        self.dec.clear();
        self.dec.resize(m_len, Complex32::default());
        Self::decimate_range(&self.taps, x, &mut self.dec, 0, &mut self.odd);
        self.active.clear();
        self.active_cfo.clear();
        self.frac_hz = 0.0;
        self.cp_est = None;
        if m_len < REPLICA + 1 {
            return PssSearch::NotFound {
                best_peak_to_mean: 0.0,
            };
        }
        self.cp_est = self.estimate_cp();
        let frac = match force {
            Some(f) => f,
            None => self.cp_est.filter(|e| e.z >= CP_MIN_Z).map(|e| e.frac_hz),
        };
        match frac {
            Some(frac) if frac.is_finite() => {
                self.frac_hz = frac;
                derotate_in_place(&mut self.dec, 0, &Derotator::new(frac, FS_DEC));
                let mut nearest = (f64::INFINITY, 0usize);
                for &i in &self.int_set {
                    let f = frac + self.filt_cfos[i];
                    if f.abs() < nearest.0 {
                        nearest = (f.abs(), i);
                    }
                    if f.abs() <= self.maxc + CP_MODE_MARGIN_HZ {
                        self.active.push(i);
                    }
                }
                if self.active.is_empty() {
                    self.active.push(nearest.1);
                }
            }
            _ => self.active.extend_from_slice(&self.grid_set),
        }
        let frac = self.frac_hz;
        self.active_cfo
            .extend(self.active.iter().map(|&i| frac + self.filt_cfos[i]));
        let na = self.active.len();
        self.metric[..3 * na * PERIOD_DEC].fill(0.0);
        self.correlate(0, m_len - REPLICA + 1, 1.0);
        self.candidates()
    }

    /// Re-searches after `x` changed only inside the sample ranges `changed` (1.92
    /// Msps indices; `x` and `window` as in the previous [`Self::search`]): the
    /// decimated input and the correlation outputs that depend on the changed samples
    /// are recomputed, the rest of the accumulated metric and the CFO hypotheses are
    /// kept. Equals a full search with the previous search's CFO hypotheses; falls
    /// back to a full search when the length differs.
    pub fn update(
        &mut self,
        x: &[Complex32],
        window: usize,
        changed: &[std::ops::Range<usize>],
    ) -> PssSearch {
        let x = &x[..window.min(x.len())];
        let m_len = x.len() / DEC;
        if m_len != self.m_len || self.active.is_empty() || m_len < REPLICA + 1 {
            return self.search(x, window);
        }
        let outputs = m_len - REPLICA + 1;
        // Affected decimated samples and correlation outputs, merged.
        let mut dec_ranges: Vec<(usize, usize)> = changed
            .iter()
            .filter_map(|r| {
                let (a, b) = (r.start.min(x.len()), r.end.min(x.len()));
                (a < b).then(|| {
                    let lo = a.saturating_sub(DEC_HALF) / DEC;
                    let hi = ((b - 1 + DEC_HALF) / DEC + 1).min(m_len);
                    (lo, hi)
                })
            })
            .collect();
        dec_ranges.sort_unstable();
        let merge = |v: Vec<(usize, usize)>| {
            let mut out: Vec<(usize, usize)> = Vec::new();
            for (a, b) in v {
                match out.last_mut() {
                    Some(l) if a <= l.1 => l.1 = l.1.max(b),
                    _ => out.push((a, b)),
                }
            }
            out
        };
        let dec_ranges = merge(dec_ranges);
        let out_ranges = merge(
            dec_ranges
                .iter()
                .map(|&(a, b)| (a.saturating_sub(REPLICA - 1), b.min(outputs)))
                .filter(|(a, b)| a < b)
                .collect(),
        );
        for &(a, b) in &out_ranges {
            self.correlate(a, b, -1.0);
        }
        let rot = Derotator::new(self.frac_hz, FS_DEC);
        for &(a, b) in &dec_ranges {
            Self::decimate_range(&self.taps, x, &mut self.dec[a..b], a, &mut self.odd);
            if self.frac_hz != 0.0 {
                derotate_in_place(&mut self.dec[a..b], a as i64, &rot);
            }
        }
        for &(a, b) in &out_ranges {
            self.correlate(a, b, 1.0);
        }
        let na = self.active.len();
        for v in &mut self.metric[..3 * na * PERIOD_DEC] {
            if *v < 0.0 {
                *v = 0.0;
            }
        }
        self.candidates()
    }

    /// Adds `sign·|corr|²` of correlation outputs `a..b` (decimated indices) of every
    /// root and active hypothesis to the metric, by overlap-save FFT filtering.
    fn correlate(&mut self, a: usize, b: usize, sign: f32) {
        let na = self.active.len();
        let nf = self.filt_cfos.len();
        let mut s = a;
        while s < b {
            for (i, v) in self.block.iter_mut().enumerate() {
                *v = self.dec.get(s + i).copied().unwrap_or_default();
            }
            self.fwd
                .process_with_scratch(&mut self.block, &mut self.scratch);
            let valid = OS_STEP.min(b - s);
            let idx0 = s % PERIOD_DEC;
            let first = valid.min(PERIOD_DEC - idx0);
            for r in 0..3 {
                for (h, &fi) in self.active.iter().enumerate() {
                    let f0 = (r * nf + fi) * OS_FFT;
                    let filt = &self.filters[f0..f0 + OS_FFT];
                    for ((p, &x), &f) in self.prod.iter_mut().zip(&self.block).zip(filt) {
                        *p = x * f;
                    }
                    self.inv
                        .process_with_scratch(&mut self.prod, &mut self.scratch);
                    let met = &mut self.metric[(r * na + h) * PERIOD_DEC..][..PERIOD_DEC];
                    accumulate(&mut met[idx0..idx0 + first], &self.prod[..first], sign);
                    accumulate(&mut met[..valid - first], &self.prod[first..valid], sign);
                }
            }
            s += OS_STEP;
        }
    }

    fn estimate_cp(&mut self) -> Option<CpEstimate> {
        let n = self.m_len.checked_sub(REPLICA)?;
        if n < SLOT_DEC {
            return None;
        }
        self.fold.fill(Complex32::default());
        self.fold_pow.fill(0.0);
        let mut base = 0;
        while base < n {
            let len = SLOT_DEC.min(n - base);
            let a = &self.dec[base..base + len];
            let b = &self.dec[base + REPLICA..base + REPLICA + len];
            for (((f, p), &u), &v) in self.fold.iter_mut().zip(&mut self.fold_pow).zip(a).zip(b) {
                *f += u * v.conj();
                *p += u.norm_sqr() * v.norm_sqr();
            }
            base += SLOT_DEC;
        }
        let mean: Complex32 = self.fold.iter().sum::<Complex32>() / SLOT_DEC as f32;
        // Circular prefix sums over two slots.
        let mut pre_c = [num_complex::Complex64::default(); 2 * SLOT_DEC + 1];
        let mut pre_p = [0f64; 2 * SLOT_DEC + 1];
        for i in 0..2 * SLOT_DEC {
            let c = self.fold[i % SLOT_DEC] - mean;
            pre_c[i + 1] = pre_c[i] + num_complex::Complex64::new(f64::from(c.re), f64::from(c.im));
            pre_p[i + 1] = pre_p[i] + f64::from(self.fold_pow[i % SLOT_DEC]);
        }
        let mut best: Option<(f64, num_complex::Complex64, usize, CyclicPrefix)> = None;
        for cp in [CyclicPrefix::Normal, CyclicPrefix::Extended] {
            let num = Numerology::search(cp);
            let mut wins = [(0usize, 0usize); 7];
            for (l, w) in wins.iter_mut().enumerate().take(cp.symbols_per_slot()) {
                let e = num.useful_offset(l);
                *w = ((e - num.cp_len(l)).div_ceil(DEC), e.div_ceil(DEC));
            }
            let wins = &wins[..cp.symbols_per_slot()];
            for t in 0..SLOT_DEC {
                let mut c = num_complex::Complex64::default();
                let mut v = 0.0f64;
                for &(a, b) in wins {
                    c += pre_c[t + b] - pre_c[t + a];
                    v += pre_p[t + b] - pre_p[t + a];
                }
                if v > 0.0 {
                    let z = c.norm_sqr() / v;
                    if z.is_finite() && best.is_none_or(|b| z > b.0) {
                        best = Some((z, c, t, cp));
                    }
                }
            }
        }
        let (z, c, t, cp) = best?;
        let frac_hz = -c.arg() / std::f64::consts::TAU * SUBCARRIER_SPACING_HZ;
        Some(CpEstimate {
            frac_hz: if frac_hz.is_finite() { frac_hz } else { 0.0 },
            z: z as f32,
            slot_offset: DEC * t,
            cp,
        })
    }

    fn candidates(&mut self) -> PssSearch {
        let na = self.active.len();
        let mut out = Vec::new();
        let mut best_ratio = 0.0f32;
        for r in 0..3usize {
            let mets = &self.metric[r * na * PERIOD_DEC..(r + 1) * na * PERIOD_DEC];
            // Mean over all offsets and hypotheses of this root.
            let mean = sum_f32(mets) / mets.len() as f64;
            if !(mean.is_finite() && mean > 0.0) {
                continue;
            }
            let ratio = |v: f32| (f64::from(v) / mean) as f32;
            best_ratio = best_ratio.max(ratio(max_f32(mets)));
            // (hypothesis, offset) pairs above the threshold, strongest first. A pair
            // suppresses the weaker ones within ±3 decimated samples (circular) whose
            // frequency is less than a subcarrier away (the same peak seen by a
            // neighbouring fractional hypothesis). Hypotheses a whole number of
            // subcarriers apart are not suppressed: the Zadoff–Chu time–frequency
            // coupling puts a cell's "ghost" peaks there, tens of samples away or —
            // for a 5-subcarrier shift — almost on top of the true one, and sometimes
            // stronger. They all stay candidates and the SSS tells them apart.
            self.order.clear();
            let min = self.cfg.min_peak_to_mean;
            // Coarse pre-filter in f32 (a little below the threshold), exact test after.
            let pre = (f64::from(min) * mean * 0.999) as f32;
            self.order
                .extend((0..mets.len()).filter(|&i| mets[i] >= pre && ratio(mets[i]) >= min));
            self.order
                .sort_unstable_by(|&a, &b| mets[b].total_cmp(&mets[a]).then(b.cmp(&a)));
            let first = out.len();
            for &i in &self.order {
                if out.len() - first >= self.cfg.max_candidates_per_root {
                    break;
                }
                let (h, n) = (i / PERIOD_DEC, i % PERIOD_DEC);
                let cfo = self.active_cfo[h];
                let near = out[first..].iter().any(|c: &PssCandidate| {
                    let d = (c.offset / DEC + PERIOD_DEC - n) % PERIOD_DEC;
                    (d <= 3 || d >= PERIOD_DEC - 3)
                        && (c.cfo_hz - cfo).abs() < 0.9 * SUBCARRIER_SPACING_HZ
                });
                if near {
                    continue;
                }
                out.push(PssCandidate {
                    n_id_2: r as u8,
                    offset: DEC * n,
                    cfo_hz: cfo,
                    peak_to_mean: ratio(mets[i]),
                });
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
        let m: [(f32, f32); 7] = std::array::from_fn(|i| {
            correlate_at(x, c0 + i as i64 - 3, replica, &rot)
                .map_or((0.0, 0.0), |c| (c.full.norm_sqr(), c.energy))
        });
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
        for n in 0..6u8 {
            assert_eq!(pss_sequence(n), pss_sequence_reference(n));
        }
        // Roots are nearly orthogonal.
        let a = pss_time(0, 128);
        let b = pss_time(1, 128);
        let c: Complex32 = a.iter().zip(&b).map(|(x, y)| x * y.conj()).sum();
        assert!(c.norm() < 0.3);
    }

    use crate::lte::tx::channel::{add_awgn, add_awgn_snr, apply_cfo, Rng};
    use crate::lte::tx::{LteTransmitter, LteTxConfig};

    fn cell_signal(
        pci: u16,
        cfo_hz: f64,
        snr_db: f64,
        subframes: usize,
        seed: u64,
    ) -> Vec<Complex32> {
        let mut tx = LteTransmitter::new(LteTxConfig {
            pci,
            nof_prb: 50,
            ..Default::default()
        })
        .expect("valid config");
        let mut x = tx.generate(subframes);
        x.rotate_right(1234);
        apply_cfo(&mut x, cfo_hz, SEARCH_RATE_HZ, 0.7);
        add_awgn_snr(&mut x, snr_db, &mut Rng::new(seed));
        x
    }

    fn noise(n: usize, seed: u64) -> Vec<Complex32> {
        let mut x = vec![Complex32::default(); n];
        add_awgn(&mut x, 1.0, &mut Rng::new(seed));
        x
    }

    #[test]
    fn decimation_fast_path_equals_reference() {
        let p = PssSearcher::new(PssSearchConfig::default());
        for (n, m0, len) in [
            (2001usize, 0usize, 1000usize),
            (2001, 3, 17),
            (2001, 990, 10),
            (2001, 995, 10),
            (2000, 0, 1000),
            (2000, 985, 15),
            (20, 0, 10),
            (5, 0, 2),
        ] {
            let x = noise(n, 5);
            let mut out = vec![Complex32::default(); len];
            PssSearcher::decimate_range(&p.taps, &x, &mut out, m0, &mut Vec::new());
            for (i, o) in out.iter().enumerate() {
                assert_eq!(
                    *o,
                    PssSearcher::decimate_at(&p.taps, &x, m0 + i),
                    "m {}",
                    m0 + i
                );
            }
        }
    }

    /// The overlap-save FFT metric equals |Σ dec·conj(replica)|² computed directly,
    /// folded modulo the half frame, for every root and hypothesis (grid and CP mode).
    #[test]
    fn fft_metric_equals_direct_correlation() {
        let x = noise(11_000, 6);
        for force in [Some(None), Some(Some(2_345.0))] {
            let mut p = PssSearcher::new(PssSearchConfig::default());
            p.search_mode(&x, x.len(), force);
            let na = p.active.len();
            assert!(na >= 3);
            let nf = p.filt_cfos.len();
            let outputs = p.m_len - REPLICA + 1;
            let mut max_err = 0.0f64;
            let mut max_val = 0.0f64;
            for r in 0..3u8 {
                let rep = pss_time(r, REPLICA);
                for (h, &fi) in p.active.iter().enumerate() {
                    let rot = Derotator::new(-p.filt_cfos[fi], FS_DEC);
                    let filt: Vec<Complex32> = rep
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| v * rot.phasor(i as i64))
                        .collect();
                    let mut want = vec![0f64; PERIOD_DEC];
                    for o in 0..outputs {
                        let c: Complex32 =
                            (0..REPLICA).map(|i| p.dec[o + i] * filt[i].conj()).sum();
                        want[o % PERIOD_DEC] += f64::from(c.norm_sqr());
                    }
                    let got = &p.metric[(usize::from(r) * na + h) * PERIOD_DEC..][..PERIOD_DEC];
                    for (g, w) in got.iter().zip(&want) {
                        max_err = max_err.max((f64::from(*g) - w).abs());
                        max_val = max_val.max(*w);
                    }
                    let _ = nf;
                }
            }
            assert!(max_err < 1e-4 * max_val, "{max_err} vs {max_val}");
        }
    }

    #[test]
    fn cp_estimate_recovers_fractional_offset_and_ignores_tones() {
        for (cfo, snr) in [(11_300.0, 0.0), (-3_000.0, -6.0), (52_000.0, 3.0)] {
            let x = cell_signal(77, cfo, snr, 20, 1);
            let mut p = PssSearcher::new(PssSearchConfig {
                max_cfo_hz: 80e3,
                ..Default::default()
            });
            let r = p.search(&x, 38_400);
            let e = p.cp_estimate().expect("estimate");
            assert!(e.z >= CP_MIN_Z, "cfo {cfo}: z {}", e.z);
            let want = cfo - (cfo / 15e3).round() * 15e3;
            let d = (e.frac_hz - want + 7.5e3).rem_euclid(15e3) - 7.5e3;
            assert!(d.abs() < 400.0, "cfo {cfo}: frac {} want {want}", e.frac_hz);
            assert_eq!(e.cp, CyclicPrefix::Normal);
            // The integer hypothesis holding the cell is searched, and the cell found.
            assert!(p.cfo_hypotheses().iter().any(|f| (f - cfo).abs() < 400.0));
            let PssSearch::Found { candidates } = r else {
                panic!("cfo {cfo}: not found")
            };
            assert_eq!(candidates[0].n_id_2, 77 % 3);
            assert!((candidates[0].cfo_hz - cfo).abs() < 400.0);
        }
        // Noise, and noise with a strong DC offset and a tone: no CP lock.
        let mut x = noise(38_400, 2);
        let mut p = PssSearcher::new(PssSearchConfig::default());
        p.search(&x, x.len());
        assert!(p.cp_estimate().unwrap().z < CP_MIN_Z);
        assert_eq!(p.cfo_hypotheses().len(), 7);
        for (n, v) in x.iter_mut().enumerate() {
            let ph = std::f64::consts::TAU * 3_210.0 * n as f64 / SEARCH_RATE_HZ;
            *v += Complex32::new(20.0, -5.0) + Complex32::from_polar(10.0, ph as f32);
        }
        p.search(&x, x.len());
        assert!(
            p.cp_estimate().unwrap().z < CP_MIN_Z,
            "{:?}",
            p.cp_estimate()
        );
    }

    /// An incremental update after a local change equals a full search of the changed
    /// input with the same CFO hypotheses.
    #[test]
    fn update_equals_full_search() {
        let mut x = cell_signal(150, 6_000.0, 0.0, 40, 3);
        let other = cell_signal(31, 6_100.0, -3.0, 40, 4);
        let window = 38_400;
        let mut inc = PssSearcher::new(PssSearchConfig::default());
        inc.search(&x, window);
        let frac = inc.frac_hz;
        assert!(frac != 0.0);
        // Change three regions (one straddling the window's end, one at the start).
        let changed = [0..300usize, 10_000..10_700, 38_000..39_000];
        for r in &changed {
            for i in r.clone() {
                x[i] = other[i] * 3.0 - x[i];
            }
        }
        let a = inc.update(&x, window, &changed);
        let mut full = PssSearcher::new(PssSearchConfig::default());
        let b = full.search_mode(&x, window, Some(Some(frac)));
        assert_eq!(inc.active, full.active);
        let n = 3 * inc.active.len() * PERIOD_DEC;
        let max = full.metric[..n].iter().fold(0f32, |a, &b| a.max(b));
        for (u, v) in inc.metric[..n].iter().zip(&full.metric[..n]) {
            assert!((u - v).abs() <= 1e-4 * max, "{u} {v} (max {max})");
        }
        let key = |r: &PssSearch| match r {
            PssSearch::Found { candidates } => candidates
                .iter()
                .map(|c| (c.n_id_2, c.offset))
                .collect::<Vec<_>>(),
            PssSearch::NotFound { .. } => Vec::new(),
        };
        assert_eq!(key(&a), key(&b));
        // A length change falls back to a full search.
        let c = inc.update(&x[..30_000], window, &changed);
        assert_eq!(inc.m_len, 15_000);
        let d = full.search(&x[..30_000], window);
        assert_eq!(key(&c), key(&d));
    }
}
