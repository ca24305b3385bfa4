//! The System Information a simulated GSM station broadcasts (TS 44.018
//! §9.1.31–9.1.36), encoded by `towerwatch_rrc::gsm::encode`, placed by TC
//! on BCCH Norm (TS 45.002 §6.3.1.3: SI1 at TC 0, SI2 at 1, SI3 at 2 and 6,
//! SI4 at 3 and 7; TC 4 and 5 carry nothing here — dummy bursts).
//!
//! Parameters not in the scenario take typical operator values: RACH max
//! retransmissions 4, Tx-integer 12, ATT on, BS_AG_BLKS_RES 1, BS_PA_MFRMS 4,
//! T3212 1 h, DTX, radio link timeout 32, hysteresis 4 dB, MS_TXPWR_MAX_CCH 5.

use crate::scenario::SimCell;
use towerwatch_models::gsm::{
    CellOptions, CellSelection, ControlChannel, RachControl, SelectionParameters, Si1, Si2, Si3,
    Si4,
};
use towerwatch_rrc::gsm::encode;

fn rach() -> RachControl {
    RachControl {
        max_retrans: 4,
        tx_integer_slots: 12,
        cell_barred: false,
        call_reestablishment_allowed: false,
        emergency_calls_restricted: false,
        barred_access_classes: Vec::new(),
    }
}

/// The BCCH Norm frame for each TC = (FN div 51) mod 8, or `None` (dummy bursts).
pub fn system_information(cell: &SimCell) -> Result<[Option<[u8; 23]>; 8], String> {
    let g = cell.spec.gsm.as_ref().ok_or("no [gsm] settings")?;
    let rxlev_access_min = u8::try_from(g.rx_lev_access_min_dbm + 110)
        .map_err(|_| "rx_lev_access_min_dbm out of range".to_string())?;
    let cell_selection = CellSelection {
        cell_reselect_hysteresis_db: 4,
        ms_txpwr_max_cch: 5,
        acs: false,
        neci: true,
        rxlev_access_min,
        rxlev_access_min_dbm: g.rx_lev_access_min_dbm,
    };
    let selection = SelectionParameters {
        cbq: Some(0),
        cell_reselect_offset_db: Some(g.cell_reselect_offset_db),
        temporary_offset: Some(0),
        temporary_offset_db: Some(0),
        penalty_time: Some(0),
        penalty_time_s: Some(20),
        ..SelectionParameters::default()
    };
    let mut cell_channels = vec![g.arfcn];
    cell_channels.sort_unstable();
    let si1 = encode::si1(
        &Si1 {
            cell_channels,
            rach: rach(),
            ..Si1::default()
        },
        None,
    )
    .map_err(|e| format!("SI1: {e}"))?;
    let mut neighbours = g.neighbours.clone();
    neighbours.sort_unstable();
    neighbours.dedup();
    let si2 = encode::si2(
        &Si2 {
            neighbours,
            ba_ind: 0,
            ext_ind: false,
            ncc_permitted: 0xff,
            rach: rach(),
        },
        None,
    )
    .map_err(|e| format!("SI2: {e}"))?;
    let si3 = encode::si3(&Si3 {
        cell_identity: g.ci,
        mcc: cell.spec.mcc.clone(),
        mnc: cell.spec.mnc.clone(),
        lac: g.lac,
        control_channel: ControlChannel {
            mscr: true,
            att: true,
            bs_ag_blks_res: 1,
            ccch_conf: 0,
            cbq3: 0,
            bs_pa_mfrms: 4,
            t3212_decihours: 10,
        },
        cell_options: CellOptions {
            pwrc: false,
            dtx: 2,
            radio_link_timeout: 32,
        },
        cell_selection: cell_selection.clone(),
        rach: rach(),
        selection: selection.clone(),
        ..Si3::default()
    })
    .map_err(|e| format!("SI3: {e}"))?;
    let si4 = encode::si4(&Si4 {
        mcc: cell.spec.mcc.clone(),
        mnc: cell.spec.mnc.clone(),
        lac: g.lac,
        cell_selection,
        rach: rach(),
        cbch_present: false,
        selection,
    })
    .map_err(|e| format!("SI4: {e}"))?;
    Ok([
        Some(si1),
        Some(si2),
        Some(si3),
        Some(si4),
        None,
        None,
        Some(si3),
        Some(si4),
    ])
}
