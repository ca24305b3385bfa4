//! RAT-agnostic signal blocks.

pub mod resample;
