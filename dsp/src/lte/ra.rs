//! Downlink resource allocation type 2, TS 36.213 §7.1.6.3 (resource indication
//! value, RIV), with the virtual-to-physical resource block mapping of
//! TS 36.211 §6.2.3.1 (localized) and §6.2.3.2 (distributed: gap `N_gap`,
//! Table 6.2.3.2-1, the block interleaver over `Ñ_VRB` VRBs and the slot hop).
//! The RBG size `P` of TS 36.213 Table 7.1.6.1-1 sets the interleaver rows.
//!
//! DCI format 1C (TS 36.212 §5.3.3.1.4) allocates in steps of `N_step^RB`
//! (TS 36.213 §7.1.6.3: 2 below 50 PRB, 4 from 50) over `N_VRB,gap1^DL`.
//!
//! An allocation is a PRB bit mask per slot (`u128`, bit n = PRB n; at most 110
//! PRB), so nothing here allocates.

/// Largest downlink bandwidth (TS 36.211 §6.2.1).
pub const MAX_PRB: usize = 110;

/// Errors of an allocation that cannot exist in the cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RaError {
    /// Bandwidth outside 6..=110 PRB.
    #[error("{0} PRB is outside 6..=110")]
    Bandwidth(usize),
    /// The RIV decodes to no valid (start, length) pair.
    #[error("RIV {riv} is invalid for {n} RBs")]
    Riv {
        /// The RIV.
        riv: u32,
        /// The number of RBs it indexes.
        n: usize,
    },
    /// Gap 2 requested below 50 PRB.
    #[error("N_gap,2 does not exist for {0} PRB")]
    Gap2(usize),
}

/// RBG size P (TS 36.213 Table 7.1.6.1-1).
pub const fn rbg_size(n_rb: usize) -> usize {
    match n_rb {
        0..=10 => 1,
        11..=26 => 2,
        27..=63 => 3,
        _ => 4,
    }
}

/// `N_gap` (TS 36.211 Table 6.2.3.2-1): gap 1, or gap 2 (`gap2`, 50 PRB and up).
pub fn n_gap(n_rb: usize, gap2: bool) -> Result<usize, RaError> {
    if !(6..=MAX_PRB).contains(&n_rb) {
        return Err(RaError::Bandwidth(n_rb));
    }
    if gap2 {
        return match n_rb {
            50..=63 => Ok(9),
            64..=110 => Ok(16),
            _ => Err(RaError::Gap2(n_rb)),
        };
    }
    Ok(match n_rb {
        6..=10 => n_rb.div_ceil(2),
        11 => 4,
        12..=19 => 8,
        20..=26 => 12,
        27..=44 => 18,
        45..=49 => 27,
        50..=63 => 27,
        64..=79 => 32,
        _ => 48,
    })
}

/// `N_VRB^DL` of distributed VRBs (TS 36.211 §6.2.3.2).
pub fn n_vrb_distributed(n_rb: usize, gap2: bool) -> Result<usize, RaError> {
    let g = n_gap(n_rb, gap2)?;
    Ok(if gap2 {
        (n_rb / (2 * g)) * 2 * g
    } else {
        2 * g.min(n_rb - g)
    })
}

/// `N_step^RB` of DCI format 1C (TS 36.213 §7.1.6.3).
pub const fn n_step_1c(n_rb: usize) -> usize {
    if n_rb < 50 {
        2
    } else {
        4
    }
}

/// (start, length) of a RIV over `n` RBs (TS 36.213 §7.1.6.3), or `None` when the
/// RIV indexes no allocation inside `n`.
pub fn riv_decode(riv: u32, n: usize) -> Option<(usize, usize)> {
    if n == 0 {
        return None;
    }
    let riv = riv as usize;
    if riv >= n * (n + 1) / 2 {
        return None;
    }
    let a = riv / n + 1;
    let b = riv % n;
    let (start, len) = if a + b <= n {
        (b, a)
    } else {
        (n - 1 - b, n + 2 - a)
    };
    // Both branches must re-encode to the same RIV (rules out values ≥ n(n+1)/2).
    (len >= 1 && start + len <= n && riv_encode(start, len, n) == Some(riv as u32))
        .then_some((start, len))
}

/// The RIV of (start, length) over `n` RBs (TS 36.213 §7.1.6.3).
pub fn riv_encode(start: usize, len: usize, n: usize) -> Option<u32> {
    if len == 0 || start + len > n {
        return None;
    }
    let v = if len - 1 <= n / 2 {
        n * (len - 1) + start
    } else {
        n * (n - len + 1) + (n - 1 - start)
    };
    u32::try_from(v).ok()
}

/// Bits of a RIV field over `n` RBs: `⌈log2(n(n+1)/2)⌉`.
pub fn riv_bits(n: usize) -> usize {
    let v = n * (n + 1) / 2;
    if v <= 1 {
        0
    } else {
        (usize::BITS - (v - 1).leading_zeros()) as usize
    }
}

/// PRB of distributed VRB `n_vrb` in slot `slot` (0 even, 1 odd) of an `n_rb` cell
/// (TS 36.211 §6.2.3.2). `None` if `n_vrb ≥ N_VRB^DL`.
pub fn distributed_prb(n_vrb: usize, slot: usize, n_rb: usize, gap2: bool) -> Option<usize> {
    let g = n_gap(n_rb, gap2).ok()?;
    let n_vrb_dl = n_vrb_distributed(n_rb, gap2).ok()?;
    if n_vrb >= n_vrb_dl {
        return None;
    }
    // Ñ_VRB: the interleaving unit.
    let nt = if gap2 { 2 * g } else { n_vrb_dl };
    let p = rbg_size(n_rb);
    let n_row = nt.div_ceil(4 * p) * p;
    let n_null = 4 * n_row - nt;
    let vt = n_vrb % nt;
    let block = n_vrb - vt;
    // Block interleaver: VRB numbers written row by row into 4 columns × N_row
    // rows, with N_null/2 <NULL>s in the last rows of columns 1 and 3, read column
    // by column; the read position is the PRB (before the slot hop).
    let is_null = |r: usize, c: usize| (c == 1 || c == 3) && r >= n_row.saturating_sub(n_null / 2);
    // Write position of VRB vt.
    let mut count = 0;
    let mut cell = None;
    'find: for r in 0..n_row {
        for c in 0..4 {
            if is_null(r, c) {
                continue;
            }
            if count == vt {
                cell = Some((r, c));
                break 'find;
            }
            count += 1;
        }
    }
    let (r0, c0) = cell?;
    // Read position: all non-null cells of earlier columns, then earlier rows of this column.
    let mut pos = 0;
    for c in 0..c0 {
        pos += (0..n_row).filter(|&r| !is_null(r, c)).count();
    }
    pos += (0..r0).filter(|&r| !is_null(r, c0)).count();
    let mut pt = pos;
    if slot % 2 == 1 {
        pt = (pt + nt / 2) % nt;
    }
    // ñ_PRB, then the gap (for gap 2, Ñ/2 = N_gap and the shift vanishes).
    let pt = pt + block;
    Some(if pt < nt / 2 { pt } else { pt + g - nt / 2 }).filter(|&prb| prb < n_rb)
}

/// A PDSCH allocation: PRB masks of slot 0 and slot 1 of the subframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PrbAllocation {
    /// Bit n set: PRB n used in the slot.
    pub slots: [u128; 2],
    /// PRBs per slot (`N_PRB` for the TBS).
    pub n_prb: usize,
    /// First VRB.
    pub vrb_start: usize,
    /// Distributed VRBs.
    pub distributed: bool,
}

impl PrbAllocation {
    /// Whether PRB `prb` carries the PDSCH in `slot` (0, 1).
    pub fn has(&self, slot: usize, prb: usize) -> bool {
        prb < 128 && (self.slots[slot & 1] >> prb) & 1 == 1
    }
}

/// Allocation of a DCI format 1A type 2 field (TS 36.213 §7.1.6.3): `riv` over
/// `N_RB^DL`, localized or distributed (gap 2 only from 50 PRB, selected by the
/// caller: for SI-RNTI by the NDI bit, TS 36.212 §5.3.3.1.3).
pub fn alloc_1a(
    riv: u32,
    distributed: bool,
    gap2: bool,
    n_rb: usize,
) -> Result<PrbAllocation, RaError> {
    if !(6..=MAX_PRB).contains(&n_rb) {
        return Err(RaError::Bandwidth(n_rb));
    }
    let (start, len) = riv_decode(riv, n_rb).ok_or(RaError::Riv { riv, n: n_rb })?;
    let mut a = PrbAllocation {
        n_prb: len,
        vrb_start: start,
        distributed,
        ..Default::default()
    };
    if distributed {
        let nv = n_vrb_distributed(n_rb, gap2)?;
        if start + len > nv {
            return Err(RaError::Riv { riv, n: nv });
        }
        for v in start..start + len {
            for slot in 0..2 {
                let p = distributed_prb(v, slot, n_rb, gap2).ok_or(RaError::Riv { riv, n: nv })?;
                a.slots[slot] |= 1u128 << p;
            }
        }
    } else {
        for p in start..start + len {
            a.slots[0] |= 1u128 << p;
            a.slots[1] |= 1u128 << p;
        }
    }
    Ok(a)
}

/// Allocation of a DCI format 1C field (TS 36.213 §7.1.6.3): RIV over
/// `N'_VRB = ⌊N_VRB^DL/N_step⌋` in units of `N_step`, always distributed.
pub fn alloc_1c(riv: u32, gap2: bool, n_rb: usize) -> Result<PrbAllocation, RaError> {
    let nv = n_vrb_distributed(n_rb, gap2)?;
    let step = n_step_1c(n_rb);
    let n_prime = nv / step;
    let (s, l) = riv_decode(riv, n_prime).ok_or(RaError::Riv { riv, n: n_prime })?;
    let (start, len) = (s * step, l * step);
    let mut a = PrbAllocation {
        n_prb: len,
        vrb_start: start,
        distributed: true,
        ..Default::default()
    };
    for v in start..start + len {
        for slot in 0..2 {
            let p = distributed_prb(v, slot, n_rb, gap2).ok_or(RaError::Riv { riv, n: nv })?;
            a.slots[slot] |= 1u128 << p;
        }
    }
    Ok(a)
}

/// Bits of the DCI 1C RB assignment field (TS 36.212 §5.3.3.1.4).
pub fn riv_bits_1c(n_rb: usize) -> usize {
    let nv = n_vrb_distributed(n_rb, false).unwrap_or(0);
    riv_bits(nv / n_step_1c(n_rb))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn riv_hand_values() {
        // 6 RB: RIV 11 → a = 11/6 + 1 = 2, b = 5, a + b > 6 → L = 6 − 2 + 2 = 6,
        // S = 6 − 1 − 5 = 0; by encoding: L − 1 = 5 > 3 → 6·(6 − 6 + 1) + (6 − 1 − 0) = 11.
        assert_eq!(riv_decode(11, 6), Some((0, 6)));
        // Short allocation: start 2, 3 RBs over 25: 25·2 + 2 = 52.
        assert_eq!(riv_encode(2, 3, 25), Some(52));
        assert_eq!(riv_decode(52, 25), Some((2, 3)));
        assert_eq!(riv_bits(6), 5);
        assert_eq!(riv_bits(25), 9);
        assert_eq!(riv_bits(100), 13);
        assert_eq!(riv_bits_1c(25), 7);
        assert_eq!(riv_bits_1c(6), 3);
        assert_eq!(riv_bits_1c(100), 9);
    }

    #[test]
    fn riv_roundtrip_every_allocation() {
        for n in [6usize, 15, 25, 50, 75, 100, 110] {
            let mut seen = std::collections::HashSet::new();
            for s in 0..n {
                for l in 1..=n - s {
                    let r = riv_encode(s, l, n).unwrap();
                    assert!((r as usize) < n * (n + 1) / 2);
                    assert!(seen.insert(r));
                    assert_eq!(riv_decode(r, n), Some((s, l)), "n {n} s {s} l {l}");
                }
            }
            // Every other value up to the field width is invalid.
            for r in 0..(1u32 << riv_bits(n)) {
                assert_eq!(riv_decode(r, n).is_some(), seen.contains(&r));
            }
        }
    }

    #[test]
    fn distributed_is_a_bijection_per_slot() {
        for n in [6usize, 15, 25, 50, 75, 100] {
            for gap2 in [false, true] {
                let Ok(nv) = n_vrb_distributed(n, gap2) else {
                    continue;
                };
                for slot in 0..2 {
                    let mut used = 0u128;
                    for v in 0..nv {
                        let p = distributed_prb(v, slot, n, gap2).unwrap();
                        assert!(p < n);
                        assert_eq!(used >> p & 1, 0, "n {n} gap2 {gap2} v {v}");
                        used |= 1 << p;
                    }
                }
            }
        }
        // Hand values, 6 PRB (N_gap 3, Ñ = 6, N_row 2, N_null 2): matrix rows
        // [0 1 2 3] [4 _ 5 _], read 0 4 1 2 5 3 → VRB 1 at position 2 (lower half, PRB 2);
        // slot 1: position (2 + 3) mod 6 = 5, upper half → 5 + N_gap − Ñ/2 = PRB 5.
        assert_eq!(distributed_prb(1, 0, 6, false), Some(2));
        assert_eq!(distributed_prb(1, 1, 6, false), Some(5));
        assert_eq!(n_gap(25, false), Ok(12));
        assert_eq!(n_vrb_distributed(25, false), Ok(24));
        assert_eq!(n_vrb_distributed(50, true), Ok(36));
    }

    #[test]
    fn allocations() {
        let a = alloc_1a(riv_encode(1, 2, 6).unwrap(), false, false, 6).unwrap();
        assert_eq!(a.slots, [0b110, 0b110]);
        assert_eq!(a.n_prb, 2);
        let c = alloc_1c(0, false, 25).unwrap();
        assert_eq!(c.n_prb, 2);
        assert_eq!(c.slots[0].count_ones(), 2);
        assert!(alloc_1a(9999, false, false, 6).is_err());
        assert!(alloc_1a(0, false, false, 5).is_err());
    }
}
