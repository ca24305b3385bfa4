//! Channel estimation from a burst's known training symbols (the 26-bit
//! training sequences of TS 45.002 §5.2.3 and the 64-bit extended training
//! sequence of §5.2.5), on the linearised GMSK model.
//!
//! GMSK with h = ½ and the differential encoding of TS 45.004 §2.3 is, to its
//! main Laurent component, linear in the burst bits: the pseudo-symbols are
//! bₙ = jⁿ·sₙ with sₙ = 1 − 2dₙ (the product of the αᵢ telescopes to sₙ).
//! Multiplying the symbol-spaced samples by j⁻ⁿ ("derotation") leaves a
//! time-invariant complex channel on real ±1 symbols:
//! r′ₘ = Σₗ gₗ·sₘ₋ₗ + noise, l = 0 … [`CHANNEL_TAPS`] − 1. The Gaussian pulse,
//! the multipath and the sampling instant all fold into g.
//!
//! g is the least-squares fit over the training observations whose every
//! symbol is known: g = (AᵀA)⁻¹Aᵀr′, with the real matrix A built once per
//! training pattern in `new`. The residual gives the noise variance.

use num_complex::Complex32;

/// Taps of the estimated symbol-spaced channel (and memory of the equalizer).
pub const CHANNEL_TAPS: usize = 5;

/// An estimated channel and its quality.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelEstimate {
    /// Symbol-spaced taps g₀ … g₄ on derotated samples.
    pub taps: [Complex32; CHANNEL_TAPS],
    /// Residual noise variance per complex sample (E|w|²), floored above 0.
    pub noise_var: f32,
    /// Σ|gₗ|².
    pub energy: f32,
}

impl ChannelEstimate {
    /// Energy over noise variance, dB (the burst's SNR per symbol).
    pub fn snr_db(&self) -> f32 {
        10.0 * (self.energy / self.noise_var).max(1e-12).log10()
    }
}

/// Least-squares channel estimator for one training pattern.
#[derive(Debug, Clone)]
pub struct TrainingEstimator {
    /// Burst bit index of the first training symbol.
    first: usize,
    /// Training symbols ±1.
    s: Vec<f32>,
    /// Pseudo-inverse rows: gₗ = Σₒ pinv[o][l]·r′[first + L − 1 + o].
    pinv: Vec<[f32; CHANNEL_TAPS]>,
}

/// Invert a small symmetric positive-definite matrix (Gauss–Jordan, partial pivoting).
fn invert(
    mut a: [[f64; CHANNEL_TAPS]; CHANNEL_TAPS],
) -> Option<[[f64; CHANNEL_TAPS]; CHANNEL_TAPS]> {
    const N: usize = CHANNEL_TAPS;
    let mut inv = [[0.0; N]; N];
    for (i, row) in inv.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for col in 0..N {
        let piv = (col..N).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[piv][col].abs() < 1e-9 {
            return None;
        }
        a.swap(col, piv);
        inv.swap(col, piv);
        let p = a[col][col];
        for k in 0..N {
            a[col][k] /= p;
            inv[col][k] /= p;
        }
        for r in 0..N {
            if r != col {
                let f = a[r][col];
                for k in 0..N {
                    a[r][k] -= f * a[col][k];
                    inv[r][k] -= f * inv[col][k];
                }
            }
        }
    }
    Some(inv)
}

impl TrainingEstimator {
    /// An estimator for the training bits `bits` (0/1) placed at burst bit `first`.
    pub fn new(bits: &[u8], first: usize) -> Self {
        let s: Vec<f32> = bits
            .iter()
            .map(|&b| if b & 1 == 0 { 1.0 } else { -1.0 })
            .collect();
        let n_obs = s.len().saturating_sub(CHANNEL_TAPS - 1);
        // Row o: [s(o+L−1), s(o+L−2), …, s(o)] (tap l multiplies s(m − l)).
        let row = |o: usize| -> [f64; CHANNEL_TAPS] {
            std::array::from_fn(|l| f64::from(s[o + CHANNEL_TAPS - 1 - l]))
        };
        let mut ata = [[0.0f64; CHANNEL_TAPS]; CHANNEL_TAPS];
        for o in 0..n_obs {
            let a = row(o);
            for i in 0..CHANNEL_TAPS {
                for j in 0..CHANNEL_TAPS {
                    ata[i][j] += a[i] * a[j];
                }
            }
        }
        let inv = invert(ata);
        let pinv = (0..n_obs)
            .map(|o| {
                let a = row(o);
                std::array::from_fn(|l| match &inv {
                    Some(inv) => (0..CHANNEL_TAPS).map(|k| inv[l][k] * a[k]).sum::<f64>() as f32,
                    // Not reached for the GSM sequences; plain correlation as a fallback.
                    None => (a[l] / n_obs.max(1) as f64) as f32,
                })
            })
            .collect();
        TrainingEstimator { first, s, pinv }
    }

    /// Burst bit index of the first training symbol.
    pub fn first(&self) -> usize {
        self.first
    }

    /// One past the last training symbol's burst bit index.
    pub fn end(&self) -> usize {
        self.first + self.s.len()
    }

    /// Estimates the channel from derotated symbol-spaced samples `r` indexed by
    /// burst bit (`r[m]` for m = 0 …); `None` if `r` does not reach the training's end.
    pub fn estimate(&self, r: &[Complex32]) -> Option<ChannelEstimate> {
        let base = self.first + CHANNEL_TAPS - 1;
        let obs = r.get(base..self.end())?;
        let mut taps = [Complex32::default(); CHANNEL_TAPS];
        for (p, &y) in self.pinv.iter().zip(obs) {
            for (t, &w) in taps.iter_mut().zip(p) {
                *t += y * w;
            }
        }
        let mut resid = 0.0f32;
        for (o, &y) in obs.iter().enumerate() {
            let mut yhat = Complex32::default();
            for (l, &g) in taps.iter().enumerate() {
                yhat += g * self.s[o + CHANNEL_TAPS - 1 - l];
            }
            resid += (y - yhat).norm_sqr();
        }
        let dof = obs.len().saturating_sub(CHANNEL_TAPS).max(1) as f32;
        let energy: f32 = taps.iter().map(|t| t.norm_sqr()).sum();
        let noise_var = (resid / dof).max(energy * 1e-6).max(1e-30);
        if !(noise_var.is_finite() && energy.is_finite()) {
            return None;
        }
        Some(ChannelEstimate {
            taps,
            noise_var,
            energy,
        })
    }
}

/// Least-squares channel from a whole burst of decided bits `d` (0/1, one per
/// sample of `r`; decision-directed re-estimation after a first equalization):
/// uses every observation m ≥ L − 1. `None` if too short or singular.
#[allow(clippy::needless_range_loop)] // normal equations, by index
pub fn estimate_from_decisions(r: &[Complex32], d: &[u8]) -> Option<ChannelEstimate> {
    let n = r.len().min(d.len());
    if n < 4 * CHANNEL_TAPS {
        return None;
    }
    let s = |m: usize| if d[m] & 1 == 0 { 1.0f64 } else { -1.0 };
    let mut ata = [[0.0f64; CHANNEL_TAPS]; CHANNEL_TAPS];
    let mut atr = [num_complex::Complex::<f64>::new(0.0, 0.0); CHANNEL_TAPS];
    for m in CHANNEL_TAPS - 1..n {
        let y = num_complex::Complex::new(f64::from(r[m].re), f64::from(r[m].im));
        for i in 0..CHANNEL_TAPS {
            let si = s(m - i);
            atr[i] += y * si;
            for j in 0..CHANNEL_TAPS {
                ata[i][j] += si * s(m - j);
            }
        }
    }
    let inv = invert(ata)?;
    let taps: [Complex32; CHANNEL_TAPS] = std::array::from_fn(|l| {
        let mut acc = num_complex::Complex::<f64>::new(0.0, 0.0);
        for k in 0..CHANNEL_TAPS {
            acc += atr[k] * inv[l][k];
        }
        Complex32::new(acc.re as f32, acc.im as f32)
    });
    let mut resid = 0.0f32;
    for m in CHANNEL_TAPS - 1..n {
        let mut yhat = Complex32::default();
        for (l, &g) in taps.iter().enumerate() {
            yhat += g * s(m - l) as f32;
        }
        resid += (r[m] - yhat).norm_sqr();
    }
    let dof = (n - (CHANNEL_TAPS - 1)).saturating_sub(CHANNEL_TAPS).max(1) as f32;
    let energy: f32 = taps.iter().map(|t| t.norm_sqr()).sum();
    let noise_var = (resid / dof).max(energy * 1e-6).max(1e-30);
    (noise_var.is_finite() && energy.is_finite()).then_some(ChannelEstimate {
        taps,
        noise_var,
        energy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gsm::burst::{sch_training_bits, training_bits};

    #[test]
    fn exact_on_a_noiseless_linear_channel() {
        let g = [
            Complex32::new(0.2, 0.1),
            Complex32::new(1.0, -0.3),
            Complex32::new(0.0, 0.5),
            Complex32::new(-0.2, 0.0),
            Complex32::new(0.05, 0.05),
        ];
        for (bits, first) in [
            (training_bits(3).to_vec(), 61),
            (sch_training_bits().to_vec(), 42),
        ] {
            let est = TrainingEstimator::new(&bits, first);
            let mut s = vec![1.0f32; 148];
            for (i, &b) in bits.iter().enumerate() {
                s[first + i] = if b == 0 { 1.0 } else { -1.0 };
            }
            let r: Vec<Complex32> = (0..148)
                .map(|m| {
                    (0..CHANNEL_TAPS)
                        .filter(|&l| m >= l)
                        .map(|l| g[l] * s[m - l])
                        .sum()
                })
                .collect();
            let e = est.estimate(&r).unwrap();
            for (a, b) in e.taps.iter().zip(&g) {
                assert!((a - b).norm() < 1e-4, "{a} {b}");
            }
            assert!(e.snr_db() > 50.0);
            assert!(est.estimate(&r[..70]).is_none() || first == 42);
        }
    }
}
