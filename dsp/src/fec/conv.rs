//! Convolutional codes and a soft-decision Viterbi decoder.
//!
//! Covers the LTE tail-biting code of TS 36.212 §5.1.3.1 (K = 7, rate 1/3,
//! G = 133, 171, 165 octal), the GSM codes of TS 45.003 §4.1.3 (e.g. K = 5,
//! rate 1/2, G = 23, 33 octal, terminated with K−1 zero tail bits) and any other
//! rate-1/n code with constraint length K ≤ 9.
//!
//! Conventions:
//! - Generator polynomials are given in the usual octal notation: the most
//!   significant of the K bits taps the current input bit `c(k)`, the least
//!   significant taps `c(k−K+1)`. Write them as Rust octal literals (`0o133`).
//! - Encoder output is interleaved per input bit: `out[t·n + j]` is the output
//!   of generator j at step t (GSM's `c(2k)`, `c(2k+1)`; LTE's `d(0)k, d(1)k, d(2)k`).
//! - The decoder takes LLRs in the crate convention, `ln(P(0)/P(1))`, in the same
//!   interleaved order, and returns hard bits 0/1.
//!
//! Example (GSM rate-1/2 K = 5 code):
//! ```
//! use towerwatch_dsp::fec::conv::{ConvCode, Termination, ViterbiDecoder};
//! let code = ConvCode::new(5, &[0o23, 0o33]).unwrap();
//! let info = [1u8, 0, 1, 1, 0, 0, 1];
//! let coded = code.encode(&info, Termination::Terminated); // (7 + 4) * 2 bits
//! let llrs: Vec<f32> = coded.iter().map(|&b| if b == 0 { 1.0 } else { -1.0 }).collect();
//! let mut dec = ViterbiDecoder::new(&code, 64);
//! let mut out = Vec::new();
//! dec.decode(&llrs, Termination::Terminated, &mut out).unwrap();
//! assert_eq!(out, info);
//! ```

/// How the encoder starts and ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Termination {
    /// Starts in state 0 and appends K−1 zero tail bits (output `n·(L+K−1)` bits).
    Terminated,
    /// Starts in the state of the last K−1 input bits (TS 36.212 §5.1.3.1), so it
    /// ends in the state it started in; output `n·L` bits.
    TailBiting,
}

/// Errors from building a code or decoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvError {
    /// K must be 2..=9.
    #[error("constraint length {0} not supported (2..=9)")]
    ConstraintLength(u32),
    /// n must be 1..=8.
    #[error("rate 1/{0} not supported (1..=8 generators)")]
    Rate(usize),
    /// A generator is zero or has more than K bits.
    #[error("generator {index} = {poly:#o} (octal) is zero or wider than K = {k}")]
    Polynomial {
        /// Position in the generator list.
        index: usize,
        /// The generator.
        poly: u32,
        /// Constraint length.
        k: u32,
    },
    /// The LLR count is not a multiple of n or is too short for the termination.
    #[error("{len} LLRs do not form a codeword of a rate-1/{n} code with this termination")]
    Length {
        /// Number of LLRs given.
        len: usize,
        /// Outputs per input bit.
        n: usize,
    },
    /// The message is longer than the decoder was built for.
    #[error("message of {len} bits exceeds the decoder's maximum of {max}")]
    TooLong {
        /// Message length.
        len: usize,
        /// Maximum given to [`ViterbiDecoder::new`].
        max: usize,
    },
}

/// A rate-1/n convolutional code with constraint length K.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvCode {
    k: u32,
    polys: Vec<u32>,
    /// For every K-bit register value, the n output bits packed (bit j = generator j).
    out_table: Vec<u8>,
}

impl ConvCode {
    /// The LTE code of TS 36.212 §5.1.3.1: K = 7, G = 133, 171, 165 (octal).
    pub fn lte() -> Self {
        // Valid by construction.
        match ConvCode::new(7, &[0o133, 0o171, 0o165]) {
            Ok(c) => c,
            Err(_) => unreachable!("LTE generators are valid"),
        }
    }

    /// Builds a code from its constraint length and generators (octal notation, see module docs).
    pub fn new(k: u32, polys: &[u32]) -> Result<Self, ConvError> {
        if !(2..=9).contains(&k) {
            return Err(ConvError::ConstraintLength(k));
        }
        if polys.is_empty() || polys.len() > 8 {
            return Err(ConvError::Rate(polys.len()));
        }
        for (index, &poly) in polys.iter().enumerate() {
            if poly == 0 || poly >> k != 0 {
                return Err(ConvError::Polynomial { index, poly, k });
            }
        }
        let out_table = (0..1u32 << k)
            .map(|reg| {
                polys.iter().enumerate().fold(0u8, |acc, (j, &g)| {
                    acc | ((((reg & g).count_ones() & 1) as u8) << j)
                })
            })
            .collect();
        Ok(ConvCode {
            k,
            polys: polys.to_vec(),
            out_table,
        })
    }

    /// Constraint length K.
    pub fn constraint_length(&self) -> u32 {
        self.k
    }

    /// Outputs per input bit (n of rate 1/n).
    pub fn n(&self) -> usize {
        self.polys.len()
    }

    /// The generators as given.
    pub fn polys(&self) -> &[u32] {
        &self.polys
    }

    /// Number of coded bits for `info_len` input bits.
    pub fn encoded_len(&self, info_len: usize, term: Termination) -> usize {
        match term {
            Termination::Terminated => self.n() * (info_len + self.k as usize - 1),
            Termination::TailBiting => self.n() * info_len,
        }
    }

    /// Encodes `bits` (0/1; only the lowest bit of each byte is used).
    pub fn encode(&self, bits: &[u8], term: Termination) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len(bits.len(), term));
        self.encode_into(bits, term, &mut out);
        out
    }

    /// As [`Self::encode`], appending to `out`.
    pub fn encode_into(&self, bits: &[u8], term: Termination, out: &mut Vec<u8>) {
        let k = self.k;
        let mem = (k - 1) as usize;
        let mut state = 0u32;
        let l = bits.len();
        if term == Termination::TailBiting && l > 0 {
            for i in 0..mem {
                let b = u32::from(bits[(l * mem + i - mem) % l] & 1);
                state = ((b << (k - 1)) | state) >> 1;
            }
        }
        let n = self.n();
        let push = |state: &mut u32, b: u32, out: &mut Vec<u8>| {
            let reg = (b << (k - 1)) | *state;
            let o = self.out_table[reg as usize];
            for j in 0..n {
                out.push((o >> j) & 1);
            }
            *state = reg >> 1;
        };
        for &b in bits {
            push(&mut state, u32::from(b & 1), out);
        }
        if term == Termination::Terminated {
            for _ in 0..mem {
                push(&mut state, 0, out);
            }
        }
    }
}

/// Quality figures of one Viterbi decode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViterbiOutcome {
    /// Correlation metric of the chosen path: Σ ±LLR over the codeword (higher is better).
    pub path_metric: f32,
    /// For tail-biting: whether the chosen path starts and ends in the same state
    /// (always true for terminated codes).
    pub tail_biting_consistent: bool,
    /// Wrap-around iterations used (1 for terminated codes).
    pub iterations: u32,
}

/// Soft-decision Viterbi decoder; `new` allocates, `decode` does not (beyond growing `out`).
#[derive(Debug, Clone)]
pub struct ViterbiDecoder {
    code: ConvCode,
    max_len: usize,
    metrics: Vec<f32>,
    next: Vec<f32>,
    /// Survivor decisions: one byte per (step, state).
    decisions: Vec<u8>,
    /// Branch metric per output pattern for the current step.
    bm: Vec<f32>,
    /// Maximum wrap-around iterations for tail-biting decoding (WAVA).
    pub max_iterations: u32,
}

impl ViterbiDecoder {
    /// A decoder for messages of up to `max_len` information bits.
    pub fn new(code: &ConvCode, max_len: usize) -> Self {
        let states = 1usize << (code.k - 1);
        let steps = max_len + code.k as usize;
        ViterbiDecoder {
            code: code.clone(),
            max_len,
            metrics: vec![0.0; states],
            next: vec![0.0; states],
            decisions: vec![0; steps * states],
            bm: vec![0.0; 1 << code.n()],
            max_iterations: 4,
        }
    }

    /// The code this decoder decodes.
    pub fn code(&self) -> &ConvCode {
        &self.code
    }

    /// Decodes `llrs` (interleaved as the encoder writes them) and appends the
    /// information bits to `out` (cleared first). Non-finite LLRs count as erasures.
    pub fn decode(
        &mut self,
        llrs: &[f32],
        term: Termination,
        out: &mut Vec<u8>,
    ) -> Result<ViterbiOutcome, ConvError> {
        out.clear();
        let n = self.code.n();
        let mem = (self.code.k - 1) as usize;
        if llrs.len() % n != 0 {
            return Err(ConvError::Length { len: llrs.len(), n });
        }
        let steps = llrs.len() / n;
        let info_len = match term {
            Termination::Terminated => steps
                .checked_sub(mem)
                .ok_or(ConvError::Length { len: llrs.len(), n })?,
            Termination::TailBiting => steps,
        };
        if info_len > self.max_len {
            return Err(ConvError::TooLong {
                len: info_len,
                max: self.max_len,
            });
        }
        if steps == 0 {
            return Ok(ViterbiOutcome {
                path_metric: 0.0,
                tail_biting_consistent: true,
                iterations: 0,
            });
        }
        match term {
            Termination::Terminated => {
                self.metrics.fill(f32::NEG_INFINITY);
                self.metrics[0] = 0.0;
                self.forward(llrs);
                let metric = self.metrics[0];
                let start = self.traceback(steps, 0, info_len, out);
                debug_assert_eq!(start, 0);
                Ok(ViterbiOutcome {
                    path_metric: metric,
                    tail_biting_consistent: true,
                    iterations: 1,
                })
            }
            Termination::TailBiting => {
                self.metrics.fill(0.0);
                let mut it = 0;
                loop {
                    it += 1;
                    let before = argmax(&self.metrics).1;
                    self.forward(llrs);
                    let (best, best_m) = argmax(&self.metrics);
                    let start = self.traceback(steps, best, info_len, out);
                    let consistent = start == best;
                    if consistent || it >= self.max_iterations.max(1) {
                        return Ok(ViterbiOutcome {
                            path_metric: best_m - before,
                            tail_biting_consistent: consistent,
                            iterations: it,
                        });
                    }
                    // WAVA: the next pass starts from this pass's final metrics.
                    let m = best_m;
                    for x in &mut self.metrics {
                        *x -= m;
                    }
                }
            }
        }
    }

    /// Runs add-compare-select over all steps, starting from `self.metrics`.
    fn forward(&mut self, llrs: &[f32]) {
        let n = self.code.n();
        let k = self.code.k;
        let states = 1usize << (k - 1);
        let mask = states - 1;
        for (t, sym) in llrs.chunks_exact(n).enumerate() {
            // Branch metric for every output pattern: Σ_j ±llr_j (+ for bit 0).
            for (p, bm) in self.bm.iter_mut().enumerate() {
                let mut s = 0.0f32;
                for (j, &l) in sym.iter().enumerate() {
                    let l = if l.is_finite() { l } else { 0.0 };
                    s += if (p >> j) & 1 == 0 { l } else { -l };
                }
                *bm = s;
            }
            let dec = &mut self.decisions[t * states..(t + 1) * states];
            let table = &self.code.out_table;
            for (ns, (d, nx)) in dec.iter_mut().zip(self.next.iter_mut()).enumerate() {
                let reg0 = ns << 1;
                let reg1 = reg0 | 1;
                let m0 = self.metrics[reg0 & mask] + self.bm[table[reg0] as usize];
                let m1 = self.metrics[reg1 & mask] + self.bm[table[reg1] as usize];
                if m1 > m0 {
                    *nx = m1;
                    *d = 1;
                } else {
                    *nx = m0;
                    *d = 0;
                }
            }
            std::mem::swap(&mut self.metrics, &mut self.next);
            if t % 32 == 31 {
                let (_, m) = argmax(&self.metrics);
                if m.is_finite() {
                    for x in &mut self.metrics {
                        *x -= m;
                    }
                }
            }
        }
    }

    /// Traces back from `end_state` after `steps` steps; writes the first `info_len`
    /// bits to `out` and returns the state before step 0.
    fn traceback(
        &self,
        steps: usize,
        end_state: usize,
        info_len: usize,
        out: &mut Vec<u8>,
    ) -> usize {
        let k = self.code.k;
        let states = 1usize << (k - 1);
        let mask = states - 1;
        let top = k - 2;
        out.clear();
        out.resize(info_len, 0);
        let mut s = end_state;
        for t in (0..steps).rev() {
            let bit = ((s >> top) & 1) as u8;
            if t < info_len {
                out[t] = bit;
            }
            let d = usize::from(self.decisions[t * states + s]);
            s = ((s << 1) | d) & mask;
        }
        s
    }
}

fn argmax(v: &[f32]) -> (usize, f32) {
    let mut best = (0, f32::NEG_INFINITY);
    for (i, &x) in v.iter().enumerate() {
        if x > best.1 {
            best = (i, x);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn to_llr(bits: &[u8]) -> Vec<f32> {
        bits.iter()
            .map(|&b| if b == 0 { 4.0 } else { -4.0 })
            .collect()
    }

    #[test]
    fn lte_encoder_hand_values() {
        // Single 1 followed by zeros, terminated: outputs are the generator taps.
        let code = ConvCode::lte();
        let out = code.encode(&[1], Termination::Terminated);
        // Step t output j = bit (6 - t) of G_j.
        let g = [0o133u32, 0o171, 0o165];
        for t in 0..7 {
            for j in 0..3 {
                assert_eq!(
                    u32::from(out[t * 3 + j]),
                    (g[j] >> (6 - t)) & 1,
                    "t {t} j {j}"
                );
            }
        }
        // GSM: u = 1 → c(0) = 1, c(1) = 1; u(k−3),u(k−4) taps at steps 3, 4.
        let gsm = ConvCode::new(5, &[0o23, 0o33]).unwrap();
        assert_eq!(
            gsm.encode(&[1], Termination::Terminated),
            vec![1, 1, 0, 1, 0, 0, 1, 1, 1, 1]
        );
    }

    #[test]
    fn tail_biting_state_wraps() {
        // All-ones input: a tail-biting encoder is always in the all-ones state, so every
        // output is the parity of each generator.
        let code = ConvCode::lte();
        let out = code.encode(&[1; 10], Termination::TailBiting);
        for t in 0..10 {
            assert_eq!(out[t * 3], (0o133u32.count_ones() & 1) as u8);
            assert_eq!(out[t * 3 + 1], (0o171u32.count_ones() & 1) as u8);
        }
    }

    #[test]
    fn rejects_bad_codes_and_lengths() {
        assert!(matches!(
            ConvCode::new(10, &[1]),
            Err(ConvError::ConstraintLength(10))
        ));
        assert!(matches!(ConvCode::new(5, &[]), Err(ConvError::Rate(0))));
        assert!(matches!(
            ConvCode::new(5, &[0o77]),
            Err(ConvError::Polynomial { .. })
        ));
        let code = ConvCode::lte();
        let mut d = ViterbiDecoder::new(&code, 40);
        let mut out = Vec::new();
        assert!(d
            .decode(&[0.0; 4], Termination::TailBiting, &mut out)
            .is_err());
        assert!(d
            .decode(&[0.0; 3 * 41], Termination::TailBiting, &mut out)
            .is_err());
        assert!(d
            .decode(&[0.0; 3], Termination::Terminated, &mut out)
            .is_err());
        assert!(d
            .decode(&[f32::NAN; 120], Termination::TailBiting, &mut out)
            .is_ok());
    }

    #[test]
    fn noisy_tail_biting_corrects_errors() {
        // Deterministic pseudo-random info and a few flipped coded bits.
        let code = ConvCode::lte();
        let mut dec = ViterbiDecoder::new(&code, 40);
        let mut s = 0x1234_5678u32;
        let mut out = Vec::new();
        for _ in 0..50 {
            let info: Vec<u8> = (0..40)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 17;
                    s ^= s << 5;
                    (s & 1) as u8
                })
                .collect();
            let mut llr = to_llr(&code.encode(&info, Termination::TailBiting));
            for i in [3usize, 40, 77, 100] {
                llr[(i + (s as usize % 7)) % 120] *= -0.5;
            }
            dec.decode(&llr, Termination::TailBiting, &mut out).unwrap();
            assert_eq!(out, info);
        }
    }

    proptest! {
        #[test]
        fn roundtrip_any_code(
            k in 2u32..=9,
            raw_polys in proptest::collection::vec(1u32..512, 2..4),
            info in proptest::collection::vec(0u8..2, 0..60),
            tb in any::<bool>(),
        ) {
            let polys: Vec<u32> = raw_polys.iter().map(|p| (p % (1 << k)).max(1) | (1 << (k - 1)) | 1).collect();
            let code = ConvCode::new(k, &polys).unwrap();
            let term = if tb { Termination::TailBiting } else { Termination::Terminated };
            let coded = code.encode(&info, term);
            prop_assert_eq!(coded.len(), code.encoded_len(info.len(), term));
            let mut dec = ViterbiDecoder::new(&code, 64);
            let mut out = Vec::new();
            dec.decode(&to_llr(&coded), term, &mut out).unwrap();
            // Noiseless decoding is exact for terminated codes. Tail-biting decoding of
            // arbitrary (possibly catastrophic) generator sets can be ambiguous, so it is
            // checked on the 3GPP codes below.
            if !tb {
                prop_assert_eq!(code.encode(&out, term), coded);
            }
        }

        #[test]
        fn tail_biting_roundtrip_3gpp(info in proptest::collection::vec(0u8..2, 7..80), gsm in any::<bool>()) {
            let code = if gsm { ConvCode::new(5, &[0o23, 0o33]).unwrap() } else { ConvCode::lte() };
            let coded = code.encode(&info, Termination::TailBiting);
            let mut dec = ViterbiDecoder::new(&code, 80);
            let mut out = Vec::new();
            let o = dec.decode(&to_llr(&coded), Termination::TailBiting, &mut out).unwrap();
            prop_assert!(o.tail_biting_consistent);
            prop_assert_eq!(out, info);
        }
    }
}
