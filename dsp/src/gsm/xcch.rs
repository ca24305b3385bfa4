//! The xCCH channel coding of BCCH, PCH, AGCH (and SACCH, SDCCH), TS 45.003 §4.1:
//! 184 information bits (a 23-octet LAPDm frame) → Fire code, 40 parity bits
//! (§4.1.2) → 4 tail bits → rate-1/2 K = 5 convolutional code,
//! G0 = 1 + D³ + D⁴, G1 = 1 + D + D³ + D⁴ (§4.1.3) → 456 bits → block
//! rectangular interleaving over 4 bursts (§4.1.4) → 4 × 114 burst data bits
//! (§4.1.5, stealing flags excluded).
//!
//! Octets map onto information bits least significant bit first: d(8n + b)
//! is bit b+1 of octet n (TS 44.004 §7, bits of an octet are sent bit 1 first).

use super::fire::{fire_check, fire_parity};
use super::GsmDecodeError;
use crate::fec::conv::{ConvCode, Termination, ViterbiDecoder};

/// Information bits of a block.
pub const XCCH_INFO_BITS: usize = 184;
/// Octets of the L2 frame.
pub const XCCH_FRAME_LEN: usize = 23;
/// Coded bits of a block (4 bursts × 114).
pub const XCCH_CODED_BITS: usize = 456;

/// The GSM rate-1/2 K = 5 code of TS 45.003 §4.1.3 (octal 23, 33).
pub fn gsm_conv_code() -> ConvCode {
    match ConvCode::new(5, &[0o23, 0o33]) {
        Ok(c) => c,
        Err(_) => unreachable!("G0 = 23, G1 = 33 (octal) are valid K = 5 generators"),
    }
}

/// Interleaver position of coded bit k (§4.1.4): burst `k mod 4`, bit
/// `2·((49k) mod 57) + ((k mod 8) div 4)` of that burst's 114 data bits.
pub fn interleave_position(k: usize) -> (usize, usize) {
    (k % 4, 2 * ((49 * k) % 57) + ((k % 8) / 4))
}

/// LSB-first octets → information bits.
pub fn frame_to_bits(frame: &[u8; XCCH_FRAME_LEN]) -> [u8; XCCH_INFO_BITS] {
    std::array::from_fn(|i| (frame[i / 8] >> (i % 8)) & 1)
}

/// Information bits → LSB-first octets.
pub fn bits_to_frame(bits: &[u8]) -> [u8; XCCH_FRAME_LEN] {
    let mut f = [0u8; XCCH_FRAME_LEN];
    for (i, &b) in bits.iter().take(XCCH_INFO_BITS).enumerate() {
        f[i / 8] |= (b & 1) << (i % 8);
    }
    f
}

/// Encode one L2 frame into the data bits of its 4 bursts (burst 0 first,
/// 114 bits each, ready for [`super::burst::normal_burst`]).
pub fn encode_xcch(frame: &[u8; XCCH_FRAME_LEN]) -> [[u8; 114]; 4] {
    let info = frame_to_bits(frame);
    let mut u = Vec::with_capacity(XCCH_INFO_BITS + 40);
    u.extend_from_slice(&info);
    u.extend_from_slice(&fire_parity(&info));
    let coded = gsm_conv_code().encode(&u, Termination::Terminated);
    let mut out = [[0u8; 114]; 4];
    for (k, &c) in coded.iter().enumerate() {
        let (b, j) = interleave_position(k);
        out[b][j] = c;
    }
    out
}

/// One decoded xCCH block, with its quality figures.
#[derive(Debug, Clone, PartialEq)]
pub struct XcchBlock {
    /// The 23-octet L2 frame (valid only if `fire_ok`).
    pub frame: [u8; XCCH_FRAME_LEN],
    /// The Fire code check passed.
    pub fire_ok: bool,
    /// Coded bits whose sign disagrees with the re-encoded decision (channel bit errors).
    pub bit_errors: usize,
    /// Viterbi path metric (Σ ±LLR; higher is better).
    pub path_metric: f32,
}

/// Decoder for xCCH blocks; `new` allocates, `decode` does not.
#[derive(Debug, Clone)]
pub struct XcchDecoder {
    code: ConvCode,
    viterbi: ViterbiDecoder,
    coded: Vec<f32>,
    decoded: Vec<u8>,
    reencoded: Vec<u8>,
}

impl Default for XcchDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl XcchDecoder {
    /// Build the decoder and its buffers.
    pub fn new() -> Self {
        let code = gsm_conv_code();
        Self {
            viterbi: ViterbiDecoder::new(&code, XCCH_INFO_BITS + 40),
            code,
            coded: vec![0.0; XCCH_CODED_BITS],
            decoded: Vec::with_capacity(XCCH_INFO_BITS + 40),
            reencoded: Vec::with_capacity(XCCH_CODED_BITS),
        }
    }

    /// Decode a block from the data-bit LLRs of its 4 bursts (4 × 114, burst 0
    /// first, stealing flags excluded; LLR > 0 means bit 0).
    pub fn decode(&mut self, llrs: &[f32]) -> Result<XcchBlock, GsmDecodeError> {
        if llrs.len() != XCCH_CODED_BITS {
            return Err(GsmDecodeError::Length {
                what: "xCCH burst data LLRs",
                expected: XCCH_CODED_BITS,
                got: llrs.len(),
            });
        }
        for (k, c) in self.coded.iter_mut().enumerate() {
            let (b, j) = interleave_position(k);
            *c = llrs.get(b * 114 + j).copied().unwrap_or(0.0);
        }
        let outcome = self
            .viterbi
            .decode(&self.coded, Termination::Terminated, &mut self.decoded)
            .map_err(GsmDecodeError::Viterbi)?;
        let fire_ok = fire_check(&self.decoded);
        self.reencoded.clear();
        self.code
            .encode_into(&self.decoded, Termination::Terminated, &mut self.reencoded);
        let bit_errors = self
            .reencoded
            .iter()
            .zip(&self.coded)
            .filter(|(&b, &l)| (b == 1) != (l < 0.0))
            .count();
        Ok(XcchBlock {
            frame: bits_to_frame(&self.decoded),
            fire_ok,
            bit_errors,
            path_metric: outcome.path_metric,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaver_is_a_permutation() {
        let mut seen = [[false; 114]; 4];
        for k in 0..XCCH_CODED_BITS {
            let (b, j) = interleave_position(k);
            assert!(!seen[b][j]);
            seen[b][j] = true;
        }
    }

    #[test]
    fn conv_code_matches_the_equations() {
        // c(2k) = u(k) + u(k−3) + u(k−4); c(2k+1) = u(k) + u(k−1) + u(k−3) + u(k−4).
        let u: Vec<u8> = (0..30).map(|i| ((i * 7 + 3) % 5 < 2) as u8).collect();
        let c = gsm_conv_code().encode(&u, Termination::Terminated);
        let at = |k: isize| {
            if k < 0 || k as usize >= u.len() {
                0
            } else {
                u[k as usize]
            }
        };
        for k in 0..(u.len() + 4) as isize {
            assert_eq!(c[2 * k as usize], at(k) ^ at(k - 3) ^ at(k - 4));
            assert_eq!(
                c[2 * k as usize + 1],
                at(k) ^ at(k - 1) ^ at(k - 3) ^ at(k - 4)
            );
        }
    }

    #[test]
    fn loopback_with_errors() {
        let mut frame = [0x2Bu8; 23];
        frame[..5].copy_from_slice(&[0x49, 0x06, 0x1B, 0x2B, 0xD9]);
        let bursts = encode_xcch(&frame);
        let mut dec = XcchDecoder::new();
        let mut llrs: Vec<f32> = bursts
            .iter()
            .flatten()
            .map(|&b| if b == 0 { 1.0 } else { -1.0 })
            .collect();
        let clean = dec.decode(&llrs).unwrap();
        assert!(clean.fire_ok);
        assert_eq!(clean.frame, frame);
        assert_eq!(clean.bit_errors, 0);
        // 20 scattered hard errors are corrected by the code.
        for i in 0..20 {
            llrs[(i * 97 + 11) % XCCH_CODED_BITS] *= -1.0;
        }
        let noisy = dec.decode(&llrs).unwrap();
        assert!(noisy.fire_ok);
        assert_eq!(noisy.frame, frame);
        assert_eq!(noisy.bit_errors, 20);
        // A whole burst erased still decodes (the reason for the interleaver).
        for l in llrs.iter_mut().skip(114).take(114) {
            *l = 0.0;
        }
        assert_eq!(dec.decode(&llrs).unwrap().frame, frame);
        // Garbage fails the Fire check.
        let junk: Vec<f32> = (0..XCCH_CODED_BITS)
            .map(|i| if (i * 31) % 7 < 3 { 1.0 } else { -1.0 })
            .collect();
        assert!(!dec.decode(&junk).unwrap().fire_ok);
        assert!(dec.decode(&junk[..10]).is_err());
    }

    /// Full transmit chain → 148-bit bursts with TSC and stealing flags → receive,
    /// over a grid of frames and noise levels (seeded pseudo-random noise).
    #[test]
    fn burst_loopback_over_noise_grid() {
        use crate::gsm::burst::{normal_burst, normal_burst_data};
        let mut seed = 0x9E37_79B9u32;
        let mut uniform = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed as f32 + 0.5) / (u32::MAX as f32 + 1.0)
        };
        let mut dec = XcchDecoder::new();
        for (n, sigma) in [0.0f32, 0.3, 0.5, 0.6].into_iter().enumerate() {
            for f in 0..8u8 {
                let frame: [u8; 23] =
                    std::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ f ^ n as u8);
                let bursts = encode_xcch(&frame);
                let mut llrs = Vec::with_capacity(XCCH_CODED_BITS);
                for data in &bursts {
                    let burst = normal_burst(data, f % 8, 0, 0);
                    let rx: Vec<f32> = burst
                        .iter()
                        .map(|&b| {
                            // Box–Muller Gaussian noise on BPSK ±1.
                            let g = (-2.0 * uniform().ln()).sqrt()
                                * (2.0 * std::f32::consts::PI * uniform()).cos();
                            (if b == 0 { 1.0 } else { -1.0 }) + sigma * g
                        })
                        .collect();
                    llrs.extend_from_slice(&normal_burst_data(&rx).unwrap());
                }
                let out = dec.decode(&llrs).unwrap();
                assert!(out.fire_ok, "sigma {sigma} frame {f}");
                assert_eq!(out.frame, frame);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_llrs_never_panic(llrs in proptest::collection::vec(proptest::num::f32::ANY, 0..500)) {
            let mut dec = XcchDecoder::new();
            let _ = dec.decode(&llrs);
            let mut padded = llrs.clone();
            padded.resize(XCCH_CODED_BITS, f32::NAN);
            let _ = dec.decode(&padded);
        }
    }
}
