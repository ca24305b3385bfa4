//! Rate matching for turbo coded transport channels, TS 36.212 §5.1.4.1:
//! sub-block interleaving of d(0), d(1), d(2) (§5.1.4.1.1, 32 columns with the
//! inter-column permutation of Table 5.1.4-1, d(2) read with the +1 offset),
//! bit collection into the circular buffer w (§5.1.4.1.2), and selection of E
//! bits from redundancy version `rv` (0–3), skipping the <NULL> dummy and filler
//! bits. The de-matcher is the inverse for LLRs and *adds* into its output, so
//! calling it once per received transmission soft-combines redundancy versions.
//!
//! [`TurboRateMatcher::new`] builds the circular-buffer map once per
//! (K, F, N_cb); matching and de-matching allocate nothing.

/// Inter-column permutation pattern of the sub-block interleaver (TS 36.212 Table 5.1.4-1).
pub const SUBBLOCK_PERMUTATION: [usize; 32] = [
    0, 16, 8, 24, 4, 20, 12, 28, 2, 18, 10, 26, 6, 22, 14, 30, 1, 17, 9, 25, 5, 21, 13, 29, 3, 19,
    11, 27, 7, 23, 15, 31,
];

/// Number of columns C_TC of the sub-block interleaver.
pub const SUBBLOCK_COLUMNS: usize = 32;

const NULL: u32 = u32::MAX;

/// Errors from rate matching.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateMatchError {
    /// K is no turbo block size, or F ≥ K.
    #[error("bad code block: K = {k}, F = {f}")]
    Block {
        /// Code block size.
        k: usize,
        /// Filler bits.
        f: usize,
    },
    /// Redundancy version outside 0–3.
    #[error("redundancy version {0} (0–3)")]
    Rv(u8),
    /// A stream or output length does not fit the code block.
    #[error("length {got}, expected {expected}")]
    Length {
        /// Length given.
        got: usize,
        /// Length needed.
        expected: usize,
    },
}

/// The circular buffer of one turbo code block (TS 36.212 §5.1.4.1.2).
#[derive(Debug, Clone)]
pub struct TurboRateMatcher {
    k: usize,
    f: usize,
    r_tc: usize,
    ncb: usize,
    /// `map[j]` = index into the concatenated streams d(0)‖d(1)‖d(2) (each D = K + 4
    /// long) of circular-buffer position j, or NULL for a dummy or filler bit.
    map: Vec<u32>,
    /// Non-NULL positions in the first N_cb entries.
    valid: usize,
}

impl TurboRateMatcher {
    /// The rate matcher of a code block of `k` bits with `f` filler bits (at the
    /// start of the block, §5.1.2) and soft buffer size `ncb` (`None` = K_w, the
    /// whole buffer; DL-SCH with a limited buffer uses min(⌊N_IR/C⌋, K_w), §5.1.4.1.2).
    pub fn new(k: usize, f: usize, ncb: Option<usize>) -> Result<Self, RateMatchError> {
        if !super::turbo::is_block_size(k) || f >= k {
            return Err(RateMatchError::Block { k, f });
        }
        let d = k + 4;
        let r_tc = d.div_ceil(SUBBLOCK_COLUMNS);
        let k_pi = r_tc * SUBBLOCK_COLUMNS;
        let nd = k_pi - d;
        let kw = 3 * k_pi;
        let ncb = ncb.unwrap_or(kw).clamp(1, kw);
        // y_k (k < N_D) are <NULL>; y_(N_D + k) = d_k. Filler bits d(0), d(1) at k < F are <NULL>.
        let y = |stream: usize, idx: usize| -> u32 {
            if idx < nd {
                return NULL;
            }
            let di = idx - nd;
            if stream < 2 && di < f {
                return NULL;
            }
            (stream * d + di) as u32
        };
        let mut v = [
            Vec::with_capacity(k_pi),
            Vec::with_capacity(k_pi),
            Vec::with_capacity(k_pi),
        ];
        for kk in 0..k_pi {
            let col = SUBBLOCK_PERMUTATION[kk / r_tc];
            let row = kk % r_tc;
            let p = col + SUBBLOCK_COLUMNS * row;
            v[0].push(y(0, p));
            v[1].push(y(1, p));
            // §5.1.4.1.1: π(k) = (P(⌊k/R⌋) + C·(k mod R) + 1) mod K_Π for d(2).
            v[2].push(y(2, (p + 1) % k_pi));
        }
        let mut map = Vec::with_capacity(kw);
        map.extend_from_slice(&v[0]);
        for (&p1, &p2) in v[1].iter().zip(&v[2]) {
            map.push(p1);
            map.push(p2);
        }
        map.truncate(ncb);
        let valid = map.iter().filter(|&&m| m != NULL).count();
        Ok(TurboRateMatcher {
            k,
            f,
            r_tc,
            ncb,
            map,
            valid,
        })
    }

    /// Code block size K.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Filler bits F.
    pub fn filler(&self) -> usize {
        self.f
    }

    /// Soft buffer size N_cb.
    pub fn ncb(&self) -> usize {
        self.ncb
    }

    /// Starting position k0 of redundancy version `rv` (§5.1.4.1.2).
    pub fn k0(&self, rv: u8) -> usize {
        let r = self.r_tc;
        r * (2 * self.ncb.div_ceil(8 * r) * usize::from(rv) + 2)
    }

    /// Visits the stream index of each of the `e` transmitted bits of `rv`, in order.
    fn walk(
        &self,
        rv: u8,
        e: usize,
        mut f: impl FnMut(usize, usize),
    ) -> Result<(), RateMatchError> {
        if rv > 3 {
            return Err(RateMatchError::Rv(rv));
        }
        if e > 0 && self.valid == 0 {
            return Err(RateMatchError::Length {
                got: e,
                expected: 0,
            });
        }
        let mut j = self.k0(rv) % self.ncb;
        let mut n = 0;
        while n < e {
            let m = self.map[j];
            if m != NULL {
                f(n, m as usize);
                n += 1;
            }
            j += 1;
            if j == self.ncb {
                j = 0;
            }
        }
        Ok(())
    }

    fn check_streams(&self, lens: [usize; 3]) -> Result<(), RateMatchError> {
        let d = self.k + 4;
        for got in lens {
            if got != d {
                return Err(RateMatchError::Length { got, expected: d });
            }
        }
        Ok(())
    }

    /// Selects the `out.len()` = E bits of redundancy version `rv` from the encoder
    /// streams d(0), d(1), d(2) (K + 4 bits each).
    pub fn rate_match(&self, d: [&[u8]; 3], rv: u8, out: &mut [u8]) -> Result<(), RateMatchError> {
        self.check_streams([d[0].len(), d[1].len(), d[2].len()])?;
        let dl = self.k + 4;
        self.walk(rv, out.len(), |n, m| out[n] = d[m / dl][m % dl])
    }

    /// Adds the E = `e.len()` received LLRs of redundancy version `rv` into the
    /// stream LLRs d(0), d(1), d(2) (K + 4 each). Start from zeros; call once per
    /// received transmission to soft-combine (repeated bits add up too).
    /// Positions never transmitted, and the filler bits, stay as they are.
    pub fn dematch_accumulate(
        &self,
        e: &[f32],
        rv: u8,
        d: [&mut [f32]; 3],
    ) -> Result<(), RateMatchError> {
        self.check_streams([d[0].len(), d[1].len(), d[2].len()])?;
        let dl = self.k + 4;
        let [d0, d1, d2] = d;
        self.walk(rv, e.len(), |n, m| {
            let (s, i) = (m / dl, m % dl);
            match s {
                0 => d0[i] += e[n],
                1 => d1[i] += e[n],
                _ => d2[i] += e[n],
            }
        })
    }
}

/// Number of bits E_r of code block `r` out of `c` blocks when the transport block
/// gets G coded bits with `n_l` layers and modulation order `q_m` (§5.1.4.1.2).
pub fn code_block_e(g: usize, c: usize, r: usize, n_l: usize, q_m: usize) -> usize {
    if c == 0 || n_l == 0 || q_m == 0 {
        return 0;
    }
    let g_prime = g / (n_l * q_m);
    let gamma = g_prime % c;
    if r + gamma < c {
        n_l * q_m * (g_prime / c)
    } else {
        n_l * q_m * g_prime.div_ceil(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k40_buffer_layout() {
        // K = 40: D = 44, R = 2, K_Π = 64, N_D = 20 dummy bits per stream, K_w = 192.
        let rm = TurboRateMatcher::new(40, 0, None).unwrap();
        assert_eq!(rm.ncb(), 192);
        assert_eq!(rm.valid, 3 * 44);
        // v(0): column P(0) = 0 holds y_0 (dummy) and y_32 = d_12.
        assert_eq!(rm.map[0], NULL);
        assert_eq!(rm.map[1], 12);
        // k0 = R·(2·⌈N_cb/(8R)⌉·rv + 2): rv 0 → 4, rv 2 → 2·(2·12·2 + 2) = 100.
        assert_eq!((rm.k0(0), rm.k0(1), rm.k0(2), rm.k0(3)), (4, 52, 100, 148));
    }

    #[test]
    fn every_stream_bit_appears_once() {
        for (k, f) in [(40, 0), (40, 8), (512, 0), (1056, 24), (6144, 0)] {
            let rm = TurboRateMatcher::new(k, f, None).unwrap();
            let mut seen = vec![0u8; 3 * (k + 4)];
            for &m in rm.map.iter().filter(|&&m| m != NULL) {
                seen[m as usize] += 1;
            }
            for (i, &c) in seen.iter().enumerate() {
                let (s, idx) = (i / (k + 4), i % (k + 4));
                let filler = s < 2 && idx < f;
                assert_eq!(c, u8::from(!filler), "K {k} F {f} stream {s} index {idx}");
            }
        }
    }

    #[test]
    fn e_split() {
        // G = 1000 bits, QPSK, one layer, C = 3: G' = 500, γ = 2 → 166·2, 167·2, 167·2.
        assert_eq!(code_block_e(1000, 3, 0, 1, 2), 332);
        assert_eq!(code_block_e(1000, 3, 1, 1, 2), 334);
        assert_eq!(code_block_e(1000, 3, 2, 1, 2), 334);
    }
}
