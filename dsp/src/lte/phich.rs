//! PHICH resource layout, TS 36.211 §6.9 (number of groups) and §6.9.3 (mapping
//! of the groups to resource-element groups) — only as far as a receiver needs
//! to know which REGs are *not* PDCCH. The HARQ indicators themselves are not
//! decoded.
//!
//! `N_group = ⌈N_g·N_RB/8⌉` (normal CP) or `2⌈N_g·N_RB/8⌉` (extended CP), with
//! `N_g` from the MIB; frame structure type 2 scales it by `m_i` (Table 6.9-1),
//! which needs the uplink-downlink configuration from SIB1 and is taken as 1.
//! Mapping unit `m'` (one group, or a pair of groups with extended CP) uses, for
//! repetition `i = 0, 1, 2`, REG `n_i = (⌊N_ID·n_l'/n_0⌋ + m' + ⌊i·n_l'/3⌋) mod n_l'`
//! among the `n_l'` REGs of symbol `l'_i` not used by the PCFICH, numbered from
//! the lowest frequency; `l'_i = 0` for normal PHICH duration and `i` for extended.

use super::mib::{PhichDuration, PhichResource};
use super::CyclicPrefix;

/// Number of PHICH groups (frame structure type 1; `m_i = 1` for type 2).
pub fn n_groups(resource: PhichResource, nprb: usize, cp: CyclicPrefix) -> usize {
    // ⌈N_g·N_RB/8⌉ with N_g ∈ {1/6, 1/2, 1, 2}: exact in integers as ⌈num·N_RB/(8·den)⌉.
    let (num, den) = match resource {
        PhichResource::OneSixth => (1, 6),
        PhichResource::Half => (1, 2),
        PhichResource::One => (1, 1),
        PhichResource::Two => (2, 1),
    };
    let g = (num * nprb).div_ceil(8 * den);
    match cp {
        CyclicPrefix::Normal => g,
        CyclicPrefix::Extended => 2 * g,
    }
}

/// The PHICH REGs as `(l', n)`: symbol and index among that symbol's non-PCFICH
/// REGs, for every mapping unit and repetition. `n_free[l]` is the number of
/// REGs of symbol `l` not used by the PCFICH (`n_l'`). Units whose symbol does
/// not exist are skipped. Appends to `out` (cleared first).
pub fn reg_indices(
    resource: PhichResource,
    duration: PhichDuration,
    nprb: usize,
    cp: CyclicPrefix,
    pci: u16,
    n_free: &[usize],
    out: &mut Vec<(usize, usize)>,
) {
    out.clear();
    let groups = n_groups(resource, nprb, cp);
    let units = match cp {
        CyclicPrefix::Normal => groups,
        CyclicPrefix::Extended => groups / 2,
    };
    let n0 = n_free.first().copied().unwrap_or(0);
    if n0 == 0 {
        return;
    }
    for m in 0..units {
        for i in 0..3 {
            let l = match duration {
                PhichDuration::Normal => 0,
                PhichDuration::Extended => i,
            };
            let Some(&nl) = n_free.get(l) else { continue };
            if nl == 0 {
                continue;
            }
            let n = (usize::from(pci) * nl / n0 + m + i * nl / 3) % nl;
            out.push((l, n));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_counts() {
        assert_eq!(
            n_groups(PhichResource::OneSixth, 6, CyclicPrefix::Normal),
            1
        );
        assert_eq!(n_groups(PhichResource::One, 50, CyclicPrefix::Normal), 7);
        assert_eq!(n_groups(PhichResource::Two, 100, CyclicPrefix::Normal), 25);
        assert_eq!(n_groups(PhichResource::Half, 25, CyclicPrefix::Extended), 4);
    }

    #[test]
    fn normal_duration_hand_values() {
        // 6 PRB, symbol 0: 12 REGs − 4 PCFICH = 8 free; PCI 1, one group:
        // n_i = (1 + 0 + ⌊8i/3⌋) mod 8 = 1, 3, 6.
        let mut v = Vec::new();
        reg_indices(
            PhichResource::OneSixth,
            PhichDuration::Normal,
            6,
            CyclicPrefix::Normal,
            1,
            &[8, 18, 18],
            &mut v,
        );
        assert_eq!(v, vec![(0, 1), (0, 3), (0, 6)]);
    }
}
