//! Cyclic redundancy checks of TS 36.212 §5.1.1 (LTE) and TS 38.212 §5.1 (NR), and
//! the GSM CRCs of TS 45.003, over unpacked bit slices.
//!
//! Bits are `u8` 0/1, first bit first (the coefficient of the highest power of
//! `D`). The register starts at zero, with no reflection and no final XOR; the
//! parity bits `p0 … p(L-1)` are appended MSB first, as §5.1.1 attaches them.
//! [`Crc`] is the table-driven fast path; [`crc_reference`] the bit-serial
//! reference it is tested against.

/// A CRC generator polynomial: `width` and the coefficients below `D^width`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrcSpec {
    /// Name for messages, e.g. `"CRC24A"`.
    pub name: &'static str,
    /// Number of parity bits L (1..=32).
    pub width: u32,
    /// Polynomial without its leading `D^L` term; bit i is the coefficient of `D^i`.
    pub poly: u32,
}

/// gCRC8(D) = D^8 + D^7 + D^4 + D^3 + D + 1 (TS 36.212 §5.1.1).
pub const CRC8: CrcSpec = CrcSpec {
    name: "CRC8",
    width: 8,
    poly: 0x9B,
};
/// gCRC16(D) = D^16 + D^12 + D^5 + 1 (TS 36.212 §5.1.1; PBCH, DCI).
pub const CRC16: CrcSpec = CrcSpec {
    name: "CRC16",
    width: 16,
    poly: 0x1021,
};
/// gCRC24A(D) (TS 36.212 §5.1.1; transport blocks).
pub const CRC24A: CrcSpec = CrcSpec {
    name: "CRC24A",
    width: 24,
    poly: 0x86_4CFB,
};
/// gCRC24B(D) = D^24 + D^23 + D^6 + D^5 + D + 1 (TS 36.212 §5.1.1; code blocks).
pub const CRC24B: CrcSpec = CrcSpec {
    name: "CRC24B",
    width: 24,
    poly: 0x80_0063,
};
/// gCRC24C(D) (TS 38.212 §5.1; NR PBCH and DCI).
pub const CRC24C: CrcSpec = CrcSpec {
    name: "CRC24C",
    width: 24,
    poly: 0xB2_B117,
};
/// gCRC11(D) = D^11 + D^10 + D^9 + D^5 + 1 (TS 38.212 §5.1; NR UCI).
pub const CRC11: CrcSpec = CrcSpec {
    name: "CRC11",
    width: 11,
    poly: 0x621,
};
/// gCRC6(D) = D^6 + D^5 + 1 (TS 38.212 §5.1; NR UCI).
pub const CRC6: CrcSpec = CrcSpec {
    name: "CRC6",
    width: 6,
    poly: 0x21,
};

/// Bit-serial reference: the remainder of `bits(D)·D^L` divided by g(D).
pub fn crc_reference(spec: &CrcSpec, bits: &[u8]) -> u32 {
    let w = spec.width.clamp(1, 32);
    let mask = if w == 32 { u32::MAX } else { (1u32 << w) - 1 };
    let mut reg = 0u32;
    for &b in bits {
        let fb = ((reg >> (w - 1)) & 1) ^ u32::from(b & 1);
        reg = (reg << 1) & mask;
        if fb != 0 {
            reg ^= spec.poly & mask;
        }
    }
    reg
}

/// Table-driven CRC (8 bits per step), built once for a [`CrcSpec`].
#[derive(Debug, Clone)]
pub struct Crc {
    spec: CrcSpec,
    table: Box<[u32; 256]>,
}

impl Crc {
    /// Builds the 256-entry table. Widths outside 1..=32 are clamped.
    pub fn new(spec: CrcSpec) -> Self {
        let w = spec.width.clamp(1, 32);
        let spec = CrcSpec { width: w, ..spec };
        let top_poly = if w == 32 {
            spec.poly
        } else {
            (spec.poly & ((1u32 << w) - 1)) << (32 - w)
        };
        let mut table = Box::new([0u32; 256]);
        for (i, t) in table.iter_mut().enumerate() {
            let mut r = (i as u32) << 24;
            for _ in 0..8 {
                r = if r & 0x8000_0000 != 0 {
                    (r << 1) ^ top_poly
                } else {
                    r << 1
                };
            }
            *t = r;
        }
        Crc { spec, table }
    }

    /// The polynomial this CRC uses.
    pub fn spec(&self) -> &CrcSpec {
        &self.spec
    }

    /// Number of parity bits.
    pub fn width(&self) -> usize {
        self.spec.width as usize
    }

    /// The CRC of `bits` (parity bits as an integer, p0 in the most significant position).
    pub fn checksum(&self, bits: &[u8]) -> u32 {
        let w = self.spec.width;
        // Register kept left-aligned in 32 bits.
        let mut reg: u32 = 0;
        let mut chunks = bits.chunks_exact(8);
        for c in &mut chunks {
            let byte = c.iter().fold(0u32, |a, &b| (a << 1) | u32::from(b & 1));
            let idx = ((reg >> 24) ^ byte) & 0xFF;
            reg = (reg << 8) ^ self.table[idx as usize];
        }
        let top_poly = if w == 32 {
            self.spec.poly
        } else {
            (self.spec.poly & ((1u32 << w) - 1)) << (32 - w)
        };
        for &b in chunks.remainder() {
            let fb = (reg >> 31) ^ u32::from(b & 1);
            reg <<= 1;
            if fb != 0 {
                reg ^= top_poly;
            }
        }
        if w == 32 {
            reg
        } else {
            reg >> (32 - w)
        }
    }

    /// Appends `bits` followed by their parity bits (MSB first) to `out`.
    pub fn attach(&self, bits: &[u8], out: &mut Vec<u8>) {
        let p = self.checksum(bits);
        out.extend_from_slice(bits);
        push_bits_msb_first(p, self.width(), out);
    }

    /// Whether the last `width` bits of `block` are the CRC of the bits before them.
    /// Returns false when `block` is shorter than the CRC.
    pub fn check(&self, block: &[u8]) -> bool {
        self.check_masked(block, 0)
    }

    /// As [`Self::check`], with the parity bits XORed with `mask` (MSB first), as the
    /// PBCH antenna-port masks of TS 36.212 §5.3.1.1 and DCI RNTI masking do.
    pub fn check_masked(&self, block: &[u8], mask: u32) -> bool {
        self.received_parity_xor(block).is_some_and(|x| x == mask)
    }

    /// `received parity XOR computed parity` of `block` (None if it is too short); the
    /// mask that was applied at the transmitter when the payload is intact.
    pub fn received_parity_xor(&self, block: &[u8]) -> Option<u32> {
        let w = self.width();
        if block.len() < w {
            return None;
        }
        let (data, parity) = block.split_at(block.len() - w);
        let rx = parity
            .iter()
            .fold(0u32, |a, &b| (a << 1) | u32::from(b & 1));
        Some(rx ^ self.checksum(data))
    }
}

/// Appends the `n` low bits of `v`, most significant first.
pub fn push_bits_msb_first(v: u32, n: usize, out: &mut Vec<u8>) {
    for i in (0..n.min(32)).rev() {
        out.push(((v >> i) & 1) as u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALL: [CrcSpec; 7] = [CRC8, CRC16, CRC24A, CRC24B, CRC24C, CRC11, CRC6];

    fn bytes_to_bits(b: &[u8]) -> Vec<u8> {
        b.iter()
            .flat_map(|&x| (0..8).rev().map(move |i| (x >> i) & 1))
            .collect()
    }

    #[test]
    fn known_check_values() {
        // The standard "123456789" check values for these non-reflected, zero-init,
        // no-xorout polynomials (the CRC catalogue's XMODEM = CRC16 here).
        let msg = bytes_to_bits(b"123456789");
        assert_eq!(Crc::new(CRC16).checksum(&msg), 0x31C3);
        assert_eq!(crc_reference(&CRC16, &msg), 0x31C3);
        // Hand computed: a single 1 bit gives the polynomial itself.
        for s in ALL {
            assert_eq!(Crc::new(s).checksum(&[1]), s.poly, "{}", s.name);
            assert_eq!(Crc::new(s).checksum(&[]), 0, "{}", s.name);
        }
        // "1" followed by L zero bits: remainder of D^(2L) mod g, e.g. for CRC8 by hand:
        // D^8 = D^7 + D^4 + D^3 + D + 1 → 0x9B.
        assert_eq!(
            Crc::new(CRC8).checksum(&[1, 0, 0, 0, 0, 0, 0, 0, 0]),
            crc_reference(&CRC8, &[1, 0, 0, 0, 0, 0, 0, 0, 0])
        );
    }

    #[test]
    fn attach_then_check_and_masks() {
        let crc = Crc::new(CRC16);
        let mib: Vec<u8> = "011010000001110000000000"
            .bytes()
            .map(|c| c - b'0')
            .collect();
        let mut block = Vec::new();
        crc.attach(&mib, &mut block);
        assert!(crc.check(&block));
        for b in &mut block[24..] {
            *b ^= 1;
        }
        assert!(!crc.check(&block));
        assert!(crc.check_masked(&block, 0xFFFF));
        assert_eq!(crc.received_parity_xor(&block), Some(0xFFFF));
        assert!(!crc.check(&[1, 0]));
    }

    proptest! {
        #[test]
        fn table_equals_reference(bits in proptest::collection::vec(0u8..2, 0..300), which in 0usize..7) {
            let s = ALL[which];
            prop_assert_eq!(Crc::new(s).checksum(&bits), crc_reference(&s, &bits));
            let mut block = Vec::new();
            Crc::new(s).attach(&bits, &mut block);
            prop_assert!(Crc::new(s).check(&block));
            // CRC of a block with its parity attached is zero.
            prop_assert_eq!(crc_reference(&s, &block), 0);
        }
    }
}
