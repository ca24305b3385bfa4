//! GMSK modulator, TS 45.004 §2: differential encoding (§2.3,
//! d̂ᵢ = dᵢ ⊕ dᵢ₋₁, αᵢ = 1 − 2d̂ᵢ, with the encoder primed by ones, §2.2),
//! Gaussian frequency pulse of BT = 0.3 convolved with a one-symbol rectangle
//! (§2.4), modulation index h = ½ (each symbol turns the phase by ±π/2), at
//! 1625/6 ksym/s (§2.1). Output is complex baseband exp(jφ(t)) at an integer
//! number of samples per symbol; [`crate::signal::resample::Resampler`] takes
//! it to any other rate.
//!
//! An all-zero burst (FCCH) gives αᵢ = +1: a tone at +1625/24 kHz ≈ +67.7 kHz.

use num_complex::Complex32;

pub use crate::gsm::SYMBOL_RATE;
/// Bandwidth-time product of the Gaussian filter (TS 45.004 §2.4).
pub const BT: f64 = 0.3;
/// Symbols on each side of a pulse's centre that the phase pulse is evaluated over;
/// beyond ±3 T the BT = 0.3 frequency pulse is below 10⁻⁹ of its peak.
const HALF_SPAN: usize = 3;
/// Integration steps per symbol when building the phase pulse.
const FINE: usize = 512;

/// GMSK modulator at `sps` samples per symbol. Build once; `modulate` does not allocate
/// beyond the output it appends to.
#[derive(Debug, Clone)]
pub struct GmskModulator {
    sps: usize,
    /// Phase pulse Q(τ) = ∫ g (0 → 1) at τ = k / (2·sps) − HALF_SPAN symbols.
    q: Vec<f32>,
}

impl GmskModulator {
    /// A modulator producing `sps` (≥ 1; 0 is taken as 1) samples per symbol, BT = 0.3.
    pub fn new(sps: usize) -> Self {
        Self::with_bt(sps, BT)
    }

    /// A modulator with another bandwidth-time product (tests of robustness only).
    pub fn with_bt(sps: usize, bt: f64) -> Self {
        let sps = sps.max(1);
        let bt = if bt.is_finite() && bt > 0.01 { bt } else { BT };
        // h(t) = exp(−t²/(2δ²T²)) / (√(2π)·δ·T), δ = √(ln 2) / (2π·BT)   (T = 1).
        let delta = std::f64::consts::LN_2.sqrt() / (std::f64::consts::TAU * bt);
        let gauss = |t: f64| {
            (-t * t / (2.0 * delta * delta)).exp() / ((std::f64::consts::TAU).sqrt() * delta)
        };
        // Fine grid over [−HALF_SPAN − 1, HALF_SPAN + 1]: H(t) = ∫h, g(t) = H(t + ½) − H(t − ½),
        // Q(t) = ∫g; trapezoidal sums.
        let lo = -(HALF_SPAN as f64) - 1.0;
        let n = (2 * HALF_SPAN + 2) * FINE;
        let dt = 1.0 / FINE as f64;
        let mut big_h = vec![0.0f64; n + 1];
        for k in 1..=n {
            let t0 = lo + (k - 1) as f64 * dt;
            big_h[k] = big_h[k - 1] + 0.5 * dt * (gauss(t0) + gauss(t0 + dt));
        }
        let h_at = |t: f64| {
            let x = ((t - lo) / dt).round();
            if x <= 0.0 {
                0.0
            } else if x as usize >= n {
                1.0
            } else {
                big_h[x as usize]
            }
        };
        let mut big_q = vec![0.0f64; n + 1];
        let g = |t: f64| h_at(t + 0.5) - h_at(t - 0.5);
        for k in 1..=n {
            let t0 = lo + (k - 1) as f64 * dt;
            big_q[k] = big_q[k - 1] + 0.5 * dt * (g(t0) + g(t0 + dt));
        }
        let total = big_q[n].max(1e-12);
        let steps = 4 * HALF_SPAN * sps;
        let q = (0..=steps)
            .map(|k| {
                let tau = k as f64 / (2 * sps) as f64 - HALF_SPAN as f64;
                let x = ((tau - lo) / dt).round().clamp(0.0, n as f64) as usize;
                (big_q[x] / total) as f32
            })
            .collect();
        GmskModulator { sps, q }
    }

    /// Samples per symbol.
    pub fn sps(&self) -> usize {
        self.sps
    }

    /// Phase pulse value for sample `n` and symbol `i` (pulse centred at `i + ½`).
    fn pulse(&self, n: usize, i: i64) -> f32 {
        let k = 2 * n as i64 - 2 * i * self.sps as i64 - self.sps as i64
            + (2 * HALF_SPAN * self.sps) as i64;
        if k < 0 {
            0.0
        } else {
            self.q.get(k as usize).copied().unwrap_or(1.0)
        }
    }

    /// Modulates the bits `d` (0/1; only bit 0 of each byte counts) with the
    /// differential encoder primed by ones: appends `d.len() × sps` samples of
    /// unit amplitude, sample `n` at time `n / sps` symbols, starting at phase `phase0`.
    /// Symbols outside `d` are taken as αᵢ = +1 (the encoder fed with ones).
    pub fn modulate(&self, d: &[u8], phase0: f32, out: &mut Vec<Complex32>) {
        let sps = self.sps as i64;
        let len = d.len() as i64;
        let alpha = |i: i64| -> f32 {
            if i < 0 || i >= len {
                return 1.0;
            }
            let prev = if i == 0 { 1 } else { d[(i - 1) as usize] & 1 };
            if (d[i as usize] & 1) ^ prev == 0 {
                1.0
            } else {
                -1.0
            }
        };
        let half = HALF_SPAN as i64;
        // Σ αᵢ over symbols whose pulse has fully passed, in quarter turns.
        let mut done: f32 = 0.0;
        let mut next_done = -half - 1; // first symbol not yet in `done`
        out.reserve(d.len() * self.sps);
        for n in 0..(len * sps) {
            let t_sym = n / sps; // symbol interval holding this sample
            while next_done < t_sym - half - 1 {
                done = (done + alpha(next_done)).rem_euclid(4.0);
                next_done += 1;
            }
            let mut acc = done;
            for i in next_done..=(t_sym + half) {
                acc += alpha(i) * self.pulse(n as usize, i);
            }
            let phi = phase0 + std::f32::consts::FRAC_PI_2 * acc;
            out.push(Complex32::from_polar(1.0, phi));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_pulse_is_monotone_zero_to_one() {
        let m = GmskModulator::new(4);
        assert!(m.q[0].abs() < 1e-6);
        assert!((m.q[m.q.len() - 1] - 1.0).abs() < 1e-6);
        assert!(m.q.windows(2).all(|w| w[1] >= w[0] - 1e-7));
        // Symmetric: Q(0) = ½.
        assert!((m.q[m.q.len() / 2] - 0.5).abs() < 1e-4);
    }

    #[test]
    fn all_zeros_is_a_tone_at_plus_67_7_khz() {
        let m = GmskModulator::new(4);
        let mut x = Vec::new();
        m.modulate(&[0u8; 148], 0.0, &mut x);
        assert_eq!(x.len(), 148 * 4);
        // Away from the edges each sample advances π/8 (¼ turn per symbol).
        for n in 40..500 {
            let d = (x[n + 1] * x[n].conj()).arg();
            assert!((d - std::f32::consts::PI / 8.0).abs() < 1e-3, "{n}: {d}");
        }
    }

    #[test]
    fn each_symbol_turns_a_quarter() {
        // Over a whole symbol period far from changes the phase moves by ±π/2.
        let bits: Vec<u8> = (0..64).map(|i| ((i * 5 + 1) % 7 < 3) as u8).collect();
        let m = GmskModulator::new(8);
        let mut x = Vec::new();
        m.modulate(&bits, 0.3, &mut x);
        assert!(x.iter().all(|c| (c.norm() - 1.0).abs() < 1e-5));
        // Total phase change over the burst = π/2 Σα (sum of unwrapped increments).
        let total: f32 = x.windows(2).map(|w| (w[1] * w[0].conj()).arg()).sum();
        let mut prev = 1u8;
        let mut sum = 0.0f32;
        for &b in &bits {
            sum += if b ^ prev == 0 { 1.0 } else { -1.0 };
            prev = b;
        }
        // Edges: the first and last symbols' pulses are partly outside the record.
        assert!(
            (total / std::f32::consts::FRAC_PI_2 - sum).abs() < 3.0,
            "{total} {sum}"
        );
    }
}
