//! towerwatch signal processing: pure, synchronous, no I/O.
//!
//! Functions take sample slices and return values; decoders own their buffers
//! (`new` allocates, `decode` does not). Nothing here opens files, spawns
//! threads, logs from hot loops or touches the network: the sensor crate is the
//! edge that does.
//!
//! Conventions shared by every module:
//! - Samples are `num_complex::Complex32`, full scale = 1.0 (0 dBFS is a
//!   full-scale complex sinusoid, |x| = 1).
//! - Soft bits are LLRs `ln(P(b=0)/P(b=1))`: positive means bit 0. BPSK maps
//!   0 → +1, 1 → −1, so a received symbol's real part is already an LLR up to scale.
//! - Hard bits are `u8` values 0 or 1, one bit per byte, unless a function says
//!   it packs them.
//!
//! Layout:
//! - [`iq`], [`sigmf`]: sample formats and recording metadata.
//! - [`signal`]: RAT-agnostic blocks (resampling, …).
//! - [`fec`]: channel coding shared by GSM, LTE and NR.
//! - [`lte`], [`gsm`]: per-RAT receivers and test transmitters.

pub mod fec;
pub mod gsm;
pub mod iq;
pub mod lte;
pub mod sigmf;
pub mod signal;

pub use num_complex::Complex32;
pub mod sequence;
