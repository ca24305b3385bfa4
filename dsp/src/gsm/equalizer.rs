//! MLSE equalizer for GMSK bursts (TS 45.004 modulation, TS 45.005 §6
//! reference performance assumes such a receiver): a Viterbi trellis over the
//! derotated, linearised channel of [`super::chest`] (16 states for 5 taps),
//! run forwards and backwards (max-log-MAP, i.e. bidirectional Viterbi) so
//! that every bit gets a soft value:
//! LLR(dₘ) = max over paths with dₘ = 0 − max over paths with dₘ = 1 of
//! −Σ|r′ − ŷ|²/σ². Positive means bit 0 (crate convention).
//!
//! Known bits (tail bits, training sequence) prune the trellis. The symbols
//! before the burst (guard period) are unknown: every start state is equally
//! likely. Buffers are allocated in `new`; `equalize` does not allocate.

use super::chest::CHANNEL_TAPS;
use super::GsmDecodeError;
use num_complex::Complex32;

/// Trellis states: the last `CHANNEL_TAPS − 1` symbols.
pub const STATES: usize = 1 << (CHANNEL_TAPS - 1);
/// Largest magnitude of an output LLR.
pub const LLR_CLAMP: f32 = 64.0;
const NEG: f32 = -1e30;

/// A bit's prior knowledge: 0 or 1 if known, [`UNKNOWN`] otherwise.
pub const UNKNOWN: u8 = 2;

/// The larger of two metrics. Metrics are finite here (clamped at [`NEG`]), so
/// the plain comparison is enough; it compiles to one `maxss`, where
/// `f32::max` must also handle NaN.
#[inline(always)]
fn fmax(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

/// The equalizer with its buffers.
#[derive(Debug, Clone)]
pub struct Mlse {
    max_len: usize,
    /// Forward metrics: alpha[m + 1][state] after symbol m; alpha[0] the start.
    alpha: Vec<[f32; STATES]>,
    /// Branch metrics per symbol, index (prev << 1) | bit.
    gamma: Vec<[f32; 2 * STATES]>,
}

impl Mlse {
    /// An equalizer for bursts of up to `max_len` symbols.
    pub fn new(max_len: usize) -> Self {
        Mlse {
            max_len,
            alpha: vec![[0.0; STATES]; max_len + 1],
            gamma: vec![[0.0; 2 * STATES]; max_len],
        }
    }

    /// Equalizes `r` (derotated symbol-spaced samples, `r[m]` = Σ gₗ·s(m − l) + w)
    /// with channel `taps` and noise variance `noise_var`; `known[m]` is 0, 1 or
    /// [`UNKNOWN`]. Writes one LLR per symbol into `llrs`. All three slices must
    /// have the same length, at most `max_len`.
    #[allow(clippy::needless_range_loop)] // trellis indices read clearer than zips
    pub fn equalize(
        &mut self,
        r: &[Complex32],
        taps: &[Complex32; CHANNEL_TAPS],
        noise_var: f32,
        known: &[u8],
        llrs: &mut [f32],
    ) -> Result<(), GsmDecodeError> {
        let n = r.len();
        if n > self.max_len || known.len() != n || llrs.len() != n {
            return Err(GsmDecodeError::Length {
                what: "equalizer input",
                expected: n.min(self.max_len),
                got: if n > self.max_len {
                    n
                } else {
                    known.len().min(llrs.len())
                },
            });
        }
        let inv = if noise_var.is_finite() && noise_var > 0.0 {
            1.0 / noise_var
        } else {
            1.0
        };
        // ŷ for every (previous state, new bit): index = (prev << 1) | bit; bit l of
        // the index is d(m − l), symbol 1 − 2d.
        let yhat: [Complex32; 2 * STATES] = std::array::from_fn(|idx| {
            let mut y = Complex32::default();
            for (l, &g) in taps.iter().enumerate() {
                y += if (idx >> l) & 1 == 0 { g } else { -g };
            }
            y
        });
        let mask = STATES - 1;
        // −|r − ŷ|² = −|r|² + 2·Re(r·ŷ*) − |ŷ|²: the −|r|² term is the same for
        // every branch of a symbol, so it cancels in the LLRs and in the metric
        // normalisation and is left out.
        let ynorm: [f32; 2 * STATES] = std::array::from_fn(|i| yhat[i].norm_sqr());
        // Branch metrics, kept for the backward pass; NEG where a known bit forbids.
        for m in 0..n {
            let rm = r[m] * (2.0 * inv);
            let g = &mut self.gamma[m];
            for (idx, v) in g.iter_mut().enumerate() {
                let e = rm.re * yhat[idx].re + rm.im * yhat[idx].im - ynorm[idx] * inv;
                // Non-finite (hostile input, absurd noise variance) counts as forbidden.
                *v = if e.is_finite() { fmax(e, NEG) } else { NEG };
            }
            if known[m] != UNKNOWN {
                let forbidden = usize::from(known[m] == 0);
                for v in g.iter_mut().skip(forbidden).step_by(2) {
                    *v = NEG;
                }
            }
        }
        self.alpha[0] = [0.0; STATES];
        for m in 0..n {
            let g = &self.gamma[m];
            let a = &self.alpha[m];
            let mut next = [NEG; STATES];
            // New state ns = (prev << 1 | bit) & mask has two predecessors:
            // prev = ns >> 1 and (ns >> 1) | STATES/2 (the oldest symbol dropped).
            for (ns, out) in next.iter_mut().enumerate() {
                let p0 = ns >> 1;
                let p1 = p0 | (STATES >> 1);
                let m0 = a[p0] + g[(p0 << 1) | (ns & 1)];
                let m1 = a[p1] + g[(p1 << 1) | (ns & 1)];
                *out = fmax(fmax(m0, m1), NEG);
            }
            let top = next.iter().copied().fold(NEG, fmax);
            for v in &mut next {
                *v = fmax(*v - top, NEG);
            }
            self.alpha[m + 1] = next;
        }
        let mut beta = [0.0f32; STATES];
        for m in (0..n).rev() {
            let g = &self.gamma[m];
            let a = &self.alpha[m];
            let mut best = [NEG; 2];
            let mut prev_beta = [NEG; STATES];
            for prev in 0..STATES {
                let i0 = prev << 1;
                let gb0 = g[i0] + beta[i0 & mask];
                let gb1 = g[i0 | 1] + beta[(i0 | 1) & mask];
                prev_beta[prev] = fmax(fmax(gb0, gb1), NEG);
                best[0] = fmax(best[0], a[prev] + gb0);
                best[1] = fmax(best[1], a[prev] + gb1);
            }
            // A path through a forbidden branch sums below NEG / 2.
            let ok = |v: f32| v > NEG * 0.5;
            let llr = match (ok(best[0]), ok(best[1])) {
                (true, true) => best[0] - best[1],
                (true, false) => LLR_CLAMP,
                (false, true) => -LLR_CLAMP,
                (false, false) => 0.0,
            };
            llrs[m] = if llr.is_finite() {
                llr.clamp(-LLR_CLAMP, LLR_CLAMP)
            } else {
                0.0
            };
            let top = prev_beta.iter().copied().fold(NEG, fmax);
            for v in &mut prev_beta {
                *v = fmax(*v - top, NEG);
            }
            beta = prev_beta;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lte::tx::channel::Rng;

    fn run(g: [Complex32; CHANNEL_TAPS], noise: f32, seed: u64) -> (usize, usize) {
        let mut rng = Rng::new(seed);
        let n = 148;
        let d: Vec<u8> = (0..n).map(|_| (rng.next_u64() & 1) as u8).collect();
        let r: Vec<Complex32> = (0..n)
            .map(|m| {
                let mut y = Complex32::default();
                for (l, &t) in g.iter().enumerate() {
                    if m >= l {
                        y += t * (1.0 - 2.0 * f32::from(d[m - l]));
                    }
                }
                y + rng.complex_gaussian() * noise.sqrt()
            })
            .collect();
        let mut known = vec![UNKNOWN; n];
        known[61..87].copy_from_slice(&d[61..87]);
        let mut llrs = vec![0.0; n];
        let mut eq = Mlse::new(200);
        eq.equalize(&r, &g, noise, &known, &mut llrs).unwrap();
        let errors = (0..n).filter(|&m| (llrs[m] < 0.0) != (d[m] == 1)).count();
        let weak = llrs.iter().filter(|l| l.abs() < 1.0).count();
        (errors, weak)
    }

    #[test]
    fn resolves_heavy_isi() {
        // A channel whose first tap is weak: a linear equalizer would struggle.
        let g = [
            Complex32::new(0.3, 0.0),
            Complex32::new(0.0, 1.0),
            Complex32::new(0.7, 0.0),
            Complex32::new(0.0, -0.4),
            Complex32::new(0.1, 0.0),
        ];
        let (errors, _) = run(g, 1e-4, 1);
        assert_eq!(errors, 0);
        let (errors, _) = run(g, 0.05, 2);
        assert!(errors <= 2, "{errors}");
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let mut eq = Mlse::new(10);
        let g = [Complex32::new(f32::NAN, 0.0); CHANNEL_TAPS];
        let r = vec![Complex32::new(f32::INFINITY, 0.0); 10];
        let mut llrs = vec![0.0; 10];
        eq.equalize(&r, &g, f32::NAN, &[UNKNOWN; 10], &mut llrs)
            .unwrap();
        assert!(llrs.iter().all(|l| l.is_finite()));
        assert!(eq.equalize(&r, &g, 1.0, &[UNKNOWN; 9], &mut llrs).is_err());
        let long = vec![Complex32::default(); 11];
        assert!(eq
            .equalize(&long, &g, 1.0, &[UNKNOWN; 11], &mut [0.0; 11])
            .is_err());
    }
}
