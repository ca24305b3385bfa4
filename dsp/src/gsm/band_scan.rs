//! Band-power scan: received power of every GSM channel on the 200 kHz
//! raster (TS 45.005 §2: carrier frequencies are whole multiples of 200 kHz in
//! GSM 850, P/E/R-GSM 900, DCS 1800 and PCS 1900) that fits inside a wideband
//! capture, in one pass.
//!
//! Welch's method: Hann-windowed FFT segments with 50 % overlap, |X|²
//! averaged and scaled so that the bins sum to the mean sample power (0 dBFS
//! = a full-scale complex sinusoid). A channel's power is the sum of the bins
//! within ±100 kHz of its centre, edge bins weighted by the fraction inside.
//! This is the RXLEV-style measurement of TS 45.008 §8.1 over the whole
//! capture, not per burst.

use std::sync::Arc;

use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

/// GSM channel spacing, Hz.
pub const CHANNEL_SPACING_HZ: f64 = 200_000.0;

/// Scan settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandScanConfig {
    /// FFT length (rounded up to a power of two, at least 64).
    pub fft_size: usize,
    /// Fraction of the Nyquist band trusted (the SDR's own filters roll off at the edges).
    pub usable_fraction: f64,
}

impl Default for BandScanConfig {
    fn default() -> Self {
        BandScanConfig {
            fft_size: 1024,
            usable_fraction: 0.8,
        }
    }
}

/// Power of one channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelPower {
    /// Channel centre minus the capture centre, Hz.
    pub offset_hz: f64,
    /// Absolute channel centre, Hz, when the capture centre was given.
    pub frequency_hz: Option<f64>,
    /// Power within ±100 kHz of the centre, dBFS.
    pub power_dbfs: f64,
}

/// Errors of the scan.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BandScanError {
    /// The sample rate is not a finite positive number.
    #[error("sample rate must be finite and positive, got {0}")]
    BadRate(f64),
    /// The centre frequency is not finite.
    #[error("centre frequency must be finite, got {0}")]
    BadCentre(f64),
}

/// The scanner; the FFT plan and buffers are built in `new`.
#[derive(Clone)]
pub struct BandScanner {
    cfg: BandScanConfig,
    n: usize,
    fft: Arc<dyn Fft<f32>>,
    window: Vec<f32>,
    buf: Vec<Complex32>,
    scratch: Vec<Complex32>,
    psd: Vec<f64>,
}

impl std::fmt::Debug for BandScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BandScanner")
            .field("cfg", &self.cfg)
            .field("fft_len", &self.n)
            .finish_non_exhaustive()
    }
}

impl BandScanner {
    /// A scanner with `cfg`.
    pub fn new(cfg: BandScanConfig) -> Self {
        let n = cfg.fft_size.clamp(64, 1 << 20).next_power_of_two();
        let fft = FftPlanner::new().plan_fft_forward(n);
        let window = (0..n)
            .map(|i| {
                let x = std::f64::consts::TAU * i as f64 / n as f64;
                (0.5 - 0.5 * x.cos()) as f32
            })
            .collect();
        let scratch = vec![Complex32::default(); fft.get_inplace_scratch_len()];
        BandScanner {
            cfg: BandScanConfig {
                fft_size: n,
                usable_fraction: if cfg.usable_fraction.is_finite() {
                    cfg.usable_fraction.clamp(0.1, 1.0)
                } else {
                    0.8
                },
            },
            n,
            fft,
            window,
            buf: vec![Complex32::default(); n],
            scratch,
            psd: vec![0.0; n],
        }
    }

    /// The raster offsets (from the capture centre) that fit in the usable band.
    pub fn raster(&self, sample_rate: f64, center_hz: Option<f64>) -> Vec<f64> {
        let half = self.cfg.usable_fraction * sample_rate / 2.0 - CHANNEL_SPACING_HZ / 2.0;
        if !(half.is_finite() && half >= 0.0) {
            return Vec::new();
        }
        let c = center_hz.unwrap_or(0.0);
        let lo = ((c - half) / CHANNEL_SPACING_HZ).ceil() as i64;
        let hi = ((c + half) / CHANNEL_SPACING_HZ).floor() as i64;
        if hi < lo || hi - lo > 100_000 {
            return Vec::new();
        }
        (lo..=hi)
            .map(|k| k as f64 * CHANNEL_SPACING_HZ - c)
            .collect()
    }

    /// Power of every raster channel inside the usable band of `x` (sample rate
    /// `sample_rate`, centre `center_hz` if known: then the raster is the absolute
    /// 200 kHz grid, otherwise offsets k × 200 kHz from the centre). Inputs
    /// shorter than one FFT are zero-padded; non-finite samples count as zero.
    pub fn scan(
        &mut self,
        x: &[Complex32],
        sample_rate: f64,
        center_hz: Option<f64>,
    ) -> Result<Vec<ChannelPower>, BandScanError> {
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            return Err(BandScanError::BadRate(sample_rate));
        }
        if let Some(c) = center_hz {
            if !c.is_finite() {
                return Err(BandScanError::BadCentre(c));
            }
        }
        let n = self.n;
        self.psd.iter_mut().for_each(|p| *p = 0.0);
        let hop = n / 2;
        let mut segments = 0usize;
        let mut start = 0usize;
        let wsum: f64 = self.window.iter().map(|&w| f64::from(w * w)).sum();
        loop {
            let seg = x.get(start..).unwrap_or(&[]);
            if segments > 0 && seg.len() < n {
                break;
            }
            for (i, b) in self.buf.iter_mut().enumerate() {
                let v = seg.get(i).copied().unwrap_or_default();
                let v = if v.re.is_finite() && v.im.is_finite() {
                    v
                } else {
                    Complex32::default()
                };
                *b = v * self.window[i];
            }
            self.fft
                .process_with_scratch(&mut self.buf, &mut self.scratch);
            for (p, b) in self.psd.iter_mut().zip(&self.buf) {
                *p += f64::from(b.norm_sqr());
            }
            segments += 1;
            start += hop;
        }
        // Scale: Σ bins = mean power. Zero padding of a short input dilutes; undo it.
        let used = x.len().clamp(1, n) as f64 / n as f64;
        let scale =
            1.0 / (segments as f64 * n as f64 * wsum * if x.len() < n { used } else { 1.0 });
        let bin_hz = sample_rate / n as f64;
        let offsets = self.raster(sample_rate, center_hz);
        let half_bw = CHANNEL_SPACING_HZ / 2.0;
        Ok(offsets
            .into_iter()
            .map(|off| {
                let lo = (off - half_bw) / bin_hz;
                let hi = (off + half_bw) / bin_hz;
                let mut p = 0.0;
                let k0 = lo.floor() as i64;
                let k1 = hi.ceil() as i64;
                for k in k0..=k1 {
                    // Bin k covers [k − ½, k + ½) bins around its centre.
                    let overlap = ((k as f64 + 0.5).min(hi) - (k as f64 - 0.5).max(lo)).max(0.0);
                    if overlap > 0.0 {
                        let idx = k.rem_euclid(n as i64) as usize;
                        p += overlap * self.psd[idx];
                    }
                }
                let p = p * scale;
                ChannelPower {
                    offset_hz: off,
                    frequency_hz: center_hz.map(|c| c + off),
                    power_dbfs: 10.0 * p.max(1e-30).log10(),
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lte::tx::channel::{add_awgn, Rng};

    #[test]
    fn tone_power_lands_in_its_channel() {
        let fs = 2_400_000.0;
        let center = 935_100_000.0;
        let n = 48_000;
        // A −10 dBFS tone at 935.6 MHz + 20 kHz, noise at −40 dBFS over the band.
        let f = 935_600_000.0 + 20_000.0 - center;
        let mut x: Vec<Complex32> = (0..n)
            .map(|i| {
                Complex32::from_polar(
                    0.316_227_8,
                    (std::f64::consts::TAU * f * i as f64 / fs) as f32,
                )
            })
            .collect();
        add_awgn(&mut x, 1e-4, &mut Rng::new(1));
        let mut s = BandScanner::new(BandScanConfig::default());
        let ch = s.scan(&x, fs, Some(center)).unwrap();
        // ±960 kHz usable minus half a channel around 935.1 MHz: 934.4 … 935.8 MHz.
        assert_eq!(ch.len(), 8, "{ch:?}");
        assert!(ch
            .iter()
            .all(|c| (c.frequency_hz.unwrap() / 200e3).fract().abs() < 1e-9));
        let peak = ch
            .iter()
            .max_by(|a, b| a.power_dbfs.total_cmp(&b.power_dbfs))
            .unwrap();
        assert_eq!(peak.frequency_hz, Some(935_600_000.0));
        assert!((peak.power_dbfs + 10.0).abs() < 0.3, "{peak:?}");
        // Noise: −40 dBFS over 2.4 MHz → −40 + 10·log10(200/2400) ≈ −50.8 dBFS per channel.
        let quiet = ch
            .iter()
            .find(|c| c.frequency_hz == Some(934_600_000.0))
            .unwrap();
        assert!((quiet.power_dbfs + 50.8).abs() < 1.0, "{quiet:?}");
        assert!(s.scan(&x, f64::NAN, None).is_err());
        assert!(s
            .scan(&[], fs, None)
            .unwrap()
            .iter()
            .all(|c| c.power_dbfs < -200.0));
        assert!(s.scan(&x[..10], fs, None).is_ok());
    }
}
