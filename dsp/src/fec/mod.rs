//! Forward error correction shared by GSM, LTE and NR.

pub mod conv;
pub mod crc;
pub mod segmentation;
pub mod turbo;
pub mod turbo_rate_match;
