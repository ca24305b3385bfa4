//! Forward error correction shared by GSM, LTE and NR.

pub mod conv;
pub mod crc;
