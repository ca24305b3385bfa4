//! Radio access technologies and cell identities.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Radio access technology of a cell.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Rat {
    /// GSM / GPRS / EDGE (2G).
    Gsm,
    /// LTE (4G).
    Lte,
    /// 5G NR.
    Nr,
}

impl Rat {
    /// The wire name: `"gsm"`, `"lte"`, `"nr"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Rat::Gsm => "gsm",
            Rat::Lte => "lte",
            Rat::Nr => "nr",
        }
    }
}

impl fmt::Display for Rat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What identifies a cell on the air and in the network.
///
/// One flat object for all RATs: which fields apply depends on the
/// observation's `rat` (WIRE.md):
/// - LTE: `earfcn`, `pci`, `mcc`, `mnc`, `tac`, `cell_identity` (28-bit ECI);
/// - GSM: `arfcn`, `bsic` (NCC×8+BCC), `mcc`, `mnc`, `lac`, `cell_identity` (16-bit CI);
/// - NR: `nr_arfcn` or `gscn`, `pci`, `ssb_index`, `mcc`, `mnc`, `tac` (24-bit), `cell_identity` (36-bit NCI).
///
/// Fields that were not decoded are absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct CellId {
    /// LTE downlink EARFCN (TS 36.101 §5.7.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earfcn: Option<u32>,
    /// GSM ARFCN (TS 45.005 §2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arfcn: Option<u16>,
    /// NR-ARFCN of the SSB (TS 38.104 §5.4.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nr_arfcn: Option<u32>,
    /// NR global synchronization channel number (TS 38.104 §5.4.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gscn: Option<u32>,
    /// Physical cell identity: 0–503 (LTE), 0–1007 (NR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pci: Option<u16>,
    /// GSM base station identity code as NCC×8+BCC (0–63).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bsic: Option<u8>,
    /// NR SSB index within the burst set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssb_index: Option<u8>,
    /// Mobile country code, three decimal digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcc: Option<String>,
    /// Mobile network code, two or three decimal digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mnc: Option<String>,
    /// Tracking area code (LTE 16-bit, NR 24-bit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tac: Option<u32>,
    /// GSM location area code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lac: Option<u16>,
    /// Cell identity: ECI (28 bits), GSM CI (16 bits) or NCI (36 bits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_identity: Option<u64>,
}

impl CellId {
    /// The channel number that applies to `rat`, if present.
    pub fn channel(&self, rat: Rat) -> Option<u32> {
        match rat {
            Rat::Lte => self.earfcn,
            Rat::Gsm => self.arfcn.map(u32::from),
            Rat::Nr => self.nr_arfcn.or(self.gscn),
        }
    }

    /// The physical-layer identity that applies to `rat` (PCI, or BSIC for GSM).
    pub fn phy_id(&self, rat: Rat) -> Option<u16> {
        match rat {
            Rat::Gsm => self.bsic.map(u16::from),
            Rat::Lte | Rat::Nr => self.pci,
        }
    }

    /// `"MCCMNC"` (e.g. `"26201"`) when both are present.
    pub fn plmn(&self) -> Option<String> {
        Some(format!("{}{}", self.mcc.as_ref()?, self.mnc.as_ref()?))
    }

    /// Whether the network identity (PLMN, area, cell identity) is complete.
    pub fn has_global_identity(&self) -> bool {
        self.mcc.is_some()
            && self.mnc.is_some()
            && (self.tac.is_some() || self.lac.is_some())
            && self.cell_identity.is_some()
    }

    /// A compact text form for logs and tables, e.g. `lte 1300/123 001-01 tac 23 ci 105217`.
    pub fn describe(&self, rat: Rat) -> String {
        let mut s = String::from(rat.as_str());
        match (self.channel(rat), self.phy_id(rat)) {
            (Some(c), Some(p)) => s.push_str(&format!(" {c}/{p}")),
            (Some(c), None) => s.push_str(&format!(" {c}/?")),
            (None, Some(p)) => s.push_str(&format!(" ?/{p}")),
            (None, None) => {}
        }
        if let (Some(mcc), Some(mnc)) = (&self.mcc, &self.mnc) {
            s.push_str(&format!(" {mcc}-{mnc}"));
        }
        if let Some(t) = self.tac {
            s.push_str(&format!(" tac {t}"));
        }
        if let Some(l) = self.lac {
            s.push_str(&format!(" lac {l}"));
        }
        if let Some(c) = self.cell_identity {
            s.push_str(&format!(" ci {c}"));
        }
        s
    }
}
