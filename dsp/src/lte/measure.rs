//! Cell measurements from the CRS, TS 36.214 §5.1.1 (RSRP), §5.1.3 (RSRQ) and
//! E-UTRA carrier RSSI (§5.1.3), in dBFS/dB over the central 6 PRB.
//!
//! - RSRP: linear average power per port-0 CRS resource element, noise removed
//!   (`E|h_LS|² − σ²`).
//! - RSSI: average total received power per OFDM symbol carrying port-0 CRS, over
//!   the 6 PRB (72 subcarriers), measured on the original input.
//! - RSRQ = N·RSRP/RSSI with N = 6.
//! - SINR: RSRP over the noise-plus-interference power per resource element seen on
//!   the port-0 pilots (slot-to-slot differences), on the signal after stronger
//!   cells were cancelled.
//!
//! Power of one resource element: `|Y|²/N²` for the unnormalised N = 128 FFT,
//! so a full-scale tone on a subcarrier is 0 dBFS. Add the receiver's
//! calibration offset to get dBm.

use super::chest::ChannelEstimate;
use super::CENTRAL_SC;
use num_complex::Complex32;
use serde::{Deserialize, Serialize};

/// Measurement results.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Measurements {
    /// Reference signal received power (dBFS per RE).
    pub rsrp_dbfs: f32,
    /// Received signal strength over 6 PRB (dBFS).
    pub rssi_dbfs: f32,
    /// Reference signal received quality (dB).
    pub rsrq_db: f32,
    /// CRS signal to noise-plus-interference ratio (dB).
    pub sinr_db: f32,
    /// Subframes averaged.
    pub subframes: usize,
}

/// Accumulates per-subframe figures; `finish` converts to dB.
#[derive(Debug, Clone, Default)]
pub struct MeasurementAccumulator {
    signal: f64,
    noise: f64,
    subframes: usize,
    rssi: f64,
    rssi_symbols: usize,
}

const FFT_POWER: f64 = 128.0 * 128.0;

impl MeasurementAccumulator {
    /// Empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one subframe's channel estimate (port-0 pilot power and noise).
    pub fn add_subframe(&mut self, est: &ChannelEstimate) {
        let (p, n) = (f64::from(est.port0_pilot_power), f64::from(est.noise_var));
        if p.is_finite() && n.is_finite() {
            self.signal += (p - n).max(0.0);
            self.noise += n;
            self.subframes += 1;
        }
    }

    /// Adds one CRS-bearing OFDM symbol of the original input.
    pub fn add_rssi_symbol(&mut self, y: &[Complex32; CENTRAL_SC]) {
        let e: f64 = y.iter().map(|c| f64::from(c.norm_sqr())).sum();
        if e.is_finite() {
            self.rssi += e;
            self.rssi_symbols += 1;
        }
    }

    /// The measurements, or None before any subframe was added.
    pub fn finish(&self) -> Option<Measurements> {
        if self.subframes == 0 {
            return None;
        }
        let db = |v: f64| (10.0 * v.max(1e-30).log10()) as f32;
        let rsrp = self.signal / self.subframes as f64 / FFT_POWER;
        let noise = self.noise / self.subframes as f64 / FFT_POWER;
        let rssi = if self.rssi_symbols > 0 {
            self.rssi / self.rssi_symbols as f64 / FFT_POWER
        } else {
            0.0
        };
        Some(Measurements {
            rsrp_dbfs: db(rsrp),
            rssi_dbfs: db(rssi),
            rsrq_db: db(6.0 * rsrp / rssi.max(1e-30)),
            sinr_db: db(rsrp / noise.max(1e-30)),
            subframes: self.subframes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_values() {
        let mut a = MeasurementAccumulator::new();
        assert!(a.finish().is_none());
        // Pilot power 128² · 0.01 + noise 128² · 0.001 → RSRP −20 dBFS, SINR 10 dB.
        let est = ChannelEstimate {
            port0_pilot_power: (FFT_POWER * 0.011) as f32,
            noise_var: (FFT_POWER * 0.001) as f32,
            ..Default::default()
        };
        a.add_subframe(&est);
        // 72 REs of power 0.0125 each → RSSI 0.9 → −0.46 dBFS.
        let y = [Complex32::new((FFT_POWER * 0.0125).sqrt() as f32, 0.0); 72];
        a.add_rssi_symbol(&y);
        let m = a.finish().unwrap();
        assert!((m.rsrp_dbfs + 20.0).abs() < 0.01);
        assert!((m.sinr_db - 10.0).abs() < 0.01);
        assert!((m.rssi_dbfs - 10.0 * 0.9f32.log10()).abs() < 0.01);
        assert!((m.rsrq_db - 10.0 * (6.0 * 0.01f32 / 0.9).log10()).abs() < 0.01);
    }
}
