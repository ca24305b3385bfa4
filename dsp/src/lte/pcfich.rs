//! Physical control format indicator channel, TS 36.211 §6.7, carrying the CFI
//! coded per TS 36.212 §5.3.4 (Table 5.3.4-1: a 32-bit codeword per CFI 1..3).
//!
//! The 32 bits are scrambled with `c_init = (⌊n_s/2⌋ + 1)(2N_ID^cell + 1)·2^9 +
//! N_ID^cell` (§6.7.1), QPSK modulated, precoded like every other control
//! channel (§6.7.3) and mapped as four quadruplets to the REGs of symbol 0
//! starting at subcarriers `k̄ + ⌊i·N_RB/2⌋·N_sc/2`, `k̄ = (N_sc/2)(N_ID^cell mod
//! 2N_RB)` (§6.7.4). The receiver correlates the 32 soft bits with the three
//! codewords.

/// Bits of the CFI codeword.
pub const CFI_BITS: usize = 32;

/// The CFI codeword of TS 36.212 Table 5.3.4-1 (`cfi` 1..=3; 4 is reserved and
/// gives all zeros).
pub fn cfi_codeword(cfi: u8) -> [u8; CFI_BITS] {
    // CFI 1: 0,1,1 repeated; CFI 2: 1,0,1; CFI 3: 1,1,0 (each truncated to 32 bits).
    let pat: [u8; 3] = match cfi {
        1 => [0, 1, 1],
        2 => [1, 0, 1],
        3 => [1, 1, 0],
        _ => [0, 0, 0],
    };
    let mut out = [0u8; CFI_BITS];
    for (i, o) in out.iter_mut().enumerate() {
        *o = pat[i % 3];
    }
    out
}

/// PCFICH scrambling initialisation (TS 36.211 §6.7.1) in `subframe` (0..10).
pub const fn c_init(pci: u16, subframe: usize) -> u32 {
    let ns2 = (subframe % 10) as u32; // ⌊n_s/2⌋ with n_s = 2·subframe
    (ns2 + 1) * (2 * pci as u32 + 1) * (1 << 9) + pci as u32
}

/// First subcarrier of each of the four PCFICH REGs in symbol 0 (§6.7.4).
pub fn reg_starts(pci: u16, nprb: usize) -> [usize; 4] {
    let n_sc = 12 * nprb.max(1);
    let kbar = 6 * (usize::from(pci) % (2 * nprb.max(1)));
    let mut k = [0usize; 4];
    for (i, o) in k.iter_mut().enumerate() {
        *o = (kbar + (i * nprb / 2) * 6) % n_sc;
    }
    k
}

/// The decoded CFI and how clearly it won.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CfiDecision {
    /// CFI 1..=3.
    pub cfi: u8,
    /// Correlation of the soft bits with the chosen codeword, normalised to
    /// Σ|LLR| (1.0: every bit agrees; about 1/3 for noise).
    pub confidence: f32,
}

/// Picks the CFI whose codeword best matches the 32 descrambled LLRs
/// (positive = 0). `None` when every LLR is zero or not finite.
pub fn decode_cfi(llr: &[f32]) -> Option<CfiDecision> {
    let total: f32 = llr
        .iter()
        .take(CFI_BITS)
        .filter(|v| v.is_finite())
        .map(|v| v.abs())
        .sum();
    if total <= 0.0 || !total.is_finite() {
        return None;
    }
    let mut best = (0u8, f32::NEG_INFINITY);
    for cfi in 1..=3u8 {
        let cw = cfi_codeword(cfi);
        let s: f32 = llr
            .iter()
            .zip(cw.iter())
            .filter(|(v, _)| v.is_finite())
            .map(|(&v, &b)| if b == 0 { v } else { -v })
            .sum();
        if s > best.1 {
            best = (cfi, s);
        }
    }
    Some(CfiDecision {
        cfi: best.0,
        confidence: best.1 / total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codewords_by_hand() {
        let c1 = cfi_codeword(1);
        assert_eq!(&c1[..6], &[0, 1, 1, 0, 1, 1]);
        assert_eq!(&c1[30..], &[0, 1]);
        let c3 = cfi_codeword(3);
        assert_eq!(&c3[29..], &[0, 1, 1]);
        // Minimum distance between the three codewords is 21.
        for a in 1..=3 {
            for b in (a + 1)..=3 {
                let d = cfi_codeword(a)
                    .iter()
                    .zip(cfi_codeword(b).iter())
                    .filter(|(x, y)| x != y)
                    .count();
                assert!(d >= 21, "{a} {b} {d}");
            }
        }
    }

    #[test]
    fn mapping_hand_values() {
        // PCI 1, 6 PRB: k̄ = 6, REGs at 6, 6 + 18, 6 + 36, 6 + 54.
        assert_eq!(reg_starts(1, 6), [6, 24, 42, 60]);
        // PCI 301, 25 PRB: 301 mod 50 = 1 → k̄ = 6; ⌊i·25/2⌋·6 = 0, 72, 150, 222.
        assert_eq!(reg_starts(301, 25), [6, 78, 156, 228]);
        assert_eq!(c_init(0, 0), 512);
    }

    #[test]
    fn decode_picks_codeword() {
        for cfi in 1..=3 {
            let llr: Vec<f32> = cfi_codeword(cfi)
                .iter()
                .map(|&b| if b == 0 { 1.0 } else { -1.0 })
                .collect();
            let d = decode_cfi(&llr).unwrap();
            assert_eq!(d.cfi, cfi);
            assert!((d.confidence - 1.0).abs() < 1e-6);
        }
        assert!(decode_cfi(&[0.0; 32]).is_none());
        assert!(decode_cfi(&[f32::NAN; 32]).is_none());
    }
}
