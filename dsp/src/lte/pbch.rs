//! Physical broadcast channel: TS 36.211 §6.6 (scrambling, QPSK, layer mapping
//! and precoding for transmit diversity §6.3.3.3/§6.3.4.3, resource mapping) and
//! TS 36.212 §5.3.1 (CRC16 with antenna-port mask §5.3.1.1, tail-biting
//! convolutional code §5.1.3.1, rate matching §5.1.4.2).
//!
//! The 24 MIB bits get a CRC16 whose parity is XORed with the port mask (0x0000,
//! 0xFFFF, 0x5555 for 1, 2, 4 ports), are encoded at rate 1/3 (120 bits),
//! subblock-interleaved per stream (32 columns, Table 5.1.4-2 permutation),
//! collected into a circular buffer and read out to `M_bit` = 1920 (normal CP)
//! or 1728 (extended CP) bits, scrambled with `c_init = N_ID^cell`, and sent as
//! four 10 ms parts in subframe 0, slot 1, symbols 0..3 of the central 72
//! subcarriers, skipping the CRS positions of all four ports.

use super::chest::ChannelEstimate;
use super::{CyclicPrefix, CENTRAL_SC};
use crate::fec::conv::{ConvCode, Termination, ViterbiDecoder};
use crate::fec::crc::{Crc, CRC16};
use crate::sequence::gold_sequence;
use num_complex::Complex32;

/// MIB payload bits.
pub const MIB_LEN: usize = 24;
/// Payload plus CRC.
pub const BLOCK_LEN: usize = 40;
/// Coded bits (rate 1/3).
pub const CODED_LEN: usize = 120;

/// Inter-column permutation of the subblock interleaver for convolutional codes
/// (TS 36.212 Table 5.1.4-2).
pub const CONV_SUBBLOCK_PERMUTATION: [usize; 32] = [
    1, 17, 9, 25, 5, 21, 13, 29, 3, 19, 11, 27, 7, 23, 15, 31, 0, 16, 8, 24, 4, 20, 12, 28, 2, 18,
    10, 26, 6, 22, 14, 30,
];

/// CRC mask for the number of transmit antenna ports (TS 36.212 Table 5.3.1.1-1).
pub const fn crc_mask(ports: u8) -> u32 {
    match ports {
        2 => 0xFFFF,
        4 => 0x5555,
        _ => 0,
    }
}

/// PBCH bits per 10 ms frame (`M_bit / 4`).
pub const fn bits_per_frame(cp: CyclicPrefix) -> usize {
    match cp {
        CyclicPrefix::Normal => 480,
        CyclicPrefix::Extended => 432,
    }
}

/// PBCH resource elements in mapping order: `(l, k')` with `l` the symbol of slot 1
/// (0..4) and `k'` the central subcarrier, CRS positions of ports 0..3 excluded.
pub fn re_positions(cp: CyclicPrefix, pci: u16) -> Vec<(usize, usize)> {
    let vs = usize::from(pci % 6) % 3;
    let mut v = Vec::with_capacity(240);
    for l in 0..4 {
        let crs_sym = l == 0 || l == 1 || (cp == CyclicPrefix::Extended && l == 3);
        for k in 0..CENTRAL_SC {
            if crs_sym && k % 3 == vs {
                continue;
            }
            v.push((l, k));
        }
    }
    v
}

/// For each of the 120 non-dummy circular-buffer positions (§5.1.4.2), the index of
/// the coded bit it holds in the encoder's interleaved order (`3·k + stream`).
pub fn rate_match_map() -> [u16; CODED_LEN] {
    const C: usize = 32;
    let d = BLOCK_LEN;
    let r = d.div_ceil(C);
    let nd = r * C - d;
    let mut map = [0u16; CODED_LEN];
    let mut p = 0;
    for stream in 0..3 {
        for &col in CONV_SUBBLOCK_PERMUTATION.iter() {
            for row in 0..r {
                let y = row * C + col;
                if y >= nd {
                    map[p] = (3 * (y - nd) + stream) as u16;
                    p += 1;
                }
            }
        }
    }
    map
}

/// Encodes the MIB into the `M_bit` scrambled PBCH bits of one 40 ms period.
pub fn encode_bits(mib: &[u8; MIB_LEN], ports: u8, pci: u16, cp: CyclicPrefix) -> Vec<u8> {
    let crc = Crc::new(CRC16);
    let mut block = Vec::with_capacity(BLOCK_LEN);
    crc.attach(mib, &mut block);
    let mask = crc_mask(ports);
    for (i, b) in block[MIB_LEN..].iter_mut().enumerate() {
        *b ^= ((mask >> (15 - i)) & 1) as u8;
    }
    let coded = ConvCode::lte().encode(&block, Termination::TailBiting);
    let map = rate_match_map();
    let m_bit = 4 * bits_per_frame(cp);
    let c = gold_sequence(u32::from(pci), m_bit);
    (0..m_bit)
        .map(|e| coded[map[e % CODED_LEN] as usize] ^ c[e])
        .collect()
}

/// QPSK (TS 36.211 §7.1.2) and transmit-diversity precoding (§6.3.4.3) of the
/// `frame_phase`-th quarter (0..4) of the PBCH bits: returns, per port, one symbol
/// per entry of [`re_positions`].
pub fn frame_symbols(
    bits: &[u8],
    frame_phase: usize,
    ports: u8,
    cp: CyclicPrefix,
) -> Vec<Vec<Complex32>> {
    let e = bits_per_frame(cp);
    let s = std::f32::consts::FRAC_1_SQRT_2;
    let q: Vec<Complex32> = bits
        .get((frame_phase % 4) * e..(frame_phase % 4 + 1) * e)
        .unwrap_or(&[])
        .chunks_exact(2)
        .map(|b| {
            Complex32::new(
                s * (1.0 - 2.0 * f32::from(b[0])),
                s * (1.0 - 2.0 * f32::from(b[1])),
            )
        })
        .collect();
    let n = q.len();
    match ports {
        2 => {
            let mut y = vec![vec![Complex32::default(); n]; 2];
            for i in 0..n / 2 {
                let (x0, x1) = (q[2 * i], q[2 * i + 1]);
                y[0][2 * i] = x0 * s;
                y[1][2 * i] = -x1.conj() * s;
                y[0][2 * i + 1] = x1 * s;
                y[1][2 * i + 1] = x0.conj() * s;
            }
            y
        }
        4 => {
            let mut y = vec![vec![Complex32::default(); n]; 4];
            for i in 0..n / 4 {
                let x = [q[4 * i], q[4 * i + 1], q[4 * i + 2], q[4 * i + 3]];
                y[0][4 * i] = x[0] * s;
                y[2][4 * i] = -x[1].conj() * s;
                y[0][4 * i + 1] = x[1] * s;
                y[2][4 * i + 1] = x[0].conj() * s;
                y[1][4 * i + 2] = x[2] * s;
                y[3][4 * i + 2] = -x[3].conj() * s;
                y[1][4 * i + 3] = x[3] * s;
                y[3][4 * i + 3] = x[2].conj() * s;
            }
            y
        }
        _ => vec![q],
    }
}

/// A successful PBCH decode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PbchDecoded {
    /// The 24 MIB bits.
    pub mib_bits: [u8; MIB_LEN],
    /// Antenna ports from the CRC mask.
    pub ports: u8,
    /// Fraction of received PBCH bit decisions that agree with the re-encoded MIB.
    pub agreement: f32,
}

/// Outcome of one decode attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PbchDecode {
    /// CRC (with the hypothesised mask) passed and the re-encoded bits agree.
    Ok(PbchDecoded),
    /// CRC failed, or the re-encoded bits disagree with the received ones.
    Failed {
        /// Agreement of the best (CRC-failing) codeword, for diagnostics.
        agreement: f32,
    },
}

/// PBCH decoder for one cell; `new`/`set_cell` allocate, the per-frame calls do not.
#[derive(Debug, Clone)]
pub struct PbchDecoder {
    pci: u16,
    cp: CyclicPrefix,
    positions: Vec<(usize, usize)>,
    scrambling: Vec<u8>,
    map: [u16; CODED_LEN],
    viterbi: ViterbiDecoder,
    crc: Crc,
    soft: [f32; CODED_LEN],
    bits: Vec<u8>,
    reenc: Vec<u8>,
    /// Minimum agreement between re-encoded and received bit decisions for a CRC pass
    /// to count (guards against CRC false alarms on noise).
    pub min_agreement: f32,
}

impl Default for PbchDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl PbchDecoder {
    /// A decoder (for PCI 0, normal CP until [`Self::set_cell`]).
    pub fn new() -> Self {
        let mut d = PbchDecoder {
            pci: u16::MAX,
            cp: CyclicPrefix::Normal,
            positions: Vec::with_capacity(240),
            scrambling: Vec::with_capacity(1920),
            map: rate_match_map(),
            viterbi: ViterbiDecoder::new(&ConvCode::lte(), BLOCK_LEN),
            crc: Crc::new(CRC16),
            soft: [0.0; CODED_LEN],
            bits: Vec::with_capacity(BLOCK_LEN),
            reenc: Vec::with_capacity(CODED_LEN),
            min_agreement: 0.56,
        };
        d.set_cell(0, CyclicPrefix::Normal);
        d
    }

    /// Selects the cell (scrambling and RE positions).
    pub fn set_cell(&mut self, pci: u16, cp: CyclicPrefix) {
        if pci == self.pci && cp == self.cp && !self.positions.is_empty() {
            return;
        }
        self.pci = pci;
        self.cp = cp;
        self.positions = re_positions(cp, pci);
        self.scrambling.clear();
        self.scrambling
            .extend(gold_sequence(u32::from(pci), 4 * bits_per_frame(cp)));
    }

    /// Bits per frame for the current cell.
    pub fn frame_bits(&self) -> usize {
        bits_per_frame(self.cp)
    }

    /// Equalises the PBCH of one frame for a `ports` (1, 2, 4) hypothesis and writes
    /// one LLR per PBCH bit (not yet descrambled) into `out` (`frame_bits` long).
    /// `slot1` holds the demodulated symbols 0..4 of slot 1 of subframe 0.
    pub fn frame_llrs(
        &self,
        slot1: &[[Complex32; CENTRAL_SC]],
        h: &ChannelEstimate,
        ports: u8,
        out: &mut [f32],
    ) {
        out.fill(0.0);
        let nv = h.noise_var.max(1e-12 * h.port0_pilot_power.max(1e-30));
        let sqrt2 = std::f32::consts::SQRT_2;
        let y = |i: usize| -> (Complex32, usize) {
            let (l, k) = self.positions[i];
            (slot1.get(l).map_or(Complex32::default(), |s| s[k]), k)
        };
        let n = self.positions.len().min(out.len() / 2);
        // LLR of the two bits of z = G·s + w, var(w) = N: 2√2·G·z/N.
        let mut put = |i: usize, z: Complex32, g: f32, nn: f32| {
            if nn > 0.0 && g.is_finite() && nn.is_finite() {
                let sc = 2.0 * sqrt2 * g / nn;
                let (a, b) = (z.re * sc, z.im * sc);
                out[2 * i] = if a.is_finite() { a } else { 0.0 };
                out[2 * i + 1] = if b.is_finite() { b } else { 0.0 };
            }
        };
        match ports {
            2 | 4 => {
                // Alamouti pairs: ports (0,2) carry the first pair of each quad with 4
                // ports; with 2 ports every pair uses ports (0,1).
                for i in (0..n.saturating_sub(1)).step_by(2) {
                    let (pa, pb) = if ports == 2 {
                        (0, 1)
                    } else if i % 4 == 0 {
                        (0, 2)
                    } else {
                        (1, 3)
                    };
                    let (r0, k0) = y(i);
                    let (r1, k1) = y(i + 1);
                    let h0 = (h.h[pa][k0] + h.h[pa][k1]) * 0.5;
                    let h1 = (h.h[pb][k0] + h.h[pb][k1]) * 0.5;
                    let g2 = h0.norm_sqr() + h1.norm_sqr();
                    // Transmit scaling 1/√2: G = g2/√2, N = g2·σ².
                    let z0 = h0.conj() * r0 + h1 * r1.conj();
                    let z1 = h0.conj() * r1 - h1 * r0.conj();
                    put(i, z0, g2 / sqrt2, g2 * nv);
                    put(i + 1, z1, g2 / sqrt2, g2 * nv);
                }
            }
            _ => {
                for i in 0..n {
                    let (r, k) = y(i);
                    let h0 = h.h[0][k];
                    let g = h0.norm_sqr();
                    put(i, h0.conj() * r, g, g * nv);
                }
            }
        }
    }

    /// Soft-combined 120 coded values of the given frames (LLRs from
    /// [`Self::frame_llrs`] and each frame's position 0..4 in the 40 ms period).
    fn combine(&mut self, frames: &[(&[f32], usize)]) {
        self.soft = [0.0; CODED_LEN];
        let e = self.frame_bits();
        for &(llr, phase) in frames {
            let base = (phase % 4) * e;
            for (j, &l) in llr.iter().take(e).enumerate() {
                let idx = base + j;
                let sign = if self.scrambling.get(idx) == Some(&1) {
                    -1.0
                } else {
                    1.0
                };
                self.soft[self.map[idx % CODED_LEN] as usize] += sign * l;
            }
        }
    }

    /// How well one frame's LLRs combine coherently under each 40 ms phase (0..4):
    /// `Σ|soft|` after descrambling; the true phase stands out.
    pub fn phase_scores(&mut self, llr: &[f32]) -> [f32; 4] {
        let mut s = [0.0; 4];
        for (p, v) in s.iter_mut().enumerate() {
            self.combine(&[(llr, p)]);
            *v = self.soft.iter().map(|x| x.abs()).sum();
        }
        s
    }

    /// Combines `frames`, Viterbi-decodes and checks the CRC against the `ports` mask.
    pub fn decode(&mut self, frames: &[(&[f32], usize)], ports: u8) -> PbchDecode {
        self.combine(frames);
        let soft = self.soft;
        if self
            .viterbi
            .decode(&soft, Termination::TailBiting, &mut self.bits)
            .is_err()
            || self.bits.len() != BLOCK_LEN
        {
            return PbchDecode::Failed { agreement: 0.0 };
        }
        // Agreement of the re-encoded codeword with the received decisions.
        self.reenc.clear();
        ConvCode::lte().encode_into(&self.bits, Termination::TailBiting, &mut self.reenc);
        let e = self.frame_bits();
        let (mut agree, mut total) = (0usize, 0usize);
        for &(llr, phase) in frames {
            let base = (phase % 4) * e;
            for (j, &l) in llr.iter().take(e).enumerate() {
                if l == 0.0 {
                    continue;
                }
                let idx = base + j;
                let tx = self.reenc[self.map[idx % CODED_LEN] as usize]
                    ^ self.scrambling.get(idx).copied().unwrap_or(0);
                total += 1;
                if (l < 0.0) == (tx == 1) {
                    agree += 1;
                }
            }
        }
        let agreement = if total > 0 {
            agree as f32 / total as f32
        } else {
            0.0
        };
        if self.crc.check_masked(&self.bits, crc_mask(ports)) && agreement >= self.min_agreement {
            let mut mib_bits = [0u8; MIB_LEN];
            mib_bits.copy_from_slice(&self.bits[..MIB_LEN]);
            PbchDecode::Ok(PbchDecoded {
                mib_bits,
                ports,
                agreement,
            })
        } else {
            PbchDecode::Failed { agreement }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_match_hand_values() {
        let m = rate_match_map();
        // D = 40, R = 2, 24 dummies: column P(0) = 1 holds y1 (dummy) and y33 = d9.
        // The first non-dummy of stream 0 is therefore d9 → coded index 27.
        assert_eq!(m[0], 27);
        // Every coded bit appears exactly once.
        let mut seen = [false; 120];
        for &i in &m {
            assert!(!seen[i as usize]);
            seen[i as usize] = true;
        }
        assert_eq!(re_positions(CyclicPrefix::Normal, 150).len(), 240);
        assert_eq!(re_positions(CyclicPrefix::Extended, 1).len(), 216);
    }

    #[test]
    fn noiseless_decode_all_phases_and_ports() {
        let mib = crate::lte::mib::Mib::encode(
            50,
            crate::lte::mib::PhichDuration::Normal,
            crate::lte::mib::PhichResource::One,
            28,
        )
        .unwrap();
        for ports in [1u8, 2, 4] {
            for cp in [CyclicPrefix::Normal, CyclicPrefix::Extended] {
                let bits = encode_bits(&mib, ports, 150, cp);
                let mut dec = PbchDecoder::new();
                dec.set_cell(150, cp);
                let llrs: Vec<Vec<f32>> = (0..4)
                    .map(|p| {
                        bits[p * bits_per_frame(cp)..(p + 1) * bits_per_frame(cp)]
                            .iter()
                            .map(|&b| 1.0 - 2.0 * f32::from(b))
                            .collect()
                    })
                    .collect();
                let sc = dec.phase_scores(&llrs[2]);
                assert!(sc[2] > sc[0] && sc[2] > sc[1] && sc[2] > sc[3], "{sc:?}");
                match dec.decode(&[(&llrs[2], 2)], ports) {
                    PbchDecode::Ok(d) => {
                        assert_eq!(d.mib_bits, mib);
                        assert_eq!(d.ports, ports);
                    }
                    other => panic!("{other:?}"),
                }
                // Wrong mask fails.
                let wrong = if ports == 1 { 2 } else { 1 };
                assert!(matches!(
                    dec.decode(&[(&llrs[2], 2)], wrong),
                    PbchDecode::Failed { .. }
                ));
            }
        }
    }
}
