//! Findings of the sensor's fingerprinting rules.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How much an anomaly weighs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth recording; common in legitimate networks.
    Info,
    /// Unusual, weak evidence alone.
    Low,
    /// Suspicious.
    Medium,
    /// Strong evidence of a rogue station.
    High,
}

impl Severity {
    /// A weight in [0, 1] for scoring.
    pub const fn weight(self) -> f64 {
        match self {
            Severity::Info => 0.05,
            Severity::Low => 0.2,
            Severity::Medium => 0.5,
            Severity::High => 0.8,
        }
    }
}

/// One finding about one cell, with the evidence in words.
///
/// `kind` is an open set of snake_case names (see `docs/heuristics.md`);
/// receivers must accept kinds they do not know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Anomaly {
    /// Rule name, e.g. `downgrade_priority`, `empty_neighbour_list`, `new_cell`.
    pub kind: String,
    /// How much it weighs.
    pub severity: Severity,
    /// Human-readable evidence.
    pub detail: String,
    /// Version of the rule that produced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_version: Option<u32>,
}

/// Anomaly kinds produced by towerwatch's own rules (the set is open).
pub mod kinds {
    /// An inter-RAT reselection priority above the serving RAT's.
    pub const DOWNGRADE_PRIORITY: &str = "downgrade_priority";
    /// A neighbour list that is absent when scheduled, or empty.
    pub const EMPTY_NEIGHBOUR_LIST: &str = "empty_neighbour_list";
    /// A GSM parameter outside what operators use (CRO, T3212, paging).
    pub const GSM_PARAMETER: &str = "gsm_parameter";
    /// The cell is barred or reserved.
    pub const CELL_BARRED: &str = "cell_barred";
    /// A cell this sensor has not heard before.
    pub const NEW_CELL: &str = "new_cell";
    /// A known channel+PCI now broadcasts another identity.
    pub const IDENTITY_CHANGE: &str = "identity_change";
    /// Power far outside this sensor's learned spread for the cell.
    pub const POWER_JUMP: &str = "power_jump";
    /// A PLMN on a channel its operator does not use here.
    pub const PLMN_CHANNEL_MISMATCH: &str = "plmn_channel_mismatch";
    /// Very low minimum receive level, pulling phones in from far away.
    pub const LOW_RX_LEV_MIN: &str = "low_rx_lev_min";
}
