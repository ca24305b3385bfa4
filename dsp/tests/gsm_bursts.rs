//! GSM channel decoding on real bursts: 17,073 hard-bit bursts of a Vodafone DE
//! DCS1800 cell (`testdata/gsm/`, provenance in its README). Every BCCH/CCCH
//! block of timeslot 0 must decode to exactly the octets gr-gsm decoded from the
//! same bursts, and every SCH burst to the frame number of its GSMTAP header.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use towerwatch_dsp::gsm::burst::{hard_to_llr, normal_burst_data, sch_burst_data, BURST_LEN};
use towerwatch_dsp::gsm::multiframe::{ts0_slot, Ts0Channel};
use towerwatch_dsp::gsm::sch::SchDecoder;
use towerwatch_dsp::gsm::xcch::XcchDecoder;

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/gsm")
        .join(name)
}

/// (timeslot, FN, 148 hard bits) of every burst. The file is bzip2 of GNU Radio
/// PMT pairs: 0x07 (pair), 0x06 (nil), 0x0a 0x00 (u8 uniform vector), u32 BE
/// length 164, one pad-count byte (1) and its pad byte, then the vector: a
/// 16-octet GSMTAP header (timeslot in octet 3, FN in octets 8–11) and 148 bits.
fn bursts() -> Vec<(u8, u32, Vec<u8>)> {
    let compressed = std::fs::read(testdata("vodafone_dcs1800_arfcn725.bursts.bz2")).unwrap();
    let mut raw = Vec::new();
    bzip2::read::BzDecoder::new(compressed.as_slice())
        .read_to_end(&mut raw)
        .unwrap();
    const REC: usize = 10 + 164;
    assert_eq!(raw.len() % REC, 0);
    raw.chunks_exact(REC)
        .map(|r| {
            assert_eq!(&r[..8], &[0x07, 0x06, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xa4]);
            let h = &r[10..26];
            assert_eq!(h[2], 3, "GSMTAP type UM_BURST");
            let fnum = u32::from_be_bytes([h[8], h[9], h[10], h[11]]);
            (h[3], fnum, r[26..].to_vec())
        })
        .collect()
}

fn truth() -> serde_json::Value {
    let t = std::fs::read_to_string(testdata("vodafone_dcs1800_arfcn725.bursts.bz2.truth.json"))
        .unwrap();
    serde_json::from_str(&t).unwrap()
}

/// gr-gsm's decode, in its order: (first-burst FN, 23 octets).
fn grgsm() -> Vec<(u32, Vec<u8>)> {
    let text =
        std::fs::read_to_string(testdata("vf_call6_bursts_BCCH_ts0.grgsm_decode.txt")).unwrap();
    text.lines()
        .filter_map(|l| {
            let (head, hex) = l.split_once(':')?;
            let fnum = head.split_whitespace().next()?.parse().ok()?;
            let bytes: Option<Vec<u8>> = hex
                .split_whitespace()
                .map(|b| u8::from_str_radix(b, 16).ok())
                .collect();
            Some((fnum, bytes?))
        })
        .collect()
}

/// Timeslot-0 bursts split into runs of rising FN: the recording jumps back
/// once (after FN 862492 it starts again at 861003).
fn ts0_runs(all: &[(u8, u32, Vec<u8>)]) -> Vec<BTreeMap<u32, &[u8]>> {
    let mut runs: Vec<BTreeMap<u32, &[u8]>> = vec![BTreeMap::new()];
    let mut last = 0;
    for (ts, fnum, bits) in all {
        if *ts != 0 {
            continue;
        }
        if *fnum < last {
            runs.push(BTreeMap::new());
        }
        last = *fnum;
        if let Some(run) = runs.last_mut() {
            run.insert(*fnum, bits.as_slice());
        }
    }
    runs
}

/// Decode every complete BCCH/CCCH block of timeslot 0 from the hard bits
/// (as LLRs ±1): (first-burst FN, frame) of those that pass the Fire check,
/// the FNs of those that fail, and the number of complete blocks.
/// (first-burst FN, 23-octet frame).
type Frames = Vec<(u32, Vec<u8>)>;

fn decode_blocks(all: &[(u8, u32, Vec<u8>)]) -> (Frames, Vec<u32>, usize) {
    let mut dec = XcchDecoder::new();
    let mut llrs = Vec::new();
    let mut decoded = Vec::new();
    let mut failed = Vec::new();
    let mut complete = 0;
    for run in ts0_runs(all) {
        for &fnum in run.keys() {
            let slot = ts0_slot(fnum, false);
            let is_block = matches!(slot.channel, Ts0Channel::Bcch | Ts0Channel::Ccch { .. });
            if !is_block || slot.burst != 0 {
                continue;
            }
            let Some(four) = (0..4)
                .map(|i| run.get(&(fnum + i)).and_then(|b| normal_burst_data(b)))
                .collect::<Option<Vec<_>>>()
            else {
                continue; // block cut by the start or end of a run
            };
            complete += 1;
            let hard: Vec<u8> = four.concat();
            hard_to_llr(&hard, 1.0, &mut llrs);
            let block = dec.decode(&llrs).unwrap();
            if block.fire_ok {
                decoded.push((fnum, block.frame.to_vec()));
            } else {
                failed.push(fnum);
            }
        }
    }
    (decoded, failed, complete)
}

#[test]
fn bcch_ccch_blocks_match_grgsm() {
    let all = bursts();
    assert_eq!(all.len(), 17_073);
    assert!(all.iter().all(|(_, _, b)| b.len() == BURST_LEN));
    let (decoded, failed, complete) = decode_blocks(&all);
    let expected = grgsm();
    assert_eq!(expected.len(), 399);
    eprintln!(
        "{complete} complete blocks, {} decoded, failed at FN {failed:?}",
        decoded.len()
    );
    assert_eq!(decoded, expected);
    // The 19 that fail are the last 19 blocks of the first run (FN 862395…862487), where
    // the demodulator lost the cell (bursts of all zeros, no SCH passes either) and
    // gr-gsm decoded nothing.
    assert_eq!(complete, 418);
    assert_eq!(failed.len(), 19);
    assert!(failed.iter().all(|&f| (862_392..=862_492).contains(&f)));
}

#[test]
fn sch_gives_frame_number_and_bsic() {
    let all = bursts();
    let mut dec = SchDecoder::new();
    let mut llrs = Vec::new();
    let mut ok = 0;
    let mut failed = Vec::new();
    let mut bsics = std::collections::BTreeSet::new();
    for run in ts0_runs(&all) {
        for (&fnum, bits) in &run {
            if ts0_slot(fnum, false).channel != Ts0Channel::Sch {
                continue;
            }
            let data = sch_burst_data(bits).unwrap();
            hard_to_llr(&data, 1.0, &mut llrs);
            match dec.decode(&llrs).unwrap().info {
                Some(info) => {
                    // The reduced frame number T1, T2, T3' gives back the GSMTAP FN.
                    assert_eq!(info.frame_number(), fnum);
                    // BCC = the training sequence of the cell's normal bursts (TSC 0 here).
                    assert_eq!(info.bcc, 0);
                    bsics.insert(info.bsic());
                    ok += 1;
                }
                None => failed.push(fnum),
            }
        }
    }
    eprintln!("SCH: {ok} decoded, failed at FN {failed:?}, BSIC {bsics:?}");
    assert_eq!(bsics.len(), 1, "one cell, one BSIC");
    // NCC must be one the cell's SI2 permits (truth: NCC permitted 0x78 = NCC 3…6).
    let t = truth();
    let permitted = u8::from_str_radix(
        t["expected"]["SI2"]["ncc_permitted"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
        16,
    )
    .unwrap();
    let ncc = bsics.first().unwrap() >> 3;
    assert_ne!(permitted & (1 << ncc), 0, "NCC {ncc}");
    // Failures only where the demodulator lost the cell (see the BCCH test).
    assert!(failed.iter().all(|&f| (862_392..=862_492).contains(&f)));
    assert_eq!(ok, 199);
}

/// Bursts → channel decoding → RR decoding: the SI of the truth file.
#[test]
fn system_information_matches_truth() {
    use towerwatch_rrc::gsm::collect_system_info;
    let (frames, _, _) = decode_blocks(&bursts());
    let (info, failed) = collect_system_info(frames.iter().map(|(_, f)| f.as_slice()));
    assert_eq!(failed, 0);
    let t = truth();
    let e = &t["expected"];
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
    let num = |v: &serde_json::Value| v.as_u64().unwrap();

    let si1 = info.si1.as_ref().expect("SI1");
    assert_eq!(
        si1.cell_channels,
        arfcns(&e["SI1"]["cell_channel_description_arfcns"])
    );
    assert_eq!(
        si1.band_indicator.as_deref(),
        Some(format!("dcs{}", e["SI1"]["band_indicator"].as_str().unwrap()).as_str())
    );

    let si2 = info.si2.as_ref().expect("SI2");
    assert_eq!(si2.neighbours, arfcns(&e["SI2"]["neighbour_arfcns"]));
    assert_eq!(u64::from(si2.ba_ind), num(&e["SI2"]["ba_ind"]));
    assert_eq!(
        format!("{:#04x}", si2.ncc_permitted),
        e["SI2"]["ncc_permitted"].as_str().unwrap()
    );

    let si2ter = info.si2ter.as_ref().expect("SI2ter");
    assert_eq!(si2ter.neighbours, arfcns(&e["SI2ter"]["neighbour_arfcns"]));

    let s3 = &e["SI3"];
    let si3 = info.si3.as_ref().expect("SI3");
    assert_eq!(si3.mcc, num(&s3["mcc"]).to_string());
    assert_eq!(si3.mnc, s3["mnc"].as_str().unwrap());
    assert_eq!(u64::from(si3.lac), num(&s3["lac"]));
    assert_eq!(u64::from(si3.cell_identity), num(&s3["cell_id"]));
    assert!(s3["ccch_conf"]
        .as_str()
        .unwrap()
        .ends_with(&format!("({})", si3.control_channel.ccch_conf)));
    // Truth's bs_pa_mfrms 1 is Wireshark's (coded + 2) & 7 display of coded 7 (see rrc tests);
    // the parameter is 9 multiframes (TS 44.018 §10.5.2.11).
    assert_eq!(
        u64::from(si3.control_channel.bs_pa_mfrms & 7),
        num(&s3["bs_pa_mfrms"])
    );
    assert_eq!(
        u64::from(si3.control_channel.t3212_decihours),
        num(&s3["t3212"])
    );
    assert_eq!(
        u64::from(si3.cell_selection.rxlev_access_min),
        num(&s3["rxlev_access_min"])
    );
    assert_eq!(
        u64::from(si3.cell_selection.cell_reselect_hysteresis_db),
        2 * num(&s3["cell_reselect_hysteresis"])
    );
    assert_eq!(
        si3.selection.gprs_ra_colour.map(u64::from),
        Some(num(&s3["gprs_ra_colour"]))
    );
    assert_eq!(si3.selection.cbq.map(u64::from), Some(num(&s3["cbq"])));
    assert_eq!(
        si3.selection.cell_reselect_offset_db.map(u64::from),
        Some(2 * num(&s3["cell_reselect_offset"]))
    );
    assert_eq!(
        si3.selection.penalty_time.map(u64::from),
        Some(num(&s3["penalty_time"]))
    );

    let si4 = info.si4.as_ref().expect("SI4");
    assert_eq!(si4.mcc, num(&e["SI4"]["mcc"]).to_string());
    assert_eq!(si4.mnc, e["SI4"]["mnc"].as_str().unwrap());
    assert_eq!(u64::from(si4.lac), num(&e["SI4"]["lac"]));

    let si13 = info.si13.as_ref().expect("SI13");
    assert_eq!(si13.rac.map(u64::from), Some(num(&e["SI13"]["rac"])));
    assert_eq!(
        si13.egprs_supported,
        Some(e["SI13"]["egprs"].as_str().unwrap() != "not supported")
    );

    // The raw SI3 of the truth file is among the decoded frames, byte for byte.
    let raw: Vec<u8> = e["raw_SI3_hex"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect();
    assert!(frames.iter().any(|(_, f)| *f == raw));
}

/// The real bursts (all 8 timeslots, FCCH and SCH included) re-modulated by our
/// GMSK transmitter, through typical-urban multipath, ±20 kHz frequency offset
/// and noise, then the full IQ receiver: the same 23-octet frames as gr-gsm's
/// decode of the hard bits, and the same system information.
#[test]
fn iq_loopback_of_the_real_bursts_matches_grgsm() {
    use towerwatch_dsp::gsm::receiver::{GsmReceiver, GsmReceiverConfig};
    use towerwatch_dsp::gsm::tx::channel::{add_noise_es_n0, apply_cfo, Multipath, Rng, TU12};
    use towerwatch_dsp::gsm::tx::{dummy_burst, FrameBursts, FrameModulator};
    use towerwatch_dsp::gsm::SYMBOL_RATE;
    use towerwatch_dsp::signal::resample::Resampler;

    let all = bursts();
    // The first run is contiguous from FN 860902; take 8 multiframes (every BCCH TC).
    let fn0 = 860_902u32;
    let n = 8 * 51;
    let mut frames: Vec<FrameBursts> = vec![[Some(dummy_burst()); 8]; n];
    for (ts, fnum, bits) in &all {
        if (fn0..fn0 + n as u32).contains(fnum) && *fnum >= fn0 {
            let mut b = [0u8; BURST_LEN];
            b.copy_from_slice(bits);
            frames[(fnum - fn0) as usize][usize::from(*ts & 7)] = Some(b);
        }
    }
    // gr-gsm's frames of the first run (its list jumps back with the recording).
    let expected: Vec<(u32, Vec<u8>)> = grgsm()
        .into_iter()
        .scan(0, |last, (f, b)| {
            (f >= *last).then(|| {
                *last = f;
                (f, b)
            })
        })
        .filter(|(f, _)| *f >= fn0 && f + 3 < fn0 + n as u32)
        .collect();
    assert!(expected.len() > 60, "{}", expected.len());
    let mut x = Vec::new();
    FrameModulator::new(4).modulate(&frames, 0.5, &mut x);
    for (rate, cfo, tu_seed, es_n0) in [(1e6, 20_000.0, 11, 16.0), (500e3, -20_000.0, 12, 16.0)] {
        let mut y = Vec::new();
        Resampler::new(4.0 * SYMBOL_RATE, rate)
            .unwrap()
            .process(&x, &mut y);
        let mut y = Multipath::draw(TU12, rate, &mut Rng::new(tu_seed)).apply(&y);
        apply_cfo(&mut y, cfo, rate, 0.1);
        add_noise_es_n0(&mut y, es_n0, rate, &mut Rng::new(tu_seed + 100));
        let mut rx = GsmReceiver::new(GsmReceiverConfig::default()).unwrap();
        let rep = rx.process(&y, rate).unwrap();
        assert_eq!(rep.cells.len(), 1, "{:?}", rep.misses);
        let c = &rep.cells[0];
        eprintln!(
            "{rate} Hz, CFO {cfo}: est {:.0} Hz, BSIC {}, SCH {}/{}, blocks {}/{}, SNR {:.1} dB",
            c.cfo_hz,
            c.bsic,
            c.sch_ok,
            c.sch_ok + c.sch_failed,
            c.bcch_ok,
            c.bcch_ok + c.bcch_failed,
            c.snr_db
        );
        assert!((c.cfo_hz - cfo).abs() < 100.0);
        assert_eq!(c.bcc, 0);
        let got: Vec<(u32, Vec<u8>)> = c.frames.iter().map(|f| (f.fnum, f.data.to_vec())).collect();
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "frames differ from gr-gsm's");
        let (info, failed) =
            towerwatch_rrc::gsm::collect_system_info(got.iter().map(|(_, f)| f.as_slice()));
        assert_eq!(failed, 0);
        assert!(
            info.si1.is_some() && info.si2.is_some() && info.si3.is_some() && info.si4.is_some()
        );
        let (hard, _) =
            towerwatch_rrc::gsm::collect_system_info(expected.iter().map(|(_, f)| f.as_slice()));
        assert_eq!(info, hard);
    }
}
