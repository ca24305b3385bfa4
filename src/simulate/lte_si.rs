//! The system information a simulated LTE cell broadcasts (TS 36.331 §5.2,
//! §6.2.2), encoded by `towerwatch_rrc::lte`, and its schedule for the
//! transmitter:
//!
//! - SIB1 in subframe 5 of even frames (§5.2.1.2), `si-WindowLength` 10 ms;
//! - SI message 1 (SIB2 + SIB3), periodicity 16 frames, window 1 (`x = 0`:
//!   frames with `SFN mod 16 = 0`), sent in subframe 1;
//! - SI message 2 (SIB5 and/or SIB7 when the cell has E-UTRA or GERAN
//!   neighbours), periodicity 16 frames, window 2 (`x = 10`: `SFN mod 16 = 1`),
//!   subframe 1 (§5.2.3: window start `x = (n − 1)·w`).
//!
//! Fields not in the scenario take common operator values (q-Hyst 4 dB,
//! s-IntraSearch 62 dB, threshX 10 dB, T-reselection 1 s, …).

use crate::scenario::{LteCellSpec, SimCell};
use towerwatch_dsp::lte::tx::si::{ScheduledTb, SiTxConfig};
use towerwatch_models::system_info::{
    EutraCarrier, GeranCarrier, SchedulingInfo, Sib1, Sib2, Sib3, Sib5, Sib7,
};
use towerwatch_rrc::lte::{encode_sib1, encode_system_information, SiSib};

/// SI periodicity, radio frames.
pub const SI_PERIOD_FRAMES: u16 = 16;
/// Subframe of the SI messages within their window.
pub const SI_SUBFRAME: u8 = 1;

/// The SIBs of `cell` as they are encoded (for the truth and tests).
#[derive(Debug, Clone)]
pub struct CellSibs {
    /// SIB1.
    pub sib1: Sib1,
    /// SIB2.
    pub sib2: Sib2,
    /// SIB3.
    pub sib3: Sib3,
    /// SIB5 (E-UTRA neighbour carriers), if any.
    pub sib5: Option<Sib5>,
    /// SIB7 (GERAN neighbour carriers), if any.
    pub sib7: Option<Sib7>,
}

/// The cell's SIB content.
pub fn sibs(cell: &SimCell, l: &LteCellSpec) -> CellSibs {
    let band = towerwatch_models::band::lte_earfcn_to_freq(l.earfcn).map(|(b, _)| b);
    let sib5 = (!l.eutra_neighbours.is_empty()).then(|| Sib5 {
        carriers: l
            .eutra_neighbours
            .iter()
            .map(|&e| EutraCarrier {
                earfcn: e,
                cell_reselection_priority: Some(l.serving_priority),
                q_rx_lev_min_dbm: Some(i32::from(l.q_rx_lev_min_dbm)),
                thresh_x_high_db: Some(10),
                thresh_x_low_db: Some(10),
                allowed_meas_bandwidth_prb: Some(6),
                neighbours: Vec::new(),
                ..EutraCarrier::default()
            })
            .collect(),
    });
    let sib7 = (!l.geran_neighbours.is_empty()).then(|| {
        let mut arfcns = l.geran_neighbours.clone();
        arfcns.sort_unstable();
        arfcns.dedup();
        Sib7 {
            carriers: vec![GeranCarrier {
                arfcns,
                band_indicator: Some("dcs1800".into()),
                cell_reselection_priority: l.geran_priority,
                q_rx_lev_min_dbm: Some(-105),
            }],
        }
    });
    let mut second: Vec<u8> = Vec::new();
    if sib5.is_some() {
        second.push(5);
    }
    if sib7.is_some() {
        second.push(7);
    }
    let mut scheduling = vec![SchedulingInfo {
        periodicity_rf: SI_PERIOD_FRAMES,
        sibs: vec![3],
    }];
    if !second.is_empty() {
        scheduling.push(SchedulingInfo {
            periodicity_rf: SI_PERIOD_FRAMES,
            sibs: second,
        });
    }
    CellSibs {
        sib1: Sib1 {
            plmns: vec![format!("{}{}", cell.spec.mcc, cell.spec.mnc)],
            tac: Some(l.tac),
            cell_identity: Some(u64::from(l.cell_identity)),
            cell_barred: Some(false),
            intra_freq_reselection: Some(true),
            q_rx_lev_min_dbm: Some(i32::from(l.q_rx_lev_min_dbm)),
            freq_band_indicator: band,
            si_window_ms: Some(10),
            system_info_value_tag: Some(1),
            scheduling,
            ..Sib1::default()
        },
        sib2: Sib2 {
            reference_signal_power_dbm: Some(cell.spec.power_dbm.round().clamp(-60.0, 50.0) as i32),
            ul_nof_prb: Some(u16::from(l.nof_prb)),
            default_paging_cycle_rf: Some(128),
            t300_ms: Some(1000),
            ..Sib2::default()
        },
        sib3: Sib3 {
            cell_reselection_priority: Some(l.serving_priority),
            q_hyst_db: Some(4),
            thresh_serving_low_db: Some(6),
            s_non_intra_search_db: Some(10),
            s_intra_search_db: Some(62),
            q_rx_lev_min_dbm: Some(i32::from(l.q_rx_lev_min_dbm)),
            t_reselection_eutra_s: Some(1),
        },
        sib5,
        sib7,
    }
}

/// The transmitter's schedule of encoded blocks for `cell`.
pub fn schedule(cell: &SimCell, l: &LteCellSpec) -> Result<SiTxConfig, String> {
    let s = sibs(cell, l);
    let sib1 = encode_sib1(&s.sib1).map_err(|e| format!("SIB1: {e}"))?;
    let si1 = encode_system_information(&[SiSib::Sib2(s.sib2), SiSib::Sib3(s.sib3)])
        .map_err(|e| format!("SI (SIB2, SIB3): {e}"))?;
    let mut blocks = vec![
        ScheduledTb::sib1(sib1),
        ScheduledTb {
            period_frames: SI_PERIOD_FRAMES,
            frame_offset: 0,
            subframe: SI_SUBFRAME,
            bytes: si1,
        },
    ];
    let mut second = Vec::new();
    if let Some(x) = s.sib5 {
        second.push(SiSib::Sib5(x));
    }
    if let Some(x) = s.sib7 {
        second.push(SiSib::Sib7(x));
    }
    if !second.is_empty() {
        blocks.push(ScheduledTb {
            period_frames: SI_PERIOD_FRAMES,
            frame_offset: 1,
            subframe: SI_SUBFRAME,
            bytes: encode_system_information(&second)
                .map_err(|e| format!("SI (SIB5/SIB7): {e}"))?,
        });
    }
    Ok(SiTxConfig {
        sibs: blocks,
        ..SiTxConfig::default()
    })
}
