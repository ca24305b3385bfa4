//! Control region layout and the physical downlink control channel, TS 36.211
//! §6.2.4 (resource-element groups), §6.7.4 (PCFICH REGs), §6.9.3 (PHICH REGs)
//! and §6.8 (PDCCH: CCEs of 9 REGs, scrambling §6.8.2, QPSK, REG mapping with
//! the quadruplet interleaver and cyclic shift of §6.8.5), with the common
//! search space of TS 36.213 §9.1.1 (aggregation 4 and 8, `Y_k = 0`).
//!
//! REGs (§6.2.4): in a symbol carrying cell-specific reference signals (symbol
//! 0; symbol 1 with 4 ports; symbol 3 with extended CP) a PRB has two REGs of
//! six subcarriers each, minus the two reference positions (antenna port 1 is
//! assumed present when only port 0 is, so the positions are `k ≡ v_shift mod
//! 3`); other symbols have three REGs of four subcarriers. A REG is identified
//! by `(k', l')` with `k'` the first subcarrier of its block.
//!
//! PDCCH mapping (§6.8.5): the quadruplets `z(i)` of the multiplexed PDCCHs are
//! permuted by the sub-block interleaver of TS 36.212 §5.1.4.2.1 (32 columns,
//! `<NULL>` padding in front, column permutation of Table 5.1.4-2, read by
//! columns, `<NULL>`s dropped), cyclically shifted `w̄(i) = w((i + N_ID^cell) mod
//! M_quad)`, and written to the REGs that are neither PCFICH nor PHICH in the
//! order "for each `k'` from 0, for each `l'` of the control region".

use super::mib::{PhichDuration, PhichResource};
use super::pbch::CONV_SUBBLOCK_PERMUTATION;
use super::{pcfich, phich, CyclicPrefix};

/// Errors building a control region layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PdcchError {
    /// Bandwidth outside 6..=110 PRB.
    #[error("{0} PRB is outside 6..=110")]
    Bandwidth(usize),
    /// CFI not 1..=3.
    #[error("CFI {0} is not 1..=3")]
    Cfi(u8),
    /// Ports not 1, 2 or 4.
    #[error("{0} antenna ports (1, 2 or 4)")]
    Ports(u8),
    /// PCI ≥ 504.
    #[error("PCI {0} out of range 0..504")]
    Pci(u16),
}

/// One resource-element group: symbol, block start and its four subcarriers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reg {
    /// OFDM symbol of the subframe (0..4).
    pub l: u8,
    /// First subcarrier of the REG's block (its identifying `k'`).
    pub k0: u16,
    /// The four subcarriers, increasing.
    pub k: [u16; 4],
}

/// Number of OFDM symbols of the control region for `cfi` (TS 36.211 Table
/// 6.7-1: CFI, plus one below 11 PRB).
pub const fn control_symbols(cfi: u8, nprb: usize) -> usize {
    cfi as usize + if nprb <= 10 { 1 } else { 0 }
}

/// Whether symbol `l` of the control region holds CRS REs (for REG purposes).
const fn reg_crs_symbol(l: usize, ports: u8, cp: CyclicPrefix) -> bool {
    l == 0 || (l == 1 && ports == 4) || (l == cp.symbols_per_slot() - 3)
}

/// The REGs of symbol `l`, lowest frequency first (appended to `out`).
pub fn symbol_regs(
    l: usize,
    nprb: usize,
    pci: u16,
    ports: u8,
    cp: CyclicPrefix,
    out: &mut Vec<Reg>,
) {
    let vs = usize::from(pci % 3);
    for prb in 0..nprb {
        let base = 12 * prb;
        if reg_crs_symbol(l, ports, cp) {
            for half in 0..2 {
                let k0 = base + 6 * half;
                let mut k = [0u16; 4];
                let mut n = 0;
                for kk in k0..k0 + 6 {
                    if kk % 3 != vs && n < 4 {
                        k[n] = kk as u16;
                        n += 1;
                    }
                }
                out.push(Reg {
                    l: l as u8,
                    k0: k0 as u16,
                    k,
                });
            }
        } else {
            for q in 0..3 {
                let k0 = base + 4 * q;
                out.push(Reg {
                    l: l as u8,
                    k0: k0 as u16,
                    k: [k0 as u16, k0 as u16 + 1, k0 as u16 + 2, k0 as u16 + 3],
                });
            }
        }
    }
}

/// The control region of one cell for one CFI: PCFICH, PHICH and PDCCH REGs and
/// the quadruplet interleaver. Built once per (cell, CFI).
#[derive(Debug, Clone)]
pub struct ControlLayout {
    /// CFI 1..=3.
    pub cfi: u8,
    /// Control symbols.
    pub n_sym: usize,
    /// PCFICH REGs in quadruplet order.
    pub pcfich: [Reg; 4],
    /// PHICH REGs (mapping-unit order).
    pub phich: Vec<Reg>,
    /// PDCCH REGs in mapping order `m'`.
    pub pdcch: Vec<Reg>,
    /// For quadruplet `i` of the PDCCH bit stream (before interleaving), the
    /// index into [`Self::pdcch`] of the REG that carries it.
    pub quad_reg: Vec<u32>,
    /// Number of CCEs `⌊N_REG/9⌋`.
    pub n_cce: usize,
}

impl ControlLayout {
    /// Builds the layout.
    pub fn new(
        nprb: usize,
        pci: u16,
        ports: u8,
        cp: CyclicPrefix,
        cfi: u8,
        phich_resource: PhichResource,
        phich_duration: PhichDuration,
    ) -> Result<Self, PdcchError> {
        if !(6..=110).contains(&nprb) {
            return Err(PdcchError::Bandwidth(nprb));
        }
        if !(1..=3).contains(&cfi) {
            return Err(PdcchError::Cfi(cfi));
        }
        if !matches!(ports, 1 | 2 | 4) {
            return Err(PdcchError::Ports(ports));
        }
        if pci >= 504 {
            return Err(PdcchError::Pci(pci));
        }
        let n_sym = control_symbols(cfi, nprb);
        let mut per_sym: Vec<Vec<Reg>> = Vec::with_capacity(n_sym);
        for l in 0..n_sym {
            let mut v = Vec::with_capacity(3 * nprb);
            symbol_regs(l, nprb, pci, ports, cp, &mut v);
            per_sym.push(v);
        }
        // PCFICH: the REGs of symbol 0 starting at the §6.7.4 subcarriers.
        let starts = pcfich::reg_starts(pci, nprb);
        let mut pcf = [per_sym[0][0]; 4];
        let mut pcf_idx = [0usize; 4];
        for (i, &k) in starts.iter().enumerate() {
            let j = per_sym[0]
                .iter()
                .position(|r| usize::from(r.k0) == k)
                .unwrap_or(0);
            pcf[i] = per_sym[0][j];
            pcf_idx[i] = j;
        }
        // Non-PCFICH REGs per symbol (PHICH numbering).
        let free: Vec<Vec<usize>> = per_sym
            .iter()
            .enumerate()
            .map(|(l, regs)| {
                (0..regs.len())
                    .filter(|j| l != 0 || !pcf_idx.contains(j))
                    .collect()
            })
            .collect();
        let n_free: Vec<usize> = free.iter().map(Vec::len).collect();
        let mut ph_idx = Vec::new();
        phich::reg_indices(
            phich_resource,
            phich_duration,
            nprb,
            cp,
            pci,
            &n_free,
            &mut ph_idx,
        );
        let mut used: Vec<Vec<bool>> = per_sym.iter().map(|r| vec![false; r.len()]).collect();
        for &j in &pcf_idx {
            used[0][j] = true;
        }
        let mut phich_regs = Vec::with_capacity(ph_idx.len());
        for &(l, n) in &ph_idx {
            if let Some(&j) = free.get(l).and_then(|f| f.get(n)) {
                used[l][j] = true;
                phich_regs.push(per_sym[l][j]);
            }
        }
        // PDCCH REGs in (k', l') order.
        let mut pdcch = Vec::with_capacity(3 * nprb * n_sym);
        let mut cursors = vec![0usize; n_sym];
        for k in 0..12 * nprb {
            for l in 0..n_sym {
                let c = &mut cursors[l];
                if let Some(r) = per_sym[l].get(*c) {
                    if usize::from(r.k0) == k {
                        if !used[l][*c] {
                            pdcch.push(*r);
                        }
                        *c += 1;
                    }
                }
            }
        }
        let m_quad = pdcch.len();
        let quad_reg = quad_interleaver(m_quad, pci);
        Ok(ControlLayout {
            cfi,
            n_sym,
            pcfich: pcf,
            phich: phich_regs,
            n_cce: m_quad / 9,
            pdcch,
            quad_reg,
        })
    }

    /// Appends the RE indices (`l·n_sc + k`) of CCEs `first..first + n` to `out`
    /// in PDCCH symbol order (9 quadruplets per CCE).
    pub fn cce_res(&self, first: usize, n: usize, n_sc: usize, out: &mut Vec<u32>) {
        for q in 9 * first..9 * (first + n) {
            let Some(&m) = self.quad_reg.get(q) else {
                return;
            };
            let r = &self.pdcch[m as usize];
            for &k in &r.k {
                out.push((usize::from(r.l) * n_sc + usize::from(k)) as u32);
            }
        }
    }

    /// Appends the PCFICH RE indices to `out`, in quadruplet order.
    pub fn pcfich_res(&self, n_sc: usize, out: &mut Vec<u32>) {
        for r in &self.pcfich {
            for &k in &r.k {
                out.push((usize::from(r.l) * n_sc + usize::from(k)) as u32);
            }
        }
    }
}

/// For each quadruplet `i` (0..m_quad), the REG index `m'` it lands on after the
/// sub-block interleaver and the cyclic shift by `pci` (§6.8.5).
pub fn quad_interleaver(m_quad: usize, pci: u16) -> Vec<u32> {
    let mut out = vec![0u32; m_quad];
    if m_quad == 0 {
        return out;
    }
    const C: usize = 32;
    let r = m_quad.div_ceil(C);
    let nd = r * C - m_quad;
    let shift = usize::from(pci) % m_quad;
    let mut p = 0usize;
    for &col in CONV_SUBBLOCK_PERMUTATION.iter() {
        for row in 0..r {
            let y = row * C + col;
            if y >= nd {
                // w(p) = z(y − nd); REG m holds w((m + shift) mod M) → m = p − shift.
                let m = (p + m_quad - shift) % m_quad;
                out[y - nd] = m as u32;
                p += 1;
            }
        }
    }
    out
}

/// PDCCH scrambling initialisation `⌊n_s/2⌋·2^9 + N_ID^cell` (§6.8.2).
pub const fn c_init(pci: u16, subframe: usize) -> u32 {
    ((subframe % 10) as u32) * 512 + pci as u32
}

/// First CCE of common-search-space candidate `m` at aggregation `l` (TS 36.213
/// §9.1.1, `Y_k = 0`), or `None` when the candidate does not exist.
pub fn common_candidate(n_cce: usize, l: usize, m: usize) -> Option<usize> {
    let max_m = match l {
        4 => 4,
        8 => 2,
        _ => return None,
    };
    let slots = n_cce / l;
    (m < max_m && slots > 0 && m < slots).then(|| l * (m % slots))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_prb_cfi3_counts() {
        // 6 PRB, 4 control symbols, 1 port, N_g 1/6 (1 group):
        // symbol 0: 12 REGs − 4 PCFICH − 3 PHICH = 5; symbols 1..3: 18 each → 59 → 6 CCEs.
        let c = ControlLayout::new(
            6,
            1,
            1,
            CyclicPrefix::Normal,
            3,
            PhichResource::OneSixth,
            PhichDuration::Normal,
        )
        .unwrap();
        assert_eq!(c.n_sym, 4);
        assert_eq!(c.pdcch.len(), 59);
        assert_eq!(c.n_cce, 6);
        assert_eq!(c.phich.len(), 3);
        // PCI 1: v_shift mod 3 = 1 → symbol-0 REG of PRB 0 is {0, 2, 3, 5}.
        assert_eq!(c.pdcch[0].l, 0);
        assert_eq!(c.pdcch[0].k, [0, 2, 3, 5]);
        // Then the symbol 1..3 REGs starting at k' = 0, then k' = 4 of symbols 1..3.
        assert_eq!((c.pdcch[1].l, c.pdcch[1].k0), (1, 0));
        assert_eq!((c.pdcch[4].l, c.pdcch[4].k0), (1, 4));
        // Every PDCCH REG is used exactly once by the interleaver.
        let mut seen = [false; 59];
        for &m in &c.quad_reg {
            assert!(!seen[m as usize]);
            seen[m as usize] = true;
        }
    }

    #[test]
    fn interleaver_hand_values() {
        // M = 32, no nulls, shift 0: w(p) = z(P(p)) → z(1) is read first.
        let q = quad_interleaver(32, 0);
        assert_eq!(q[1], 0);
        assert_eq!(q[17], 1);
        assert_eq!(q[0], 16);
        // Shift 1: REG m holds w(m + 1) → z(17) (w(1)) lands on REG 0.
        let q = quad_interleaver(32, 1);
        assert_eq!(q[17], 0);
    }

    #[test]
    fn candidates() {
        assert_eq!(common_candidate(6, 4, 0), Some(0));
        assert_eq!(common_candidate(6, 4, 1), None);
        assert_eq!(common_candidate(6, 8, 0), None);
        assert_eq!(common_candidate(21, 4, 3), Some(12));
        assert_eq!(common_candidate(21, 8, 1), Some(8));
        assert_eq!(common_candidate(21, 8, 2), None);
        assert_eq!(common_candidate(100, 2, 0), None);
    }

    #[test]
    fn layouts_build_for_every_bandwidth() {
        for nprb in [6usize, 15, 25, 50, 75, 100] {
            for ports in [1u8, 2, 4] {
                for cfi in 1..=3 {
                    for cp in [CyclicPrefix::Normal, CyclicPrefix::Extended] {
                        for dur in [PhichDuration::Normal, PhichDuration::Extended] {
                            let c = ControlLayout::new(
                                nprb,
                                (nprb * 7) as u16 % 504,
                                ports,
                                cp,
                                cfi,
                                PhichResource::Two,
                                dur,
                            )
                            .unwrap();
                            assert_eq!(c.quad_reg.len(), c.pdcch.len());
                            assert!(c.n_cce >= 1 || nprb == 6);
                        }
                    }
                }
            }
        }
    }
}
