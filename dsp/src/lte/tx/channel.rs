//! Test channel: seeded PRNG (SplitMix64 seeding a xoshiro256**), complex AWGN by
//! Box–Muller, frequency offset, integer/fractional timing offset, per-port
//! flat-fading gains and sums of several cells. For tests and benchmarks only;
//! no 3GPP clause (propagation models of TS 36.101 Annex B are not modelled).

use num_complex::Complex32;

/// xoshiro256** seeded through SplitMix64: small, fast, reproducible.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// Seeds the generator.
    pub fn new(seed: u64) -> Self {
        let mut z = seed;
        let mut next = || {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            x ^ (x >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let r = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        r
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Uniform integer in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// Circular complex Gaussian with `E|z|² = 1` (Box–Muller).
    pub fn complex_gaussian(&mut self) -> Complex32 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        let r = (-u1.ln()).sqrt();
        let th = std::f64::consts::TAU * u2;
        Complex32::new((r * th.cos()) as f32, (r * th.sin()) as f32)
    }
}

/// Mean power `E|x|²`.
pub fn mean_power(x: &[Complex32]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    x.iter().map(|c| f64::from(c.norm_sqr())).sum::<f64>() / x.len() as f64
}

/// Adds complex white Gaussian noise of power `noise_power` per sample.
pub fn add_awgn(x: &mut [Complex32], noise_power: f64, rng: &mut Rng) {
    let a = noise_power.max(0.0).sqrt() as f32;
    for v in x {
        *v += rng.complex_gaussian() * a;
    }
}

/// Adds noise so that `signal power / noise power = snr_db` over the whole sample
/// band, with the signal power measured on `x`. Returns the noise power.
pub fn add_awgn_snr(x: &mut [Complex32], snr_db: f64, rng: &mut Rng) -> f64 {
    let np = mean_power(x) / 10f64.powf(snr_db / 10.0);
    add_awgn(x, np, rng);
    np
}

/// Multiplies by `e^{j2π f n / fs + jφ0}`.
pub fn apply_cfo(x: &mut [Complex32], cfo_hz: f64, fs: f64, phase0: f64) {
    for (n, v) in x.iter_mut().enumerate() {
        let ph = (cfo_hz / fs * n as f64).rem_euclid(1.0) * std::f64::consts::TAU + phase0;
        *v *= Complex32::new(ph.cos() as f32, ph.sin() as f32);
    }
}

/// Delays by `delay` samples (may be fractional; windowed-sinc interpolation,
/// zeros shifted in).
pub fn delay(x: &[Complex32], delay: f64) -> Vec<Complex32> {
    let di = delay.floor() as i64;
    let frac = delay - di as f64;
    let mut out = vec![Complex32::default(); x.len()];
    if frac.abs() < 1e-9 {
        for (n, o) in out.iter_mut().enumerate() {
            let j = n as i64 - di;
            if j >= 0 && (j as usize) < x.len() {
                *o = x[j as usize];
            }
        }
        return out;
    }
    const H: i64 = 16;
    let taps: Vec<f32> = (-H + 1..=H)
        .map(|i| {
            let t = i as f64 - frac;
            let s = if t == 0.0 {
                1.0
            } else {
                (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t)
            };
            let w = 0.5 + 0.5 * (std::f64::consts::PI * t / H as f64).cos();
            (s * w) as f32
        })
        .collect();
    for (n, o) in out.iter_mut().enumerate() {
        let mut acc = Complex32::default();
        for (ti, &t) in taps.iter().enumerate() {
            let j = n as i64 - di - (ti as i64 - H + 1);
            if j >= 0 && (j as usize) < x.len() {
                acc += x[j as usize] * t;
            }
        }
        *o = acc;
    }
    out
}

/// Sums per-port signals with flat channel gains `h[p]` (missing gains count as 1).
pub fn combine_ports(ports: &[Vec<Complex32>], h: &[Complex32]) -> Vec<Complex32> {
    let n = ports.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = vec![Complex32::default(); n];
    for (p, sig) in ports.iter().enumerate() {
        let g = h.get(p).copied().unwrap_or(Complex32::new(1.0, 0.0));
        for (o, &s) in out.iter_mut().zip(sig) {
            *o += s * g;
        }
    }
    out
}

/// Adds `b` scaled by `gain` into `a` (extending `a` if needed).
pub fn add_into(a: &mut Vec<Complex32>, b: &[Complex32], gain: f32) {
    if a.len() < b.len() {
        a.resize(b.len(), Complex32::default());
    }
    for (x, &y) in a.iter_mut().zip(b) {
        *x += y * gain;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_power_and_reproducibility() {
        let mut r = Rng::new(7);
        let mut x = vec![Complex32::default(); 20000];
        add_awgn(&mut x, 0.5, &mut r);
        let p = mean_power(&x);
        assert!((p - 0.5).abs() < 0.02, "{p}");
        let mut r2 = Rng::new(7);
        assert!(
            (r2.complex_gaussian() - {
                let mut r3 = Rng::new(7);
                r3.complex_gaussian()
            })
            .norm()
                == 0.0
        );
        let d = delay(
            &[
                Complex32::new(1.0, 0.0),
                Complex32::default(),
                Complex32::default(),
            ],
            1.0,
        );
        assert_eq!(d[1], Complex32::new(1.0, 0.0));
    }
}
