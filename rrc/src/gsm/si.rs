//! System information messages on BCCH: TS 44.018 §9.1.31–9.1.36, §9.1.43a,
//! their IEs (§10.5.1.1, §10.5.1.3, §10.5.2.1b, §10.5.2.3, §10.5.2.4,
//! §10.5.2.11, §10.5.2.22, §10.5.2.22a, §10.5.2.27, §10.5.2.29) and rest
//! octets (§10.5.2.32–§10.5.2.37b, CSN.1 with L/H relative to 0x2B).
//!
//! Bodies start after the message type octet. Mandatory parts must be
//! complete; rest octets are decoded as far as they go (a truncated or
//! unusual rest octet leaves later fields absent instead of failing).

use super::bits::BitReader;
use super::freq_list;
use super::GsmRrError;
use towerwatch_models::gsm::{
    CellOptions, CellSelection, ControlChannel, RachControl, SelectionParameters, Si1, Si13, Si2,
    Si2bis, Si2quater, Si2ter, Si3, Si4,
};

fn need(body: &[u8], n: usize) -> Result<(), GsmRrError> {
    if body.len() < n {
        Err(GsmRrError::TooShort {
            need: n + 2,
            got: body.len() + 2,
        })
    } else {
        Ok(())
    }
}

fn octets<const N: usize>(body: &[u8], at: usize) -> Result<[u8; N], GsmRrError> {
    body.get(at..at + N)
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or(GsmRrError::TooShort {
            need: at + N + 2,
            got: body.len() + 2,
        })
}

/// RACH Control Parameters, §10.5.2.29.
pub(crate) fn rach_control(o: [u8; 3]) -> RachControl {
    const MAX_RETRANS: [u8; 4] = [1, 2, 4, 7];
    const TX_INTEGER: [u8; 16] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 20, 25, 32, 50];
    let ac = (u16::from(o[1]) << 8) | u16::from(o[2]);
    RachControl {
        max_retrans: MAX_RETRANS[usize::from(o[0] >> 6)],
        tx_integer_slots: TX_INTEGER[usize::from((o[0] >> 2) & 0x0F)],
        cell_barred: o[0] & 0b10 != 0,
        call_reestablishment_allowed: o[0] & 0b01 == 0,
        emergency_calls_restricted: ac & (1 << 10) != 0,
        barred_access_classes: (0u8..16)
            .filter(|&c| c != 10 && ac & (1 << c) != 0)
            .collect(),
    }
}

/// Location Area Identification, TS 24.008 §10.5.1.3: (MCC, MNC, LAC).
pub(crate) fn lai(o: [u8; 5]) -> Result<(String, String, u16), GsmRrError> {
    let digit = |d: u8| -> Result<char, GsmRrError> {
        char::from_digit(u32::from(d), 10).ok_or(GsmRrError::Invalid {
            field: "MCC/MNC digit",
            value: u32::from(d),
        })
    };
    let mcc: String = [o[0] & 0x0F, o[0] >> 4, o[1] & 0x0F]
        .into_iter()
        .map(digit)
        .collect::<Result<_, _>>()?;
    let mnc3 = o[1] >> 4;
    let mut mnc: String = [o[2] & 0x0F, o[2] >> 4]
        .into_iter()
        .map(digit)
        .collect::<Result<_, _>>()?;
    if mnc3 != 0x0F {
        mnc.push(digit(mnc3)?);
    }
    let lac = (u16::from(o[3]) << 8) | u16::from(o[4]);
    Ok((mcc, mnc, lac))
}

/// Cell Selection Parameters, §10.5.2.4.
fn cell_selection(o: [u8; 2]) -> CellSelection {
    let rxlev = o[1] & 0x3F;
    CellSelection {
        cell_reselect_hysteresis_db: (o[0] >> 5) * 2,
        ms_txpwr_max_cch: o[0] & 0x1F,
        acs: o[1] & 0x80 != 0,
        neci: o[1] & 0x40 != 0,
        rxlev_access_min: rxlev,
        rxlev_access_min_dbm: -111 + i16::from(rxlev),
    }
}

/// Control Channel Description, §10.5.2.11.
fn control_channel(o: [u8; 3]) -> Result<ControlChannel, GsmRrError> {
    let ccch_conf = o[0] & 0x07;
    if !matches!(ccch_conf, 0 | 1 | 2 | 4 | 6) {
        return Err(GsmRrError::Invalid {
            field: "CCCH-CONF",
            value: u32::from(ccch_conf),
        });
    }
    Ok(ControlChannel {
        mscr: o[0] & 0x80 != 0,
        att: o[0] & 0x40 != 0,
        bs_ag_blks_res: (o[0] >> 3) & 0x07,
        ccch_conf,
        cbq3: (o[1] >> 5) & 0x03,
        bs_pa_mfrms: (o[1] & 0x07) + 2,
        t3212_decihours: o[2],
    })
}

/// Cell Options (BCCH), §10.5.2.3.
fn cell_options(o: u8) -> CellOptions {
    CellOptions {
        pwrc: o & 0x40 != 0,
        dtx: (o >> 4) & 0x03,
        radio_link_timeout: ((o & 0x0F) + 1) * 4,
    }
}

/// A 16-octet frequency list IE (§10.5.2.1b / §10.5.2.22 / §10.5.2.22a).
fn freq16(body: &[u8], at: usize, clear_bit7: bool) -> Result<(u8, Vec<u16>), GsmRrError> {
    let mut v: [u8; 16] = octets(body, at)?;
    let first = v[0];
    if clear_bit7 {
        v[0] &= !0x40;
    }
    Ok((first, freq_list::decode(&v)?.arfcns))
}

/// SYSTEM INFORMATION TYPE 1, §9.1.31: Cell Channel Description, RACH control, rest octets.
pub(crate) fn si1(body: &[u8]) -> Result<Si1, GsmRrError> {
    need(body, 19)?;
    let (_, cell_channels) = freq16(body, 0, false)?;
    let mut si = Si1 {
        cell_channels,
        rach: rach_control(octets(body, 16)?),
        ..Si1::default()
    };
    // SI1 rest octets, §10.5.2.32: { L | H <NCH Position : bit (5)> } <BAND_INDICATOR>.
    let mut r = BitReader::new(body.get(19..).unwrap_or(&[]));
    let _ = (|| -> Result<(), GsmRrError> {
        if r.h()? {
            si.nch_position = Some(r.u8(5)?);
        }
        si.band_indicator = Some(if r.h()? { "pcs1900" } else { "dcs1800" }.to_string());
        Ok(())
    })();
    Ok(si)
}

/// SYSTEM INFORMATION TYPE 2, §9.1.32.
pub(crate) fn si2(body: &[u8]) -> Result<Si2, GsmRrError> {
    need(body, 20)?;
    let (first, neighbours) = freq16(body, 0, false)?;
    let [ncc] = octets::<1>(body, 16)?;
    Ok(Si2 {
        neighbours,
        ext_ind: first & 0x20 != 0,
        ba_ind: (first >> 4) & 1,
        ncc_permitted: ncc,
        rach: rach_control(octets(body, 17)?),
    })
}

/// SYSTEM INFORMATION TYPE 2bis, §9.1.33.
pub(crate) fn si2bis(body: &[u8]) -> Result<Si2bis, GsmRrError> {
    need(body, 19)?;
    let (first, neighbours) = freq16(body, 0, false)?;
    Ok(Si2bis {
        neighbours,
        ext_ind: first & 0x20 != 0,
        ba_ind: (first >> 4) & 1,
        rach: rach_control(octets(body, 16)?),
    })
}

/// SYSTEM INFORMATION TYPE 2ter, §9.1.34 (Neighbour Cell Description 2, §10.5.2.22a).
pub(crate) fn si2ter(body: &[u8]) -> Result<Si2ter, GsmRrError> {
    need(body, 16)?;
    let (first, neighbours) = freq16(body, 0, true)?;
    let mut si = Si2ter {
        neighbours,
        multiband_reporting: (first >> 5) & 0x03,
        ba_ind: (first >> 4) & 1,
        ..Si2ter::default()
    };
    // SI2ter rest octets, §10.5.2.33a: { L | H <MP_CHANGE_MARK:1> <3G_CHANGE_MARK:1>
    // <SI2ter_INDEX:3> <SI2ter_COUNT:3> ... }.
    let mut r = BitReader::new(body.get(16..).unwrap_or(&[]));
    let _ = (|| -> Result<(), GsmRrError> {
        if r.h()? {
            let mp = r.u8(1)?;
            let g3 = r.u8(1)?;
            let index = r.u8(3)?;
            let count = r.u8(3)?;
            si.mp_change_mark = Some(mp);
            si.change_mark_3g = Some(g3);
            si.index = Some(index);
            si.count = Some(count);
        }
        Ok(())
    })();
    Ok(si)
}

/// SYSTEM INFORMATION TYPE 2quater, §9.1.34a, rest octets §10.5.2.33b.
///
/// The header (BA_IND, 3G_BA_IND, MP_CHANGE_MARK, index, count) and the
/// Measurement_Parameters Description are decoded; the presence of the later
/// descriptions is listed until one that this decoder does not walk through.
pub(crate) fn si2quater(body: &[u8]) -> Result<Si2quater, GsmRrError> {
    let mut r = BitReader::new(body);
    let mut si = Si2quater {
        ba_ind: r.u8(1)?,
        ba_ind_3g: r.u8(1)?,
        mp_change_mark: r.u8(1)?,
        index: r.u8(4)?,
        count: r.u8(4)?,
        ..Si2quater::default()
    };
    let _ = (|| -> Result<(), GsmRrError> {
        if r.flag()? {
            si.report_type = Some(r.u8(1)?);
            si.serving_band_reporting = Some(r.u8(2)?);
        }
        // The remaining top-level optional descriptions in order. Those we can
        // skip over by length are skipped; at the first we cannot, stop.
        let present = |si: &mut Si2quater, name: &str| si.present.push(name.to_string());
        if r.flag()? {
            present(&mut si, "gprs_real_time_difference");
            return Ok(());
        }
        if r.flag()? {
            present(&mut si, "gprs_bsic");
            return Ok(());
        }
        if r.flag()? {
            present(&mut si, "gprs_report_priority");
            // < Number_Cells : bit (7) > { REP_PRIORITY : bit } * (val(Number_Cells))
            let n = r.bits(7)? as usize;
            r.skip(n)?;
        }
        if r.flag()? {
            present(&mut si, "gprs_measurement_parameters");
            return Ok(());
        }
        if r.flag()? {
            present(&mut si, "nc_measurement_parameters");
            // < NETWORK_CONTROL_ORDER : bit (2) > { 0 | 1 < NC_NON_DRX_PERIOD : bit (3) >
            //   < NC_REPORTING_PERIOD_I : bit (3) > < NC_REPORTING_PERIOD_T : bit (3) > }
            r.skip(2)?;
            if r.flag()? {
                r.skip(9)?;
            }
        }
        if r.flag()? {
            present(&mut si, "si2q_extension");
            let len = r.bits(8)? as usize;
            r.skip(len + 1)?;
        }
        if r.flag()? {
            present(&mut si, "3g_neighbour_cells");
            return Ok(());
        }
        if r.flag()? {
            present(&mut si, "3g_measurement_parameters");
            return Ok(());
        }
        if r.flag()? {
            present(&mut si, "gprs_3g_measurement_parameters");
            return Ok(());
        }
        Ok(())
    })();
    Ok(si)
}

/// Optional selection parameter and optional power offset (§10.5.2.34/35).
fn selection_params(r: &mut BitReader<'_>, s: &mut SelectionParameters) -> Result<(), GsmRrError> {
    if r.h()? {
        let cbq = r.u8(1)?;
        let cro = r.u8(6)?;
        let to = r.u8(3)?;
        let pt = r.u8(5)?;
        s.cbq = Some(cbq);
        s.cell_reselect_offset_db = Some(cro * 2);
        s.temporary_offset = Some(to);
        s.temporary_offset_db = (to < 7).then_some(to * 10);
        s.penalty_time = Some(pt);
        s.penalty_time_s = (pt < 31).then_some((u16::from(pt) + 1) * 20);
    }
    if r.h()? {
        s.power_offset_db = Some(r.u8(2)? * 2);
    }
    Ok(())
}

/// GPRS Indicator: < RA COLOUR : bit (3) > < SI13 POSITION : bit >.
fn gprs_indicator(r: &mut BitReader<'_>, s: &mut SelectionParameters) -> Result<(), GsmRrError> {
    let colour = r.u8(3)?;
    let pos = r.u8(1)?;
    s.gprs_ra_colour = Some(colour);
    s.si13_position = Some(pos);
    Ok(())
}

/// SYSTEM INFORMATION TYPE 3, §9.1.35.
pub(crate) fn si3(body: &[u8]) -> Result<Si3, GsmRrError> {
    need(body, 16)?;
    let ci: [u8; 2] = octets(body, 0)?;
    let (mcc, mnc, lac) = lai(octets(body, 2)?)?;
    let [opts] = octets::<1>(body, 10)?;
    let mut si = Si3 {
        cell_identity: u16::from_be_bytes(ci),
        mcc,
        mnc,
        lac,
        control_channel: control_channel(octets(body, 7)?)?,
        cell_options: cell_options(opts),
        cell_selection: cell_selection(octets(body, 11)?),
        rach: rach_control(octets(body, 13)?),
        ..Si3::default()
    };
    // SI3 rest octets, §10.5.2.34.
    let mut r = BitReader::new(body.get(16..).unwrap_or(&[]));
    let _ = (|| -> Result<(), GsmRrError> {
        selection_params(&mut r, &mut si.selection)?;
        si.si2ter_indicator = Some(r.h()?);
        si.early_classmark_sending = Some(r.h()?);
        if r.h()? {
            si.scheduling_where = Some(r.u8(3)?);
        }
        if r.h()? {
            gprs_indicator(&mut r, &mut si.selection)?;
        }
        si.early_classmark_restriction_3g = Some(r.h()?);
        let si2q = r.h()?;
        si.si2quater_indicator = Some(si2q);
        if si2q {
            si.si2quater_position = Some(r.u8(1)?);
        }
        Ok(())
    })();
    Ok(si)
}

/// SYSTEM INFORMATION TYPE 4, §9.1.36. `in_len` is how many body octets lie
/// inside the L2 pseudo length (the optional CBCH IEs are there; rest octets follow).
pub(crate) fn si4(body: &[u8], in_len: usize) -> Result<Si4, GsmRrError> {
    need(body, 10)?;
    let (mcc, mnc, lac) = lai(octets(body, 0)?)?;
    let mut si = Si4 {
        mcc,
        mnc,
        lac,
        cell_selection: cell_selection(octets(body, 5)?),
        rach: rach_control(octets(body, 7)?),
        ..Si4::default()
    };
    let mut at = 10;
    // Optional CBCH Channel Description (TV, IEI 0x64, 4 octets, §10.5.2.5).
    if at < in_len && body.get(at) == Some(&0x64) {
        si.cbch_present = true;
        at += 4;
        // Optional CBCH Mobile Allocation (TLV, IEI 0x72, §10.5.2.21).
        if at < in_len && body.get(at) == Some(&0x72) {
            let len = usize::from(*body.get(at + 1).unwrap_or(&0));
            at += 2 + len;
        }
    }
    // SI4 rest octets, §10.5.2.35: < SI4 rest octets_O > ...
    let mut r = BitReader::new(body.get(at..).unwrap_or(&[]));
    let _ = (|| -> Result<(), GsmRrError> {
        selection_params(&mut r, &mut si.selection)?;
        if r.h()? {
            gprs_indicator(&mut r, &mut si.selection)?;
        }
        Ok(())
    })();
    Ok(si)
}

/// SYSTEM INFORMATION TYPE 13, §9.1.43a: only rest octets (§10.5.2.37b).
/// Never fails: an empty or short rest octet string decodes to fewer fields.
pub(crate) fn si13(body: &[u8]) -> Si13 {
    let mut si = Si13::default();
    let mut r = BitReader::new(body);
    let _ = si13_rest(&mut r, &mut si);
    si
}

fn si13_rest(r: &mut BitReader<'_>, si: &mut Si13) -> Result<(), GsmRrError> {
    if !r.h()? {
        return Ok(());
    }
    si.bcch_change_mark = Some(r.u8(3)?);
    si.si_change_field = Some(r.u8(4)?);
    if r.flag()? {
        si.si13_change_mark = Some(r.u8(2)?);
        gprs_mobile_allocation(r)?;
    }
    let pbcch = r.flag()?;
    si.pbcch_present = Some(pbcch);
    if !pbcch {
        si.rac = Some(r.u8(8)?);
        si.spgc_ccch_sup = Some(r.flag()?);
        si.priority_access_thr = Some(r.u8(3)?);
        si.network_control_order = Some(r.u8(2)?);
        gprs_cell_options(r, si)?;
        // GPRS Power Control Parameters (TS 44.060 §12.13 as used by §10.5.2.37b):
        // ALPHA 4, T_AVG_W 5, T_AVG_T 5, PC_MEAS_CHAN 1, N_AVG_I 4.
        si.alpha = Some(r.u8(4)?);
        r.skip(15)?;
    } else {
        // PSI1_REPEAT_PERIOD 4, PBCCH Description: Pb 4, TSC 3, TN 3,
        // { 0 | 10 < ARFCN : bit (10) > | 11 < MAIO : bit (6) > }.
        r.skip(4 + 4 + 3 + 3)?;
        if r.flag()? {
            let n = if r.flag()? { 6 } else { 10 };
            r.skip(n)?;
        }
    }
    // { null | L | H < Release 99 additions: SGSNR > { null | L | H < SI_STATUS_IND > ... } }
    if r.h_or_end()? {
        si.sgsnr = Some(r.flag()?);
        if r.h_or_end()? {
            si.si_status_ind = Some(r.flag()?);
        }
    }
    Ok(())
}

/// GPRS Mobile Allocation, TS 44.060 §12.10 (skipped).
fn gprs_mobile_allocation(r: &mut BitReader<'_>) -> Result<(), GsmRrError> {
    r.skip(6)?; // HSN
    if r.flag()? {
        // RFL number list: < RFL_NUMBER : bit (4) > { 0 | 1 < RFL number list > }
        loop {
            r.skip(4)?;
            if !r.flag()? {
                break;
            }
        }
    }
    if !r.flag()? {
        let len = r.bits(6)? as usize;
        r.skip(len + 1)?; // MA_BITMAP
    } else if r.flag()? {
        // ARFCN index list: < ARFCN_INDEX : bit (6) > { 0 | 1 < ARFCN index list > }
        loop {
            r.skip(6)?;
            if !r.flag()? {
                break;
            }
        }
    }
    Ok(())
}

/// GPRS Cell Options, TS 44.060 §12.24.
fn gprs_cell_options(r: &mut BitReader<'_>, si: &mut Si13) -> Result<(), GsmRrError> {
    const T3192_MS: [u16; 8] = [500, 1000, 1500, 0, 80, 120, 160, 200];
    let nmo = r.u8(2)?;
    si.network_mode_of_operation = (nmo < 3).then_some(nmo + 1);
    si.t3168_ms = Some((u16::from(r.u8(3)?) + 1) * 500);
    si.t3192_ms = T3192_MS.get(usize::from(r.u8(3)?)).copied();
    si.drx_timer_max = Some(r.u8(3)?);
    r.skip(2)?; // ACCESS_BURST_TYPE, CONTROL_ACK_TYPE
    si.bs_cv_max = Some(r.u8(4)?);
    if r.flag()? {
        r.skip(9)?; // PAN_DEC, PAN_INC, PAN_MAX
    }
    if r.flag()? {
        let len = r.bits(6)? as usize + 1;
        let mut ext = r.take(len)?;
        // Extension Information: { 0 | 1 < EGPRS_PACKET_CHANNEL_REQUEST > < BEP_PERIOD : 4 > }
        // < PFC_FEATURE_MODE > < DTM_SUPPORT > < BSS_PAGING_COORDINATION >
        // < CCN_ACTIVE > < NW_EXT_UTBF > ...
        let _ = (|| -> Result<(), GsmRrError> {
            let egprs = ext.flag()?;
            si.egprs_supported = Some(egprs);
            if egprs {
                ext.skip(5)?;
            }
            ext.skip(1)?;
            si.dtm_supported = Some(ext.flag()?);
            ext.skip(1)?;
            si.ccn_active = Some(ext.flag()?);
            Ok(())
        })();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lai_two_and_three_digit_mnc() {
        assert_eq!(
            lai([0x62, 0xF2, 0x20, 0x01, 0x3E]).unwrap(),
            ("262".into(), "02".into(), 318)
        );
        // MCC 310, MNC 410 (3 digits): 13 00 14 -> octet 2 high nibble = MNC digit 3.
        assert_eq!(
            lai([0x13, 0x00, 0x14, 0xFF, 0xFE]).unwrap(),
            ("310".into(), "410".into(), 0xFFFE)
        );
        assert!(lai([0x6A, 0xF2, 0x20, 0, 0]).is_err());
    }

    #[test]
    fn rach_control_fields() {
        let r = rach_control([0xB9, 0x00, 0x00]);
        assert_eq!(r.max_retrans, 4);
        assert_eq!(r.tx_integer_slots, 32);
        assert!(!r.cell_barred);
        assert!(!r.call_reestablishment_allowed);
        assert!(r.barred_access_classes.is_empty());
        let r = rach_control([0x02, 0x84, 0x01]);
        assert!(r.cell_barred);
        assert!(r.emergency_calls_restricted);
        assert_eq!(r.barred_access_classes, vec![0, 15]);
    }
}
