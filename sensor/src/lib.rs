//! The towerwatch sensor node: sources of IQ samples (recordings today;
//! SoapySDR radios behind the `soapy` feature), the decode pipeline that turns
//! samples into Observations, and the commands of `towerwatch-sensor`.
//!
//! No DSP lives here: the algorithms are in `towerwatch-dsp`; this crate opens
//! files and devices, schedules work and moves results to their consumers.

pub mod cli;
pub mod config;
pub mod daemon;
pub mod metrics;
pub mod outbox;
pub mod pcap;
pub mod pipeline;
pub mod publisher;
pub mod scheduler;
pub mod source;
pub mod tls;
