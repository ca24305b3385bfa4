//! Physical downlink shared channel for system information: resource element
//! mapping (TS 36.211 §6.4: the allocated PRBs of each slot, after the control
//! region, skipping the cell-specific reference signals of the configured ports,
//! the PBCH symbols and the PSS/SSS symbols of the central 72 subcarriers —
//! taken as wholly reserved there), scrambling (§6.3.1, `c_init = n_RNTI·2^14 +
//! q·2^13 + ⌊n_s/2⌋·2^9 + N_ID^cell`, q = 0), QPSK (SI is always QPSK, TS 36.213
//! §7.1.7.1), and the DL-SCH decoding chain of TS 36.212 §5.3.2: turbo rate
//! de-matching with the redundancy version (§5.1.4.1), soft combining of
//! repetitions, turbo decoding (§5.1.3.2) and the CRC24A (§5.1.1).
//!
//! System information blocks are at most 2216 bits (TS 36.213 Table 7.1.7.2.1-1
//! column 3 and Table 7.1.7.2.3-1), so a transport block is always a single code
//! block (TS 36.212 §5.1.2); larger blocks are rejected.

use super::crs::{is_crs_symbol, k_offset};
use super::ra::PrbAllocation;
use super::{CyclicPrefix, Duplex};
use crate::fec::crc::{Crc, CRC24A};
use crate::fec::segmentation::Segmentation;
use crate::fec::turbo::{turbo_encode, TurboDecoder, KNOWN_BIT_LLR};
use crate::fec::turbo_rate_match::TurboRateMatcher;
use crate::sequence::GoldSequence;

/// Largest transport block handled (one code block: 6144 − 24).
pub const MAX_TBS: usize = 6120;

/// Errors of the shared channel chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PdschError {
    /// TBS outside 1..=6120 bits (or not a whole number of bytes).
    #[error("transport block of {0} bits is not supported (1..=6120, whole bytes)")]
    Tbs(usize),
    /// Redundancy version above 3.
    #[error("redundancy version {0} (0..=3)")]
    Rv(u8),
    /// No resource element to carry the block.
    #[error("the allocation has no PDSCH resource elements")]
    Empty,
}

/// Scrambling initialisation of the PDSCH (§6.3.1, codeword 0).
pub const fn c_init(rnti: u16, subframe: usize, pci: u16) -> u32 {
    ((rnti as u32) << 14) + ((subframe % 10) as u32) * 512 + pci as u32
}

/// Redundancy version of the `k`-th transmission of an SI message (TS 36.321
/// §5.3.1: `RV_K = ⌈3k/2⌉ mod 4`; for SIB1 `k = (SFN/2) mod 4`).
pub const fn si_rv(k: usize) -> u8 {
    ((3 * k).div_ceil(2) % 4) as u8
}

/// Cell parameters that fix the PDSCH resource elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdschCell {
    /// Bandwidth in PRB.
    pub nprb: usize,
    /// Physical cell identity.
    pub pci: u16,
    /// CRS ports (1, 2, 4).
    pub ports: u8,
    /// Cyclic prefix.
    pub cp: CyclicPrefix,
    /// Duplex mode.
    pub duplex: Duplex,
}

/// Appends the PDSCH RE indices (`sym·n_sc + k`) of `alloc` in `subframe` to
/// `out` (cleared), in mapping order: symbol by symbol from `ctrl_syms`, then
/// increasing subcarrier over the slot's PRBs.
pub fn pdsch_res(
    cell: &PdschCell,
    alloc: &PrbAllocation,
    subframe: usize,
    ctrl_syms: usize,
    out: &mut Vec<u32>,
) {
    out.clear();
    let n_sc = 12 * cell.nprb;
    let per_slot = cell.cp.symbols_per_slot();
    let central = (6 * cell.nprb).saturating_sub(36)..6 * cell.nprb + 36;
    let sf = subframe % 10;
    for sym in ctrl_syms.min(2 * per_slot)..2 * per_slot {
        let slot = sym / per_slot;
        let l = sym % per_slot;
        let ns = 2 * sf + slot;
        // Central-72 reservations: PBCH (subframe 0, slot 1, l < 4) and PSS/SSS.
        let pbch = sf == 0 && slot == 1 && l < 4;
        let sync = match cell.duplex {
            Duplex::Fdd => (sf == 0 || sf == 5) && slot == 0 && l + 2 >= per_slot,
            Duplex::Tdd => {
                ((sf == 0 || sf == 5) && slot == 1 && l + 1 == per_slot)
                    || ((sf == 1 || sf == 6) && slot == 0 && l == 2)
            }
        };
        // CRS positions of the configured ports on this symbol.
        let mut crs_off = [usize::MAX; 4];
        for (p, o) in crs_off.iter_mut().enumerate().take(usize::from(cell.ports)) {
            if is_crs_symbol(p, l, cell.cp) {
                *o = k_offset(p, l, ns, cell.pci);
            }
        }
        let mask = alloc.slots[slot];
        for prb in 0..cell.nprb.min(110) {
            if (mask >> prb) & 1 == 0 {
                continue;
            }
            for k in 12 * prb..12 * prb + 12 {
                if (pbch || sync) && central.contains(&k) {
                    continue;
                }
                if crs_off.iter().any(|&o| o != usize::MAX && k % 6 == o) {
                    continue;
                }
                out.push((sym * n_sc + k) as u32);
            }
        }
    }
}

/// Encodes a transport block (bytes, MSB first) into `g` scrambled bits of
/// redundancy version `rv` (CRC24A, turbo code, rate matching, scrambling).
pub fn encode_tb(tb: &[u8], g: usize, rv: u8, c_init: u32) -> Result<Vec<u8>, PdschError> {
    let a = 8 * tb.len();
    if a == 0 || a > MAX_TBS {
        return Err(PdschError::Tbs(a));
    }
    if rv > 3 {
        return Err(PdschError::Rv(rv));
    }
    if g == 0 {
        return Err(PdschError::Empty);
    }
    let seg = Segmentation::new(a).map_err(|_| PdschError::Tbs(a))?;
    let mut bits = Vec::with_capacity(a);
    for &byte in tb {
        for i in (0..8).rev() {
            bits.push((byte >> i) & 1);
        }
    }
    let mut block = vec![0u8; seg.f];
    Crc::new(CRC24A).attach(&bits, &mut block);
    let d = turbo_encode(&block).map_err(|_| PdschError::Tbs(a))?;
    let rm = TurboRateMatcher::new(seg.k_plus, seg.f, None).map_err(|_| PdschError::Tbs(a))?;
    let mut e = vec![0u8; g];
    rm.rate_match([&d[0], &d[1], &d[2]], rv, &mut e)
        .map_err(|_| PdschError::Tbs(a))?;
    let mut c = vec![0u8; g];
    GoldSequence::new(c_init).fill(&mut c);
    for (x, s) in e.iter_mut().zip(&c) {
        *x ^= s;
    }
    Ok(e)
}

/// Soft buffer of one transport block being combined.
#[derive(Debug, Clone)]
struct SoftBuffer {
    key: u64,
    tbs: usize,
    last_use: u64,
    combined: usize,
    d: [Vec<f32>; 3],
}

/// Result of one DL-SCH decode attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DlschOutcome {
    /// CRC24A passed (the bytes were written).
    pub crc_ok: bool,
    /// Transmissions soft-combined in this attempt (1 = this one alone).
    pub combined: usize,
    /// Turbo iterations run.
    pub iterations: usize,
}

/// DL-SCH receiver for single-code-block transport blocks with soft combining.
/// `new` allocates every buffer.
#[derive(Debug, Clone)]
pub struct DlschDecoder {
    turbo: TurboDecoder,
    rm: Option<(usize, usize, TurboRateMatcher)>,
    buffers: Vec<SoftBuffer>,
    scram: Vec<u8>,
    llr: Vec<f32>,
    out: Vec<u8>,
    crc: Crc,
}

/// Soft buffers kept (distinct messages combined at once).
pub const SOFT_BUFFERS: usize = 4;
/// Most coded bits of one transmission handled (100 PRB × 12 × 14 × 2).
pub const MAX_G: usize = 110 * 12 * 14 * 2;

impl Default for DlschDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl DlschDecoder {
    /// Allocates the turbo decoder and the soft buffers.
    pub fn new() -> Self {
        let d = MAX_TBS + 24 + 4;
        DlschDecoder {
            turbo: TurboDecoder::new(MAX_TBS + 24),
            rm: None,
            buffers: (0..SOFT_BUFFERS)
                .map(|_| SoftBuffer {
                    key: u64::MAX,
                    tbs: 0,
                    last_use: 0,
                    combined: 0,
                    d: [vec![0.0; d], vec![0.0; d], vec![0.0; d]],
                })
                .collect(),
            scram: vec![0; MAX_G],
            llr: vec![0.0; MAX_G],
            out: vec![0; MAX_TBS + 24],
            crc: Crc::new(CRC24A),
        }
    }

    /// Forgets every soft buffer.
    pub fn reset(&mut self) {
        for b in &mut self.buffers {
            b.key = u64::MAX;
            b.combined = 0;
        }
    }

    /// Forgets the soft buffer of `key`, if any.
    pub fn forget(&mut self, key: u64) {
        for b in &mut self.buffers {
            if b.key == key {
                b.key = u64::MAX;
                b.combined = 0;
            }
        }
    }

    /// Decodes one transmission: `llr` are the G received LLRs (not descrambled),
    /// `tbs` the transport block size, `rv` its redundancy version. Transmissions
    /// with the same `key` (the caller's identity of the message, e.g. SIB1 vs.
    /// an SI window) are soft-combined until one passes the CRC; `rv == 0` or a
    /// different TBS starts afresh. `now` orders the buffers (any increasing count,
    /// e.g. the subframe number). On success the block's bytes go to `tb`.
    #[allow(clippy::too_many_arguments)] // all are plain per-transmission parameters
    pub fn decode(
        &mut self,
        llr: &[f32],
        c_init: u32,
        tbs: usize,
        rv: u8,
        key: u64,
        now: u64,
        tb: &mut Vec<u8>,
    ) -> Result<DlschOutcome, PdschError> {
        if tbs == 0 || tbs > MAX_TBS || tbs % 8 != 0 {
            return Err(PdschError::Tbs(tbs));
        }
        if rv > 3 {
            return Err(PdschError::Rv(rv));
        }
        let g = llr.len().min(MAX_G);
        if g == 0 {
            return Err(PdschError::Empty);
        }
        let seg = Segmentation::new(tbs).map_err(|_| PdschError::Tbs(tbs))?;
        if seg.c != 1 {
            return Err(PdschError::Tbs(tbs));
        }
        let k = seg.k_plus;
        let f = seg.f;
        if self
            .rm
            .as_ref()
            .is_none_or(|(kk, ff, _)| *kk != k || *ff != f)
        {
            let rm = TurboRateMatcher::new(k, f, None).map_err(|_| PdschError::Tbs(tbs))?;
            self.rm = Some((k, f, rm));
        }
        // Descramble.
        GoldSequence::new(c_init).fill(&mut self.scram[..g]);
        for ((o, &l), &s) in self.llr.iter_mut().zip(&llr[..g]).zip(&self.scram) {
            let l = if l.is_finite() { l } else { 0.0 };
            *o = if s == 1 { -l } else { l };
        }
        // Pick the soft buffer.
        let idx = match self.buffers.iter().position(|b| b.key == key) {
            Some(i) => i,
            None => {
                let (i, _) = self
                    .buffers
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, b)| (b.key != u64::MAX, b.last_use))
                    .unwrap_or((0, &self.buffers[0]));
                self.buffers[i].key = key;
                self.buffers[i].combined = 0;
                i
            }
        };
        let d = k + 4;
        let buf = &mut self.buffers[idx];
        if rv == 0 || buf.tbs != tbs || buf.combined == 0 {
            for s in buf.d.iter_mut() {
                s[..d].fill(0.0);
            }
            buf.combined = 0;
            buf.tbs = tbs;
        }
        buf.last_use = now;
        let Some((_, _, rm)) = self.rm.as_ref() else {
            return Err(PdschError::Tbs(tbs));
        };
        {
            let [d0, d1, d2] = &mut buf.d;
            rm.dematch_accumulate(
                &self.llr[..g],
                rv,
                [&mut d0[..d], &mut d1[..d], &mut d2[..d]],
            )
            .map_err(|_| PdschError::Rv(rv))?;
            // Filler bits are known zeros.
            for i in 0..f {
                d0[i] = KNOWN_BIT_LLR;
                d1[i] = KNOWN_BIT_LLR;
            }
        }
        buf.combined += 1;
        let combined = buf.combined;
        let crc = &self.crc;
        let out = &mut self.out[..k];
        let res = self.turbo.decode(
            &buf.d[0][..d],
            &buf.d[1][..d],
            &buf.d[2][..d],
            out,
            |bits| crc.check(&bits[f..]),
        );
        let outcome = match res {
            Ok(o) => o,
            Err(_) => return Err(PdschError::Tbs(tbs)),
        };
        if outcome.check_passed {
            tb.clear();
            for byte in self.out[f..f + tbs].chunks_exact(8) {
                tb.push(byte.iter().fold(0u8, |a, &b| (a << 1) | (b & 1)));
            }
            buf.combined = 0;
            buf.key = u64::MAX;
        }
        Ok(DlschOutcome {
            crc_ok: outcome.check_passed,
            combined,
            iterations: outcome.iterations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lte::ra::alloc_1a;
    use crate::lte::ra::riv_encode;

    #[test]
    fn rv_sequence() {
        // ⌈3k/2⌉ mod 4 for k = 0..4: 0, 2, 3, 1.
        assert_eq!([si_rv(0), si_rv(1), si_rv(2), si_rv(3)], [0, 2, 3, 1]);
    }

    #[test]
    fn re_counts_by_hand() {
        let cell = PdschCell {
            nprb: 6,
            pci: 1,
            ports: 1,
            cp: CyclicPrefix::Normal,
            duplex: Duplex::Fdd,
        };
        let a = alloc_1a(riv_encode(0, 2, 6).unwrap(), false, false, 6).unwrap();
        let mut v = Vec::new();
        // Subframe 1, 2 control symbols: 12 symbols × 24 − CRS (2 per PRB on 4 symbols − 1 in ctrl).
        pdsch_res(&cell, &a, 1, 2, &mut v);
        // CRS symbols 4, 7, 11 in the data region: 3 × 2 PRB × 2 = 12.
        assert_eq!(v.len(), 12 * 24 - 12);
        // Subframe 5: PSS/SSS symbols 5, 6 lose the whole 2 PRB (central 72 covers 6 PRB).
        pdsch_res(&cell, &a, 5, 2, &mut v);
        assert_eq!(v.len(), 12 * 24 - 12 - 48);
        // Subframe 0: also slot-1 symbols 0..3 (PBCH; one of them, symbol 7, carries CRS).
        pdsch_res(&cell, &a, 0, 2, &mut v);
        assert_eq!(v.len(), 12 * 24 - 12 - 48 - (4 * 24 - 4));
        assert!(pdcch_free(&v, 2 * 72));
    }

    fn pdcch_free(v: &[u32], first: u32) -> bool {
        v.iter().all(|&i| i >= first)
    }

    #[test]
    fn encode_decode_combining() {
        let tb: Vec<u8> = (0..22u8).map(|i| i.wrapping_mul(37)).collect();
        let ci = c_init(0xFFFF, 5, 7);
        let g = 400;
        let mut dec = DlschDecoder::new();
        let mut out = Vec::new();
        let e = encode_tb(&tb, g, 0, ci).unwrap();
        let llr: Vec<f32> = e.iter().map(|&b| if b == 0 { 2.0 } else { -2.0 }).collect();
        let r = dec.decode(&llr, ci, 176, 0, 1, 0, &mut out).unwrap();
        assert!(r.crc_ok);
        assert_eq!(out, tb);
        // Half of each of two RVs erased: neither alone decodes, together they do.
        let mut outs = Vec::new();
        for (n, rv) in [0u8, 2].iter().enumerate() {
            let e = encode_tb(&tb, 200, *rv, ci).unwrap();
            let llr: Vec<f32> = e
                .iter()
                .enumerate()
                .map(|(i, &b)| {
                    if i % 4 == n {
                        0.0
                    } else if b == 0 {
                        1.0
                    } else {
                        -1.0
                    }
                })
                .collect();
            outs.push(
                dec.decode(&llr, ci, 176, *rv, 9, n as u64, &mut out)
                    .unwrap(),
            );
        }
        assert!(outs[1].crc_ok || outs[0].crc_ok);
        assert_eq!(outs[1].combined, if outs[0].crc_ok { 1 } else { 2 });
        assert!(dec.decode(&llr, ci, 7, 0, 1, 0, &mut out).is_err());
        assert!(dec.decode(&llr, ci, 176, 4, 1, 0, &mut out).is_err());
        assert!(dec.decode(&[], ci, 176, 0, 1, 0, &mut out).is_err());
    }
}
