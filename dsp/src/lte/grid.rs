//! OFDM frame numerology and demodulation of the central 6 PRB, TS 36.211 §4 and
//! §6.12 (OFDM baseband signal generation).
//!
//! At 1.92 Msps the FFT has 128 points; CP lengths are 10 (symbol 0 of a slot) and
//! 9 samples (normal CP) or 32 samples (extended CP); a slot is 960 samples. All
//! lengths scale with the FFT size (`N_CP = 160·N/2048`, `144·N/2048`, `512·N/2048`).
//!
//! Subcarrier indexing: the 72 central subcarriers are numbered `k' = 0..72`, from
//! the lowest frequency; `k' < 36` sits at `k' − 36` subcarriers from DC and
//! `k' ≥ 36` at `k' − 35` (the DC subcarrier is not used, §6.12).

use super::sync::cfo::Derotator;
use super::{CyclicPrefix, CENTRAL_SC};
use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// FFT size at the search rate.
pub const FFT_1M92: usize = 128;
/// Samples per slot at 1.92 Msps.
pub const SLOT_1M92: usize = 960;
/// Samples per subframe at 1.92 Msps.
pub const SUBFRAME_1M92: usize = 1920;
/// Samples per half frame (PSS period) at 1.92 Msps.
pub const HALF_FRAME_1M92: usize = 9600;
/// Samples per radio frame at 1.92 Msps.
pub const FRAME_1M92: usize = 19200;

/// Time-domain layout of one OFDM numerology (FFT size and CP type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numerology {
    /// FFT size N (a multiple of 128).
    pub fft_size: usize,
    /// Cyclic prefix.
    pub cp: CyclicPrefix,
}

impl Numerology {
    /// The search numerology: FFT 128.
    pub const fn search(cp: CyclicPrefix) -> Self {
        Numerology {
            fft_size: FFT_1M92,
            cp,
        }
    }

    /// Sample rate `N · 15 kHz`.
    pub fn sample_rate(&self) -> f64 {
        self.fft_size as f64 * 15e3
    }

    /// CP length of symbol `l` of a slot.
    pub const fn cp_len(&self, l: usize) -> usize {
        let n = self.fft_size;
        match self.cp {
            CyclicPrefix::Normal => {
                if l == 0 {
                    160 * n / 2048
                } else {
                    144 * n / 2048
                }
            }
            CyclicPrefix::Extended => 512 * n / 2048,
        }
    }

    /// Samples per slot.
    pub const fn slot_len(&self) -> usize {
        15360 * self.fft_size / 2048
    }

    /// Samples per subframe.
    pub const fn subframe_len(&self) -> usize {
        2 * self.slot_len()
    }

    /// OFDM symbols per subframe.
    pub const fn symbols_per_subframe(&self) -> usize {
        2 * self.cp.symbols_per_slot()
    }

    /// Offset from the subframe start to the first sample after the CP of symbol
    /// `sym` (0..symbols_per_subframe) of the subframe.
    pub fn useful_offset(&self, sym: usize) -> usize {
        let per_slot = self.cp.symbols_per_slot();
        let slot = sym / per_slot;
        let l = sym % per_slot;
        let mut off = slot * self.slot_len();
        for i in 0..l {
            off += self.cp_len(i) + self.fft_size;
        }
        off + self.cp_len(l)
    }
}

/// Bit mask of the symbols of a subframe carrying CRS of ports `0..ports`.
pub const fn crs_symbol_mask(cp: CyclicPrefix, ports: usize) -> u32 {
    let n = cp.symbols_per_slot();
    let mut m = (1 << 0) | (1 << (n - 3)) | (1 << n) | (1 << (2 * n - 3));
    if ports > 2 {
        m |= (1 << 1) | (1 << (n + 1));
    }
    m
}

/// Bit mask of the PBCH symbols (slot 1, symbols 0..4) of subframe 0.
pub const fn pbch_symbol_mask(cp: CyclicPrefix) -> u32 {
    0xF << cp.symbols_per_slot()
}

/// FFT bin of central subcarrier `k'` (0..72) for an FFT of size `n`.
pub const fn central_bin(k: usize, n: usize) -> usize {
    if k < 36 {
        n + k - 36
    } else {
        k - 35
    }
}

/// FFT bin of subcarrier `k` (0..12·n_rb) of an `n_rb`-PRB carrier, FFT size `n`.
pub const fn carrier_bin(k: usize, n_rb: usize, n: usize) -> usize {
    let half = 6 * n_rb;
    if k < half {
        n + k - half
    } else {
        k - half + 1
    }
}

/// OFDM demodulator for the central 6 PRB at 1.92 Msps. Built once; `demod` does not allocate.
pub struct OfdmDemod {
    fft: Arc<dyn Fft<f32>>,
    buf: Vec<Complex32>,
    scratch: Vec<Complex32>,
}

impl std::fmt::Debug for OfdmDemod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfdmDemod")
            .field("fft_size", &self.buf.len())
            .finish()
    }
}

impl Default for OfdmDemod {
    fn default() -> Self {
        Self::new()
    }
}

impl OfdmDemod {
    /// Plans the 128-point FFT.
    pub fn new() -> Self {
        let fft = FftPlanner::new().plan_fft_forward(FFT_1M92);
        let scratch = vec![Complex32::default(); fft.get_inplace_scratch_len()];
        OfdmDemod {
            fft,
            buf: vec![Complex32::default(); FFT_1M92],
            scratch,
        }
    }

    /// Demodulates the 128 samples starting at `start` into the 72 central
    /// subcarriers `out[k']`, unnormalised (a subcarrier tone of amplitude A gives
    /// 128·A). Returns false (leaving `out` zeroed) when the window is outside `x`.
    /// Non-finite samples are treated as zero.
    pub fn demod(
        &mut self,
        x: &[Complex32],
        start: isize,
        out: &mut [Complex32; CENTRAL_SC],
    ) -> bool {
        let n = FFT_1M92;
        let Some(win) = usize::try_from(start)
            .ok()
            .and_then(|s| x.get(s..s.checked_add(n)?))
        else {
            out.fill(Complex32::default());
            return false;
        };
        for (b, &s) in self.buf.iter_mut().zip(win) {
            *b = if s.re.is_finite() && s.im.is_finite() {
                s
            } else {
                Complex32::default()
            };
        }
        self.fft
            .process_with_scratch(&mut self.buf, &mut self.scratch);
        for (k, o) in out.iter_mut().enumerate() {
            *o = self.buf[central_bin(k, n)];
        }
        true
    }

    /// As [`Self::demod`], first removing the frequency offset `rot` (phase referenced
    /// to absolute sample index 0 of `x`, so consecutive symbols stay coherent).
    pub fn demod_rot(
        &mut self,
        x: &[Complex32],
        start: isize,
        rot: &Derotator,
        out: &mut [Complex32; CENTRAL_SC],
    ) -> bool {
        let n = FFT_1M92;
        let Some(win) = usize::try_from(start)
            .ok()
            .and_then(|s| x.get(s..s.checked_add(n)?))
        else {
            out.fill(Complex32::default());
            return false;
        };
        rot.apply(win, start as i64, &mut self.buf);
        for b in self.buf.iter_mut() {
            if !(b.re.is_finite() && b.im.is_finite()) {
                *b = Complex32::default();
            }
        }
        self.fft
            .process_with_scratch(&mut self.buf, &mut self.scratch);
        for (k, o) in out.iter_mut().enumerate() {
            *o = self.buf[central_bin(k, n)];
        }
        true
    }

    /// Demodulates every symbol of the subframe starting at `sf_start` (FFT window
    /// `backoff` samples into each CP) into `out` (resized to the symbol count).
    /// Returns the number of symbols inside `x`.
    pub fn demod_subframe(
        &mut self,
        x: &[Complex32],
        sf_start: i64,
        cp: CyclicPrefix,
        rot: &Derotator,
        backoff: usize,
        out: &mut Vec<[Complex32; CENTRAL_SC]>,
    ) -> usize {
        self.demod_subframe_masked(x, sf_start, cp, rot, backoff, u32::MAX, out)
    }

    /// As [`Self::demod_subframe`] for the symbols whose bit is set in `mask`
    /// (bit i = symbol i of the subframe); the others are zeroed. Returns the number
    /// of requested symbols inside `x`.
    #[allow(clippy::too_many_arguments)] // all are plain per-call parameters
    pub fn demod_subframe_masked(
        &mut self,
        x: &[Complex32],
        sf_start: i64,
        cp: CyclicPrefix,
        rot: &Derotator,
        backoff: usize,
        mask: u32,
        out: &mut Vec<[Complex32; CENTRAL_SC]>,
    ) -> usize {
        let num = Numerology::search(cp);
        let nsym = num.symbols_per_subframe();
        out.resize(nsym, [Complex32::default(); CENTRAL_SC]);
        let mut ok = 0;
        for (sym, o) in out.iter_mut().enumerate() {
            if mask & (1 << sym) == 0 {
                o.fill(Complex32::default());
                continue;
            }
            let st = sf_start + num.useful_offset(sym) as i64 - backoff.min(num.cp_len(1)) as i64;
            if self.demod_rot(x, st as isize, rot, o) {
                ok += 1;
            }
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerology_hand_values() {
        let n = Numerology::search(CyclicPrefix::Normal);
        assert_eq!((n.cp_len(0), n.cp_len(1)), (10, 9));
        assert_eq!(n.slot_len(), 960);
        assert_eq!(n.useful_offset(0), 10);
        assert_eq!(n.useful_offset(1), 10 + 128 + 9);
        assert_eq!(n.useful_offset(6), 10 + 128 + 5 * 137 + 9);
        assert_eq!(n.useful_offset(7), 970);
        let e = Numerology::search(CyclicPrefix::Extended);
        assert_eq!(e.cp_len(3), 32);
        assert_eq!(e.useful_offset(5), 5 * 160 + 32);
        assert_eq!(
            Numerology {
                fft_size: 2048,
                cp: CyclicPrefix::Normal
            }
            .useful_offset(1),
            160 + 2048 + 144
        );
    }

    #[test]
    fn demod_finds_tone_on_its_subcarrier() {
        let mut d = OfdmDemod::new();
        // Tone on subcarrier +1 from DC = k' 36.
        let x: Vec<Complex32> = (0..200)
            .map(|i| Complex32::from_polar(0.5, 2.0 * std::f32::consts::PI * i as f32 / 128.0))
            .collect();
        let mut out = [Complex32::default(); 72];
        assert!(d.demod(&x, 3, &mut out));
        assert!((out[36].norm() - 64.0).abs() < 1e-3);
        assert!(out[35].norm() < 1e-3);
        assert!(!d.demod(&x, 100, &mut out));
        assert!(!d.demod(&x, -1, &mut out));
    }
}
