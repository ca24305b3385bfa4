//! Test channel for GSM: the typical-urban multipath profile of TS 45.005
//! annex C.3 (12-tap setting, and the 6-tap alternative), with static Rayleigh
//! tap gains drawn per realisation (no Doppler: a "frozen" TU channel; draw a
//! new one per burst or per block to average over fading). Noise, frequency
//! offset and the seeded generator are the shared test-channel helpers of
//! [`crate::lte::tx::channel`] (RAT-agnostic despite their place), re-exported here.

pub use crate::lte::tx::channel::{add_awgn, apply_cfo, mean_power, Rng};
use num_complex::Complex32;

/// A tapped-delay-line power profile: (relative delay µs, relative mean power dB).
pub type TapProfile = &'static [(f64, f64)];

/// TS 45.005 annex C.3, typical case for urban area, 12-tap setting (TUx).
pub const TU12: TapProfile = &[
    (0.0, -4.0),
    (0.1, -3.0),
    (0.3, 0.0),
    (0.5, -2.6),
    (0.8, -3.0),
    (1.1, -5.0),
    (1.3, -7.0),
    (1.7, -5.0),
    (2.3, -6.5),
    (3.1, -8.6),
    (3.2, -11.0),
    (5.0, -10.0),
];

/// TS 45.005 annex C.3, typical case for urban area, alternative 6-tap setting (TUx6).
pub const TU6: TapProfile = &[
    (0.0, -3.0),
    (0.2, 0.0),
    (0.6, -2.0),
    (1.6, -6.0),
    (2.4, -8.0),
    (5.0, -10.0),
];

/// Adds white Gaussian noise for an SNR per symbol Es/N0 = `es_n0_db` (the
/// signal power measured on `x`, sampled at `sample_rate` Hz; the noise density
/// is spread over the whole sample band, so the in-channel SNR is Es/N0 in the
/// symbol-rate bandwidth of 270.8 kHz). GMSK carries one bit per symbol: Es/N0 = Eb/N0.
/// Returns the noise power per sample.
pub fn add_noise_es_n0(x: &mut [Complex32], es_n0_db: f64, sample_rate: f64, rng: &mut Rng) -> f64 {
    let ps = mean_power(x);
    let np = ps * sample_rate / crate::gsm::SYMBOL_RATE / 10f64.powf(es_n0_db / 10.0);
    add_awgn(x, np, rng);
    np
}

/// Half length of the windowed-sinc interpolator placing each tap, samples.
const SINC_HALF: usize = 8;

/// One static realisation of a multipath channel as an FIR filter at a given sample rate.
#[derive(Debug, Clone)]
pub struct Multipath {
    taps: Vec<Complex32>,
}

impl Multipath {
    /// Draws complex Gaussian gains for `profile` (mean powers normalised to a total
    /// of 1) and builds the FIR at `sample_rate` Hz. The filter delays everything
    /// by [`Self::delay_samples`] (the interpolator's half length).
    pub fn draw(profile: TapProfile, sample_rate: f64, rng: &mut Rng) -> Self {
        let total: f64 = profile.iter().map(|&(_, p)| 10f64.powf(p / 10.0)).sum();
        let fs = if sample_rate.is_finite() && sample_rate > 0.0 {
            sample_rate
        } else {
            1.0
        };
        let max_delay = profile.iter().map(|&(d, _)| d).fold(0.0, f64::max) * 1e-6 * fs;
        let len = 2 * SINC_HALF + max_delay.ceil() as usize + 1;
        let mut taps = vec![Complex32::default(); len];
        for &(delay_us, p_db) in profile {
            let amp = (10f64.powf(p_db / 10.0) / total).sqrt() as f32;
            let g = rng.complex_gaussian() * amp;
            let d = delay_us * 1e-6 * fs + SINC_HALF as f64;
            for (m, t) in taps.iter_mut().enumerate() {
                let x = m as f64 - d;
                if x.abs() >= SINC_HALF as f64 {
                    continue;
                }
                let sinc = if x.abs() < 1e-12 {
                    1.0
                } else {
                    (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x)
                };
                let w = 0.5 + 0.5 * (std::f64::consts::PI * x / SINC_HALF as f64).cos();
                *t += g * (sinc * w) as f32;
            }
        }
        Multipath { taps }
    }

    /// A channel that only delays (for comparisons).
    pub fn identity() -> Self {
        let mut taps = vec![Complex32::default(); 2 * SINC_HALF + 1];
        taps[SINC_HALF] = Complex32::new(1.0, 0.0);
        Multipath { taps }
    }

    /// Delay added by the interpolator, samples.
    pub fn delay_samples(&self) -> usize {
        SINC_HALF
    }

    /// The FIR taps.
    pub fn taps(&self) -> &[Complex32] {
        &self.taps
    }

    /// Filters `x` into `out` (same length as `x`, zero initial state).
    pub fn apply_into(&self, x: &[Complex32], out: &mut Vec<Complex32>) {
        out.clear();
        out.reserve(x.len());
        for n in 0..x.len() {
            let mut acc = Complex32::default();
            for (k, &h) in self.taps.iter().enumerate().take(n + 1) {
                acc += h * x[n - k];
            }
            out.push(acc);
        }
    }

    /// Filters `x` (same length out).
    pub fn apply(&self, x: &[Complex32]) -> Vec<Complex32> {
        let mut out = Vec::new();
        self.apply_into(x, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_gain_is_one() {
        let mut rng = Rng::new(3);
        let fs = 1_083_333.3;
        let n = 400;
        let mut acc = 0.0;
        for _ in 0..n {
            let m = Multipath::draw(TU12, fs, &mut rng);
            // White input: output power = Σ|h|².
            acc += m
                .taps()
                .iter()
                .map(|t| f64::from(t.norm_sqr()))
                .sum::<f64>();
        }
        let mean = acc / n as f64;
        assert!((mean - 1.0).abs() < 0.15, "{mean}");
        let id = Multipath::identity();
        let x = vec![Complex32::new(1.0, 0.5); 30];
        let y = id.apply(&x);
        assert_eq!(y[SINC_HALF + 3], x[3]);
    }
}
