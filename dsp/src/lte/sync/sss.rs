//! Secondary synchronisation signal, TS 36.211 §6.11.2: sequence generation and
//! coherent detection of N_ID^(1) and the frame boundary.
//!
//! `d(2n) = s0^(m0)(n)·c0(n)` (subframe 0) or `s1^(m1)(n)·c0(n)` (subframe 5);
//! `d(2n+1) = s1^(m1)(n)·c1(n)·z1^(m0)(n)` (subframe 0) or
//! `s0^(m0)(n)·c1(n)·z1^(m1)(n)` (subframe 5), with m0, m1 from N_ID^(1)
//! (§6.11.2.1, Table 6.11.2.1-1 by formula). Mapped like the PSS (`k' = n + 5`),
//! FDD: the symbol before the PSS; TDD: the last symbol of subframes 0 and 5.

use num_complex::Complex32;

fn m_sequence(taps: &[usize]) -> [i8; 31] {
    // x(i+5) = Σ x(i + t) mod 2 over taps; x(0..5) = 0,0,0,0,1; s~(i) = 1 − 2x(i).
    let mut x = [0u8; 31];
    x[4] = 1;
    for i in 0..26 {
        x[i + 5] = taps.iter().fold(0, |a, &t| a ^ x[i + t]);
    }
    let mut s = [0i8; 31];
    for (o, &b) in s.iter_mut().zip(&x) {
        *o = 1 - 2 * b as i8;
    }
    s
}

/// `(m0, m1)` for N_ID^(1) (§6.11.2.1).
pub const fn m0_m1(n_id_1: u16) -> (usize, usize) {
    let n1 = n_id_1 as usize;
    let qp = n1 / 30;
    let q = (n1 + qp * (qp + 1) / 2) / 30;
    let mp = n1 + q * (q + 1) / 2;
    let m0 = mp % 31;
    let m1 = (m0 + mp / 31 + 1) % 31;
    (m0, m1)
}

/// The 62 SSS values (±1) for N_ID^(1) (0..168), N_ID^(2) (0..3) and subframe 0 or 5.
pub fn sss_sequence(n_id_1: u16, n_id_2: u8, subframe5: bool) -> [f32; 62] {
    let s = m_sequence(&[0, 2]);
    let c = m_sequence(&[0, 3]);
    let z = m_sequence(&[0, 1, 2, 4]);
    let (m0, m1) = m0_m1(n_id_1 % 168);
    let n2 = usize::from(n_id_2 % 3);
    let mut d = [0f32; 62];
    for n in 0..31 {
        let s0 = s[(n + m0) % 31];
        let s1 = s[(n + m1) % 31];
        let c0 = c[(n + n2) % 31];
        let c1 = c[(n + n2 + 3) % 31];
        let z0 = z[(n + m0 % 8) % 31];
        let z1 = z[(n + m1 % 8) % 31];
        if subframe5 {
            d[2 * n] = f32::from(s1 * c0);
            d[2 * n + 1] = f32::from(s0 * c1 * z1);
        } else {
            d[2 * n] = f32::from(s0 * c0);
            d[2 * n + 1] = f32::from(s1 * c1 * z0);
        }
    }
    d
}

/// Channel-compensated SSS observation `Z(n) = Y_SSS(n)·conj(H(n))`, with the
/// channel `H(n)` taken from the PSS symbol of the same half frame
/// (`Y_PSS(n)·conj(d_PSS(n))`, averaged over ±2 subcarriers to reduce its noise).
pub fn sss_observation(
    y_pss: &[Complex32; 72],
    y_sss: &[Complex32; 72],
    n_id_2: u8,
) -> [Complex32; 62] {
    let d = super::pss::pss_sequence(n_id_2);
    let mut h = [Complex32::default(); 62];
    for (n, o) in h.iter_mut().enumerate() {
        *o = y_pss[n + 5] * d[n].conj();
    }
    let mut z = [Complex32::default(); 62];
    for (n, o) in z.iter_mut().enumerate() {
        let lo = n.saturating_sub(2);
        let hi = (n + 2).min(61);
        let hs: Complex32 = h[lo..=hi].iter().sum::<Complex32>() / (hi - lo + 1) as f32;
        *o = y_sss[n + 5] * hs.conj();
    }
    z
}

/// Phase advance from the SSS symbol to the PSS symbol of one half frame once the
/// cell is known: `Σ (Y_PSS·conj(d_PSS))·conj(Y_SSS·d_SSS)`; its angle is
/// `2π·CFO·Δ/fs` for the SSS-to-PSS spacing Δ.
pub fn pss_sss_phase(
    y_pss: &[Complex32; 72],
    y_sss: &[Complex32; 72],
    n_id_1: u16,
    n_id_2: u8,
    subframe5: bool,
) -> Complex32 {
    let dp = super::pss::pss_sequence(n_id_2);
    let ds = sss_sequence(n_id_1, n_id_2, subframe5);
    let mut acc = Complex32::default();
    for n in 0..62 {
        let v = (y_pss[n + 5] * dp[n].conj()) * (y_sss[n + 5] * ds[n]).conj();
        if v.re.is_finite() && v.im.is_finite() {
            acc += v;
        }
    }
    acc
}

/// Result of [`SssDetector::detect`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SssDetection {
    /// N_ID^(1).
    pub n_id_1: u16,
    /// Whether occurrence 0 of the input is the SSS of subframe 0 (else subframe 5).
    pub first_is_subframe0: bool,
    /// Coherent score `Σ Re(Z)·d / Σ|Z|`, about 1 for a clean match, ~0 for noise.
    pub score: f32,
    /// Best score over the second best (other N_ID^(1) or frame alignment).
    pub ratio_to_second: f32,
    /// Best correlation in units of its noise standard deviation: about N(0, 1)
    /// for noise, `√(62·occurrences)` for a clean signal.
    pub z_score: f32,
}

/// SSS detector; `new` tabulates all 3·168·2 sequences.
#[derive(Debug, Clone)]
pub struct SssDetector {
    seqs: Vec<[f32; 62]>,
}

impl Default for SssDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl SssDetector {
    /// Tabulates the sequences.
    pub fn new() -> Self {
        let mut seqs = Vec::with_capacity(3 * 168 * 2);
        for n2 in 0..3u8 {
            for n1 in 0..168u16 {
                seqs.push(sss_sequence(n1, n2, false));
                seqs.push(sss_sequence(n1, n2, true));
            }
        }
        SssDetector { seqs }
    }

    /// Detects N_ID^(1) from channel-compensated SSS observations `z[h][n] ≈ |H|²·d(n)`
    /// of consecutive half frames h (alternating subframes 0 and 5). None if `z` is
    /// empty or carries no energy.
    pub fn detect(&self, n_id_2: u8, z: &[[Complex32; 62]]) -> Option<SssDetection> {
        let norm: f32 = z.iter().flat_map(|o| o.iter()).map(|c| c.norm()).sum();
        let re_energy: f32 = z.iter().flat_map(|o| o.iter()).map(|c| c.re * c.re).sum();
        if z.is_empty() || !(norm.is_finite() && norm > 0.0) {
            return None;
        }
        let base = usize::from(n_id_2 % 3) * 336;
        // Only Re(Z) enters the score, and occurrences alternate between the two
        // sequences: sum even and odd occurrences first.
        let mut even = [0f32; 62];
        let mut odd = [0f32; 62];
        for (h, o) in z.iter().enumerate() {
            let acc = if h % 2 == 0 { &mut even } else { &mut odd };
            for (a, c) in acc.iter_mut().zip(o) {
                *a += c.re;
            }
        }
        let dot = |a: &[f32; 62], b: &[f32; 62]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let mut best = (f32::NEG_INFINITY, 0u16, true);
        let mut second = f32::NEG_INFINITY;
        for n1 in 0..168u16 {
            let s0 = &self.seqs[base + 2 * n1 as usize];
            let s5 = &self.seqs[base + 2 * n1 as usize + 1];
            let a = dot(&even, s0) + dot(&odd, s5);
            let b = dot(&even, s5) + dot(&odd, s0);
            for (v, first0) in [(a, true), (b, false)] {
                if v > best.0 {
                    second = second.max(best.0);
                    best = (v, n1, first0);
                } else if v > second {
                    second = v;
                }
            }
        }
        let score = best.0 / norm;
        let ratio = if second > 0.0 {
            best.0 / second
        } else {
            f32::INFINITY
        };
        let z_score = if re_energy > 0.0 {
            best.0 / re_energy.sqrt()
        } else {
            0.0
        };
        Some(SssDetection {
            n_id_1: best.1,
            first_is_subframe0: best.2,
            score,
            ratio_to_second: ratio,
            z_score,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m_values_from_table() {
        // TS 36.211 Table 6.11.2.1-1 rows.
        assert_eq!(m0_m1(0), (0, 1));
        assert_eq!(m0_m1(29), (29, 30));
        assert_eq!(m0_m1(30), (0, 2));
        assert_eq!(m0_m1(61), (2, 5));
        assert_eq!(m0_m1(41), (11, 13));
    }

    #[test]
    fn detects_clean_sequences() {
        let det = SssDetector::new();
        for (n1, n2) in [(0u16, 0u8), (41, 0), (167, 2), (100, 1)] {
            let mk = |sf5| {
                let d = sss_sequence(n1, n2, sf5);
                let mut o = [Complex32::default(); 62];
                for (c, &v) in o.iter_mut().zip(&d) {
                    *c = Complex32::new(2.0 * v, 0.3);
                }
                o
            };
            let r = det.detect(n2, &[mk(true), mk(false), mk(true)]).unwrap();
            assert_eq!(r.n_id_1, n1);
            assert!(!r.first_is_subframe0);
            assert!(r.score > 0.9 && r.ratio_to_second > 1.5);
        }
        assert!(det.detect(0, &[]).is_none());
    }
}
