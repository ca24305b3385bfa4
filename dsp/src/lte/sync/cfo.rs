//! Carrier frequency offset estimation and correction for the LTE downlink
//! (TS 36.211 §6.11.1: the PSS is the reference; §6.12: 15 kHz subcarriers).
//!
//! The fractional and integer offset are resolved together by the PSS search
//! (a grid of frequency hypotheses, see [`super::pss`]); this module refines
//! the offset from the phase difference of the two PSS halves and provides a
//! phase-continuous derotator indexed by absolute sample number.

use num_complex::Complex32;

/// Phase-continuous frequency shifter: `e^{-j2π·f·n/fs}` for absolute sample index n.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Derotator {
    /// Frequency to remove, in cycles per sample (`f / fs`).
    cycles_per_sample: f64,
    /// `e^{-j2π f/fs}`.
    step: Complex32,
}

impl Derotator {
    /// A derotator removing `cfo_hz` at sample rate `fs`.
    pub fn new(cfo_hz: f64, fs: f64) -> Self {
        let c = if cfo_hz.is_finite() && fs > 0.0 {
            cfo_hz / fs
        } else {
            0.0
        };
        let ph = c.rem_euclid(1.0) * std::f64::consts::TAU;
        Derotator {
            cycles_per_sample: c,
            step: Complex32::new(ph.cos() as f32, -(ph.sin() as f32)),
        }
    }

    /// Frequency removed, in cycles per sample.
    pub fn cycles_per_sample(&self) -> f64 {
        self.cycles_per_sample
    }

    /// `e^{-j2π f/fs}`, the per-sample rotation.
    pub fn step(&self) -> Complex32 {
        self.step
    }

    /// `e^{-j2π·f·n/fs}`.
    pub fn phasor(&self, n: i64) -> Complex32 {
        let ph = (self.cycles_per_sample * n as f64).rem_euclid(1.0) * std::f64::consts::TAU;
        Complex32::new(ph.cos() as f32, -(ph.sin() as f32))
    }

    /// Writes `x[start + i] · e^{-j2π f (start + i)/fs}` into `out` (same length as `x`
    /// slice), with `x` the slice starting at absolute index `start`.
    pub fn apply(&self, x: &[Complex32], start: i64, out: &mut [Complex32]) {
        // Recursive rotation, re-anchored every 1024 samples (f32 error stays < 1e-4).
        let mut p = self.phasor(start);
        for (i, (o, &s)) in out.iter_mut().zip(x).enumerate() {
            *o = s * p;
            p *= self.step;
            if i % 1024 == 1023 {
                p = self.phasor(start + i as i64 + 1);
            }
        }
    }
}

/// Residual CFO (Hz) from the correlation of the first and second halves of a
/// known symbol: `acc = Σ c2·conj(c1)`, halves `half_len` samples apart.
/// Unambiguous within ±fs/(2·half_len).
pub fn cfo_from_halves(acc: Complex32, half_len: usize, fs: f64) -> f64 {
    if !(acc.re.is_finite() && acc.im.is_finite()) || acc.norm_sqr() == 0.0 || half_len == 0 {
        return 0.0;
    }
    f64::from(acc.arg()) / (std::f64::consts::TAU * half_len as f64 / fs)
}

/// Accumulates the phase advance of the port-0 CRS over one slot (TS 36.211
/// §6.10.1: the same pilots sit on symbols 0 and `N_symb − 3` of both slots) from a
/// demodulated subframe: `Σ h_LS(slot 1)·conj(h_LS(slot 0))`.
pub fn crs_slot_phase(
    grid: &[[Complex32; 72]],
    pci: u16,
    cp: crate::lte::CyclicPrefix,
    subframe: usize,
) -> Complex32 {
    use crate::lte::crs::{central_crs, k_offset};
    let n = cp.symbols_per_slot();
    let mut acc = Complex32::default();
    for l in [0, n - 3] {
        let (Some(y0), Some(y1)) = (grid.get(l), grid.get(n + l)) else {
            continue;
        };
        let ns0 = 2 * (subframe % 10);
        let r0 = central_crs(pci, ns0, l, cp);
        let r1 = central_crs(pci, ns0 + 1, l, cp);
        let off = k_offset(0, l, ns0, pci);
        for m in 0..12 {
            let k = 6 * m + off;
            let v = (y1[k] * r1[m].conj()) * (y0[k] * r0[m].conj()).conj();
            if v.re.is_finite() && v.im.is_finite() {
                acc += v;
            }
        }
    }
    acc
}

/// Residual CFO (Hz) from a slot-spaced phase accumulation (960 samples at 1.92 Msps);
/// unambiguous within ±1 kHz.
pub fn cfo_from_slot_phase(acc: Complex32) -> f64 {
    cfo_from_halves(acc, crate::lte::grid::SLOT_1M92, crate::lte::SEARCH_RATE_HZ)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derotator_removes_tone() {
        let fs = 1.92e6;
        let f = 12_345.0;
        let x: Vec<Complex32> = (0..1000)
            .map(|n| {
                let ph = std::f64::consts::TAU * f * n as f64 / fs;
                Complex32::new(ph.cos() as f32, ph.sin() as f32)
            })
            .collect();
        let mut out = vec![Complex32::default(); 500];
        Derotator::new(f, fs).apply(&x[500..], 500, &mut out);
        for o in out {
            assert!((o - Complex32::new(1.0, 0.0)).norm() < 1e-3);
        }
        // Half-symbol phase difference of 90 degrees at 64 samples: fs/(4·64).
        let acc = Complex32::new(0.0, 1.0);
        assert!((cfo_from_halves(acc, 64, fs) - fs / 256.0).abs() < 0.01);
        assert_eq!(cfo_from_halves(Complex32::new(f32::NAN, 0.0), 64, fs), 0.0);
    }
}
