//! Transport block CRC attachment and code block segmentation, TS 36.212
//! §5.1.1–5.1.2 (as used by DL-SCH, §5.3.2.1–5.3.2.2): CRC24A on the transport
//! block, then segmentation into C code blocks of the turbo sizes K+ and K−
//! with F filler bits at the start of the first block and a CRC24B on every
//! block when C > 1. [`desegment`] is the receive-side inverse.

use super::crc::{Crc, CRC24A, CRC24B};
use super::turbo::{block_size_at_least, block_size_below};

/// Maximum code block size Z (§5.1.2).
pub const MAX_CODE_BLOCK: usize = 6144;

/// Errors from segmentation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentationError {
    /// The transport block is empty.
    #[error("empty transport block")]
    Empty,
    /// The number or sizes of the code blocks do not match the segmentation.
    #[error("{got} code blocks given, segmentation has {expected}")]
    Blocks {
        /// Blocks given.
        got: usize,
        /// Blocks expected.
        expected: usize,
    },
    /// A block's length is not its K_r.
    #[error("code block {r} has {got} bits, expected {expected}")]
    BlockLength {
        /// Block index.
        r: usize,
        /// Length given.
        got: usize,
        /// K_r.
        expected: usize,
    },
}

/// The code block structure of a transport block of A bits (§5.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segmentation {
    /// Transport block size A (without CRC).
    pub tbs: usize,
    /// B = A + 24 (with the CRC24A).
    pub b: usize,
    /// Number of code blocks C.
    pub c: usize,
    /// Larger block size K+.
    pub k_plus: usize,
    /// Smaller block size K− (0 if unused).
    pub k_minus: usize,
    /// Number of blocks of size K+.
    pub c_plus: usize,
    /// Number of blocks of size K−.
    pub c_minus: usize,
    /// Filler bits F at the start of block 0.
    pub f: usize,
    /// CRC bits per code block L (24 when C > 1, else 0).
    pub l: usize,
}

impl Segmentation {
    /// Segmentation of a transport block of `tbs` bits (TBS ≤ 391656, any positive size).
    pub fn new(tbs: usize) -> Result<Self, SegmentationError> {
        if tbs == 0 {
            return Err(SegmentationError::Empty);
        }
        let b = tbs + 24;
        let (c, l) = if b <= MAX_CODE_BLOCK {
            (1, 0)
        } else {
            (b.div_ceil(MAX_CODE_BLOCK - 24), 24)
        };
        let b_prime = b + c * l;
        // K+: the smallest K with C·K ≥ B'. B'/C ≤ 6144 by construction.
        let k_plus = block_size_at_least(b_prime.div_ceil(c)).unwrap_or(MAX_CODE_BLOCK);
        let (k_minus, c_plus, c_minus) = if c == 1 {
            (0, 1, 0)
        } else {
            let k_minus = block_size_below(k_plus).unwrap_or(0);
            let dk = k_plus - k_minus;
            let c_minus = (c * k_plus - b_prime) / dk;
            (k_minus, c - c_minus, c_minus)
        };
        let f = c_plus * k_plus + c_minus * k_minus - b_prime;
        Ok(Segmentation {
            tbs,
            b,
            c,
            k_plus,
            k_minus,
            c_plus,
            c_minus,
            f,
            l,
        })
    }

    /// K_r of block `r`: the C− small blocks come first.
    pub fn block_size(&self, r: usize) -> usize {
        if r < self.c_minus {
            self.k_minus
        } else {
            self.k_plus
        }
    }

    /// Filler bits of block `r` (only block 0 has any).
    pub fn filler(&self, r: usize) -> usize {
        if r == 0 {
            self.f
        } else {
            0
        }
    }
}

/// Attaches CRC24A to the transport block `a` (bits 0/1) and segments it into
/// code blocks (filler bits are 0, as the encoder takes them, §5.1.3.2).
pub fn segment(a: &[u8]) -> Result<(Segmentation, Vec<Vec<u8>>), SegmentationError> {
    let seg = Segmentation::new(a.len())?;
    let mut b = Vec::with_capacity(seg.b);
    Crc::new(CRC24A).attach(a, &mut b);
    let crc_b = Crc::new(CRC24B);
    let mut blocks = Vec::with_capacity(seg.c);
    let mut s = 0;
    for r in 0..seg.c {
        let kr = seg.block_size(r);
        let mut c = vec![0u8; seg.filler(r)];
        let take = kr - seg.l - c.len();
        c.extend_from_slice(&b[s..s + take]);
        s += take;
        if seg.c > 1 {
            // Filler bits count as 0 in the CRC (§5.1.2), which they are here.
            let data = std::mem::take(&mut c);
            crc_b.attach(&data, &mut c);
        }
        blocks.push(c);
    }
    Ok((seg, blocks))
}

/// Result of reassembling a transport block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desegmented {
    /// The transport block bits (A), whatever the CRC said.
    pub bits: Vec<u8>,
    /// CRC24B of each code block (all true when C = 1).
    pub block_crc_ok: Vec<bool>,
    /// CRC24A of the transport block.
    pub crc_ok: bool,
}

/// Reassembles decoded code blocks (K_r hard bits each) into the transport block,
/// checking every CRC24B (C > 1) and the CRC24A.
pub fn desegment(seg: &Segmentation, blocks: &[&[u8]]) -> Result<Desegmented, SegmentationError> {
    if blocks.len() != seg.c {
        return Err(SegmentationError::Blocks {
            got: blocks.len(),
            expected: seg.c,
        });
    }
    let crc_b = Crc::new(CRC24B);
    let mut b = Vec::with_capacity(seg.b);
    let mut block_crc_ok = Vec::with_capacity(seg.c);
    for (r, blk) in blocks.iter().enumerate() {
        let kr = seg.block_size(r);
        if blk.len() != kr {
            return Err(SegmentationError::BlockLength {
                r,
                got: blk.len(),
                expected: kr,
            });
        }
        block_crc_ok.push(seg.c == 1 || crc_b.check(blk));
        b.extend_from_slice(&blk[seg.filler(r)..kr - seg.l]);
    }
    let crc_ok = Crc::new(CRC24A).check(&b);
    b.truncate(seg.tbs);
    Ok(Desegmented {
        bits: b,
        block_crc_ok,
        crc_ok,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_tb_is_one_block_with_filler() {
        // A = 20 → B = 44 → K+ = 48, F = 4.
        let s = Segmentation::new(20).unwrap();
        assert_eq!((s.c, s.k_plus, s.f, s.l), (1, 48, 4, 0));
        // A = 6120 → B = 6144: one full block, no filler.
        let s = Segmentation::new(6120).unwrap();
        assert_eq!((s.c, s.k_plus, s.f), (1, 6144, 0));
    }

    #[test]
    fn large_tb_segments_by_hand() {
        // A = 6121 → B = 6145 > Z: C = ⌈6145/6120⌉ = 2, B' = 6193, K+ = 3136
        // (2·3136 ≥ 6193), K− = 3072, ΔK = 64, C− = ⌊(6272 − 6193)/64⌋ = 1, C+ = 1,
        // F = 3136 + 3072 − 6193 = 15.
        let s = Segmentation::new(6121).unwrap();
        assert_eq!(
            (s.c, s.k_plus, s.k_minus, s.c_plus, s.c_minus, s.f, s.l),
            (2, 3136, 3072, 1, 1, 15, 24)
        );
        assert_eq!((s.block_size(0), s.block_size(1)), (3072, 3136));
        // The largest one-layer TBS, 75376 (TS 36.213 Table 7.1.7.2.1-1): 13 blocks of 5824, no filler.
        let s = Segmentation::new(75376).unwrap();
        assert_eq!((s.c, s.k_plus, s.c_minus, s.f), (13, 5824, 0, 0));
    }
}
