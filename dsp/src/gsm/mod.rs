//! GSM receiver (TS 45.002, 45.003, 45.004, 45.010).
//!
//! Channel decoding of BCCH/CCCH and SCH (TS 45.003 §4.1, §4.7) from burst
//! data bits, with the transmit side used by loopback tests:
//! - [`burst`]: burst layouts (TS 45.002 §5.2.3, §5.2.5) and bit mapping (TS 45.003 §4.1.5).
//! - [`fire`]: the Fire code (TS 45.003 §4.1.2).
//! - [`xcch`]: xCCH coding: Fire + convolutional code + interleaving (TS 45.003 §4.1).
//! - [`sch`]: SCH coding, BSIC and frame number (TS 45.003 §4.7, TS 45.002 §3.3.2.2).
//! - [`multiframe`]: where BCCH/CCCH blocks sit in the 51-multiframe (TS 45.002 §7 table 3).

pub mod burst;
pub mod fire;
pub mod multiframe;
pub mod sch;
pub mod xcch;

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
