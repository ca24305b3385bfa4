//! towerwatch, the umbrella: the city simulator ([`scenario`], [`simulate`])
//! and the one-command demo ([`demo`]) on top of the sensor and collector
//! crates. The `towerwatch` binary is a thin CLI over these.

pub mod demo;
pub mod demo_cli;
pub mod scenario;
pub mod simulate;
