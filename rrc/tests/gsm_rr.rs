//! GSM RR decoding against real messages: the L3 blocks gr-gsm decoded from a
//! Vodafone DE DCS1800 cell (`testdata/gsm/vf_call6_bursts_BCCH_ts0.grgsm_decode.txt`),
//! with expectations from the truth file and Wireshark 4.0's dissection of the same frames.

use std::path::PathBuf;
use towerwatch_rrc::gsm::{decode_ccch_frame, GsmRrError, MobileIdentityKind, RrMessage};

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/gsm")
        .join(name)
}

/// Every (FN, frame) of gr-gsm's decode.
fn grgsm_frames() -> Vec<(u32, Vec<u8>)> {
    let text =
        std::fs::read_to_string(testdata("vf_call6_bursts_BCCH_ts0.grgsm_decode.txt")).unwrap();
    text.lines()
        .filter_map(|l| {
            let (head, hexpart) = l.split_once(':')?;
            let fn_ = head.split_whitespace().next()?.parse().ok()?;
            let bytes = hex::decode(hexpart.split_whitespace().collect::<String>()).ok()?;
            (bytes.len() == 23).then_some((fn_, bytes))
        })
        .collect()
}

fn frame(hex_str: &str) -> Vec<u8> {
    hex::decode(hex_str.replace(' ', "")).unwrap()
}

fn truth() -> serde_json::Value {
    let t = std::fs::read_to_string(testdata("vodafone_dcs1800_arfcn725.bursts.bz2.truth.json"))
        .unwrap();
    serde_json::from_str(&t).unwrap()
}

#[test]
fn si3_matches_truth() {
    let t = truth();
    let exp = &t["expected"]["SI3"];
    let raw = frame(t["expected"]["raw_SI3_hex"].as_str().unwrap());
    let RrMessage::Si3(si3) = decode_ccch_frame(&raw).unwrap() else {
        panic!("not SI3")
    };
    assert_eq!(si3.mcc, exp["mcc"].as_u64().unwrap().to_string());
    assert_eq!(si3.mnc, exp["mnc"].as_str().unwrap());
    assert_eq!(u64::from(si3.lac), exp["lac"].as_u64().unwrap());
    assert_eq!(
        u64::from(si3.cell_identity),
        exp["cell_id"].as_u64().unwrap()
    );
    // "1 basic CCCH not combined (0)": the coded value is in parentheses.
    let ccch = exp["ccch_conf"].as_str().unwrap();
    let coded: u8 = ccch[ccch.find('(').unwrap() + 1..ccch.find(')').unwrap()]
        .parse()
        .unwrap();
    assert_eq!(si3.control_channel.ccch_conf, coded);
    // BS-PA-MFRMS: the octet is 0x07 (coded 7 = 9 multiframes, §10.5.2.11). The truth's 1
    // is Wireshark 4.0's display, which adds 2 and then masks with the 3-bit field mask
    // ((7 + 2) & 7 = 1, shown as ".... .001"). Check both against the raw octet.
    let coded = raw[11] & 0x07;
    assert_eq!(si3.control_channel.bs_pa_mfrms, coded + 2);
    assert_eq!(
        u64::from((coded + 2) & 0x07),
        exp["bs_pa_mfrms"].as_u64().unwrap()
    );
    assert_eq!(
        u64::from(si3.control_channel.t3212_decihours),
        exp["t3212"].as_u64().unwrap()
    );
    assert_eq!(
        u64::from(si3.cell_selection.rxlev_access_min),
        exp["rxlev_access_min"].as_u64().unwrap()
    );
    // Wireshark: "-102 <= x < -101 dBm (9)".
    assert_eq!(si3.cell_selection.rxlev_access_min_dbm, -102);
    // Hysteresis coded 3 = 6 dB (§10.5.2.4).
    assert_eq!(
        u64::from(si3.cell_selection.cell_reselect_hysteresis_db),
        exp["cell_reselect_hysteresis"].as_u64().unwrap() * 2
    );
    assert_eq!(
        si3.selection.gprs_ra_colour.map(u64::from),
        exp["gprs_ra_colour"].as_u64()
    );
    assert_eq!(si3.selection.cbq.map(u64::from), exp["cbq"].as_u64());
    // CELL_RESELECT_OFFSET coded 40 = 80 dB (§10.5.2.34, Wireshark "80 dB (40)").
    assert_eq!(
        si3.selection.cell_reselect_offset_db.map(u64::from),
        exp["cell_reselect_offset"].as_u64().map(|v| v * 2)
    );
    assert_eq!(
        si3.selection.penalty_time.map(u64::from),
        exp["penalty_time"].as_u64()
    );
    // The rest as Wireshark dissects it.
    assert!(si3.control_channel.att && si3.control_channel.mscr);
    assert_eq!(si3.control_channel.bs_ag_blks_res, 1);
    assert_eq!(si3.cell_options.dtx, 1);
    assert_eq!(si3.cell_options.radio_link_timeout, 24);
    assert!(!si3.cell_options.pwrc);
    assert_eq!(si3.rach.max_retrans, 4);
    assert_eq!(si3.rach.tx_integer_slots, 32);
    assert!(!si3.rach.cell_barred);
    assert!(!si3.rach.call_reestablishment_allowed);
    assert_eq!(si3.selection.temporary_offset_db, Some(0));
    assert_eq!(si3.selection.penalty_time_s, None);
    assert_eq!(si3.selection.power_offset_db, None);
    assert_eq!(si3.si2ter_indicator, Some(true));
    assert_eq!(si3.early_classmark_sending, Some(true));
    assert_eq!(si3.scheduling_where, None);
    assert_eq!(si3.selection.si13_position, Some(0));
    assert_eq!(si3.early_classmark_restriction_3g, Some(false));
    assert_eq!(si3.si2quater_indicator, Some(true));
    assert_eq!(si3.si2quater_position, Some(1));
}

#[test]
fn every_si_type_matches_truth() {
    let t = truth();
    let e = &t["expected"];
    let frames = grgsm_frames();
    assert_eq!(frames.len(), 399);
    let (info, failed) =
        towerwatch_rrc::gsm::collect_system_info(frames.iter().map(|(_, f)| f.as_slice()));
    assert_eq!(failed, 0);
    let arfcns = |v: &serde_json::Value| -> Vec<u16> {
        let mut a: Vec<u16> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u16)
            .collect();
        a.sort_unstable();
        a
    };
    let si1 = info.si1.as_ref().unwrap();
    assert_eq!(
        si1.cell_channels,
        arfcns(&e["SI1"]["cell_channel_description_arfcns"])
    );
    let band = e["SI1"]["band_indicator"].as_str().unwrap();
    assert_eq!(
        si1.band_indicator.as_deref(),
        Some(format!("dcs{band}").as_str())
    );
    assert_eq!(si1.nch_position, Some(0));

    let si2 = info.si2.as_ref().unwrap();
    assert_eq!(si2.neighbours, arfcns(&e["SI2"]["neighbour_arfcns"]));
    assert_eq!(u64::from(si2.ba_ind), e["SI2"]["ba_ind"].as_u64().unwrap());
    let ncc = e["SI2"]["ncc_permitted"].as_str().unwrap();
    assert_eq!(
        si2.ncc_permitted,
        u8::from_str_radix(ncc.trim_start_matches("0x"), 16).unwrap()
    );
    assert!(!si2.ext_ind);

    let si2ter = info.si2ter.as_ref().unwrap();
    assert_eq!(si2ter.neighbours, arfcns(&e["SI2ter"]["neighbour_arfcns"]));
    assert_eq!(si2ter.multiband_reporting, 3);
    assert_eq!(si2ter.mp_change_mark, None);

    let si3 = info.si3.as_ref().unwrap();
    let si4 = info.si4.as_ref().unwrap();
    assert_eq!(si4.mcc, e["SI4"]["mcc"].as_u64().unwrap().to_string());
    assert_eq!(si4.mnc, e["SI4"]["mnc"].as_str().unwrap());
    assert_eq!(u64::from(si4.lac), e["SI4"]["lac"].as_u64().unwrap());
    assert_eq!(si4.cell_selection, si3.cell_selection);
    assert_eq!(si4.rach, si3.rach);
    assert_eq!(si4.selection, si3.selection);
    assert!(!si4.cbch_present);

    let si13 = info.si13.as_ref().unwrap();
    assert_eq!(si13.rac.map(u64::from), e["SI13"]["rac"].as_u64());
    assert_eq!(
        si13.egprs_supported,
        Some(e["SI13"]["egprs"].as_str() != Some("not supported"))
    );
    // Wireshark's dissection of the same SI13.
    assert_eq!(si13.bcch_change_mark, Some(4));
    assert_eq!(si13.si_change_field, Some(0));
    assert_eq!(si13.pbcch_present, Some(false));
    assert_eq!(si13.spgc_ccch_sup, Some(false));
    assert_eq!(si13.priority_access_thr, Some(6));
    assert_eq!(si13.network_control_order, Some(0));
    assert_eq!(si13.network_mode_of_operation, Some(2));
    assert_eq!(si13.t3168_ms, Some(500));
    assert_eq!(si13.t3192_ms, Some(200));
    assert_eq!(si13.drx_timer_max, Some(7));
    assert_eq!(si13.bs_cv_max, Some(6));
    assert_eq!(si13.dtm_supported, Some(false));
    assert_eq!(si13.ccn_active, Some(true));
    assert_eq!(si13.alpha, Some(0));
    assert_eq!(si13.sgsnr, Some(true));
    assert_eq!(si13.si_status_ind, Some(true));

    let si2q = info.si2quater.as_ref().unwrap();
    assert_eq!(
        (
            si2q.ba_ind,
            si2q.ba_ind_3g,
            si2q.mp_change_mark,
            si2q.index,
            si2q.count
        ),
        (0, 0, 1, 0, 0)
    );
    assert_eq!(si2q.present, vec!["si2q_extension".to_string()]);
    assert!(info.si2bis.is_none());

    // It serialises as WIRE.md's `system_info.si3` etc.
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(json["si3"]["mcc"], "262");
    assert_eq!(json["si3"]["cell_reselect_offset_db"], 80);
    assert_eq!(json["si3"]["t3212_decihours"], 10);
    assert_eq!(json["si2"]["neighbours"][0], 730);
    assert!(json["si3"].get("scheduling_where").is_none());
}

#[test]
fn ccch_messages_are_identified() {
    let mut counts = std::collections::BTreeMap::new();
    let mut pages = 0;
    for (_, f) in grgsm_frames() {
        let m = decode_ccch_frame(&f).unwrap();
        if let RrMessage::Paging(p) = &m {
            pages += p.count();
        }
        *counts.entry(m.name()).or_insert(0) += 1;
    }
    // Wireshark's counts for these frames (tshark -V "Message Type" lines).
    assert_eq!(counts["PAGING REQUEST TYPE 1"], 318);
    assert_eq!(counts["PAGING REQUEST TYPE 2"], 2);
    assert_eq!(counts["NOTIFICATION/NCH"], 33);
    assert_eq!(counts["IMMEDIATE ASSIGNMENT"], 2);
    assert_eq!(counts["SYSTEM INFORMATION TYPE 3"], 9);
    assert_eq!(counts["SYSTEM INFORMATION TYPE 4"], 10);
    assert!(pages > 0);

    // A paging type 1 with one TMSI (frame at FN 860947).
    let m = decode_ccch_frame(&frame(
        "25 06 21 20 05 f4 01 4f af 9a 81 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b",
    ))
    .unwrap();
    let RrMessage::Paging(p) = m else { panic!() };
    assert_eq!(p.identities, vec![MobileIdentityKind::Tmsi]);
    // A filler page: "no identity".
    let m = decode_ccch_frame(&frame(
        "15 06 21 00 01 f0 8b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b",
    ))
    .unwrap();
    let RrMessage::Paging(p) = m else { panic!() };
    assert_eq!(p.count(), 0);
}

#[test]
fn fill_frame_and_errors() {
    let fill = frame("01 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b");
    assert_eq!(decode_ccch_frame(&fill).unwrap(), RrMessage::Fill);
    assert_eq!(
        decode_ccch_frame(&[]),
        Err(GsmRrError::TooShort { need: 3, got: 0 })
    );
    assert_eq!(
        decode_ccch_frame(&[0x02, 0x06, 0x1b]),
        Err(GsmRrError::BadPseudoLength(0x02))
    );
    assert_eq!(
        decode_ccch_frame(&[0x49, 0x05, 0x1b]),
        Err(GsmRrError::NotRr(5))
    );
    assert_eq!(
        decode_ccch_frame(&[0x49, 0x16, 0x1b]),
        Err(GsmRrError::SkipIndicator(1))
    );
    // A truncated SI3.
    let si3 = frame("49 06 1b 2b d9 62 f2 20 01 3e c8 07 0a 15 60 09 b9 00");
    assert!(matches!(
        decode_ccch_frame(&si3),
        Err(GsmRrError::TooShort { .. })
    ));
    // SI3 without rest octets: mandatory part only, rest-octet fields absent.
    let si3 = frame("49 06 1b 2b d9 62 f2 20 01 3e c8 07 0a 15 60 09 b9 00 00");
    let RrMessage::Si3(s) = decode_ccch_frame(&si3).unwrap() else {
        panic!()
    };
    assert_eq!(s.selection.cell_reselect_offset_db, None);
    assert_eq!(s.si2ter_indicator, None);
}

#[test]
fn hand_built_si3_with_three_digit_mnc_and_barring() {
    // MCC 310, MNC 410, LAC 0x1234, CI 0xBEEF, CCCH_CONF 1 (combined), BS_PA_MFRMS coded 7 (9),
    // T3212 0, cell barred, AC 2 and 11 barred, RXLEV-ACCESS-MIN 0; rest octets:
    // H CBQ 0 CRO 63 TO 7 PT 0 | H power offset 3 | L | L | H where 5 | L | L | L.
    let mut bits = String::new();
    // Bit values chosen against the 0x2B padding pattern 00101011.
    let h = |pos: usize| -> char {
        if (0x2Bu8 >> (7 - pos % 8)) & 1 == 1 {
            '0'
        } else {
            '1'
        }
    };
    let l = |pos: usize| -> char {
        if (0x2Bu8 >> (7 - pos % 8)) & 1 == 1 {
            '1'
        } else {
            '0'
        }
    };
    let push_h = |bits: &mut String, hi: bool| {
        let p = bits.len();
        bits.push(if hi { h(p) } else { l(p) });
    };
    push_h(&mut bits, true);
    bits.push_str("011111111100000");
    push_h(&mut bits, true);
    bits.push_str("11");
    push_h(&mut bits, false);
    push_h(&mut bits, false);
    push_h(&mut bits, true);
    bits.push_str("101");
    push_h(&mut bits, false);
    push_h(&mut bits, false);
    push_h(&mut bits, false);
    while bits.len() < 32 {
        let p = bits.len();
        bits.push(l(p));
    }
    let rest: Vec<u8> = (0..4)
        .map(|i| u8::from_str_radix(&bits[i * 8..i * 8 + 8], 2).unwrap())
        .collect();
    let mut f = vec![
        0x49, 0x06, 0x1b, 0xBE, 0xEF, 0x13, 0x00, 0x14, 0x12, 0x34, 0x01, 0x07, 0x00, 0x00, 0x00,
        0x00, 0x02, 0x08, 0x04,
    ];
    f.extend_from_slice(&rest);
    let RrMessage::Si3(s) = decode_ccch_frame(&f).unwrap() else {
        panic!()
    };
    assert_eq!(
        (s.mcc.as_str(), s.mnc.as_str(), s.lac, s.cell_identity),
        ("310", "410", 0x1234, 0xBEEF)
    );
    assert_eq!(s.control_channel.ccch_conf, 1);
    assert_eq!(s.control_channel.bs_pa_mfrms, 9);
    assert_eq!(s.control_channel.t3212_decihours, 0);
    assert!(s.rach.cell_barred);
    assert!(s.rach.call_reestablishment_allowed);
    assert_eq!(s.rach.barred_access_classes, vec![2, 11]);
    assert_eq!(s.cell_selection.rxlev_access_min_dbm, -111);
    assert_eq!(s.selection.cbq, Some(0));
    assert_eq!(s.selection.cell_reselect_offset_db, Some(126));
    assert_eq!(s.selection.temporary_offset, Some(7));
    assert_eq!(s.selection.temporary_offset_db, None);
    assert_eq!(s.selection.penalty_time_s, Some(20));
    assert_eq!(s.selection.power_offset_db, Some(6));
    assert_eq!(s.si2ter_indicator, Some(false));
    assert_eq!(s.scheduling_where, Some(5));
    assert_eq!(s.selection.gprs_ra_colour, None);
    assert_eq!(s.si2quater_indicator, Some(false));
}

mod fuzz {
    use proptest::prelude::*;
    use towerwatch_rrc::gsm::{decode_ccch_frame, decode_l3, freq_list};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn random_frames_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = decode_ccch_frame(&bytes);
            let _ = decode_l3(&bytes, None);
            let _ = decode_l3(&bytes, Some(bytes.first().map_or(0, |b| usize::from(b >> 2))));
            let _ = freq_list::decode(&bytes);
        }

        #[test]
        fn random_bodies_of_every_type_never_panic(
            mt in prop_oneof![Just(0x19u8), Just(0x1A), Just(0x02), Just(0x03), Just(0x07), Just(0x1B), Just(0x1C), Just(0x00), Just(0x21), Just(0x22), Just(0x24), any::<u8>()],
            len in 0usize..64,
            body in proptest::collection::vec(any::<u8>(), 0..30),
        ) {
            let mut f = vec![((len as u8) << 2) | 1, 0x06, mt];
            f.extend_from_slice(&body);
            let _ = decode_ccch_frame(&f);
        }
    }
}
