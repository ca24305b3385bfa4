//! Pseudo-random (Gold) sequence of TS 36.211 §7.2, identical to TS 38.211 §5.2.1.
//!
//! `c(n) = (x1(n + Nc) + x2(n + Nc)) mod 2`, `Nc = 1600`, with
//! `x1(n + 31) = (x1(n + 3) + x1(n)) mod 2`, `x1(0) = 1`, `x1(1..=30) = 0`, and
//! `x2(n + 31) = (x2(n + 3) + x2(n + 2) + x2(n + 1) + x2(n)) mod 2`,
//! `c_init = Σ x2(i)·2^i`.
//!
//! Used for CRS (§6.10.1.1), PBCH scrambling (§6.6.1) and the NR equivalents.

/// The offset `Nc` of TS 36.211 §7.2.
pub const NC: usize = 1600;

/// A running Gold sequence generator; yields hard bits `c(0), c(1), …`.
#[derive(Debug, Clone)]
pub struct GoldSequence {
    x1: u32,
    x2: u32,
}

impl GoldSequence {
    /// Starts the sequence for `c_init` (only the low 31 bits are used), already advanced by `Nc`.
    pub fn new(c_init: u32) -> Self {
        let mut g = GoldSequence {
            x1: 1,
            x2: c_init & 0x7FFF_FFFF,
        };
        // Advance by Nc in blocks of 28 bits (the recursions stay valid for shifts < 28).
        let mut left = NC;
        while left >= 28 {
            g.advance_word(28);
            left -= 28;
        }
        g.advance_word(left as u32);
        g
    }

    /// Advances both registers by `n <= 28` steps at once.
    #[inline]
    fn advance_word(&mut self, n: u32) {
        if n == 0 {
            return;
        }
        let mask = (1u32 << n) - 1;
        // new bits x(31+i), i in 0..n, computed in parallel from x(i..i+4)
        let f1 = ((self.x1 >> 3) ^ self.x1) & mask;
        let f2 = ((self.x2 >> 3) ^ (self.x2 >> 2) ^ (self.x2 >> 1) ^ self.x2) & mask;
        self.x1 = (self.x1 >> n) | (f1 << (31 - n));
        self.x2 = (self.x2 >> n) | (f2 << (31 - n));
    }

    /// The next 28 bits `c(n..n+28)` packed LSB-first, advancing the sequence.
    #[inline]
    pub fn next_word28(&mut self) -> u32 {
        let w = (self.x1 ^ self.x2) & 0x0FFF_FFFF;
        self.advance_word(28);
        w
    }

    /// Fills `out` with the next `out.len()` bits (0/1).
    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(28) {
            let w = self.next_word28();
            for (i, o) in chunk.iter_mut().enumerate() {
                *o = ((w >> i) & 1) as u8;
            }
        }
    }
}

/// `c(0..len)` for `c_init`.
pub fn gold_sequence(c_init: u32, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    GoldSequence::new(c_init).fill(&mut v);
    v
}

/// Bit-serial reference straight from the recursion of TS 36.211 §7.2 (slow; for tests).
pub fn gold_sequence_reference(c_init: u32, len: usize) -> Vec<u8> {
    let total = NC + len + 31;
    let mut x1 = vec![0u8; total];
    let mut x2 = vec![0u8; total];
    x1[0] = 1;
    for (i, x) in x2.iter_mut().enumerate().take(31) {
        *x = ((c_init >> i) & 1) as u8;
    }
    for n in 0..total - 31 {
        x1[n + 31] = (x1[n + 3] + x1[n]) % 2;
        x2[n + 31] = (x2[n + 3] + x2[n + 2] + x2[n + 1] + x2[n]) % 2;
    }
    (0..len).map(|n| (x1[n + NC] + x2[n + NC]) % 2).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_equals_reference() {
        for c_init in [0u32, 1, 150, 0x7FFF_FFFF, 123_456_789, 1 << 30] {
            for len in [0usize, 1, 27, 28, 29, 440, 1920] {
                assert_eq!(
                    gold_sequence(c_init, len),
                    gold_sequence_reference(c_init, len),
                    "c_init {c_init} len {len}"
                );
            }
        }
    }

    #[test]
    fn c_init_zero_is_x1_alone() {
        // With c_init = 0, x2 stays zero and c(n) = x1(n + 1600): check against the
        // x1 recursion by hand for the first bits.
        let mut x1 = vec![0u8; 1700];
        x1[0] = 1;
        for n in 0..1700 - 31 {
            x1[n + 31] = x1[n + 3] ^ x1[n];
        }
        assert_eq!(gold_sequence(0, 50), x1[1600..1650].to_vec());
    }
}
