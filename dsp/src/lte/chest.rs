//! Channel estimation from the cell-specific reference signals of one subframe,
//! TS 36.211 §6.10.1 (pilot positions and values; the estimator itself is ours).
//!
//! Least-squares estimates `Y·conj(r)` at each port's pilots of the subframe are
//! merged across the port's CRS symbols (spacing 3 subcarriers), smoothed in
//! frequency with a triangular window, and held constant over the subframe.
//! The noise variance comes from the port-0 pilots repeated in both slots.

use super::crs::{central_crs, is_crs_symbol, k_offset};
use super::{CyclicPrefix, CENTRAL_SC};
use num_complex::Complex32;

/// Per-subframe channel estimate over the central 72 subcarriers.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelEstimate {
    /// `h[p][k']` for ports `p < ports` (FFT-unnormalised units, like the demodulated grid).
    pub h: [[Complex32; CENTRAL_SC]; 4],
    /// Number of ports estimated.
    pub ports: usize,
    /// Noise (plus interference) variance per resource element.
    pub noise_var: f32,
    /// Mean `|h_LS|²` of the port-0 pilots (signal plus noise).
    pub port0_pilot_power: f32,
    /// Per-port mean `|h|²` of the smoothed estimate.
    pub port_power: [f32; 4],
}

impl Default for ChannelEstimate {
    fn default() -> Self {
        ChannelEstimate {
            h: [[Complex32::default(); CENTRAL_SC]; 4],
            ports: 0,
            noise_var: 0.0,
            port0_pilot_power: 0.0,
            port_power: [0.0; 4],
        }
    }
}

/// The central-6-PRB CRS pilots ([`central_crs`], TS 36.211 §6.10.1.1) of one cell,
/// generated on first use and kept until the cell changes: a cell's pilots repeat
/// every frame, and generating one symbol's costs a Gold sequence warm-up.
#[derive(Debug, Clone, Default)]
pub struct CrsTable {
    key: Option<(u16, CyclicPrefix)>,
    /// Indexed by `ns·7 + l` (20 slots × up to 7 symbols).
    vals: Vec<Option<[Complex32; 12]>>,
}

impl CrsTable {
    /// `central_crs(pci, ns, l, cp)`, from the table.
    pub fn get(&mut self, pci: u16, ns: usize, l: usize, cp: CyclicPrefix) -> [Complex32; 12] {
        if ns >= 20 || l >= 7 {
            return central_crs(pci, ns, l, cp);
        }
        if self.key != Some((pci, cp)) {
            self.key = Some((pci, cp));
            self.vals.clear();
            self.vals.resize(20 * 7, None);
        }
        *self.vals[ns * 7 + l].get_or_insert_with(|| central_crs(pci, ns, l, cp))
    }
}

/// CRS channel estimator; holds its scratch buffers.
#[derive(Debug, Clone)]
pub struct ChannelEstimator {
    /// Half-width (subcarriers) of the frequency smoothing window.
    pub smoothing: f32,
    acc: [Complex32; CENTRAL_SC],
    cnt: [f32; CENTRAL_SC],
    crs: CrsTable,
}

impl Default for ChannelEstimator {
    fn default() -> Self {
        Self::new(4.0)
    }
}

impl ChannelEstimator {
    /// An estimator smoothing over pilots within ±`smoothing` subcarriers.
    pub fn new(smoothing: f32) -> Self {
        ChannelEstimator {
            smoothing: smoothing.clamp(0.5, 36.0),
            acc: [Complex32::default(); 72],
            cnt: [0.0; 72],
            crs: CrsTable::default(),
        }
    }

    /// Estimates ports `0..ports` (1..=4) from the demodulated subframe `grid`
    /// (one entry per OFDM symbol; `subframe` 0..10 gives the slot numbers).
    /// Missing symbols (a short `grid`) leave the estimate at zero.
    pub fn estimate(
        &mut self,
        grid: &[[Complex32; CENTRAL_SC]],
        pci: u16,
        cp: CyclicPrefix,
        subframe: usize,
        ports: usize,
        out: &mut ChannelEstimate,
    ) {
        let per_slot = cp.symbols_per_slot();
        let ports = ports.clamp(1, 4);
        out.ports = ports;
        let mut noise = 0.0f32;
        let mut noise_n = 0usize;
        let mut p0_pow = 0.0f32;
        let mut p0_n = 0usize;
        for p in 0..ports {
            self.acc = [Complex32::default(); 72];
            self.cnt = [0.0; 72];
            let mut first_slot_ls = [[Complex32::default(); 12]; 2];
            for slot in 0..2 {
                let ns = 2 * (subframe % 10) + slot;
                for l in 0..per_slot {
                    if !is_crs_symbol(p, l, cp) {
                        continue;
                    }
                    let Some(y) = grid.get(slot * per_slot + l) else {
                        continue;
                    };
                    let r = self.crs.get(pci, ns, l, cp);
                    let off = k_offset(p, l, ns, pci);
                    for (m, rv) in r.iter().enumerate() {
                        let k = 6 * m + off;
                        let ls = y[k] * rv.conj();
                        if !(ls.re.is_finite() && ls.im.is_finite()) {
                            continue;
                        }
                        self.acc[k] += ls;
                        self.cnt[k] += 1.0;
                        if p == 0 {
                            p0_pow += ls.norm_sqr();
                            p0_n += 1;
                            // Noise from the same pilot in both slots (symbol l = 0).
                            if l == 0 {
                                if slot == 0 {
                                    first_slot_ls[0][m] = ls;
                                } else {
                                    noise += (ls - first_slot_ls[0][m]).norm_sqr();
                                    noise_n += 1;
                                }
                            } else if slot == 0 {
                                first_slot_ls[1][m] = ls;
                            } else {
                                noise += (ls - first_slot_ls[1][m]).norm_sqr();
                                noise_n += 1;
                            }
                        }
                    }
                }
            }
            // Pilot averages, then triangular smoothing across frequency.
            let w = self.smoothing;
            let mut pow = 0.0;
            for k in 0..CENTRAL_SC {
                let mut num = Complex32::default();
                let mut den = 0.0f32;
                let lo = (k as f32 - w).ceil().max(0.0) as usize;
                let hi = ((k as f32 + w).floor() as usize).min(CENTRAL_SC - 1);
                for j in lo..=hi {
                    if self.cnt[j] > 0.0 {
                        let wt = 1.0 - (j as f32 - k as f32).abs() / (w + 1.0);
                        num += self.acc[j] / self.cnt[j] * wt;
                        den += wt;
                    }
                }
                out.h[p][k] = if den > 0.0 {
                    num / den
                } else {
                    Complex32::default()
                };
                pow += out.h[p][k].norm_sqr();
            }
            out.port_power[p] = pow / CENTRAL_SC as f32;
        }
        for p in ports..4 {
            out.h[p] = [Complex32::default(); 72];
            out.port_power[p] = 0.0;
        }
        out.noise_var = if noise_n > 0 {
            noise / (2.0 * noise_n as f32)
        } else {
            0.0
        };
        out.port0_pilot_power = if p0_n > 0 { p0_pow / p0_n as f32 } else { 0.0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crs_table_equals_generated_pilots() {
        let mut t = CrsTable::default();
        for pci in [0u16, 150, 503, 150] {
            for cp in [CyclicPrefix::Normal, CyclicPrefix::Extended] {
                for ns in [0usize, 1, 10, 19, 20, 25] {
                    for l in [0usize, 1, 3, 4, 6, 7] {
                        // Twice: generated, then from the table.
                        for _ in 0..2 {
                            assert_eq!(t.get(pci, ns, l, cp), central_crs(pci, ns, l, cp));
                        }
                    }
                }
            }
        }
    }
}
