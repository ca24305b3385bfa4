//! Message decoding: system information bytes in, `towerwatch_models` types out.
//!
//! - `gsm`: GSM RR system information, TS 44.018 §9.1 (hand-written; GSM RR is not ASN.1).
//! - `lte`: LTE RRC BCCH-DL-SCH (SIB1, SystemInformation), TS 36.331 §6.2 (UPER, generated types).
//!
//! Every decoder takes attacker-controlled bytes: malformed input returns an error, never panics.

pub mod gsm;
pub mod lte;
