//! LTE downlink receiver (TS 36.211, 36.212, 36.213, 36.214).
//!
//! Cell search runs on the central 6 PRB at 1.92 Msps (FFT 128): see
//! [`cell_search::LteCellSearcher`]. The blocks it composes:
//! [`sync`] (PSS/SSS/CFO, TS 36.211 §6.11), [`grid`] (OFDM demodulation, §6.12),
//! [`crs`] and [`chest`] (cell-specific reference signals, §6.10.1), [`pbch`]
//! (§6.6, TS 36.212 §5.3.1), [`mib`] (TS 36.331 MasterInformationBlock),
//! [`measure`] (RSRP/RSRQ/RSSI/SINR, TS 36.214) and [`cancel`] (re-synthesis of a
//! decoded cell for successive interference cancellation). [`tx`] generates test
//! signals.
//!
//! System information at the cell's own bandwidth: [`si`] (the receiver) composes
//! [`wideband`] (full-band OFDM and CRS channel estimation, §6.12, §6.10.1),
//! [`pcfich`] (§6.7), [`phich`] (§6.9 layout), [`pdcch`] (§6.8, REGs §6.2.4),
//! [`dci`] (TS 36.212 §5.3.3, formats 1A/1C), [`ra`] (TS 36.213 §7.1.6.3) and
//! [`pdsch`] (§6.3–6.4, TS 36.212 §5.3.2); [`tx::si`] sends SIBs.

use serde::{Deserialize, Serialize};

pub mod cancel;
pub mod cell_search;
pub mod chest;
pub mod crs;
pub mod grid;
pub mod measure;
pub mod mib;
pub mod pbch;
pub mod sync;
pub mod tbs;
pub mod tx;

/// Cyclic prefix length (TS 36.211 Table 6.12-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CyclicPrefix {
    /// 7 symbols per slot.
    Normal,
    /// 6 symbols per slot.
    Extended,
}

impl CyclicPrefix {
    /// OFDM symbols per slot, `N_symb^DL`.
    pub const fn symbols_per_slot(self) -> usize {
        match self {
            CyclicPrefix::Normal => 7,
            CyclicPrefix::Extended => 6,
        }
    }

    /// `N_CP` of the CRS initialisation (TS 36.211 §6.10.1.1): 1 normal, 0 extended.
    pub const fn n_cp(self) -> u32 {
        match self {
            CyclicPrefix::Normal => 1,
            CyclicPrefix::Extended => 0,
        }
    }
}

/// Frame structure type (TS 36.211 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duplex {
    /// Frame structure type 1.
    Fdd,
    /// Frame structure type 2.
    Tdd,
}

/// Physical cell identity `N_ID^cell = 3·N_ID^(1) + N_ID^(2)` (TS 36.211 §6.11).
pub const fn pci(n_id_1: u16, n_id_2: u8) -> u16 {
    3 * n_id_1 + n_id_2 as u16
}

/// Sample rate of the central 6 PRB that cell search works on.
pub const SEARCH_RATE_HZ: f64 = 1.92e6;
/// Subcarrier spacing Δf.
pub const SUBCARRIER_SPACING_HZ: f64 = 15e3;
/// Number of subcarriers in the central 6 PRB.
pub const CENTRAL_SC: usize = 72;

// LTE system information (issue #4): control region, PDCCH/DCI, PDSCH, SI receiver.
pub mod dci;
pub mod pcfich;
pub mod pdcch;
pub mod pdsch;
pub mod phich;
pub mod ra;
pub mod si;
pub mod wideband;
