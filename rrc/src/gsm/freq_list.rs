//! Frequency lists: TS 44.018 §10.5.2.13 (Frequency List) and the same codings
//! in Cell Channel Description (§10.5.2.1b), Neighbour Cell Description
//! (§10.5.2.22) and Neighbour Cell Description 2 (§10.5.2.22a).
//!
//! Formats (§10.5.2.1b table 10.5.2.1b.1, FORMAT-ID in bits 8, 7, 4, 3, 2 of
//! the first value octet): bit map 0 (§10.5.2.1b.2), range 1024 (§10.5.2.13.3),
//! range 512 (§10.5.2.13.4), range 256 (§10.5.2.13.5), range 128
//! (§10.5.2.13.6) and variable bit map (§10.5.2.13.7). The range formats carry
//! W(k) parameters of a balanced binary tree; [`decode`] applies the
//! algorithm of §10.5.2.13.3 to turn them back into ARFCNs, [`encode`] does the
//! reverse following the principle of Annex J (used by tests and simulators).

use super::bits::BitReader;
use super::GsmRrError;

/// The coding of a frequency list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrequencyListFormat {
    /// ARFCN 1…124 as a bitmap (§10.5.2.1b.2).
    BitMap0,
    /// W-parameters over ARFCN 1…1023, plus the F0 flag for ARFCN 0 (§10.5.2.13.3).
    Range1024,
    /// ORIG-ARFCN and W-parameters over a 512-wide window (§10.5.2.13.4).
    Range512,
    /// ORIG-ARFCN and W-parameters over a 256-wide window (§10.5.2.13.5).
    Range256,
    /// ORIG-ARFCN and W-parameters over a 128-wide window (§10.5.2.13.6).
    Range128,
    /// ORIG-ARFCN and a bitmap of the following ARFCNs (§10.5.2.13.7).
    VariableBitMap,
}

impl FrequencyListFormat {
    /// The FORMAT-ID bits 4, 3, 2 of the range formats, or `None` for bit map 0.
    fn id_bits(self) -> Option<u8> {
        match self {
            Self::BitMap0 => None,
            Self::Range1024 => Some(0b000), // only bit 4 = 0 is part of the id
            Self::Range512 => Some(0b100),
            Self::Range256 => Some(0b101),
            Self::Range128 => Some(0b110),
            Self::VariableBitMap => Some(0b111),
        }
    }

    /// The top modulus of a range format: the W(1) range and the width of the
    /// window above ORIG-ARFCN (1023, 511, 255, 127).
    fn top_modulus(self) -> Option<i32> {
        match self {
            Self::Range1024 => Some(1023),
            Self::Range512 => Some(511),
            Self::Range256 => Some(255),
            Self::Range128 => Some(127),
            _ => None,
        }
    }
}

/// A decoded frequency list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrequencyList {
    /// The coding it used.
    pub format: FrequencyListFormat,
    /// ARFCNs, ascending, without duplicates.
    pub arfcns: Vec<u16>,
}

/// Decode a frequency list from its value octets, starting with the octet that
/// holds the FORMAT-ID (octet 2 of the 16-octet IEs, octet 3 of §10.5.2.13).
///
/// Bits 6 and 5 of the first octet are not part of the format (spare, or
/// EXT-IND/BA-IND): they are ignored. Callers decoding §10.5.2.22a must clear
/// bit 7 (multiband reporting) first.
pub fn decode(value: &[u8]) -> Result<FrequencyList, GsmRrError> {
    let first = *value
        .first()
        .ok_or(GsmRrError::TooShort { need: 1, got: 0 })?;
    let total_bits = value.len() * 8;
    let mut arfcns: Vec<u16> = Vec::new();
    let format = match first >> 6 {
        0b00 => {
            // Bit map 0: bit i (i ≥ 4, counted MSB first) is ARFCN 8·len − i.
            let mut r = BitReader::new(value);
            r.skip(4)?;
            for i in 4..total_bits {
                if r.bit()? == 1 {
                    if let Ok(a) = u16::try_from(total_bits - i) {
                        arfcns.push(a);
                    }
                }
            }
            FrequencyListFormat::BitMap0
        }
        0b10 => {
            let format = match (first >> 1) & 0b111 {
                0b000..=0b011 => FrequencyListFormat::Range1024,
                0b100 => FrequencyListFormat::Range512,
                0b101 => FrequencyListFormat::Range256,
                0b110 => FrequencyListFormat::Range128,
                _ => FrequencyListFormat::VariableBitMap,
            };
            let mut r = BitReader::new(value);
            if format == FrequencyListFormat::Range1024 {
                r.skip(5)?;
                if r.flag()? {
                    arfcns.push(0); // F0
                }
                let w = read_w(&mut r, 10);
                for f in w_to_f(&w, 1024) {
                    arfcns.push(f as u16);
                }
            } else {
                r.skip(7)?;
                let orig = r.bits(10)? as i32;
                arfcns.push(orig as u16);
                if format == FrequencyListFormat::VariableBitMap {
                    let mut rrfcn = 1;
                    while r.remaining() > 0 {
                        if r.bit()? == 1 {
                            arfcns.push(((orig + rrfcn) % 1024) as u16);
                        }
                        rrfcn += 1;
                    }
                } else {
                    let top = format.top_modulus().unwrap_or(127);
                    let first_bits = bit_width(top);
                    let w = read_w(&mut r, first_bits);
                    for f in w_to_f(&w, top + 1) {
                        arfcns.push(((orig + f) % 1024) as u16);
                    }
                }
            }
            format
        }
        _ => {
            return Err(GsmRrError::Invalid {
                field: "frequency list FORMAT-ID",
                value: u32::from(first >> 6),
            })
        }
    };
    arfcns.sort_unstable();
    arfcns.dedup();
    Ok(FrequencyList { format, arfcns })
}

/// Number of bits of a W parameter whose range is 1…m (m = 2^b − 1).
fn bit_width(m: i32) -> usize {
    (32 - (m as u32).leading_zeros()) as usize
}

/// Read W(1), W(2), … : W(k) at tree level l = ⌊log2 k⌋ has `first_bits − l`
/// bits. Reading stops at the end of the data, at a zero W (end of list,
/// §10.5.2.13.3), or when a level would have no bits left.
fn read_w(r: &mut BitReader<'_>, first_bits: usize) -> Vec<i32> {
    let mut w = Vec::new();
    let mut k: usize = 1;
    loop {
        let level = (usize::BITS - 1 - k.leading_zeros()) as usize;
        let Some(bits) = first_bits.checked_sub(level).filter(|b| *b > 0) else {
            break;
        };
        match r.bits(bits) {
            Ok(0) | Err(_) => break,
            Ok(v) => w.push(v as i32),
        }
        k += 1;
    }
    w
}

/// `n smod m` of §10.5.2.13.3: the representative of n modulo m in 1…m.
fn smod(n: i32, m: i32) -> i32 {
    (n - 1).rem_euclid(m) + 1
}

/// The F(K) of §10.5.2.13.3 for K = 1…w.len(): W(K) is combined with its
/// ancestors up to W(1). `range` is ORIGINAL_RANGE (1024, 512, 256 or 128).
/// `w[0]` is W(1).
fn w_to_f(w: &[i32], range: i32) -> Vec<i32> {
    let mut out = Vec::with_capacity(w.len());
    for k in 1..=w.len() {
        let mut index = k;
        let mut j = 1usize << (usize::BITS - 1 - k.leading_zeros());
        let mut n = w.get(k - 1).copied().unwrap_or(0);
        while index > 1 {
            let jj = j as i32;
            if 2 * index < 3 * j {
                // left child: parent is INDEX − J/2
                index -= j / 2;
                let parent = w.get(index - 1).copied().unwrap_or(0);
                n = smod(n + parent - range / jj, 2 * range / jj - 1);
            } else {
                // right child: parent is INDEX − J
                index -= j;
                let parent = w.get(index - 1).copied().unwrap_or(0);
                n = smod(n + parent, 2 * range / jj - 1);
            }
            j /= 2;
        }
        out.push(n);
    }
    out
}

/// Encode ARFCNs into `len` value octets in the given format (the inverse of
/// [`decode`]; bits 6 and 5 of the first octet are left 0 for the caller).
///
/// Fails if the channels do not fit the format (outside its window, or too
/// many for `len` octets).
pub fn encode(
    arfcns: &[u16],
    format: FrequencyListFormat,
    len: usize,
) -> Result<Vec<u8>, GsmRrError> {
    let mut set: Vec<i32> = arfcns.iter().map(|&a| i32::from(a)).collect();
    set.sort_unstable();
    set.dedup();
    if set.iter().any(|&a| !(0..1024).contains(&a)) {
        return Err(GsmRrError::Invalid {
            field: "ARFCN",
            value: 1024,
        });
    }
    let mut w = BitWriter::new(len);
    let too_many = || GsmRrError::Invalid {
        field: "frequency list capacity",
        value: set.len() as u32,
    };
    match format {
        FrequencyListFormat::BitMap0 => {
            w.put(0, 4);
            let total = len * 8;
            for i in 4..total {
                let a = (total - i) as i32;
                w.put(u32::from(set.contains(&a)), 1);
            }
            if set.iter().any(|&a| a == 0 || a as usize > total - 4) {
                return Err(too_many());
            }
        }
        FrequencyListFormat::Range1024 => {
            w.put(0b10, 2);
            w.put(0, 2);
            w.put(0, 1);
            w.put(u32::from(set.first() == Some(&0)), 1);
            let values: Vec<i32> = set.iter().copied().filter(|&a| a != 0).collect();
            let ws = w_tree(&values, 1023).ok_or_else(too_many)?;
            put_w(&mut w, &ws, 10).ok_or_else(too_many)?;
        }
        _ => {
            let top = format.top_modulus().unwrap_or(127);
            let window = if format == FrequencyListFormat::VariableBitMap {
                (8 * len).saturating_sub(17) as i32
            } else {
                top
            };
            // ORIG-ARFCN: a member from which every other member lies within the window.
            let orig = set
                .iter()
                .copied()
                .find(|&o| set.iter().all(|&a| (a - o).rem_euclid(1024) <= window))
                .ok_or_else(too_many)?;
            w.put(0b10, 2);
            w.put(0, 2);
            w.put(u32::from(format.id_bits().unwrap_or(0)), 3);
            w.put(orig as u32, 10);
            let rel: Vec<i32> = set
                .iter()
                .map(|&a| (a - orig).rem_euclid(1024))
                .filter(|&d| d != 0)
                .collect();
            if format == FrequencyListFormat::VariableBitMap {
                for d in 1..=window {
                    w.put(u32::from(rel.contains(&d)), 1);
                }
            } else {
                let ws = w_tree(&rel, top).ok_or_else(too_many)?;
                put_w(&mut w, &ws, bit_width(top)).ok_or_else(too_many)?;
            }
        }
    }
    Ok(w.into_bytes())
}

fn put_w(w: &mut BitWriter, ws: &[i32], first_bits: usize) -> Option<()> {
    for (i, &v) in ws.iter().enumerate() {
        let k = i + 1;
        let level = (usize::BITS - 1 - k.leading_zeros()) as usize;
        let bits = first_bits.checked_sub(level).filter(|b| *b > 0)?;
        if w.free() < bits {
            return None;
        }
        w.put(v as u32, bits);
    }
    Some(())
}

/// Number of indices ≤ n in the subtree rooted at `k` whose level is `j`
/// (children of k at level 2j are k + j and k + 2j, §10.5.2.13.3).
fn subtree_size(k: usize, j: usize, n: usize) -> usize {
    if k > n {
        return 0;
    }
    1 + subtree_size(k + j, 2 * j, n) + subtree_size(k + 2 * j, 2 * j, n)
}

/// W(1)…W(n) for values in 1…m (Annex J principle): each node takes a pivot
/// such that its left subtree gets the values of the half-window before it.
fn w_tree(values: &[i32], m: i32) -> Option<Vec<i32>> {
    let n = values.len();
    let mut w = vec![0i32; n];
    fn place(values: &[i32], k: usize, j: usize, m: i32, n: usize, w: &mut [i32]) -> Option<()> {
        if values.is_empty() {
            return Some(());
        }
        let left_size = subtree_size(k + j, 2 * j, n);
        let half = (m - 1) / 2;
        let off = (m + 1) / 2;
        for &p in values {
            let left: Vec<i32> = values
                .iter()
                .copied()
                .filter(|&v| v != p && (p - v).rem_euclid(m) <= half)
                .collect();
            if left.len() != left_size {
                continue;
            }
            let right: Vec<i32> = values
                .iter()
                .copied()
                .filter(|&v| v != p && (v - p).rem_euclid(m) <= half)
                .collect();
            let l: Vec<i32> = left.iter().map(|&v| smod(v - p + off, m)).collect();
            let r: Vec<i32> = right.iter().map(|&v| smod(v - p, m)).collect();
            *w.get_mut(k - 1)? = p;
            place(&l, k + j, 2 * j, half, n, w)?;
            place(&r, k + 2 * j, 2 * j, half, n, w)?;
            return Some(());
        }
        None
    }
    if values.iter().any(|&v| v < 1 || v > m) {
        return None;
    }
    place(values, 1, 1, m, n, &mut w)?;
    Some(w)
}

/// MSB-first bit writer into a fixed number of octets (zero filled).
#[derive(Debug)]
struct BitWriter {
    data: Vec<u8>,
    pos: usize,
}

impl BitWriter {
    fn new(len: usize) -> Self {
        Self {
            data: vec![0; len],
            pos: 0,
        }
    }
    fn free(&self) -> usize {
        (self.data.len() * 8).saturating_sub(self.pos)
    }
    fn put(&mut self, value: u32, bits: usize) {
        for i in (0..bits).rev() {
            if let Some(byte) = self.data.get_mut(self.pos / 8) {
                if (value >> i) & 1 == 1 {
                    *byte |= 0x80 >> (self.pos % 8);
                }
            }
            self.pos += 1;
        }
    }
    fn into_bytes(self) -> Vec<u8> {
        self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FrequencyListFormat::*;

    #[test]
    fn smod_is_one_based() {
        assert_eq!(smod(1023, 1023), 1023);
        assert_eq!(smod(0, 1023), 1023);
        assert_eq!(smod(1024, 1023), 1);
        assert_eq!(smod(-5, 511), 506);
    }

    #[test]
    fn spec_formulas_for_range_1024() {
        // §10.5.2.13.3: F1 = W1, F2 = (W1 − 512 + W2) smod 1023, F3 = (W1 + W3) smod 1023,
        // F4 = (W1 − 512 + (W2 − 256 + W4) smod 511) smod 1023,
        // F5 = (W1 + (W3 − 256 + W5) smod 511) smod 1023,
        // F6 = (W1 − 512 + (W2 + W6) smod 511) smod 1023,
        // F7 = (W1 + (W3 + W7) smod 511) smod 1023.
        let w = [700, 300, 200, 100, 50, 20, 10];
        let f = w_to_f(&w, 1024);
        let (w1, w2, w3, w4, w5, w6, w7) = (700, 300, 200, 100, 50, 20, 10);
        assert_eq!(f[0], w1);
        assert_eq!(f[1], smod(w1 - 512 + w2, 1023));
        assert_eq!(f[2], smod(w1 + w3, 1023));
        assert_eq!(f[3], smod(w1 - 512 + smod(w2 - 256 + w4, 511), 1023));
        assert_eq!(f[4], smod(w1 + smod(w3 - 256 + w5, 511), 1023));
        assert_eq!(f[5], smod(w1 - 512 + smod(w2 + w6, 511), 1023));
        assert_eq!(f[6], smod(w1 + smod(w3 + w7, 511), 1023));
    }

    #[test]
    fn real_variable_bit_map_from_si2() {
        // Neighbour Cell Description of a Vodafone DE SI2 (gr-gsm test data):
        // Wireshark lists 730 733 734 741 746.
        let mut v = vec![0x8f, 0x6d, 0x18, 0x10, 0x80];
        v.resize(16, 0);
        let l = decode(&v[..16]).unwrap();
        assert_eq!(l.format, VariableBitMap);
        assert_eq!(l.arfcns, vec![730, 733, 734, 741, 746]);
    }

    #[test]
    fn real_bit_map_0_from_si2ter() {
        // SI2ter of the same cell with bit 7 (multiband reporting) cleared.
        let v = hex::decode("20000000000004155010000000000aa8").unwrap();
        let l = decode(&v).unwrap();
        assert_eq!(l.format, BitMap0);
        assert_eq!(l.arfcns, vec![4, 6, 8, 10, 12, 53, 61, 63, 65, 67, 69, 75]);
    }

    #[test]
    fn hand_built_range_1024() {
        // Two channels {10, 20} by hand: pivot W1 = 10; 20 lies in the right
        // half-window, so W2 (left) = 0 would end the list; the tree instead
        // needs W1 = 20 with 10 as left child: W2 = (10 − 20 + 512) smod 1023 = 502.
        let mut v = vec![0u8; 16];
        // FORMAT-ID 10 00 0, F0 = 0, W1 = 20 (10 bits), W2 = 502 (9 bits)
        let mut w = BitWriter::new(16);
        w.put(0b10, 2);
        w.put(0, 4);
        w.put(20, 10);
        w.put(502, 9);
        v.copy_from_slice(&w.into_bytes());
        assert_eq!(decode(&v).unwrap().arfcns, vec![10, 20]);
        assert_eq!(encode(&[10, 20], Range1024, 16).unwrap(), v);
    }

    #[test]
    fn roundtrip_every_format() {
        let cases: &[(FrequencyListFormat, &[u16])] = &[
            (BitMap0, &[1, 2, 50, 124]),
            (Range1024, &[0, 1, 100, 512, 513, 800, 1000, 1023]),
            (
                Range1024,
                &[
                    975, 1000, 1, 30, 60, 90, 120, 124, 512, 600, 700, 701, 702, 703, 704, 705,
                ],
            ),
            (Range512, &[540, 600, 700, 800, 900, 1000, 1, 20]),
            (Range256, &[1000, 1010, 1020, 5, 15, 100, 200]),
            (
                Range128,
                &[
                    20, 21, 22, 23, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 146,
                ],
            ),
            (VariableBitMap, &[725, 726, 800, 835]),
            (VariableBitMap, &[1000, 1023, 0, 50]),
        ];
        for (format, arfcns) in cases {
            let bytes = encode(arfcns, *format, 16).unwrap();
            let got = decode(&bytes).unwrap();
            let mut want = arfcns.to_vec();
            want.sort_unstable();
            assert_eq!(got.format, *format);
            assert_eq!(got.arfcns, want, "{format:?}");
        }
    }

    #[test]
    fn frequency_list_ie_longer_than_16_octets() {
        let arfcns: Vec<u16> = (0..30).map(|i| 100 + i * 13).collect();
        let bytes = encode(&arfcns, Range1024, 40).unwrap();
        assert_eq!(decode(&bytes).unwrap().arfcns, arfcns);
    }

    #[test]
    fn capacity_and_window_errors() {
        assert!(encode(&[1, 600], Range128, 16).is_err());
        let many: Vec<u16> = (1..=40).collect();
        assert!(encode(&many, Range1024, 16).is_err());
        assert!(decode(&[]).is_err());
        assert!(decode(&[0xC0; 16]).is_err());
    }

    #[test]
    fn random_sets_roundtrip() {
        // A small deterministic LCG: no dependency needed for breadth.
        let mut s: u64 = 0x1234_5678;
        let mut next = move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 33) as u32
        };
        for _ in 0..400 {
            let (format, window, max_n) = match next() % 4 {
                0 => (Range1024, 1023, 16),
                1 => (Range512, 511, 17),
                2 => (Range256, 255, 21),
                _ => (Range128, 127, 28),
            };
            let n = 1 + (next() as usize % max_n);
            let orig = (next() % 1024) as i32;
            let mut set: Vec<u16> = (0..n)
                .map(|_| ((orig + (next() as i32 % (window + 1))) % 1024) as u16)
                .collect();
            if format == Range1024 {
                set.retain(|&a| a != 0);
            }
            set.sort_unstable();
            set.dedup();
            let bytes =
                encode(&set, format, 16).unwrap_or_else(|e| panic!("{format:?} {set:?}: {e}"));
            assert_eq!(decode(&bytes).unwrap().arfcns, set, "{format:?}");
        }
    }
}
