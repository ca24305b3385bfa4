//! The LTE turbo code, TS 36.212 §5.1.3.2: a parallel concatenation of two
//! 8-state recursive systematic convolutional encoders (transfer function
//! G(D) = [1, g1(D)/g0(D)], g0 = 13, g1 = 15 octal) joined by the quadratic
//! permutation polynomial (QPP) interleaver of §5.1.3.2.3 (Table 5.1.3-3), with
//! trellis termination by 12 tail bits (§5.1.3.2.2).
//!
//! Streams follow the specification: the encoder turns K bits `c` into three
//! streams `d(0)`, `d(1)`, `d(2)` of K + 4 bits each (systematic, parity of
//! the first encoder, parity of the second), the tail bits laid out over the
//! last four positions of each stream as §5.1.3.2.2 lists them. The decoder
//! takes the same three streams as LLRs (`ln P(0)/P(1)`, positive = bit 0).
//!
//! Decoding is iterative max-log-MAP (BCJR in the max-log domain) with the
//! extrinsic information scaled by [`TurboConfig::extrinsic_scale`] (0.7 by
//! default, recovering most of the gap to log-MAP), a maximum iteration count
//! and early stopping when a caller's check (a CRC) passes. [`TurboDecoder`]
//! allocates in `new` and never in `decode`. [`TurboAlgorithm::MaxLog`] is the
//! fast path (radix-2 butterflies on fixed arrays); [`TurboAlgorithm::MaxLogReference`]
//! is a plain per-transition trellis walk it is tested equal to bit for bit, and
//! [`TurboAlgorithm::LogMapReference`] the exact log-MAP (Jacobian logarithm).

/// Number of trellis states of each constituent encoder.
const STATES: usize = 8;
/// LLR magnitude that stands for "known bit" (filler bits).
pub const KNOWN_BIT_LLR: f32 = 64.0;

/// TS 36.212 Table 5.1.3-3: the 188 turbo code block sizes K with their QPP
/// interleaver parameters f1, f2.
#[rustfmt::skip]
pub const QPP_TABLE: [(u16, u16, u16); 188] = [
    (40, 3, 10), (48, 7, 12), (56, 19, 42), (64, 7, 16), (72, 7, 18), (80, 11, 20),
    (88, 5, 22), (96, 11, 24), (104, 7, 26), (112, 41, 84), (120, 103, 90), (128, 15, 32),
    (136, 9, 34), (144, 17, 108), (152, 9, 38), (160, 21, 120), (168, 101, 84), (176, 21, 44),
    (184, 57, 46), (192, 23, 48), (200, 13, 50), (208, 27, 52), (216, 11, 36), (224, 27, 56),
    (232, 85, 58), (240, 29, 60), (248, 33, 62), (256, 15, 32), (264, 17, 198), (272, 33, 68),
    (280, 103, 210), (288, 19, 36), (296, 19, 74), (304, 37, 76), (312, 19, 78), (320, 21, 120),
    (328, 21, 82), (336, 115, 84), (344, 193, 86), (352, 21, 44), (360, 133, 90), (368, 81, 46),
    (376, 45, 94), (384, 23, 48), (392, 243, 98), (400, 151, 40), (408, 155, 102), (416, 25, 104),
    (424, 51, 106), (432, 47, 72), (440, 91, 110), (448, 29, 168), (456, 29, 114), (464, 247, 58),
    (472, 29, 118), (480, 89, 180), (488, 91, 122), (496, 157, 62), (504, 55, 84), (512, 31, 64),
    (528, 17, 66), (544, 35, 68), (560, 227, 420), (576, 65, 96), (592, 19, 74), (608, 37, 76),
    (624, 41, 234), (640, 39, 80), (656, 185, 82), (672, 43, 252), (688, 21, 86), (704, 155, 44),
    (720, 79, 120), (736, 139, 92), (752, 23, 94), (768, 217, 48), (784, 25, 98), (800, 17, 80),
    (816, 127, 102), (832, 25, 52), (848, 239, 106), (864, 17, 48), (880, 137, 110), (896, 215, 112),
    (912, 29, 114), (928, 15, 58), (944, 147, 118), (960, 29, 60), (976, 59, 122), (992, 65, 124),
    (1008, 55, 84), (1024, 31, 64), (1056, 17, 66), (1088, 171, 204), (1120, 67, 140), (1152, 35, 72),
    (1184, 19, 74), (1216, 39, 76), (1248, 19, 78), (1280, 199, 240), (1312, 21, 82), (1344, 211, 252),
    (1376, 21, 86), (1408, 43, 88), (1440, 149, 60), (1472, 45, 92), (1504, 49, 846), (1536, 71, 48),
    (1568, 13, 28), (1600, 17, 80), (1632, 25, 102), (1664, 183, 104), (1696, 55, 954), (1728, 127, 96),
    (1760, 27, 110), (1792, 29, 112), (1824, 29, 114), (1856, 57, 116), (1888, 45, 354), (1920, 31, 120),
    (1952, 59, 610), (1984, 185, 124), (2016, 113, 420), (2048, 31, 64), (2112, 17, 66), (2176, 171, 136),
    (2240, 209, 420), (2304, 253, 216), (2368, 367, 444), (2432, 265, 456), (2496, 181, 468), (2560, 39, 80),
    (2624, 27, 164), (2688, 127, 504), (2752, 143, 172), (2816, 43, 88), (2880, 29, 300), (2944, 45, 92),
    (3008, 157, 188), (3072, 47, 96), (3136, 13, 28), (3200, 111, 240), (3264, 443, 204), (3328, 51, 104),
    (3392, 51, 212), (3456, 451, 192), (3520, 257, 220), (3584, 57, 336), (3648, 313, 228), (3712, 271, 232),
    (3776, 179, 236), (3840, 331, 120), (3904, 363, 244), (3968, 375, 248), (4032, 127, 168), (4096, 31, 64),
    (4160, 33, 130), (4224, 43, 264), (4288, 33, 134), (4352, 477, 408), (4416, 35, 138), (4480, 233, 280),
    (4544, 357, 142), (4608, 337, 480), (4672, 37, 146), (4736, 71, 444), (4800, 71, 120), (4864, 37, 152),
    (4928, 39, 462), (4992, 127, 234), (5056, 39, 158), (5120, 39, 80), (5184, 31, 96), (5248, 113, 902),
    (5312, 41, 166), (5376, 251, 336), (5440, 43, 170), (5504, 21, 86), (5568, 43, 174), (5632, 45, 176),
    (5696, 45, 178), (5760, 161, 120), (5824, 89, 182), (5888, 323, 184), (5952, 47, 186), (6016, 23, 94),
    (6080, 47, 190), (6144, 263, 480),
];

/// Errors from turbo encoding or decoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TurboError {
    /// K is not one of the 188 block sizes of Table 5.1.3-3.
    #[error("{0} is not a turbo code block size (TS 36.212 Table 5.1.3-3)")]
    BlockSize(usize),
    /// K is larger than the decoder was built for.
    #[error("block size {k} exceeds the decoder's maximum {max_k}")]
    TooLarge {
        /// Requested K.
        k: usize,
        /// `TurboDecoder::new`'s `max_k`.
        max_k: usize,
    },
    /// The three streams or the output do not have the lengths K + 4, K + 4, K + 4, K.
    #[error("stream lengths {d0}/{d1}/{d2} and output {out} do not fit one block size")]
    Length {
        /// Length of d(0).
        d0: usize,
        /// Length of d(1).
        d1: usize,
        /// Length of d(2).
        d2: usize,
        /// Length of the output.
        out: usize,
    },
}

/// The (f1, f2) of block size `k`, or `None` if `k` is not in Table 5.1.3-3.
pub fn qpp_params(k: usize) -> Option<(usize, usize)> {
    let k16 = u16::try_from(k).ok()?;
    QPP_TABLE
        .binary_search_by_key(&k16, |e| e.0)
        .ok()
        .map(|i| (usize::from(QPP_TABLE[i].1), usize::from(QPP_TABLE[i].2)))
}

/// Whether `k` is a turbo code block size.
pub fn is_block_size(k: usize) -> bool {
    qpp_params(k).is_some()
}

/// The smallest block size ≥ `b` (TS 36.212 §5.1.2 K+ search), or `None` above 6144.
pub fn block_size_at_least(b: usize) -> Option<usize> {
    QPP_TABLE.iter().map(|e| usize::from(e.0)).find(|&k| k >= b)
}

/// The largest block size < `k` (TS 36.212 §5.1.2 K− search).
pub fn block_size_below(k: usize) -> Option<usize> {
    QPP_TABLE
        .iter()
        .rev()
        .map(|e| usize::from(e.0))
        .find(|&x| x < k)
}

/// Writes the QPP permutation Π(i) = (f1·i + f2·i²) mod K (§5.1.3.2.3) into `out`
/// (cleared first) without allocating when `out` has capacity K.
pub fn qpp_interleaver_into(k: usize, out: &mut Vec<u32>) -> Result<(), TurboError> {
    let (f1, f2) = qpp_params(k).ok_or(TurboError::BlockSize(k))?;
    out.clear();
    // Π(i+1) − Π(i) = f1 + f2·(2i + 1) (mod K): one addition per index.
    let (k, f1, f2) = (k as u32, f1 as u32, f2 as u32);
    let mut pi = 0u32;
    let mut step = (f1 + f2) % k;
    let step2 = (2 * f2) % k;
    for _ in 0..k {
        out.push(pi);
        pi = (pi + step) % k;
        step = (step + step2) % k;
    }
    Ok(())
}

/// The QPP permutation of block size `k` (allocates; see [`qpp_interleaver_into`]).
pub fn qpp_interleaver(k: usize) -> Result<Vec<u32>, TurboError> {
    let mut v = Vec::with_capacity(k);
    qpp_interleaver_into(k, &mut v)?;
    Ok(v)
}

/// One constituent encoder step from state `s` (bit 2 = most recent register)
/// with input `u`: returns (next state, parity bit). g0 = 1 + D² + D³ (feedback),
/// g1 = 1 + D + D³ (parity).
#[inline(always)]
const fn rsc_step(s: usize, u: usize) -> (usize, usize) {
    let (s1, s2, s3) = ((s >> 2) & 1, (s >> 1) & 1, s & 1);
    let a = u ^ s2 ^ s3;
    let z = a ^ s1 ^ s3;
    ((a << 2) | (s1 << 1) | s2, z)
}

/// Runs one constituent encoder over `c`, then terminates it: returns the parity
/// bits (K) and the 3 tail pairs (x, z).
fn rsc_encode(c: &[u8], pi: Option<&[u32]>, parity: &mut Vec<u8>) -> [(u8, u8); 3] {
    let mut s = 0usize;
    parity.clear();
    for i in 0..c.len() {
        let u = usize::from(
            match pi {
                Some(p) => c[p[i] as usize],
                None => c[i],
            } & 1,
        );
        let (ns, z) = rsc_step(s, u);
        parity.push(z as u8);
        s = ns;
    }
    let mut tail = [(0u8, 0u8); 3];
    for t in &mut tail {
        // The input that makes the feedback zero drives the register to state 0.
        let u = ((s >> 1) ^ s) & 1;
        let (ns, z) = rsc_step(s, u);
        *t = (u as u8, z as u8);
        s = ns;
    }
    debug_assert_eq!(s, 0);
    tail
}

/// Turbo-encodes the K bits of `c` (K from Table 5.1.3-3; filler bits are zeros)
/// into the streams d(0), d(1), d(2) of K + 4 bits each (TS 36.212 §5.1.3.2).
pub fn turbo_encode(c: &[u8]) -> Result<[Vec<u8>; 3], TurboError> {
    let k = c.len();
    let pi = qpp_interleaver(k)?;
    let mut p1 = Vec::with_capacity(k + 4);
    let mut p2 = Vec::with_capacity(k + 4);
    let t1 = rsc_encode(c, None, &mut p1);
    let t2 = rsc_encode(c, Some(&pi), &mut p2);
    let mut d0: Vec<u8> = c.iter().map(|b| b & 1).collect();
    let mut d1 = p1;
    let mut d2 = p2;
    // §5.1.3.2.2: x_K z_{K+1} x'_K z'_{K+1} / z_K x_{K+2} z'_K x'_{K+2} / x_{K+1} z_{K+2} x'_{K+1} z'_{K+2}
    d0.extend_from_slice(&[t1[0].0, t1[1].1, t2[0].0, t2[1].1]);
    d1.extend_from_slice(&[t1[0].1, t1[2].0, t2[0].1, t2[2].0]);
    d2.extend_from_slice(&[t1[1].0, t1[2].1, t2[1].0, t2[2].1]);
    Ok([d0, d1, d2])
}

/// Which SISO algorithm the decoder runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TurboAlgorithm {
    /// Max-log-MAP on radix-2 butterflies (the fast path).
    #[default]
    MaxLog,
    /// Max-log-MAP walking every trellis transition (reference for [`Self::MaxLog`]).
    MaxLogReference,
    /// Exact log-MAP with the Jacobian logarithm (reference, slow).
    LogMapReference,
}

/// Decoder settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TurboConfig {
    /// Maximum number of full iterations (each runs both constituent decoders).
    pub max_iterations: usize,
    /// Factor applied to extrinsic LLRs before they become a priori input (1.0 = none).
    pub extrinsic_scale: f32,
    /// SISO algorithm.
    pub algorithm: TurboAlgorithm,
}

impl Default for TurboConfig {
    fn default() -> Self {
        TurboConfig {
            max_iterations: 8,
            extrinsic_scale: 0.7,
            algorithm: TurboAlgorithm::MaxLog,
        }
    }
}

/// What one decode did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurboOutcome {
    /// Full iterations run.
    pub iterations: usize,
    /// Whether the caller's check passed (the decoder stopped early on it).
    pub check_passed: bool,
}

/// Iterative turbo decoder for block sizes up to `max_k`, built once and reused.
#[derive(Debug, Clone)]
pub struct TurboDecoder {
    max_k: usize,
    config: TurboConfig,
    k: usize,
    pi: Vec<u32>,
    alpha: Vec<[f32; STATES]>,
    /// Systematic (+3 tail) and parity (+3 tail) for decoder 1 (natural order) and 2 (interleaved).
    sys1: Vec<f32>,
    par1: Vec<f32>,
    sys2: Vec<f32>,
    par2: Vec<f32>,
    /// Extrinsic of decoder 1 and 2, natural order (the a priori of the other).
    ext1: Vec<f32>,
    ext2: Vec<f32>,
    /// A priori input of decoder 2 (interleaved) and SISO outputs.
    apr2: Vec<f32>,
    post: Vec<f32>,
    app: Vec<f32>,
}

impl TurboDecoder {
    /// A decoder for every block size ≤ `max_k` (clamped to 40..=6144), default settings.
    pub fn new(max_k: usize) -> Self {
        Self::with_config(max_k, TurboConfig::default())
    }

    /// A decoder with the given settings.
    pub fn with_config(max_k: usize, config: TurboConfig) -> Self {
        let max_k = max_k.clamp(40, 6144);
        let n = max_k + 4;
        TurboDecoder {
            max_k,
            config,
            k: 0,
            pi: Vec::with_capacity(max_k),
            alpha: vec![[0.0; STATES]; n],
            sys1: vec![0.0; n],
            par1: vec![0.0; n],
            sys2: vec![0.0; n],
            par2: vec![0.0; n],
            ext1: vec![0.0; n],
            ext2: vec![0.0; n],
            apr2: vec![0.0; n],
            post: vec![0.0; n],
            app: vec![0.0; n],
        }
    }

    /// The settings.
    pub fn config(&self) -> &TurboConfig {
        &self.config
    }

    /// Changes the settings (no reallocation).
    pub fn set_config(&mut self, config: TurboConfig) {
        self.config = config;
    }

    /// The a posteriori LLRs of the K systematic bits from the last decode.
    pub fn llrs(&self) -> &[f32] {
        &self.post[..self.k]
    }

    /// Decodes the LLR streams d(0), d(1), d(2) (K + 4 each) into K hard bits in
    /// `out`, running at most `max_iterations` iterations and stopping as soon as
    /// `check(out)` returns true (pass `|_| false` to always run them all).
    pub fn decode(
        &mut self,
        d0: &[f32],
        d1: &[f32],
        d2: &[f32],
        out: &mut [u8],
        mut check: impl FnMut(&[u8]) -> bool,
    ) -> Result<TurboOutcome, TurboError> {
        let k = out.len();
        if d0.len() != k + 4 || d1.len() != k + 4 || d2.len() != k + 4 {
            return Err(TurboError::Length {
                d0: d0.len(),
                d1: d1.len(),
                d2: d2.len(),
                out: k,
            });
        }
        if k > self.max_k {
            return Err(TurboError::TooLarge {
                k,
                max_k: self.max_k,
            });
        }
        if k != self.k {
            qpp_interleaver_into(k, &mut self.pi)?;
            self.k = k;
        }
        // Demultiplex (§5.1.3.2.2): decoder 1 sees x_k, z_k and its tail; decoder 2
        // sees x_Π(k), z'_k and its own tail.
        for i in 0..k {
            self.sys1[i] = d0[i];
            self.par1[i] = d1[i];
            self.sys2[i] = d0[self.pi[i] as usize];
            self.par2[i] = d2[i];
        }
        let tail1 = [(d0[k], d1[k]), (d2[k], d0[k + 1]), (d1[k + 1], d2[k + 1])];
        let tail2 = [
            (d0[k + 2], d1[k + 2]),
            (d2[k + 2], d0[k + 3]),
            (d1[k + 3], d2[k + 3]),
        ];
        for (j, (&(x1, z1), &(x2, z2))) in tail1.iter().zip(&tail2).enumerate() {
            self.sys1[k + j] = x1;
            self.par1[k + j] = z1;
            self.sys2[k + j] = x2;
            self.par2[k + j] = z2;
        }
        self.ext2[..k].fill(0.0);
        let scale = self.config.extrinsic_scale;
        let algo = self.config.algorithm;
        let mut iterations = 0;
        while iterations < self.config.max_iterations.max(1) {
            iterations += 1;
            // Decoder 1, natural order, a priori = extrinsic of decoder 2.
            siso(
                algo,
                k,
                &self.sys1,
                &self.par1,
                &self.ext2,
                &mut self.alpha,
                &mut self.app,
            );
            for i in 0..k {
                self.ext1[i] = scale * (self.app[i] - self.sys1[i] - self.ext2[i]);
            }
            // Decoder 2, interleaved order.
            for i in 0..k {
                self.apr2[i] = self.ext1[self.pi[i] as usize];
            }
            siso(
                algo,
                k,
                &self.sys2,
                &self.par2,
                &self.apr2,
                &mut self.alpha,
                &mut self.app,
            );
            for i in 0..k {
                let j = self.pi[i] as usize;
                self.ext2[j] = scale * (self.app[i] - self.sys2[i] - self.apr2[i]);
                self.post[j] = self.app[i];
            }
            for (o, &l) in out.iter_mut().zip(&self.post[..k]) {
                *o = u8::from(l < 0.0);
            }
            if check(out) {
                return Ok(TurboOutcome {
                    iterations,
                    check_passed: true,
                });
            }
        }
        Ok(TurboOutcome {
            iterations,
            check_passed: false,
        })
    }
}

/// One soft-in soft-out pass over a K + 3 step terminated trellis: a posteriori
/// LLRs of the K information bits into `app`.
fn siso(
    algo: TurboAlgorithm,
    k: usize,
    sys: &[f32],
    par: &[f32],
    apr: &[f32],
    alpha: &mut [[f32; STATES]],
    app: &mut [f32],
) {
    match algo {
        TurboAlgorithm::MaxLog => siso_max_log_fast(k, sys, par, apr, alpha, app),
        TurboAlgorithm::MaxLogReference => siso_reference(k, sys, par, apr, alpha, app, false),
        TurboAlgorithm::LogMapReference => siso_reference(k, sys, par, apr, alpha, app, true),
    }
}

/// Half the branch metric terms: A = (L_sys + L_apr)/2 and B = L_par/2 at step `t`
/// (a priori is zero on the tail).
#[inline(always)]
fn half_metrics(t: usize, k: usize, sys: &[f32], par: &[f32], apr: &[f32]) -> (f32, f32) {
    let a = if t < k { sys[t] + apr[t] } else { sys[t] };
    (0.5 * a, 0.5 * par[t])
}

/// γ for input u and parity p: ±A ± B (bit 0 ↦ +).
#[inline(always)]
fn gamma(a: f32, b: f32, u: usize, p: usize) -> f32 {
    let ga = if u == 0 { a } else { -a };
    let gb = if p == 0 { b } else { -b };
    ga + gb
}

const NEG: f32 = -1.0e30;

/// The transition table: for state s and input u, (next state, parity).
const TRELLIS: [[(usize, usize); 2]; STATES] = {
    let mut t = [[(0, 0); 2]; STATES];
    let mut s = 0;
    while s < STATES {
        t[s][0] = rsc_step(s, 0);
        t[s][1] = rsc_step(s, 1);
        s += 1;
    }
    t
};

/// Reference SISO: walks all 16 transitions per step (max-log or log-MAP).
fn siso_reference(
    k: usize,
    sys: &[f32],
    par: &[f32],
    apr: &[f32],
    alpha: &mut [[f32; STATES]],
    app: &mut [f32],
    log_map: bool,
) {
    let steps = k + 3;
    let mx = |x: f32, y: f32| -> f32 {
        if log_map {
            jacobian(x, y)
        } else {
            x.max(y)
        }
    };
    let mut a = [NEG; STATES];
    a[0] = 0.0;
    for (t, slot) in alpha.iter_mut().enumerate().take(steps) {
        *slot = a;
        let (ha, hb) = half_metrics(t, k, sys, par, apr);
        let mut n = [NEG; STATES];
        for (s, tr) in TRELLIS.iter().enumerate() {
            for (u, &(ns, p)) in tr.iter().enumerate() {
                n[ns] = mx(n[ns], a[s] + gamma(ha, hb, u, p));
            }
        }
        let norm = n[0];
        for v in &mut n {
            *v -= norm;
        }
        a = n;
    }
    let mut b = [NEG; STATES];
    b[0] = 0.0;
    for t in (0..steps).rev() {
        let (ha, hb) = half_metrics(t, k, sys, par, apr);
        let al = alpha[t];
        let mut l = [NEG; 2];
        let mut n = [NEG; STATES];
        for (s, tr) in TRELLIS.iter().enumerate() {
            for (u, &(ns, p)) in tr.iter().enumerate() {
                let g = gamma(ha, hb, u, p);
                l[u] = mx(l[u], al[s] + g + b[ns]);
                n[s] = mx(n[s], g + b[ns]);
            }
        }
        if t < k {
            app[t] = l[0] - l[1];
        }
        let norm = n[0];
        for v in &mut n {
            *v -= norm;
        }
        b = n;
    }
}

/// ln(eˣ + eʸ).
fn jacobian(x: f32, y: f32) -> f32 {
    let m = x.max(y);
    let d = (x - y).abs();
    if d > 30.0 {
        m
    } else {
        m + (-d).exp().ln_1p()
    }
}

/// Butterfly tables: next state `ns` has predecessors 2·(ns mod 4) + {0, 1};
/// `PRED_G[ns][j]` indexes the γ of that transition in `[γ00, γ01, γ10, γ11]`
/// (input u, parity p as 2u + p).
const PRED_G: [[usize; 2]; STATES] = {
    let mut t = [[0; 2]; STATES];
    let mut ns = 0;
    while ns < STATES {
        let mut j = 0;
        while j < 2 {
            let s = 2 * (ns % 4) + j;
            let mut u = 0;
            while u < 2 {
                let (n2, p) = rsc_step(s, u);
                if n2 == ns {
                    t[ns][j] = 2 * u + p;
                }
                u += 1;
            }
            j += 1;
        }
        ns += 1;
    }
    t
};

/// `SUCC_G[s][u]` = (next state, γ index) of each transition, for β and the LLR.
const SUCC_G: [[(usize, usize); 2]; STATES] = {
    let mut t = [[(0, 0); 2]; STATES];
    let mut s = 0;
    while s < STATES {
        let mut u = 0;
        while u < 2 {
            let (ns, p) = rsc_step(s, u);
            t[s][u] = (ns, 2 * u + p);
            u += 1;
        }
        s += 1;
    }
    t
};

#[inline(always)]
fn gammas(ha: f32, hb: f32) -> [f32; 4] {
    [
        gamma(ha, hb, 0, 0),
        gamma(ha, hb, 0, 1),
        gamma(ha, hb, 1, 0),
        gamma(ha, hb, 1, 1),
    ]
}

/// Fast max-log SISO: the same arithmetic as [`siso_reference`] (so the same
/// result to the bit), on fixed-size arrays with the transitions unrolled.
fn siso_max_log_fast(
    k: usize,
    sys: &[f32],
    par: &[f32],
    apr: &[f32],
    alpha: &mut [[f32; STATES]],
    app: &mut [f32],
) {
    let steps = k + 3;
    let mut a = [NEG; STATES];
    a[0] = 0.0;
    for (t, slot) in alpha.iter_mut().enumerate().take(steps) {
        *slot = a;
        let (ha, hb) = half_metrics(t, k, sys, par, apr);
        let g = gammas(ha, hb);
        let mut n = [0.0f32; STATES];
        for ns in 0..STATES {
            let base = 2 * (ns % 4);
            let x = NEG.max(a[base] + g[PRED_G[ns][0]]);
            n[ns] = x.max(a[base + 1] + g[PRED_G[ns][1]]);
        }
        let norm = n[0];
        for v in &mut n {
            *v -= norm;
        }
        a = n;
    }
    let mut b = [NEG; STATES];
    b[0] = 0.0;
    for t in (0..steps).rev() {
        let (ha, hb) = half_metrics(t, k, sys, par, apr);
        let g = gammas(ha, hb);
        let al = &alpha[t];
        let mut l0 = NEG;
        let mut l1 = NEG;
        let mut n = [0.0f32; STATES];
        for s in 0..STATES {
            let (ns0, g0) = SUCC_G[s][0];
            let (ns1, g1) = SUCC_G[s][1];
            let m0 = g[g0] + b[ns0];
            let m1 = g[g1] + b[ns1];
            l0 = l0.max(al[s] + g[g0] + b[ns0]);
            l1 = l1.max(al[s] + g[g1] + b[ns1]);
            n[s] = NEG.max(m0).max(m1);
        }
        if t < k {
            app[t] = l0 - l1;
        }
        let norm = n[0];
        for v in &mut n {
            *v -= norm;
        }
        b = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_188_ascending_sizes() {
        assert_eq!(QPP_TABLE.len(), 188);
        assert!(QPP_TABLE.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(QPP_TABLE[0], (40, 3, 10));
        assert_eq!(QPP_TABLE[187], (6144, 263, 480));
        // §5.1.3.2.3 step sizes: 8 up to 512, 16 up to 1024, 32 up to 2048, 64 up to 6144.
        for w in QPP_TABLE.windows(2) {
            let step = match w[1].0 {
                0..=512 => 8,
                513..=1024 => 16,
                1025..=2048 => 32,
                _ => 64,
            };
            assert_eq!(w[1].0 - w[0].0, step, "{:?}", w);
        }
    }

    #[test]
    fn every_qpp_is_a_permutation_equal_to_the_formula() {
        for &(k, f1, f2) in &QPP_TABLE {
            let (k, f1, f2) = (u64::from(k), u64::from(f1), u64::from(f2));
            let pi = qpp_interleaver(k as usize).unwrap();
            let mut seen = vec![false; k as usize];
            for (i, &p) in pi.iter().enumerate() {
                let i = i as u64;
                assert_eq!(u64::from(p), (f1 * i + f2 * i * i) % k);
                assert!(!seen[p as usize]);
                seen[p as usize] = true;
            }
        }
    }

    #[test]
    fn qpp_hand_computed_k40() {
        // f1 = 3, f2 = 10: Π(i) = (3i + 10i²) mod 40.
        let pi = qpp_interleaver(40).unwrap();
        assert_eq!(&pi[..8], &[0, 13, 6, 19, 12, 25, 18, 31]);
        assert_eq!(pi[39], (3 * 39 + 10 * 39 * 39) % 40);
        assert!(qpp_interleaver(41).is_err());
    }

    #[test]
    fn encoder_terminates_and_is_systematic() {
        let c: Vec<u8> = (0..40).map(|i| ((i * 7 + 3) % 5 % 2) as u8).collect();
        let [d0, d1, d2] = turbo_encode(&c).unwrap();
        assert_eq!((d0.len(), d1.len(), d2.len()), (44, 44, 44));
        assert_eq!(&d0[..40], &c[..]);
        // All-zero input: all-zero output, tail included.
        let [z0, z1, z2] = turbo_encode(&[0; 40]).unwrap();
        assert!(z0.iter().chain(&z1).chain(&z2).all(|&b| b == 0));
    }

    #[test]
    fn rsc_impulse_response() {
        // A single 1 into 1/(1 + D² + D³) gives the period-7 m-sequence feedback
        // a = 1 0 1 1 1 0 0 1 0 1 …; parity z_k = a_k + a_{k−1} + a_{k−3}.
        let mut s = 0;
        let mut par = Vec::new();
        for i in 0..10 {
            let (ns, z) = rsc_step(s, usize::from(i == 0));
            par.push(z);
            s = ns;
        }
        assert_eq!(par, vec![1, 1, 1, 1, 0, 0, 1, 0, 1, 1]);
    }
}
