//! GSM receiver (TS 45.002, 45.003, 45.004, 45.005, 45.010).
//!
//! From complex baseband to BCCH/CCCH frames, and the transmit side used by
//! loopback tests. Signal path ([`receiver`] composes it):
//! - [`band_scan`]: power per 200 kHz channel of a wideband capture (TS 45.005 §2, TS 45.008 §8.1).
//! - [`channelizer`]: one channel shifted, filtered, resampled to a few samples per symbol.
//! - [`fcch`]: frequency correction burst detection and offset estimate (TS 45.002 §5.2.4, TS 45.010 §6).
//! - [`chest`]: channel estimation on training sequences, linearised GMSK (TS 45.002 §5.2.3/§5.2.5, TS 45.004).
//! - [`equalizer`]: MLSE (Viterbi, max-log-MAP soft output) over the estimated channel.
//! - [`burst_rx`]: timing search + estimation + equalization of one burst → 148 LLRs.
//! - [`receiver`]: FCCH → SCH → timing track → bursts → blocks (TS 45.002 §7, TS 45.010).
//! - [`tx`]: GMSK modulator (TS 45.004), bursts, TDMA frames, 51-multiframe, test channel.
//!
//! Channel decoding of BCCH/CCCH and SCH (TS 45.003 §4.1, §4.7) from burst
//! data bits:
//! - [`burst`]: burst layouts (TS 45.002 §5.2.3, §5.2.5) and bit mapping (TS 45.003 §4.1.5).
//! - [`fire`]: the Fire code (TS 45.003 §4.1.2).
//! - [`xcch`]: xCCH coding: Fire + convolutional code + interleaving (TS 45.003 §4.1).
//! - [`sch`]: SCH coding, BSIC and frame number (TS 45.003 §4.7, TS 45.002 §3.3.2.2).
//! - [`multiframe`]: where BCCH/CCCH blocks sit in the 51-multiframe (TS 45.002 §7 table 3).

pub mod band_scan;
pub mod burst;
pub mod burst_rx;
pub mod channelizer;
pub mod chest;
pub mod equalizer;
pub mod fcch;
pub mod fire;
pub mod multiframe;
pub mod receiver;
pub mod sch;
pub mod tx;
pub mod xcch;

/// GSM symbol rate, symbols/s (TS 45.004 §2.1: 1625/6 ksym/s).
pub const SYMBOL_RATE: f64 = 1_625_000.0 / 6.0;

/// Errors of the GSM channel decoders.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GsmDecodeError {
    /// An input slice has the wrong length.
    #[error("{what}: expected {expected} values, got {got}")]
    Length {
        /// What was passed.
        what: &'static str,
        /// Length required.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// The Viterbi decoder refused the input.
    #[error("viterbi: {0}")]
    Viterbi(crate::fec::conv::ConvError),
}
