//! Polyphase rational resampler: any sample rate to any other.
//!
//! The rate ratio is reduced to `L/M` (exactly for integer rates, e.g.
//! 19.2 → 1.92 Msps is 1/10, 2.4 → 1.92 is 4/5, 19.2 → 30.72 is 8/5; by a
//! continued-fraction approximation with `L ≤ max_interpolation` otherwise).
//! The anti-alias/anti-image filter is a Kaiser-windowed sinc designed for the
//! narrower of the two rates: flat to `passband × f_min`, at least
//! `attenuation_db` down from `stopband × f_min`. Only the taps needed for
//! each output sample are computed (polyphase form).
//!
//! [`resample_reference`] is the textbook zero-stuff / filter / decimate
//! version; the tests check both give the same samples.

use num_complex::Complex32;

/// A resampler that cannot be built from its parameters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResampleError {
    /// A rate that is not finite and positive.
    #[error("sample rates must be finite and positive (got {in_rate} → {out_rate})")]
    BadRate {
        /// Input rate, Hz.
        in_rate: f64,
        /// Output rate, Hz.
        out_rate: f64,
    },
    /// Band edges that do not make a filter.
    #[error("filter edges must satisfy 0 < passband < stopband ≤ 1 (relative to the lower rate), attenuation > 20 dB")]
    BadFilter,
    /// A ratio too extreme to realise.
    #[error("rate ratio {0} is outside 1/1000 … 1000")]
    BadRatio(f64),
}

/// Filter and ratio parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResamplerConfig {
    /// Passband edge as a fraction of the lower of the two rates (default 0.40).
    pub passband: f64,
    /// Stopband edge as a fraction of the lower rate (default 0.60: what aliases
    /// lands above `1 − stopband = 0.40`, outside the passband).
    pub stopband: f64,
    /// Stopband attenuation, dB (default 80).
    pub attenuation_db: f64,
    /// Largest interpolation factor L when the ratio must be approximated.
    pub max_interpolation: u32,
}

impl Default for ResamplerConfig {
    fn default() -> Self {
        ResamplerConfig {
            passband: 0.40,
            stopband: 0.60,
            attenuation_db: 80.0,
            max_interpolation: 512,
        }
    }
}

/// A streaming polyphase resampler. Build once, then feed blocks of any size.
#[derive(Debug, Clone)]
pub struct Resampler {
    l: usize,
    m: usize,
    taps_per_phase: usize,
    /// `phases[p]` holds the taps of phase `p`, reversed so a forward dot product applies them.
    phases: Vec<Vec<f32>>,
    /// History (`taps_per_phase − 1` samples) followed by unconsumed input.
    buf: Vec<Complex32>,
    /// Position of the next output on the upsampled time axis, relative to `buf[0]`.
    t: usize,
    in_rate: f64,
    prototype_len: usize,
}

/// Greatest common divisor.
fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The best `L/M` with `L ≤ max_l` approximating `x` (continued fractions).
fn approximate_ratio(x: f64, max_l: u64) -> (u64, u64) {
    let (mut p0, mut q0, mut p1, mut q1) = (0u64, 1u64, 1u64, 0u64);
    let mut v = x;
    for _ in 0..64 {
        let a = v.floor();
        if a > 1e12 {
            break;
        }
        let a_u = a as u64;
        let p2 = a_u.saturating_mul(p1).saturating_add(p0);
        let q2 = a_u.saturating_mul(q1).saturating_add(q0);
        if p2 > max_l || q2 > max_l * 1000 {
            break;
        }
        (p0, q0, p1, q1) = (p1, q1, p2, q2);
        let frac = v - a;
        if frac < 1e-12 {
            break;
        }
        v = 1.0 / frac;
    }
    if q1 == 0 || p1 == 0 {
        (1, (1.0 / x).round().max(1.0) as u64)
    } else {
        (p1, q1)
    }
}

/// Zeroth-order modified Bessel function of the first kind (power series).
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term) = (1.0, 1.0);
    let q = x * x / 4.0;
    for k in 1..200 {
        term *= q / (k as f64 * k as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// Kaiser-windowed sinc low-pass prototype with gain `gain` at DC.
/// `cutoff` is in cycles per sample at the filter's rate; `transition` likewise.
pub fn design_lowpass(
    cutoff: f64,
    transition: f64,
    attenuation_db: f64,
    multiple_of: usize,
    gain: f64,
) -> Vec<f32> {
    let a = attenuation_db;
    let beta = if a > 50.0 {
        0.1102 * (a - 8.7)
    } else if a >= 21.0 {
        0.5842 * (a - 21.0).powf(0.4) + 0.07886 * (a - 21.0)
    } else {
        0.0
    };
    // Kaiser's length estimate, rounded up to a whole number of phases.
    let n_est = ((a - 7.95) / (2.285 * 2.0 * std::f64::consts::PI * transition))
        .ceil()
        .max(1.0) as usize
        + 1;
    let multiple_of = multiple_of.max(1);
    let n = n_est.div_ceil(multiple_of) * multiple_of;
    let mid = (n as f64 - 1.0) / 2.0;
    let i0b = bessel_i0(beta);
    (0..n)
        .map(|i| {
            let x = i as f64 - mid;
            let sinc = if x == 0.0 {
                2.0 * cutoff
            } else {
                (2.0 * std::f64::consts::PI * cutoff * x).sin() / (std::f64::consts::PI * x)
            };
            let r = if n > 1 { x / mid } else { 0.0 };
            let w = bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0b;
            (gain * sinc * w) as f32
        })
        .collect()
}

impl Resampler {
    /// A resampler from `in_rate` to `out_rate` with the default filter.
    pub fn new(in_rate: f64, out_rate: f64) -> Result<Self, ResampleError> {
        Self::with_config(in_rate, out_rate, ResamplerConfig::default())
    }

    /// A resampler with explicit filter parameters.
    pub fn with_config(
        in_rate: f64,
        out_rate: f64,
        cfg: ResamplerConfig,
    ) -> Result<Self, ResampleError> {
        if !(in_rate.is_finite() && out_rate.is_finite() && in_rate > 0.0 && out_rate > 0.0) {
            return Err(ResampleError::BadRate { in_rate, out_rate });
        }
        if !(cfg.passband > 0.0
            && cfg.passband < cfg.stopband
            && cfg.stopband <= 1.0
            && cfg.attenuation_db > 20.0)
        {
            return Err(ResampleError::BadFilter);
        }
        let ratio = out_rate / in_rate;
        if !(1e-3..=1e3).contains(&ratio) {
            return Err(ResampleError::BadRatio(ratio));
        }
        let (l, m) = {
            let (ri, ro) = (in_rate.round(), out_rate.round());
            let integer = (in_rate - ri).abs() < 1e-6
                && (out_rate - ro).abs() < 1e-6
                && ri < 1e15
                && ro < 1e15;
            let exact = integer.then(|| {
                let g = gcd(ri as u64, ro as u64).max(1);
                (ro as u64 / g, ri as u64 / g)
            });
            match exact {
                Some((l, m)) if l <= u64::from(cfg.max_interpolation.max(1)) => (l, m),
                _ => approximate_ratio(ratio, u64::from(cfg.max_interpolation.max(1))),
            }
        };
        let (l, m) = (l as usize, m as usize);
        let up_rate = in_rate * l as f64;
        let f_min = in_rate.min(out_rate);
        // Edges are fractions of f_min; in cycles/sample at the upsampled rate:
        let pass = cfg.passband * f_min / up_rate;
        let stop = cfg.stopband * f_min / up_rate;
        let proto = design_lowpass(
            (pass + stop) / 2.0,
            stop - pass,
            cfg.attenuation_db,
            l,
            l as f64,
        );
        let k = proto.len() / l;
        let phases = (0..l)
            .map(|p| (0..k).rev().map(|j| proto[p + j * l]).collect())
            .collect();
        Ok(Resampler {
            l,
            m,
            taps_per_phase: k,
            phases,
            buf: vec![Complex32::new(0.0, 0.0); k.saturating_sub(1)],
            t: k.saturating_sub(1) * l,
            in_rate,
            prototype_len: proto.len(),
        })
    }

    /// Interpolation factor L.
    pub fn interpolation(&self) -> usize {
        self.l
    }

    /// Decimation factor M.
    pub fn decimation(&self) -> usize {
        self.m
    }

    /// The output rate actually produced (`in_rate × L / M`), Hz.
    pub fn output_rate(&self) -> f64 {
        self.in_rate * self.l as f64 / self.m as f64
    }

    /// Taps evaluated per output sample.
    pub fn taps_per_output(&self) -> usize {
        self.taps_per_phase
    }

    /// Group delay of the filter, in output samples: output sample `n`
    /// corresponds to input time `(n − delay) × M / L`.
    pub fn delay_output_samples(&self) -> f64 {
        (self.prototype_len as f64 - 1.0) / 2.0 / self.m as f64
    }

    /// Clears the history, as if newly built.
    pub fn reset(&mut self) {
        let k = self.taps_per_phase;
        self.buf.clear();
        self.buf
            .resize(k.saturating_sub(1), Complex32::new(0.0, 0.0));
        self.t = k.saturating_sub(1) * self.l;
    }

    /// Appends the output produced by `input` to `out`.
    pub fn process(&mut self, input: &[Complex32], out: &mut Vec<Complex32>) {
        let k = self.taps_per_phase;
        self.buf.extend_from_slice(input);
        let (l, m) = (self.l, self.m);
        out.reserve((input.len() * l).div_ceil(m) + 1);
        loop {
            let i = self.t / l;
            if i >= self.buf.len() {
                break;
            }
            let p = self.t % l;
            let taps = &self.phases[p];
            // i ≥ k − 1 always holds: t starts at (k−1)·L and only grows.
            let x = &self.buf[i + 1 - k..=i];
            out.push(dot(taps, x));
            self.t += m;
        }
        // Keep the last k−1 samples before the next output's input index.
        let next_i = self.t / l;
        let drop = (next_i + 1).saturating_sub(k).min(self.buf.len());
        if drop > 0 {
            self.buf.drain(..drop);
            self.t -= drop * l;
        }
    }

    /// The prototype filter's taps (for tests and the reference).
    pub fn prototype(&self) -> Vec<f32> {
        let mut h = vec![0.0; self.prototype_len];
        for (p, taps) in self.phases.iter().enumerate() {
            for (j, &v) in taps.iter().rev().enumerate() {
                h[p + j * self.l] = v;
            }
        }
        h
    }
}

/// `Σ taps[j]·x[j]` with four independent accumulators, so the adds do not
/// form one serial dependency chain (the filter is the resampler's whole cost).
/// Equal to the plain sum up to float rounding; `polyphase_equals_reference` checks it.
fn dot(taps: &[f32], x: &[Complex32]) -> Complex32 {
    let mut acc = [Complex32::new(0.0, 0.0); 4];
    let (tc, tr) = taps.split_at(taps.len() / 4 * 4);
    let (xc, xr) = x.split_at(tc.len().min(x.len()));
    for (h4, s4) in tc.chunks_exact(4).zip(xc.chunks_exact(4)) {
        for j in 0..4 {
            acc[j] += s4[j] * h4[j];
        }
    }
    let mut sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (h, s) in tr.iter().zip(xr) {
        sum += s * h;
    }
    sum
}

/// Resamples a whole buffer in one call.
pub fn resample(
    input: &[Complex32],
    in_rate: f64,
    out_rate: f64,
) -> Result<Vec<Complex32>, ResampleError> {
    let mut r = Resampler::new(in_rate, out_rate)?;
    let mut out = Vec::new();
    r.process(input, &mut out);
    Ok(out)
}

/// Textbook reference: insert L−1 zeros between input samples, filter with
/// `h` at the upsampled rate, keep every M-th sample. It starts from the same
/// zero history as [`Resampler`] (so the outputs align sample for sample) and
/// evaluates the full convolution, zeros included.
pub fn resample_reference(input: &[Complex32], l: usize, m: usize, h: &[f32]) -> Vec<Complex32> {
    let hist = (h.len() / l).saturating_sub(1);
    let mut x = vec![Complex32::new(0.0, 0.0); hist];
    x.extend_from_slice(input);
    let up: Vec<Complex32> = x
        .iter()
        .flat_map(|&s| {
            std::iter::once(s).chain(std::iter::repeat_n(Complex32::new(0.0, 0.0), l - 1))
        })
        .collect();
    let mut out = Vec::new();
    // Output n is the filter output at upsampled time u = (hist + n·M/L)·L … expressed on the
    // up axis: the polyphase state `t` is the position u − (L − 1 − phase) convention below.
    let mut t = hist * l;
    while t / l < x.len() {
        let (i, p) = (t / l, t % l);
        // Upsampled index of the newest input sample used, and the filter's offset into it.
        let u = i * l + p;
        let mut acc = Complex32::new(0.0, 0.0);
        for (j, &hv) in h.iter().enumerate() {
            if let Some(k) = u.checked_sub(j) {
                acc += up[k] * hv;
            }
        }
        out.push(acc);
        t += m;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(f: f64, rate: f64, n: usize) -> Vec<Complex32> {
        (0..n)
            .map(|i| {
                let ph = 2.0 * std::f64::consts::PI * f * i as f64 / rate;
                Complex32::new(ph.cos() as f32, ph.sin() as f32)
            })
            .collect()
    }

    /// Mean power of the steady-state part of the output (transients trimmed).
    fn out_power(r: &mut Resampler, x: &[Complex32]) -> f64 {
        r.reset();
        let mut y = Vec::new();
        r.process(x, &mut y);
        let skip = (r.delay_output_samples() * 2.0) as usize + 4;
        let y = &y[skip..y.len().saturating_sub(skip)];
        y.iter().map(|s| f64::from(s.norm_sqr())).sum::<f64>() / y.len() as f64
    }

    #[test]
    fn ratios_reduce_exactly() {
        for (i, o, l, m) in [
            (19.2e6, 1.92e6, 1, 10),
            (2.4e6, 1.92e6, 4, 5),
            (19.2e6, 30.72e6, 8, 5),
            (7.68e6, 1.92e6, 1, 4),
            (2.048e6, 1.92e6, 15, 16),
            (1.92e6, 1.92e6, 1, 1),
        ] {
            let r = Resampler::new(i, o).unwrap();
            assert_eq!((r.interpolation(), r.decimation()), (l, m), "{i} → {o}");
            assert_eq!(r.output_rate(), o);
        }
        // An awkward ratio is approximated within 1 ppm.
        let r = Resampler::new(1e6 * std::f64::consts::E, 1.92e6).unwrap();
        assert!(
            (r.output_rate() / 1.92e6 - 1.0).abs() < 1e-6,
            "{}",
            r.output_rate()
        );
        assert!(r.interpolation() <= 512);
    }

    #[test]
    fn polyphase_equals_reference() {
        let x: Vec<Complex32> = (0..3000)
            .map(|i| {
                Complex32::new(
                    ((i * 37 % 101) as f32 - 50.0) / 50.0,
                    ((i * 53 % 97) as f32 - 48.0) / 48.0,
                )
            })
            .collect();
        for (i, o) in [(2.4e6, 1.92e6), (19.2e6, 1.92e6), (1.92e6, 3.84e6)] {
            let mut r = Resampler::new(i, o).unwrap();
            let reference =
                resample_reference(&x, r.interpolation(), r.decimation(), &r.prototype());
            // Streaming in uneven blocks gives the same samples as one call.
            let mut y = Vec::new();
            for c in x.chunks(97) {
                r.process(c, &mut y);
            }
            assert_eq!(y.len(), reference.len(), "{i} → {o}");
            for (a, b) in y.iter().zip(&reference) {
                assert!((a - b).norm() < 1e-4, "{i} → {o}: {a} vs {b}");
            }
        }
    }

    /// Measured passband ripple and stopband rejection for the rates the sensor uses.
    #[test]
    fn passband_ripple_and_stopband_rejection() {
        for (fi, fo) in [
            (19.2e6, 1.92e6),
            (2.4e6, 1.92e6),
            (7.68e6, 1.92e6),
            (1.92e6, 7.68e6),
        ] {
            let mut r = Resampler::new(fi, fo).unwrap();
            let f_min = f64::min(fi, fo);
            let n = 20_000.max((r.taps_per_output() * r.decimation()) * 20);
            let mut lo = f64::INFINITY;
            let mut hi = f64::NEG_INFINITY;
            for k in 0..=8 {
                // −0.40·f_min … +0.40·f_min
                let f = 0.40 * f_min * (k as f64 / 4.0 - 1.0);
                let p = 10.0 * out_power(&mut r, &tone(f, fi, n)).log10();
                lo = lo.min(p);
                hi = hi.max(p);
            }
            eprintln!(
                "{fi}→{fo}: taps/output {} ripple {:.4} dB gain {hi:.4} dB",
                r.taps_per_output(),
                hi - lo
            );
            assert!(
                hi - lo < 0.05,
                "{fi}→{fo}: passband ripple {:.4} dB",
                hi - lo
            );
            assert!(hi.abs() < 0.05, "{fi}→{fo}: passband gain {hi:.4} dB");
            // Stopband: from 0.60·f_min to the input Nyquist.
            let mut worst = f64::NEG_INFINITY;
            let top = fi / 2.0;
            let start = 0.60 * f_min;
            if start < top {
                for k in 0..12 {
                    let f = start + (top - start) * k as f64 / 12.0;
                    for s in [f, -f] {
                        let p = 10.0 * out_power(&mut r, &tone(s, fi, n)).log10();
                        worst = worst.max(p);
                    }
                }
                eprintln!("{fi}→{fo}: stopband {worst:.1} dB");
                assert!(worst < -75.0, "{fi}→{fo}: stopband only {worst:.1} dB down");
            }
        }
    }

    #[test]
    fn delay_is_reported() {
        // A pulse comes out where the reported delay says.
        let mut r = Resampler::new(1.92e6, 1.92e6 * 2.0).unwrap();
        let mut x = vec![Complex32::new(0.0, 0.0); 400];
        x[100] = Complex32::new(1.0, 0.0);
        let mut y = Vec::new();
        r.process(&x, &mut y);
        let peak = y
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.norm().total_cmp(&b.1.norm()))
            .unwrap()
            .0;
        let expect = 100.0 * 2.0 + r.delay_output_samples();
        assert!((peak as f64 - expect).abs() <= 1.0, "{peak} vs {expect}");
    }

    #[test]
    fn refuses_bad_parameters() {
        assert!(Resampler::new(0.0, 1.0).is_err());
        assert!(Resampler::new(f64::NAN, 1.0).is_err());
        assert!(Resampler::new(1.0, 1e9).is_err());
        let cfg = ResamplerConfig {
            passband: 0.7,
            stopband: 0.6,
            ..Default::default()
        };
        assert!(Resampler::with_config(2.0, 1.0, cfg).is_err());
    }

    #[test]
    fn hostile_samples_do_not_panic() {
        let mut r = Resampler::new(2.4e6, 1.92e6).unwrap();
        let x = vec![Complex32::new(f32::NAN, f32::INFINITY); 1000];
        let mut y = Vec::new();
        r.process(&x, &mut y);
        r.process(&[], &mut y);
        assert!(!y.is_empty());
    }
}
