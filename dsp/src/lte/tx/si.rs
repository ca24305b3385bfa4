//! System information for the test transmitter: PCFICH (TS 36.211 §6.7), a
//! DCI format 1A (localized or distributed VRBs) or 1C for SI-RNTI on the PDCCH
//! common search space (§6.8, TS 36.212 §5.3.3; resource allocation type 2,
//! TS 36.213 §7.1.6.3) and the PDSCH carrying the transport block (§6.3–6.4, TS 36.212
//! §5.3.2), with transmit diversity (§6.3.4.3) for 2 and 4 ports.
//!
//! Each [`ScheduledTb`] is sent in subframe `subframe` of the frames with
//! `SFN mod period_frames = frame_offset`, with redundancy version
//! `⌈3k/2⌉ mod 4` (TS 36.321 §5.3.1): for SIB1 ([`ScheduledTb::sib1`]: period
//! 2, subframe 5) `k = (SFN/2) mod 4`; any other block is one transmission at
//! the start of its SI window, `k = 0`. The bytes are zero-padded (MAC padding) to the smallest
//! transport block size of the format (TS 36.213 §7.1.7.2.1 columns `N_PRB^1A`
//! 2 and 3 for 1A with SI-RNTI; Table 7.1.7.2.3-1 for 1C) that holds them, and
//! the allocation is the smallest one whose code rate stays below [`MAX_CODE_RATE`].
//!
//! Use through [`super::LteTransmitter::set_system_info`].

use crate::lte::dci::{encode as dci_encode, Dci1A, Dci1C, DciFormat, SI_RNTI};
use crate::lte::mib::{PhichDuration, PhichResource};
use crate::lte::pdcch::{self, ControlLayout};
use crate::lte::pdsch::{self, encode_tb, pdsch_res, si_rv, PdschCell};
use crate::lte::ra::{alloc_1a, alloc_1c, n_step_1c, n_vrb_distributed, riv_encode, PrbAllocation};
use crate::lte::tbs::{tbs, TBS_DCI1C};
use crate::lte::{pcfich, CyclicPrefix, Duplex};
use crate::sequence::GoldSequence;
use num_complex::Complex32;

/// Highest code rate accepted when choosing the allocation.
pub const MAX_CODE_RATE: f64 = 0.75;

/// A transport block sent periodically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledTb {
    /// Period in radio frames (≥ 1).
    pub period_frames: u16,
    /// Frame offset within the period.
    pub frame_offset: u16,
    /// Subframe 0..10.
    pub subframe: u8,
    /// BCCH-DL-SCH bytes (padded with zeros to a TBS).
    pub bytes: Vec<u8>,
}

impl ScheduledTb {
    /// SIB1: subframe 5 of even frames.
    pub fn sib1(bytes: Vec<u8>) -> Self {
        ScheduledTb {
            period_frames: 2,
            frame_offset: 0,
            subframe: 5,
            bytes,
        }
    }
}

/// System-information settings of the transmitter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiTxConfig {
    /// Blocks to send.
    pub sibs: Vec<ScheduledTb>,
    /// CFI of every subframe (1..=3).
    pub cfi: u8,
    /// PDCCH aggregation level (4 or 8); common-search-space candidate 0.
    pub aggregation: u8,
    /// First PRB (VRB) of the allocation.
    pub rb_start: usize,
    /// DCI format: 1A (TBS from columns 2/3 of Table 7.1.7.2.1-1) or 1C
    /// (Table 7.1.7.2.3-1, distributed VRBs in steps of `N_step`, gap 1).
    pub format: DciFormat,
    /// Distributed VRBs for format 1A (gap 1).
    pub distributed: bool,
}

impl Default for SiTxConfig {
    fn default() -> Self {
        SiTxConfig {
            sibs: Vec::new(),
            cfi: 3,
            aggregation: 4,
            rb_start: 0,
            format: DciFormat::F1A,
            distributed: false,
        }
    }
}

/// Settings that cannot be transmitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiTxError {
    /// The cell's full bandwidth does not fit the FFT.
    #[error("{nprb} PRB do not fit FFT {fft}: system information needs the full bandwidth")]
    Bandwidth {
        /// PRB.
        nprb: usize,
        /// FFT size.
        fft: usize,
    },
    /// CFI or aggregation not possible in this cell.
    #[error("CFI {cfi} gives {n_cce} CCEs, too few for aggregation {aggregation}")]
    Control {
        /// CFI.
        cfi: u8,
        /// CCEs available.
        n_cce: usize,
        /// Aggregation asked.
        aggregation: u8,
    },
    /// A block is empty or too large for DCI 1A, or the schedule is invalid.
    #[error("block {index}: {why}")]
    Block {
        /// Index into `sibs`.
        index: usize,
        /// What is wrong.
        why: &'static str,
    },
}

/// A prepared block: padded bytes and its DCI/TBS.
#[derive(Debug, Clone)]
struct Prepared {
    sched: ScheduledTb,
    tb: Vec<u8>,
    mcs: u8,
    tpc: u8,
}

/// Subframe content generator; owns its grids.
#[derive(Debug, Clone)]
pub struct SiTx {
    cell: PdschCell,
    cfg: SiTxConfig,
    layout: ControlLayout,
    blocks: Vec<Prepared>,
    nsym: usize,
    n_sc: usize,
    /// `grid[(p·nsym + sym)·n_sc + k]`.
    grid: Vec<Complex32>,
    used: Vec<bool>,
    res: Vec<u32>,
    active: bool,
}

/// QPSK of a bit pair (TS 36.211 §7.1.2).
fn qpsk(b0: u8, b1: u8) -> Complex32 {
    let s = std::f32::consts::FRAC_1_SQRT_2;
    Complex32::new(
        s * (1.0 - 2.0 * f32::from(b0 & 1)),
        s * (1.0 - 2.0 * f32::from(b1 & 1)),
    )
}

impl SiTx {
    /// Prepares the schedule for a cell.
    #[allow(clippy::too_many_arguments)] // the cell's fixed parameters
    pub fn new(
        nprb: usize,
        pci: u16,
        ports: u8,
        cp: CyclicPrefix,
        duplex: Duplex,
        phich_resource: PhichResource,
        phich_duration: PhichDuration,
        cfg: SiTxConfig,
    ) -> Result<Self, SiTxError> {
        let layout = ControlLayout::new(
            nprb,
            pci,
            ports,
            cp,
            cfg.cfi,
            phich_resource,
            phich_duration,
        )
        .map_err(|_| SiTxError::Control {
            cfi: cfg.cfi,
            n_cce: 0,
            aggregation: cfg.aggregation,
        })?;
        let l = usize::from(cfg.aggregation);
        if !matches!(l, 4 | 8) || pdcch::common_candidate(layout.n_cce, l, 0).is_none() {
            return Err(SiTxError::Control {
                cfi: cfg.cfi,
                n_cce: layout.n_cce,
                aggregation: cfg.aggregation,
            });
        }
        let mut blocks = Vec::with_capacity(cfg.sibs.len());
        for (index, s) in cfg.sibs.iter().enumerate() {
            if s.period_frames == 0 || s.frame_offset >= s.period_frames || s.subframe >= 10 {
                return Err(SiTxError::Block {
                    index,
                    why: "invalid schedule",
                });
            }
            if s.bytes.is_empty() {
                return Err(SiTxError::Block {
                    index,
                    why: "empty",
                });
            }
            let need = 8 * s.bytes.len() as u32;
            // Smallest TBS ≥ need: 1A over its two columns, 1C over its table.
            let mut best: Option<(u32, u8, u8)> = None;
            match cfg.format {
                DciFormat::F1A => {
                    for mcs in 0..=26u8 {
                        for tpc in 0..2u8 {
                            if let Some(t) = tbs(mcs, 2 + u16::from(tpc)) {
                                if t >= need && best.is_none_or(|(bt, _, _)| t < bt) {
                                    best = Some((t, mcs, tpc));
                                }
                            }
                        }
                    }
                }
                DciFormat::F1C => {
                    best = TBS_DCI1C
                        .iter()
                        .position(|&t| u32::from(t) >= need)
                        .map(|i| (u32::from(TBS_DCI1C[i]), i as u8, 0));
                }
            }
            let Some((t, mcs, tpc)) = best else {
                return Err(SiTxError::Block {
                    index,
                    why: "too large for the DCI format's TBS table",
                });
            };
            let mut tb = s.bytes.clone();
            tb.resize(t as usize / 8, 0);
            blocks.push(Prepared {
                sched: s.clone(),
                tb,
                mcs,
                tpc,
            });
        }
        let nsym = 2 * cp.symbols_per_slot();
        let n_sc = 12 * nprb;
        Ok(SiTx {
            cell: PdschCell {
                nprb,
                pci,
                ports,
                cp,
                duplex,
            },
            cfg,
            layout,
            blocks,
            nsym,
            n_sc,
            grid: vec![Complex32::default(); usize::from(ports) * nsym * n_sc],
            used: vec![false; nsym * n_sc],
            res: Vec::with_capacity(nsym * n_sc),
            active: false,
        })
    }

    /// Precodes `q` for transmit diversity and writes it to the REs `res`.
    fn place(&mut self, q: &[Complex32], res: &[u32]) {
        let ports = usize::from(self.cell.ports);
        let plane = self.nsym * self.n_sc;
        let s = std::f32::consts::FRAC_1_SQRT_2;
        let n = q.len().min(res.len());
        for &i in &res[..n] {
            self.used[i as usize] = true;
        }
        match ports {
            2 | 4 => {
                let mut i = 0;
                while i < n {
                    if i + 1 >= n {
                        self.grid[res[i] as usize] = q[i];
                        break;
                    }
                    let (pa, pb) = if ports == 2 || i % 4 == 0 {
                        (0, if ports == 2 { 1 } else { 2 })
                    } else {
                        (1, 3)
                    };
                    let (x0, x1) = (q[i], q[i + 1]);
                    let (r0, r1) = (res[i] as usize, res[i + 1] as usize);
                    self.grid[pa * plane + r0] = x0 * s;
                    self.grid[pb * plane + r0] = -x1.conj() * s;
                    self.grid[pa * plane + r1] = x1 * s;
                    self.grid[pb * plane + r1] = x0.conj() * s;
                    i += 2;
                }
            }
            _ => {
                for (&r, &v) in res[..n].iter().zip(q) {
                    self.grid[r as usize] = v;
                }
            }
        }
    }

    /// Builds the content of subframe `sf` of frame `sfn`; returns whether
    /// anything is sent (PCFICH always, PDCCH/PDSCH when a block is due).
    pub fn build(&mut self, sfn: u16, sf: usize) -> bool {
        self.grid.fill(Complex32::default());
        self.used.fill(false);
        self.active = true;
        let pci = self.cell.pci;
        // PCFICH.
        let cw = pcfich::cfi_codeword(self.cfg.cfi);
        let mut c = [0u8; 32];
        GoldSequence::new(pcfich::c_init(pci, sf)).fill(&mut c);
        let q: Vec<Complex32> = (0..16)
            .map(|i| qpsk(cw[2 * i] ^ c[2 * i], cw[2 * i + 1] ^ c[2 * i + 1]))
            .collect();
        let mut res = std::mem::take(&mut self.res);
        res.clear();
        self.layout.pcfich_res(self.n_sc, &mut res);
        self.place(&q, &res);
        let due = self.blocks.iter().position(|b| {
            usize::from(b.sched.subframe) == sf
                && sfn % b.sched.period_frames == b.sched.frame_offset
        });
        let Some(bi) = due else {
            self.res = res;
            return true;
        };
        let b = self.blocks[bi].clone();
        // SIB1: k = (SFN/2) mod 4; other blocks: one transmission at the start of
        // their window (k = 0).
        let is_sib1 = b.sched.subframe == 5 && b.sched.period_frames == 2;
        let k = if is_sib1 {
            usize::from((sfn / 2) % 4)
        } else {
            0
        };
        let rv = si_rv(k);
        // Allocation: the smallest one from `rb_start` with an acceptable code rate.
        let nprb = self.cell.nprb;
        let ctrl = pdcch::control_symbols(self.cfg.cfi, nprb);
        let tbs_bits = 8 * b.tb.len();
        // Allocation units (VRBs, or steps of N_step VRBs for 1C) and the first one.
        let (n_units, first_unit) = match (self.cfg.format, self.cfg.distributed) {
            (DciFormat::F1C, _) => {
                let st = n_step_1c(nprb);
                let nv = n_vrb_distributed(nprb, false).unwrap_or(0) / st;
                (nv, (self.cfg.rb_start / st).min(nv.saturating_sub(1)))
            }
            (DciFormat::F1A, true) => {
                let nv = n_vrb_distributed(nprb, false).unwrap_or(0);
                (nv, self.cfg.rb_start.min(nv.saturating_sub(1)))
            }
            (DciFormat::F1A, false) => (nprb, self.cfg.rb_start.min(nprb - 1)),
        };
        let alloc_of = |riv: u32| -> Option<PrbAllocation> {
            match self.cfg.format {
                DciFormat::F1C => alloc_1c(riv, false, nprb).ok(),
                DciFormat::F1A => alloc_1a(riv, self.cfg.distributed, false, nprb).ok(),
            }
        };
        let mut chosen = None;
        for len in 1..=n_units.saturating_sub(first_unit) {
            // 1A RIVs are over N_RB^DL even for distributed VRBs (TS 36.213 §7.1.6.3).
            let n_riv = if self.cfg.format == DciFormat::F1C {
                n_units
            } else {
                nprb
            };
            let Some(riv) = riv_encode(first_unit, len, n_riv) else {
                continue;
            };
            let Some(a) = alloc_of(riv) else {
                continue;
            };
            pdsch_res(&self.cell, &a, sf, ctrl, &mut res);
            let g = 2 * res.len();
            if g > 0 && ((tbs_bits + 24) as f64) / (g as f64) <= MAX_CODE_RATE {
                chosen = Some((riv, a));
                break;
            }
        }
        let Some((riv, a)) = chosen else {
            self.res = res;
            return true;
        };
        // PDCCH: the DCI at common-search-space candidate 0.
        let payload = match self.cfg.format {
            DciFormat::F1A => Dci1A {
                distributed: self.cfg.distributed,
                riv,
                mcs: b.mcs,
                harq: 0,
                ndi: 0,
                rv,
                tpc: b.tpc,
                dai: 0,
            }
            .pack(nprb, self.cell.duplex),
            DciFormat::F1C => Dci1C {
                gap2: false,
                riv,
                tbs_index: b.mcs,
            }
            .pack(nprb),
        };
        let l = usize::from(self.cfg.aggregation);
        let first = pdcch::common_candidate(self.layout.n_cce, l, 0).unwrap_or(0);
        let e = dci_encode(&payload, SI_RNTI, 72 * l);
        let mut scr = vec![0u8; 72 * (first + l)];
        GoldSequence::new(pdcch::c_init(pci, sf)).fill(&mut scr);
        let q: Vec<Complex32> = e
            .chunks_exact(2)
            .enumerate()
            .map(|(i, p)| {
                let j = 72 * first + 2 * i;
                qpsk(p[0] ^ scr[j], p[1] ^ scr[j + 1])
            })
            .collect();
        res.clear();
        self.layout.cce_res(first, l, self.n_sc, &mut res);
        self.place(&q, &res);
        // PDSCH.
        pdsch_res(&self.cell, &a, sf, ctrl, &mut res);
        let g = 2 * res.len();
        if let Ok(bits) = encode_tb(&b.tb, g, rv, pdsch::c_init(SI_RNTI, sf, pci)) {
            let q: Vec<Complex32> = bits.chunks_exact(2).map(|p| qpsk(p[0], p[1])).collect();
            self.place(&q, &res);
        }
        self.res = res;
        true
    }

    /// Copies symbol `sym` of the built subframe into the transmitter's per-port
    /// rows (`grid[p][k − k_lo]`) and marks the REs used. No-op unless built.
    pub fn write_symbol(
        &self,
        sym: usize,
        k_lo: usize,
        grid: &mut [Vec<Complex32>],
        used: &mut [bool],
    ) {
        if !self.active || sym >= self.nsym {
            return;
        }
        let plane = self.nsym * self.n_sc;
        for k in 0..self.n_sc {
            let idx = sym * self.n_sc + k;
            if !self.used[idx] || k < k_lo {
                continue;
            }
            let j = k - k_lo;
            if let Some(u) = used.get_mut(j) {
                *u = true;
            }
            for (p, g) in grid.iter_mut().enumerate() {
                if let Some(v) = g.get_mut(j) {
                    *v = self.grid.get(p * plane + idx).copied().unwrap_or_default();
                }
            }
        }
    }
}
