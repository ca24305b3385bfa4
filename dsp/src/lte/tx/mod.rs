//! LTE downlink test transmitter: PSS/SSS (TS 36.211 §6.11), CRS (§6.10.1),
//! PBCH (§6.6, TS 36.212 §5.3.1) and optional random QPSK load on the other
//! resource elements, OFDM-modulated (§6.12) at any FFT size that is a multiple
//! of 128 (1.92 Msps for FFT 128), normal or extended CP, FDD or TDD
//! (uplink-downlink configuration 1: subframes 2, 3, 7, 8 silent), 1, 2 or 4
//! antenna ports (returned separately or summed). [`channel`] adds noise,
//! frequency and timing offsets.
//!
//! Synchronisation signals are sent on port 0 only.

pub mod channel;
pub mod si;

use super::crs::{crs_values, is_crs_symbol, k_offset, N_RB_MAX};
use super::grid::{carrier_bin, Numerology};
use super::mib::{Mib, PhichDuration, PhichResource, NOF_PRB};
use super::pbch::{encode_bits, frame_symbols, re_positions};
use super::sync::pss::pss_sequence;
use super::sync::sss::sss_sequence;
use super::{CyclicPrefix, Duplex};
use channel::Rng;
use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Transmitter settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LteTxConfig {
    /// Physical cell identity 0..504.
    pub pci: u16,
    /// CRS antenna ports: 1, 2 or 4.
    pub ports: u8,
    /// Cyclic prefix.
    pub cp: CyclicPrefix,
    /// FDD or TDD.
    pub duplex: Duplex,
    /// Carrier bandwidth in PRB (signalled in the MIB; all of it is generated when it
    /// fits in the FFT, otherwise only the central 6 PRB).
    pub nof_prb: u8,
    /// FFT size (multiple of 128); the sample rate is `fft_size · 15 kHz`.
    pub fft_size: usize,
    /// PHICH duration signalled in the MIB.
    pub phich_duration: PhichDuration,
    /// PHICH resource signalled in the MIB.
    pub phich_resource: PhichResource,
    /// SFN of the first generated frame (0..1024).
    pub sfn: u16,
    /// Fill unused resource elements with random QPSK (a fully loaded cell).
    pub data_load: bool,
    /// Seed of the load generator.
    pub seed: u64,
}

impl Default for LteTxConfig {
    fn default() -> Self {
        LteTxConfig {
            pci: 0,
            ports: 1,
            cp: CyclicPrefix::Normal,
            duplex: Duplex::Fdd,
            nof_prb: 6,
            fft_size: 128,
            phich_duration: PhichDuration::Normal,
            phich_resource: PhichResource::OneSixth,
            sfn: 0,
            data_load: true,
            seed: 1,
        }
    }
}

/// Invalid transmitter settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// Ports not 1, 2 or 4.
    #[error("{0} antenna ports (1, 2 or 4)")]
    Ports(u8),
    /// PCI ≥ 504.
    #[error("PCI {0} out of range 0..504")]
    Pci(u16),
    /// Bandwidth not one of 6, 15, 25, 50, 75, 100 PRB.
    #[error("{0} PRB is not an LTE bandwidth")]
    Bandwidth(u8),
    /// FFT size not a positive multiple of 128.
    #[error("FFT size {0} is not a positive multiple of 128")]
    FftSize(usize),
}

/// Test transmitter. `new` validates and plans; `generate*` produce samples.
pub struct LteTransmitter {
    cfg: LteTxConfig,
    num: Numerology,
    n_gen: usize,
    ifft: Arc<dyn Fft<f32>>,
    rng: Rng,
    /// Next subframe to generate (absolute count since the start).
    next_subframe: u64,
    /// System information (PCFICH/PDCCH/PDSCH), see [`si`].
    si: Option<si::SiTx>,
}

impl std::fmt::Debug for LteTransmitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LteTransmitter")
            .field("cfg", &self.cfg)
            .finish()
    }
}

impl LteTransmitter {
    /// Validates the settings and plans the IFFT.
    pub fn new(cfg: LteTxConfig) -> Result<Self, TxError> {
        if !matches!(cfg.ports, 1 | 2 | 4) {
            return Err(TxError::Ports(cfg.ports));
        }
        if cfg.pci >= 504 {
            return Err(TxError::Pci(cfg.pci));
        }
        if !NOF_PRB.contains(&cfg.nof_prb) {
            return Err(TxError::Bandwidth(cfg.nof_prb));
        }
        if cfg.fft_size == 0 || cfg.fft_size % 128 != 0 {
            return Err(TxError::FftSize(cfg.fft_size));
        }
        let nprb = usize::from(cfg.nof_prb);
        let n_gen = if 12 * nprb < cfg.fft_size { nprb } else { 6 };
        let ifft = FftPlanner::new().plan_fft_inverse(cfg.fft_size);
        Ok(LteTransmitter {
            num: Numerology {
                fft_size: cfg.fft_size,
                cp: cfg.cp,
            },
            n_gen,
            ifft,
            rng: Rng::new(cfg.seed),
            next_subframe: 0,
            si: None,
            cfg,
        })
    }

    /// Sends system information from now on (PCFICH in every subframe, DCI 1A for
    /// SI-RNTI and the PDSCH of each scheduled block), see [`si`]. Needs the full
    /// bandwidth inside the FFT.
    pub fn set_system_info(&mut self, cfg: si::SiTxConfig) -> Result<(), si::SiTxError> {
        let nprb = usize::from(self.cfg.nof_prb);
        if self.n_gen != nprb {
            return Err(si::SiTxError::Bandwidth {
                nprb,
                fft: self.cfg.fft_size,
            });
        }
        let c = &self.cfg;
        self.si = Some(si::SiTx::new(
            nprb,
            c.pci,
            c.ports,
            c.cp,
            c.duplex,
            c.phich_resource,
            c.phich_duration,
            cfg,
        )?);
        Ok(())
    }

    /// Sample rate of the output.
    pub fn sample_rate(&self) -> f64 {
        self.num.sample_rate()
    }

    /// The configuration.
    pub fn config(&self) -> &LteTxConfig {
        &self.cfg
    }

    /// The next `nof_subframes` subframes, one signal per antenna port.
    pub fn generate_ports(&mut self, nof_subframes: usize) -> Vec<Vec<Complex32>> {
        let ports = usize::from(self.cfg.ports);
        let sf_len = self.num.subframe_len();
        let mut out = vec![Vec::with_capacity(nof_subframes * sf_len); ports];
        for _ in 0..nof_subframes {
            self.subframe(&mut out);
        }
        out
    }

    /// The next `nof_subframes` subframes with all ports summed (unit gains).
    pub fn generate(&mut self, nof_subframes: usize) -> Vec<Complex32> {
        channel::combine_ports(&self.generate_ports(nof_subframes), &[])
    }

    fn subframe(&mut self, out: &mut [Vec<Complex32>]) {
        let c = self.cfg.clone();
        let num = self.num;
        let n = num.fft_size;
        let ports = usize::from(c.ports);
        let nprb = usize::from(c.nof_prb);
        let abs_sf = self.next_subframe;
        self.next_subframe += 1;
        let sf = (abs_sf % 10) as usize;
        let sfn = ((u64::from(c.sfn) + abs_sf / 10) % 1024) as u16;
        let nsym = c.cp.symbols_per_slot();
        let silent = c.duplex == Duplex::Tdd && matches!(sf, 2 | 3 | 7 | 8);
        let n_sc = 12 * self.n_gen;
        let k_lo = 6 * nprb - 6 * self.n_gen;
        let k_central = 6 * nprb - 36;
        let pbch = if sf == 0 {
            let mib =
                Mib::encode(c.nof_prb, c.phich_duration, c.phich_resource, sfn).unwrap_or([0; 24]);
            let bits = encode_bits(&mib, c.ports, c.pci, c.cp);
            Some((
                frame_symbols(&bits, usize::from(sfn % 4), c.ports, c.cp),
                re_positions(c.cp, c.pci),
            ))
        } else {
            None
        };
        let si_built = match self.si.as_mut() {
            Some(s) if !silent => s.build(sfn, sf),
            _ => false,
        };
        let mut grid = vec![vec![Complex32::default(); n_sc]; ports];
        let mut used = vec![false; n_sc];
        let mut crs = vec![Complex32::default(); 2 * self.n_gen];
        let mut buf = vec![Complex32::default(); n];
        let scale = 1.0 / (n as f32).sqrt();
        for sym in 0..2 * nsym {
            let slot = sym / nsym;
            let l = sym % nsym;
            let ns = 2 * sf + slot;
            for g in grid.iter_mut() {
                g.fill(Complex32::default());
            }
            used.fill(false);
            if !silent {
                // CRS of every port; their positions are reserved on all ports.
                for (p, g) in grid.iter_mut().enumerate() {
                    if !is_crs_symbol(p, l, c.cp) {
                        continue;
                    }
                    let off = k_offset(p, l, ns, c.pci);
                    let m0 = k_lo / 6 + N_RB_MAX - nprb;
                    crs_values(c.pci, ns, l, c.cp, m0, &mut crs);
                    for (m, &v) in crs.iter().enumerate() {
                        let k = 6 * m + off;
                        if k < n_sc {
                            g[k] = v;
                            used[k] = true;
                        }
                    }
                }
                // PSS / SSS on port 0 with their 5-subcarrier guards.
                let (pss_here, sss_here) = match c.duplex {
                    Duplex::Fdd => (
                        matches!(sf, 0 | 5) && sym == nsym - 1,
                        matches!(sf, 0 | 5) && sym == nsym - 2,
                    ),
                    Duplex::Tdd => (
                        matches!(sf, 1 | 6) && sym == 2,
                        matches!(sf, 0 | 5) && sym == 2 * nsym - 1,
                    ),
                };
                if pss_here || sss_here {
                    let pss = pss_sequence((c.pci % 3) as u8);
                    let sss = sss_sequence(c.pci / 3, (c.pci % 3) as u8, sf == 5);
                    for i in 0..72usize {
                        let k = k_central + i - k_lo;
                        used[k] = true;
                        if (5..67).contains(&i) {
                            let v = if pss_here {
                                pss[i - 5]
                            } else {
                                Complex32::new(sss[i - 5], 0.0)
                            };
                            grid[0][k] = v;
                        }
                    }
                }
                // PBCH in slot 1 symbols 0..3 of subframe 0 (all CRS positions of 4 ports reserved).
                if let (Some((sy, pos)), 1, true) = (&pbch, slot, l < 4) {
                    for k in 0..72usize {
                        used[k_central + k - k_lo] = true;
                    }
                    for (i, &(pl, pk)) in pos.iter().enumerate() {
                        if pl == l {
                            for (p, s) in sy.iter().enumerate() {
                                grid[p][k_central + pk - k_lo] = s[i];
                            }
                        }
                    }
                }
                if let (true, Some(s)) = (si_built, self.si.as_ref()) {
                    s.write_symbol(sym, k_lo, &mut grid, &mut used);
                }
                if c.data_load {
                    let a = std::f32::consts::FRAC_1_SQRT_2 / (ports as f32).sqrt();
                    for k in 0..n_sc {
                        if used[k] {
                            continue;
                        }
                        for g in grid.iter_mut() {
                            let r = self.rng.next_u64();
                            g[k] = Complex32::new(
                                if r & 1 == 0 { a } else { -a },
                                if r & 2 == 0 { a } else { -a },
                            );
                        }
                    }
                }
            }
            let cp_len = num.cp_len(l);
            for (p, g) in grid.iter().enumerate() {
                buf.fill(Complex32::default());
                for (i, &v) in g.iter().enumerate() {
                    buf[carrier_bin(k_lo + i, nprb, n)] = v * scale;
                }
                self.ifft.process(&mut buf);
                out[p].extend_from_slice(&buf[n - cp_len..]);
                out[p].extend_from_slice(&buf);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_errors() {
        let mut tx = LteTransmitter::new(LteTxConfig {
            ports: 2,
            ..Default::default()
        })
        .unwrap();
        let p = tx.generate_ports(3);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].len(), 3 * 1920);
        assert!(LteTransmitter::new(LteTxConfig {
            ports: 3,
            ..Default::default()
        })
        .is_err());
        assert!(LteTransmitter::new(LteTxConfig {
            pci: 504,
            ..Default::default()
        })
        .is_err());
        assert!(LteTransmitter::new(LteTxConfig {
            fft_size: 100,
            ..Default::default()
        })
        .is_err());
        assert!(LteTransmitter::new(LteTxConfig {
            nof_prb: 7,
            ..Default::default()
        })
        .is_err());
        let mut wide = LteTransmitter::new(LteTxConfig {
            nof_prb: 25,
            fft_size: 512,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(wide.generate(1).len(), 7680);
        assert_eq!(wide.sample_rate(), 7.68e6);
    }
}
