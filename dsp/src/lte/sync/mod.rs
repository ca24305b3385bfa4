//! Synchronisation signals, TS 36.211 §6.11: PSS ([`pss`]), SSS ([`sss`]) and
//! carrier frequency offset estimation ([`cfo`]).

pub mod cfo;
pub mod pss;
pub mod sss;
