//! A simulated GSM cell on DCS 1800 ARFCN 725 (1847.8 MHz) for end-to-end
//! tests: SI1–SI4 from our own encoder (`towerwatch_rrc::gsm::encode`, TS
//! 44.018 §9.1.31–9.1.36), scheduled on BCCH Norm by TC = (FN div 51) mod 8
//! (TS 45.002 §6.3.1.3), GMSK-modulated by the dsp test transmitter with a
//! frequency offset and noise, written as a cf32 SigMF recording.

use std::path::{Path, PathBuf};
use towerwatch_dsp::gsm::multiframe::{bcch_tc, Ts0Channel};
use towerwatch_dsp::gsm::tx::channel::{add_noise_es_n0, apply_cfo, Rng};
use towerwatch_dsp::gsm::tx::{FrameModulator, Ts0Config, Ts0Generator};
use towerwatch_dsp::gsm::SYMBOL_RATE;
use towerwatch_dsp::signal::resample::Resampler;
use towerwatch_models::gsm::{
    CellOptions, CellSelection, ControlChannel, RachControl, SelectionParameters, Si1, Si2, Si3,
    Si4,
};
use towerwatch_rrc::gsm::encode;

/// ARFCN, carrier frequency, NCC and BCC of the simulated cell.
pub const ARFCN: u16 = 725;
pub const FREQ_HZ: f64 = 1_847.8e6;
pub const NCC: u8 = 3;
pub const BCC: u8 = 5;
/// Carrier offset applied, Hz.
pub const CFO_HZ: f64 = 3_000.0;
/// Sample rate of the recording.
pub const RATE: f64 = 500e3;

/// The cell's system information, as the decoder reports it.
pub fn system_info() -> (Si1, Si2, Si3, Si4) {
    let rach = RachControl {
        max_retrans: 4,
        tx_integer_slots: 32,
        cell_barred: false,
        call_reestablishment_allowed: true,
        emergency_calls_restricted: false,
        barred_access_classes: vec![],
    };
    let cs = CellSelection {
        cell_reselect_hysteresis_db: 4,
        ms_txpwr_max_cch: 0,
        acs: false,
        neci: true,
        rxlev_access_min: 8,
        rxlev_access_min_dbm: -103,
    };
    let sel = SelectionParameters {
        cbq: Some(0),
        cell_reselect_offset_db: Some(20),
        temporary_offset: Some(2),
        temporary_offset_db: Some(20),
        penalty_time: Some(1),
        penalty_time_s: Some(40),
        power_offset_db: None,
        gprs_ra_colour: None,
        si13_position: None,
    };
    let si1 = Si1 {
        cell_channels: vec![ARFCN],
        rach: rach.clone(),
        nch_position: None,
        band_indicator: Some("dcs1800".into()),
    };
    let si2 = Si2 {
        neighbours: vec![700, 730, 733, 741],
        ba_ind: 0,
        ext_ind: false,
        ncc_permitted: 0xFF,
        rach: rach.clone(),
    };
    let si3 = Si3 {
        cell_identity: 54_321,
        mcc: "001".into(),
        mnc: "01".into(),
        lac: 4_321,
        control_channel: ControlChannel {
            mscr: true,
            att: true,
            bs_ag_blks_res: 1,
            ccch_conf: 0,
            cbq3: 0,
            bs_pa_mfrms: 4,
            t3212_decihours: 30,
        },
        cell_options: CellOptions {
            pwrc: false,
            dtx: 2,
            radio_link_timeout: 32,
        },
        cell_selection: cs.clone(),
        rach: rach.clone(),
        selection: sel.clone(),
        si2ter_indicator: Some(false),
        early_classmark_sending: Some(true),
        scheduling_where: None,
        early_classmark_restriction_3g: Some(false),
        si2quater_indicator: Some(false),
        si2quater_position: None,
    };
    let si4 = Si4 {
        mcc: "001".into(),
        mnc: "01".into(),
        lac: 4_321,
        cell_selection: cs,
        rach,
        cbch_present: false,
        selection: sel,
    };
    (si1, si2, si3, si4)
}

/// The L2 fill frame sent on BCCH at TC 4 and 5 (TS 44.006 §5.4.2.3: pseudo length 0, then 0x2B).
pub const FILL: [u8; 23] = {
    let mut f = [0x2B; 23];
    f[0] = 0x01;
    f
};

/// What idle CCCH blocks carry, as a real BTS sends it: PAGING REQUEST TYPE 1
/// with the "no identity" filler (TS 44.018 §9.1.22).
pub const EMPTY_PAGING: [u8; 23] = {
    let mut f = [0x2B; 23];
    let p = [0x15, 0x06, 0x21, 0x00, 0x01, 0xF0];
    let mut i = 0;
    while i < p.len() {
        f[i] = p[i];
        i += 1;
    }
    f
};

/// The four encoded frames (SI1, SI2, SI3, SI4).
pub fn frames() -> [[u8; 23]; 4] {
    let (si1, si2, si3, si4) = system_info();
    [
        encode::si1(&si1, None).unwrap(),
        encode::si2(&si2, None).unwrap(),
        encode::si3(&si3).unwrap(),
        encode::si4(&si4).unwrap(),
    ]
}

/// Writes `NAME.sigmf-meta` / `NAME.sigmf-data` (cf32_le, 500 ksps) into
/// `dir`: a whole BCCH cycle and more (8 × 51 + 60 frames, 2.16 s) at
/// Es/N0 25 dB. Returns the meta path.
pub fn write_recording(dir: &Path, name: &str) -> PathBuf {
    let [si1, si2, si3, si4] = frames();
    let content = move |first: u32, ch: Ts0Channel| match ch {
        Ts0Channel::Bcch => match bcch_tc(first) {
            0 => Some(si1),
            1 => Some(si2),
            2 | 6 => Some(si3),
            3 | 7 => Some(si4),
            _ => Some(FILL),
        },
        _ => Some(EMPTY_PAGING),
    };
    let cfg = Ts0Config {
        ncc: NCC,
        bcc: BCC,
        combined: false,
    };
    let frames = Ts0Generator::new(cfg, content).frames(51 * 4000 + 20, 8 * 51 + 60, false);
    let mut x = Vec::new();
    FrameModulator::new(4).modulate(&frames, 0.5, &mut x);
    let mut y = Vec::new();
    Resampler::new(4.0 * SYMBOL_RATE, RATE)
        .unwrap()
        .process(&x, &mut y);
    apply_cfo(&mut y, CFO_HZ, RATE, 0.3);
    add_noise_es_n0(&mut y, 25.0, RATE, &mut Rng::new(5));
    let data: Vec<u8> = y
        .iter()
        .flat_map(|c| [c.re.to_le_bytes(), c.im.to_le_bytes()])
        .flatten()
        .collect();
    std::fs::write(dir.join(format!("{name}.sigmf-data")), data).unwrap();
    let meta = serde_json::json!({
        "global": {
            "core:datatype": "cf32_le",
            "core:sample_rate": RATE,
            "core:version": "1.2.0",
            "core:description": "simulated GSM cell (towerwatch test transmitter)"
        },
        "captures": [{"core:sample_start": 0, "core:frequency": FREQ_HZ,
                      "core:datetime": "2026-11-21T23:40:00Z"}],
        "annotations": []
    });
    let p = dir.join(format!("{name}.sigmf-meta"));
    std::fs::write(&p, serde_json::to_string_pretty(&meta).unwrap()).unwrap();
    p
}
