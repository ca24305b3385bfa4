//! Cell-specific reference signals, TS 36.211 §6.10.1.
//!
//! `r(m) = (1 − 2c(2m))/√2 + j(1 − 2c(2m+1))/√2` with the Gold sequence of §7.2,
//! `c_init = 2^10·(7(n_s+1) + l + 1)·(2N_ID^cell + 1) + 2N_ID^cell + N_CP`
//! (§6.10.1.1), mapped to `k = 6m + (v + v_shift) mod 6` on symbols `l ∈ {0, N_symb−3}`
//! (ports 0, 1) and `l = 1` (ports 2, 3), `m' = m + N_RB^max − N_RB` (§6.10.1.2).
//! In the central 6 PRB the pilot `m_c = 0..12` always uses `m' = m_c + 104`.

use super::CyclicPrefix;
use crate::sequence::GoldSequence;
use num_complex::Complex32;

/// `N_RB^max,DL` (TS 36.211 Table 6.10.1.1-1 context).
pub const N_RB_MAX: usize = 110;
/// `m'` of the first pilot of the central 6 PRB.
pub const CENTRAL_M_PRIME: usize = N_RB_MAX - 6;

/// `v_shift = N_ID^cell mod 6`.
pub const fn v_shift(pci: u16) -> usize {
    (pci % 6) as usize
}

/// Whether symbol `l` of a slot carries CRS of `port` (0..4).
pub const fn is_crs_symbol(port: usize, l: usize, cp: CyclicPrefix) -> bool {
    match port {
        0 | 1 => l == 0 || l == cp.symbols_per_slot() - 3,
        2 | 3 => l == 1,
        _ => false,
    }
}

/// Subcarrier offset `(v + v_shift) mod 6` of `port`'s pilots on symbol `l` of slot `ns`.
pub const fn k_offset(port: usize, l: usize, ns: usize, pci: u16) -> usize {
    let v = match port {
        0 => {
            if l == 0 {
                0
            } else {
                3
            }
        }
        1 => {
            if l == 0 {
                3
            } else {
                0
            }
        }
        2 => 3 * (ns % 2),
        _ => 3 + 3 * (ns % 2),
    };
    (v + v_shift(pci)) % 6
}

/// `c_init` of the CRS on symbol `l` of slot `ns` (§6.10.1.1).
pub const fn c_init(pci: u16, ns: usize, l: usize, cp: CyclicPrefix) -> u32 {
    let n = pci as u32;
    (1 << 10) * (7 * (ns as u32 + 1) + l as u32 + 1) * (2 * n + 1) + 2 * n + cp.n_cp()
}

/// Writes `r(m')` for `m' = first..first + out.len()` (`first + out.len() ≤ 220`).
pub fn crs_values(
    pci: u16,
    ns: usize,
    l: usize,
    cp: CyclicPrefix,
    first: usize,
    out: &mut [Complex32],
) {
    let mut g = GoldSequence::new(c_init(pci, ns, l, cp));
    let s = std::f32::consts::FRAC_1_SQRT_2;
    // Skip 2·first bits.
    let mut skip = 2 * first;
    let mut word = 0u32;
    let mut avail = 0u32;
    while skip >= 28 {
        g.next_word28();
        skip -= 28;
    }
    if skip > 0 {
        word = g.next_word28() >> skip;
        avail = 28 - skip as u32;
    }
    let mut next_bit = || {
        if avail == 0 {
            word = g.next_word28();
            avail = 28;
        }
        let b = word & 1;
        word >>= 1;
        avail -= 1;
        b
    };
    for o in out.iter_mut() {
        let b0 = next_bit();
        let b1 = next_bit();
        *o = Complex32::new(s * (1.0 - 2.0 * b0 as f32), s * (1.0 - 2.0 * b1 as f32));
    }
}

/// The 12 pilots of the central 6 PRB (`m_c = 0..12`, at `k' = 6m_c + k_offset`).
pub fn central_crs(pci: u16, ns: usize, l: usize, cp: CyclicPrefix) -> [Complex32; 12] {
    let mut out = [Complex32::default(); 12];
    crs_values(pci, ns, l, cp, CENTRAL_M_PRIME, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence::gold_sequence_reference;

    #[test]
    fn values_match_reference_sequence() {
        let pci = 150;
        let (ns, l) = (3, 4);
        let bits = gold_sequence_reference(c_init(pci, ns, l, CyclicPrefix::Normal), 440);
        let c = central_crs(pci, ns, l, CyclicPrefix::Normal);
        for (mc, v) in c.iter().enumerate() {
            let m = mc + 104;
            assert_eq!(v.re > 0.0, bits[2 * m] == 0);
            assert_eq!(v.im > 0.0, bits[2 * m + 1] == 0);
        }
        let mut all = vec![Complex32::default(); 220];
        crs_values(pci, ns, l, CyclicPrefix::Normal, 0, &mut all);
        assert_eq!(&all[104..116], &c[..]);
    }

    #[test]
    fn mapping_hand_values() {
        // c_init by hand: ns 0, l 0, PCI 0, normal: 2^10·8·1 + 0 + 1.
        assert_eq!(c_init(0, 0, 0, CyclicPrefix::Normal), 8193);
        assert!(is_crs_symbol(0, 4, CyclicPrefix::Normal));
        assert!(is_crs_symbol(1, 3, CyclicPrefix::Extended));
        assert!(!is_crs_symbol(2, 0, CyclicPrefix::Normal));
        assert_eq!(k_offset(0, 0, 0, 7), 1);
        assert_eq!(k_offset(1, 0, 0, 7), 4);
        assert_eq!(k_offset(2, 1, 1, 0), 3);
        assert_eq!(k_offset(3, 1, 1, 0), 0);
    }
}
