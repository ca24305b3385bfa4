//! The Fire code of the xCCH coding scheme, TS 45.003 §4.1.2:
//! g(D) = (D^23 + 1)(D^17 + D^3 + 1) = D^40 + D^26 + D^23 + D^17 + D^3 + 1,
//! 40 parity bits appended to 184 information bits, sent inverted (the
//! remainder of the whole 224-bit word divided by g(D) is 1 + D + … + D^39).
//!
//! It is a CRC wider than 32 bits, so it lives here rather than in
//! [`crate::fec::crc`]. Used for error detection only.

/// g(D) without its D^40 term: D^26 + D^23 + D^17 + D^3 + 1.
const FIRE_POLY: u64 = (1 << 26) | (1 << 23) | (1 << 17) | (1 << 3) | 1;
/// Number of parity bits.
pub const FIRE_PARITY_LEN: usize = 40;
const MASK: u64 = (1 << 40) - 1;

/// Remainder of `bits(D)·D^40` by g(D), p(0) in bit 39 (bit-serial).
fn remainder(bits: &[u8]) -> u64 {
    let mut reg = 0u64;
    for &b in bits {
        let fb = ((reg >> 39) & 1) ^ u64::from(b & 1);
        reg = (reg << 1) & MASK;
        if fb != 0 {
            reg ^= FIRE_POLY;
        }
    }
    reg
}

/// The 40 parity bits p(0)…p(39) of `info` as transmitted (inverted remainder).
pub fn fire_parity(info: &[u8]) -> [u8; FIRE_PARITY_LEN] {
    let p = !remainder(info) & MASK;
    std::array::from_fn(|i| ((p >> (39 - i)) & 1) as u8)
}

/// Whether the last 40 bits of `block` are the Fire parity of the bits before them.
pub fn fire_check(block: &[u8]) -> bool {
    let Some(split) = block.len().checked_sub(FIRE_PARITY_LEN) else {
        return false;
    };
    let (info, parity) = block.split_at(split);
    parity == fire_parity(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polynomial long division of the whole word, straight from the §4.1.2 definition.
    fn whole_word_remainder(word: &[u8]) -> u64 {
        let g: u64 = (1 << 40) | FIRE_POLY;
        let mut reg: u128 = 0;
        for &b in word {
            reg = (reg << 1) | u128::from(b);
            if reg >> 40 & 1 == 1 {
                reg ^= u128::from(g);
            }
        }
        reg as u64
    }

    #[test]
    fn generator_is_the_product() {
        // (D^23 + 1)(D^17 + D^3 + 1) = D^40 + D^26 + D^23 + D^17 + D^3 + 1.
        let a: u64 = (1 << 23) | 1;
        let b: u64 = (1 << 17) | (1 << 3) | 1;
        let mut prod = 0u64;
        for i in 0..64 {
            if (b >> i) & 1 == 1 {
                prod ^= a << i;
            }
        }
        assert_eq!(prod, (1 << 40) | FIRE_POLY);
    }

    #[test]
    fn codeword_remainder_is_all_ones() {
        let mut s = 7u32;
        for _ in 0..20 {
            let info: Vec<u8> = (0..184)
                .map(|_| {
                    s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    ((s >> 16) & 1) as u8
                })
                .collect();
            let mut word = info.clone();
            word.extend_from_slice(&fire_parity(&info));
            assert_eq!(whole_word_remainder(&word), MASK);
            assert!(fire_check(&word));
            word[17] ^= 1;
            assert!(!fire_check(&word));
        }
        assert!(!fire_check(&[0; 10]));
    }
}
