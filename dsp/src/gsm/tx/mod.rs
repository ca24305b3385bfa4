//! GSM downlink test transmitter for the BCCH carrier C0: bursts (TS 45.002
//! §5.2: FCCH §5.2.4, SCH §5.2.5, normal §5.2.3, dummy §5.2.6), whole TDMA
//! frames of 8 timeslots with their guard periods (TS 45.010 §5.7 lets
//! timeslots 0 and 4 be 157 symbol periods and the others 156), the timeslot-0
//! channel sequence of the 51-multiframe (TS 45.002 §7 table 3, channel
//! combinations IV and V) and GMSK modulation ([`gmsk`], TS 45.004).
//! [`channel`] adds typical-urban multipath, noise and frequency offset.
//!
//! Power ramping (TS 45.005 annex B) is not modelled: a slot is on or off.

pub mod channel;
pub mod gmsk;

use super::burst::{normal_burst, sch_burst, BURST_LEN};
use super::multiframe::{ts0_slot, Ts0Channel};
use super::sch::{encode_sch, SchInfo};
use super::xcch::{encode_xcch, XCCH_FRAME_LEN};
use gmsk::GmskModulator;
use num_complex::Complex32;

/// Symbol periods of each timeslot (TS 45.010 §5.7: 157, 156, 156, 156, 157, 156, 156, 156).
pub const SLOT_SYMBOLS: [usize; 8] = [157, 156, 156, 156, 157, 156, 156, 156];
/// Symbol periods of a TDMA frame (8 × 156.25).
pub const FRAME_SYMBOLS: usize = 1250;

/// The 142 mixed bits of the dummy burst, TS 45.002 §5.2.6 (between 3 + 3 zero tail bits).
pub const DUMMY_MIXED_BITS: [u8; 142] = [
    1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1, 0,
    0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0,
    0, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0,
    0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1,
    0, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0,
];

/// The frequency correction burst, TS 45.002 §5.2.4: 148 zeros.
pub fn fcch_burst() -> [u8; BURST_LEN] {
    [0; BURST_LEN]
}

/// The dummy burst, TS 45.002 §5.2.6.
pub fn dummy_burst() -> [u8; BURST_LEN] {
    let mut b = [0u8; BURST_LEN];
    b[3..145].copy_from_slice(&DUMMY_MIXED_BITS);
    b
}

/// First symbol period of timeslot `ts` (0–7) within its TDMA frame.
pub fn slot_start(ts: usize) -> usize {
    SLOT_SYMBOLS.iter().take(ts.min(8)).sum()
}

/// The bursts of one TDMA frame, by timeslot; `None` is a slot with no power.
pub type FrameBursts = [Option<[u8; BURST_LEN]>; 8];

/// Modulates whole TDMA frames: each slot's 148 burst bits, then its guard
/// period filled with ones (the state TS 45.004 §2.2 starts and ends bursts in),
/// GMSK at `sps` samples per symbol; slots that are `None` are zeroed.
#[derive(Debug, Clone)]
pub struct FrameModulator {
    gmsk: GmskModulator,
    bits: Vec<u8>,
}

impl FrameModulator {
    /// A modulator at `sps` samples per symbol.
    pub fn new(sps: usize) -> Self {
        FrameModulator {
            gmsk: GmskModulator::new(sps),
            bits: Vec::new(),
        }
    }

    /// Samples per symbol.
    pub fn sps(&self) -> usize {
        self.gmsk.sps()
    }

    /// Appends `frames.len() × 1250 × sps` samples (amplitude `amplitude`) to `out`.
    /// Timeslot `ts` of frame `k` starts at sample `(1250·k + slot_start(ts))·sps`
    /// with the first burst bit.
    pub fn modulate(&mut self, frames: &[FrameBursts], amplitude: f32, out: &mut Vec<Complex32>) {
        self.bits.clear();
        for f in frames {
            for (ts, slot) in f.iter().enumerate() {
                let start = self.bits.len();
                self.bits.resize(start + SLOT_SYMBOLS[ts], 1);
                if let Some(b) = slot {
                    self.bits[start..start + BURST_LEN].copy_from_slice(b);
                }
            }
        }
        let first = out.len();
        self.gmsk.modulate(&self.bits, 0.0, out);
        let sps = self.gmsk.sps();
        for (k, f) in frames.iter().enumerate() {
            for (ts, slot) in f.iter().enumerate() {
                let a = if slot.is_some() { amplitude } else { 0.0 };
                let s0 = first + (k * FRAME_SYMBOLS + slot_start(ts)) * sps;
                let s1 = s0 + SLOT_SYMBOLS[ts] * sps;
                for v in out.get_mut(s0..s1).into_iter().flatten() {
                    *v *= a;
                }
            }
        }
    }
}

/// Identity of the simulated cell on timeslot 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ts0Config {
    /// Network colour code (0–7).
    pub ncc: u8,
    /// Base station colour code (0–7), also the training sequence code of normal bursts.
    pub bcc: u8,
    /// CCCH_CONF = 1 (combination V: CCCH + SDCCH/4 on timeslot 0).
    pub combined: bool,
}

/// Timeslot-0 burst generator over the 51-multiframe (TS 45.002 §7 table 3).
///
/// FCCH and SCH frames carry their bursts; each 4-frame block asks `content`
/// for its 23-octet frame (given the block's first FN and its channel) and
/// sends it xCCH-coded ([`encode_xcch`]) with training sequence BCC; blocks
/// without content and the idle frame carry dummy bursts (C0 is never silent).
#[derive(Debug)]
pub struct Ts0Generator<F> {
    cfg: Ts0Config,
    content: F,
    cached: Option<(u32, [[u8; 114]; 4])>,
}

impl<F: FnMut(u32, Ts0Channel) -> Option<[u8; XCCH_FRAME_LEN]>> Ts0Generator<F> {
    /// A generator for `cfg`, with the block content source `content(first_fn, channel)`.
    pub fn new(cfg: Ts0Config, content: F) -> Self {
        Ts0Generator {
            cfg,
            content,
            cached: None,
        }
    }

    /// The timeslot-0 burst of frame `fnum`.
    pub fn burst(&mut self, fnum: u32) -> [u8; BURST_LEN] {
        let slot = ts0_slot(fnum, self.cfg.combined);
        match slot.channel {
            Ts0Channel::Fcch => fcch_burst(),
            Ts0Channel::Sch => sch_burst(&encode_sch(&SchInfo::for_frame(
                fnum,
                self.cfg.ncc,
                self.cfg.bcc,
            ))),
            Ts0Channel::Idle => dummy_burst(),
            channel => {
                let first = fnum.wrapping_sub(u32::from(slot.burst));
                let coded = match self.cached {
                    Some((f, c)) if f == first => Some(c),
                    _ => {
                        let c = (self.content)(first, channel).map(|frame| encode_xcch(&frame));
                        if let Some(c) = c {
                            self.cached = Some((first, c));
                        }
                        c
                    }
                };
                match coded {
                    Some(c) => normal_burst(&c[usize::from(slot.burst & 3)], self.cfg.bcc, 0, 0),
                    None => dummy_burst(),
                }
            }
        }
    }

    /// `n` TDMA frames from `fn_start`: timeslot 0 from [`Self::burst`], the
    /// other timeslots dummy bursts (or off when `others_off`).
    pub fn frames(&mut self, fn_start: u32, n: usize, others_off: bool) -> Vec<FrameBursts> {
        (0..n as u32)
            .map(|k| {
                let mut f: FrameBursts = if others_off {
                    [None; 8]
                } else {
                    [Some(dummy_burst()); 8]
                };
                f[0] = Some(self.burst(fn_start.wrapping_add(k)));
                f
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_layout() {
        assert_eq!(SLOT_SYMBOLS.iter().sum::<usize>(), FRAME_SYMBOLS);
        assert_eq!(slot_start(4), 157 + 3 * 156);
        let d = dummy_burst();
        assert_eq!(&d[..8], &[0, 0, 0, 1, 1, 1, 1, 1]);
        assert_eq!(&d[145..], &[0, 0, 0]);
    }

    #[test]
    fn generator_follows_table_3() {
        let frame = [0x2bu8; XCCH_FRAME_LEN];
        let mut g = Ts0Generator::new(
            Ts0Config {
                ncc: 1,
                bcc: 2,
                combined: false,
            },
            |_, ch| matches!(ch, Ts0Channel::Bcch).then_some(frame),
        );
        assert_eq!(g.burst(51 * 7), fcch_burst());
        assert_eq!(g.burst(51 * 7 + 50), dummy_burst());
        assert_eq!(g.burst(51 * 7 + 6), dummy_burst()); // CCCH without content
        let coded = encode_xcch(&frame);
        assert_eq!(g.burst(51 * 7 + 3), normal_burst(&coded[1], 2, 0, 0));
        let f = g.frames(0, 3, true);
        assert!(f.iter().all(|x| x[1].is_none() && x[0].is_some()));
        let mut m = FrameModulator::new(2);
        let mut out = Vec::new();
        m.modulate(&f, 0.5, &mut out);
        assert_eq!(out.len(), 3 * FRAME_SYMBOLS * 2);
        assert_eq!(out[2 * 200], Complex32::new(0.0, 0.0));
        assert!((out[10].norm() - 0.5).abs() < 1e-5);
    }
}
