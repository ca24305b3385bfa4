//! Synchronization channel, TS 45.003 §4.7: 25 information bits → 10 parity
//! bits (g(D) = D^10 + D^8 + D^6 + D^5 + D^4 + D^2 + 1, sent inverted) → 4
//! tail bits → the rate-1/2 K = 5 code of §4.1.3 → 78 bits, 39 on each side of
//! the extended training sequence (no interleaving).
//!
//! The information is BSIC (NCC, BCC) and the reduced TDMA frame number
//! T1, T2, T3' (TS 44.018 §9.1.30, octets sent LSB first); the full frame
//! number follows from TS 45.002 §3.3.2.2.

use super::xcch::gsm_conv_code;
use super::GsmDecodeError;
use crate::fec::conv::{ConvCode, Termination, ViterbiDecoder};
use crate::fec::crc::{Crc, CrcSpec};

/// SCH information bits.
pub const SCH_INFO_BITS: usize = 25;
/// SCH coded bits.
pub const SCH_CODED_BITS: usize = 78;

/// The SCH parity polynomial of TS 45.003 §4.7 (without D^10).
pub const SCH_PARITY: CrcSpec = CrcSpec {
    name: "GSM SCH parity",
    width: 10,
    poly: 0b01_0111_0101,
};

/// TDMA frames in a hyperframe (TS 45.002 §4.3.3).
pub const HYPERFRAME: u32 = 26 * 51 * 2048;

/// What an SCH burst carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SchInfo {
    /// Network colour code (3 bits).
    pub ncc: u8,
    /// Base station colour code (3 bits) = the cell's training sequence code.
    pub bcc: u8,
    /// T1 = FN div (26 × 51), 11 bits.
    pub t1: u16,
    /// T2 = FN mod 26, 5 bits.
    pub t2: u8,
    /// T3' = (T3 − 1) div 10 with T3 = FN mod 51, 3 bits.
    pub t3_prime: u8,
}

impl SchInfo {
    /// BSIC as the integer NCC × 8 + BCC (WIRE.md `bsic`).
    pub fn bsic(&self) -> u8 {
        (self.ncc << 3) | self.bcc
    }

    /// The full TDMA frame number of the SCH burst, TS 45.002 §3.3.2.2:
    /// FN = 51·((T3 − T2) mod 26) + T3 + 51·26·T1, with T3 = 10·T3' + 1.
    pub fn frame_number(&self) -> u32 {
        let t3 = 10 * i64::from(self.t3_prime) + 1;
        let t2 = i64::from(self.t2);
        let fnum = 51 * (t3 - t2).rem_euclid(26) + t3 + 51 * 26 * i64::from(self.t1);
        (fnum as u32) % HYPERFRAME
    }

    /// The SCH content for frame `fnum` (which must be an SCH frame: FN mod 51 ∈ {1, 11, 21, 31, 41}).
    pub fn for_frame(fnum: u32, ncc: u8, bcc: u8) -> Self {
        let fnum = fnum % HYPERFRAME;
        Self {
            ncc: ncc & 7,
            bcc: bcc & 7,
            t1: (fnum / (26 * 51)) as u16,
            t2: (fnum % 26) as u8,
            t3_prime: (((fnum % 51).saturating_sub(1)) / 10) as u8,
        }
    }

    fn to_bits(self) -> [u8; SCH_INFO_BITS] {
        // Octets of TS 44.018 §9.1.30, then LSB first.
        let o1 = (self.ncc & 7) << 5 | (self.bcc & 7) << 2 | ((self.t1 >> 9) & 3) as u8;
        let o2 = ((self.t1 >> 1) & 0xFF) as u8;
        let o3 = ((self.t1 & 1) as u8) << 7 | (self.t2 & 0x1F) << 2 | ((self.t3_prime >> 1) & 3);
        let o4 = self.t3_prime & 1;
        let octets = [o1, o2, o3, o4];
        std::array::from_fn(|i| (octets[i / 8] >> (i % 8)) & 1)
    }

    fn from_bits(d: &[u8]) -> Self {
        let mut octets = [0u8; 4];
        for (i, &b) in d.iter().take(SCH_INFO_BITS).enumerate() {
            octets[i / 8] |= (b & 1) << (i % 8);
        }
        let [o1, o2, o3, o4] = octets;
        Self {
            ncc: o1 >> 5,
            bcc: (o1 >> 2) & 7,
            t1: (u16::from(o1 & 3) << 9) | (u16::from(o2) << 1) | u16::from(o3 >> 7),
            t2: (o3 >> 2) & 0x1F,
            t3_prime: ((o3 & 3) << 1) | (o4 & 1),
        }
    }
}

/// Encode SCH information into the 78 data bits of the SCH burst.
pub fn encode_sch(info: &SchInfo) -> [u8; SCH_CODED_BITS] {
    let d = info.to_bits();
    let crc = Crc::new(SCH_PARITY);
    let p = !crc.checksum(&d) & 0x3FF;
    let mut u: Vec<u8> = d.to_vec();
    crate::fec::crc::push_bits_msb_first(p, 10, &mut u);
    let c = gsm_conv_code().encode(&u, Termination::Terminated);
    std::array::from_fn(|i| c.get(i).copied().unwrap_or(0))
}

/// A decoded SCH burst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SchOutcome {
    /// The content, if the parity check passed.
    pub info: Option<SchInfo>,
    /// Coded bits that disagree with the re-encoded decision.
    pub bit_errors: usize,
    /// Viterbi path metric.
    pub path_metric: f32,
}

/// SCH decoder; `new` allocates, `decode` does not.
#[derive(Debug, Clone)]
pub struct SchDecoder {
    code: ConvCode,
    viterbi: ViterbiDecoder,
    crc: Crc,
    decoded: Vec<u8>,
    reencoded: Vec<u8>,
}

impl Default for SchDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl SchDecoder {
    /// Build the decoder.
    pub fn new() -> Self {
        let code = gsm_conv_code();
        Self {
            viterbi: ViterbiDecoder::new(&code, SCH_INFO_BITS + 10),
            code,
            crc: Crc::new(SCH_PARITY),
            decoded: Vec::with_capacity(SCH_INFO_BITS + 10),
            reencoded: Vec::with_capacity(SCH_CODED_BITS),
        }
    }

    /// Decode the 78 data-bit LLRs of an SCH burst (see [`super::burst::sch_burst_data`]).
    pub fn decode(&mut self, llrs: &[f32]) -> Result<SchOutcome, GsmDecodeError> {
        if llrs.len() != SCH_CODED_BITS {
            return Err(GsmDecodeError::Length {
                what: "SCH data LLRs",
                expected: SCH_CODED_BITS,
                got: llrs.len(),
            });
        }
        let outcome = self
            .viterbi
            .decode(llrs, Termination::Terminated, &mut self.decoded)
            .map_err(GsmDecodeError::Viterbi)?;
        // Parity is sent inverted: received XOR computed = all ones.
        let ok = self.crc.received_parity_xor(&self.decoded) == Some(0x3FF);
        self.reencoded.clear();
        self.code
            .encode_into(&self.decoded, Termination::Terminated, &mut self.reencoded);
        let bit_errors = self
            .reencoded
            .iter()
            .zip(llrs)
            .filter(|(&b, &l)| (b == 1) != (l < 0.0))
            .count();
        Ok(SchOutcome {
            info: ok.then(|| SchInfo::from_bits(&self.decoded)),
            bit_errors,
            path_metric: outcome.path_metric,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_number_roundtrip() {
        for fnum in (0..HYPERFRAME)
            .step_by(9973)
            .chain([0, 1, 11, HYPERFRAME - 10])
        {
            let sch_fn = fnum - fnum % 51 + 1 + 10 * ((fnum % 51) / 10).min(4);
            let sch_fn = sch_fn % HYPERFRAME;
            let info = SchInfo::for_frame(sch_fn, 5, 3);
            assert_eq!(info.frame_number(), sch_fn, "FN {sch_fn}");
            assert_eq!(SchInfo::from_bits(&info.to_bits()), info);
        }
    }

    #[test]
    fn loopback() {
        let info = SchInfo::for_frame(860_901 + 10, 2, 0);
        let coded = encode_sch(&info);
        let mut llrs: Vec<f32> = coded
            .iter()
            .map(|&b| if b == 0 { 1.0 } else { -1.0 })
            .collect();
        let mut dec = SchDecoder::new();
        let out = dec.decode(&llrs).unwrap();
        assert_eq!(out.info, Some(info));
        assert_eq!(out.info.unwrap().bsic(), 16);
        for i in [3, 30, 60] {
            llrs[i] = -llrs[i];
        }
        let out = dec.decode(&llrs).unwrap();
        assert_eq!(out.info, Some(info));
        assert_eq!(out.bit_errors, 3);
        let junk = vec![1.0f32; 78];
        assert_eq!(dec.decode(&junk).unwrap().info, None);
        assert!(dec.decode(&junk[..5]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_llrs_never_panic(llrs in proptest::collection::vec(proptest::num::f32::ANY, 0..100)) {
            let mut dec = SchDecoder::new();
            let _ = dec.decode(&llrs);
            let mut padded = llrs.clone();
            padded.resize(SCH_CODED_BITS, f32::INFINITY);
            let _ = dec.decode(&padded);
        }
    }
}
