//! One GSM channel out of a wider capture: frequency shift by the channel's
//! offset from the capture centre (channels on the 200 kHz raster of
//! TS 45.005 §2), low-pass and rational resampling to `sps` samples per
//! symbol of 1625/6 ksym/s (TS 45.004 §2.1) in one polyphase filter.
//!
//! The filter passes ±100 kHz (GMSK with BT = 0.3 has 99 % of its power
//! within about ±125 kHz; the equalizer absorbs the in-band shaping) and stops
//! from ±200 kHz, which removes the adjacent channels' centres. Non-finite
//! input samples are replaced by zeros (input is attacker-controlled).

use num_complex::Complex32;

use super::SYMBOL_RATE;
use crate::signal::resample::{ResampleError, Resampler, ResamplerConfig};

/// Passband edge of the channel filter, Hz.
pub const PASSBAND_HZ: f64 = 100_000.0;
/// Stopband edge of the channel filter, Hz.
pub const STOPBAND_HZ: f64 = 200_000.0;
/// Stopband attenuation of the channel filter, dB.
pub const ATTENUATION_DB: f64 = 50.0;

/// A channel selector; build once per (input rate, offset), reuse its buffers.
///
/// The filter is the prototype that [`Resampler`] designs for these rates; it
/// is run here by a whole-buffer polyphase loop over split real and imaginary
/// parts with eight independent accumulators each (the streaming resampler's
/// single complex accumulator chain is latency-bound and does not vectorize),
/// several times faster. A test checks both give the same output.
#[derive(Debug, Clone)]
pub struct Channelizer {
    in_rate: f64,
    offset_hz: f64,
    out_rate: f64,
    l: usize,
    m: usize,
    /// Taps per phase, a multiple of [`LANES`] (zero-padded).
    k: usize,
    /// `phases[p·k + j]`: tap j of phase p, reversed for a forward dot product.
    phases: Vec<f32>,
    /// The shifted input.
    mixed: Vec<Complex32>,
    /// Prefix of k − 1 zeros, then the real parts of `mixed`.
    re: Vec<f32>,
    /// The same for the imaginary parts.
    im: Vec<f32>,
}

/// Accumulators per dot product (two SIMD registers of four, or one of eight).
const LANES: usize = 8;

impl Channelizer {
    /// Selects the channel `offset_hz` from the centre of a capture at `in_rate`
    /// Hz, output at `sps` samples per symbol.
    pub fn new(in_rate: f64, offset_hz: f64, sps: usize) -> Result<Self, ResampleError> {
        let out_rate = SYMBOL_RATE * sps.max(1) as f64;
        if !(in_rate.is_finite() && in_rate > 0.0 && offset_hz.is_finite()) {
            return Err(ResampleError::BadRate { in_rate, out_rate });
        }
        let f_min = in_rate.min(out_rate);
        // Edges relative to the lower rate; keep them inside what that rate can hold.
        let passband = (PASSBAND_HZ / f_min).min(0.45);
        let stopband = (STOPBAND_HZ / f_min).clamp(passband + 0.05, 1.0);
        let design = Resampler::with_config(
            in_rate,
            out_rate,
            ResamplerConfig {
                passband,
                stopband,
                attenuation_db: ATTENUATION_DB,
                max_interpolation: 512,
            },
        )?;
        let (l, m) = (design.interpolation(), design.decimation());
        let proto = design.prototype();
        let k0 = proto.len().div_ceil(l);
        let k = k0.div_ceil(LANES) * LANES;
        let mut phases = vec![0.0f32; l * k];
        for p in 0..l {
            // Same arrangement as the resampler: reversed taps p, p + L, … , padded in front.
            for j in 0..k0 {
                let tap = proto.get(p + j * l).copied().unwrap_or(0.0);
                phases[p * k + (k - 1 - j)] = tap;
            }
        }
        Ok(Channelizer {
            in_rate,
            offset_hz,
            out_rate: design.output_rate(),
            l,
            m,
            k,
            phases,
            mixed: Vec::new(),
            re: Vec::new(),
            im: Vec::new(),
        })
    }

    /// Input sample rate, Hz.
    pub fn input_rate(&self) -> f64 {
        self.in_rate
    }

    /// Channel offset from the capture centre, Hz.
    pub fn offset_hz(&self) -> f64 {
        self.offset_hz
    }

    /// Moves the channel centre (no redesign: only the frequency shift changes).
    pub fn set_offset_hz(&mut self, offset_hz: f64) {
        if offset_hz.is_finite() {
            self.offset_hz = offset_hz;
        }
    }

    /// Output rate actually produced, Hz.
    pub fn output_rate(&self) -> f64 {
        self.out_rate
    }

    /// Channelizes a whole buffer into `out` (cleared); no state is kept between calls.
    pub fn process(&mut self, input: &[Complex32], out: &mut Vec<Complex32>) {
        out.clear();
        let finite = |c: Complex32| {
            if c.re.is_finite() && c.im.is_finite() {
                c
            } else {
                Complex32::default()
            }
        };
        let k = self.k;
        self.mixed.clear();
        self.mixed.extend(input.iter().map(|&c| finite(c)));
        derotate(&mut self.mixed, self.offset_hz, self.in_rate);
        self.re.clear();
        self.im.clear();
        self.re.resize(k - 1, 0.0);
        self.im.resize(k - 1, 0.0);
        self.re.extend(self.mixed.iter().map(|c| c.re));
        self.im.extend(self.mixed.iter().map(|c| c.im));
        let (l, m) = (self.l, self.m);
        out.reserve((input.len() * l).div_ceil(m) + 1);
        let n = self.re.len();
        let mut t = 0usize;
        loop {
            let i = t / l + (k - 1);
            if i >= n {
                break;
            }
            let p = t % l;
            let taps = &self.phases[p * k..(p + 1) * k];
            let xr = &self.re[i + 1 - k..=i];
            let xi = &self.im[i + 1 - k..=i];
            out.push(Complex32::new(dot(taps, xr), dot(taps, xi)));
            t += m;
        }
    }
}

/// Dot product of two equally long slices whose length is a multiple of
/// [`LANES`], with [`LANES`] independent accumulators (vectorizes).
#[inline(always)]
fn dot(h: &[f32], x: &[f32]) -> f32 {
    let mut a = [0.0f32; LANES];
    for (h8, x8) in h.chunks_exact(LANES).zip(x.chunks_exact(LANES)) {
        for j in 0..LANES {
            a[j] += h8[j] * x8[j];
        }
    }
    ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]))
}

/// Multiplies `x` by e^{−j2π·f·n/fs} in place (frequency correction).
pub fn derotate(x: &mut [Complex32], f_hz: f64, fs: f64) {
    if f_hz == 0.0 || !(fs.is_finite() && fs > 0.0 && f_hz.is_finite()) {
        return;
    }
    let step = -f_hz / fs;
    // Recursive rotation, re-anchored every 1024 samples.
    for (blk, chunk) in x.chunks_mut(1024).enumerate() {
        let ph0 = (step * (blk * 1024) as f64).rem_euclid(1.0) * std::f64::consts::TAU;
        let mut rot = Complex::from_polar(1.0, ph0);
        let inc = Complex::from_polar(1.0, step * std::f64::consts::TAU);
        for v in chunk {
            *v *= Complex32::new(rot.re as f32, rot.im as f32);
            rot *= inc;
        }
    }
}

use num_complex::Complex;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_the_channel_and_rejects_the_neighbour() {
        let fs = 2_000_000.0;
        let n = 40_000;
        let tone = |f: f64, a: f32| -> Vec<Complex32> {
            (0..n)
                .map(|i| {
                    Complex32::from_polar(a, (std::f64::consts::TAU * f * i as f64 / fs) as f32)
                })
                .collect()
        };
        let wanted = tone(400_000.0 + 30_000.0, 0.5);
        let neighbour = tone(400_000.0 + 250_000.0, 0.5);
        let mut c = Channelizer::new(fs, 400_000.0, 2).unwrap();
        let mut out = Vec::new();
        c.process(&wanted, &mut out);
        let p = |v: &[Complex32]| {
            v[200..].iter().map(|c| c.norm_sqr()).sum::<f32>() / (v.len() - 200) as f32
        };
        assert!((p(&out) - 0.25).abs() < 0.01, "{}", p(&out));
        c.process(&neighbour, &mut out);
        assert!(p(&out) < 0.25e-4, "{}", p(&out));
        let mut bad = wanted.clone();
        bad[5] = Complex32::new(f32::NAN, f32::INFINITY);
        c.process(&bad, &mut out);
        assert!(out.iter().all(|v| v.re.is_finite() && v.im.is_finite()));
        assert!(Channelizer::new(f64::NAN, 0.0, 2).is_err());
    }

    #[test]
    fn fast_loop_equals_the_streaming_resampler() {
        let fs = 500_000.0;
        let x: Vec<Complex32> = (0..5000)
            .map(|i| {
                Complex32::new(
                    ((i * 7919) % 101) as f32 / 50.0 - 1.0,
                    ((i * 104_729) % 97) as f32 / 48.0 - 1.0,
                )
            })
            .collect();
        let mut c = Channelizer::new(fs, 0.0, 2).unwrap();
        let mut fast = Vec::new();
        c.process(&x, &mut fast);
        let f_min = fs.min(2.0 * SYMBOL_RATE);
        let mut r = Resampler::with_config(
            fs,
            2.0 * SYMBOL_RATE,
            ResamplerConfig {
                passband: PASSBAND_HZ / f_min,
                stopband: STOPBAND_HZ / f_min,
                attenuation_db: ATTENUATION_DB,
                max_interpolation: 512,
            },
        )
        .unwrap();
        let mut slow = Vec::new();
        r.process(&x, &mut slow);
        assert_eq!(fast.len(), slow.len());
        for (a, b) in fast.iter().zip(&slow) {
            assert!((a - b).norm() < 1e-4, "{a} {b}");
        }
    }
}
