//! The whole GSM chain through the real binary on a simulated cell: our SI1–SI4
//! encoder → GMSK transmitter (offset, noise) → SigMF → `decode --json --pcap`
//! → Observations and GSMTAP equal to what was sent, field by field.

mod common;

use common::gsm_sim;
use std::process::Command;
use towerwatch_models::{Observation, Rat};

#[test]
fn simulated_dcs_cell_decodes_to_what_was_encoded() {
    let dir = tempfile::tempdir().unwrap();
    let meta = gsm_sim::write_recording(dir.path(), "sim_dcs725");
    let pcap = dir.path().join("sim.pcap");
    let out = Command::new(env!("CARGO_BIN_EXE_towerwatch-sensor"))
        .args([
            "decode",
            "--json",
            "--sensor-id",
            "lamp-3",
            "--calibration-db",
            "-40",
            "--pcap",
        ])
        .arg(&pcap)
        .arg(&meta)
        .output()
        .expect("run towerwatch-sensor");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let obs: Vec<Observation> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| Observation::from_json_slice(l.as_bytes()).unwrap())
        .collect();
    // GSM and LTE were searched (1847.8 MHz is also band 3): one GSM cell, no LTE cell.
    assert_eq!(obs.len(), 1, "{obs:?}");
    let o = &obs[0];
    assert_eq!(o.rat, Rat::Gsm);
    let (si1, si2, si3, si4) = gsm_sim::system_info();
    assert_eq!(o.cell.arfcn, Some(gsm_sim::ARFCN));
    assert_eq!(o.cell.bsic, Some(gsm_sim::NCC * 8 + gsm_sim::BCC));
    assert_eq!(o.cell.mcc.as_deref(), Some("001"));
    assert_eq!(o.cell.mnc.as_deref(), Some("01"));
    assert_eq!(o.cell.lac, Some(si3.lac));
    assert_eq!(o.cell.cell_identity, Some(u64::from(si3.cell_identity)));
    // The recording's core:datetime: its first window.
    assert_eq!(o.time, "2026-11-21T23:40:00Z".parse().unwrap());
    let m = &o.measurement;
    // FCCH estimate refined on the SCH bursts.
    assert!((m.cfo_hz.unwrap() - gsm_sim::CFO_HZ).abs() < 30.0, "{m:?}");
    assert!((m.rxlev_dbm.unwrap() - (m.power_dbfs.unwrap() - 40.0)).abs() < 1e-9);
    // Amplitude 0.5: about −6 dBFS (noise adds a little).
    assert!((m.power_dbfs.unwrap() + 6.0).abs() < 1.5, "{m:?}");
    assert!(m.sinr_db.unwrap() > 15.0, "{m:?}");
    let si = o.system_info.as_ref().unwrap();
    assert_eq!(si.gsm.si1.as_ref(), Some(&si1));
    assert_eq!(si.gsm.si2.as_ref(), Some(&si2));
    assert_eq!(si.gsm.si3.as_ref(), Some(&si3));
    assert_eq!(si.gsm.si4.as_ref(), Some(&si4));
    let mut raw = si.raw.as_ref().unwrap().bcch.clone();
    raw.sort();
    let mut sent: Vec<String> = gsm_sim::frames().iter().map(hex::encode).collect();
    sent.sort();
    assert_eq!(raw, sent);

    // GSMTAP: every BCCH block of the 2.16 s, each one of the frames sent, on
    // the frame numbers the TC schedule gives them.
    let recs = towerwatch_sensor::pcap::read_gsmtap(&std::fs::read(&pcap).unwrap()).unwrap();
    let frames = gsm_sim::frames();
    let bcch: Vec<_> = recs.iter().filter(|r| r.header.sub_type == 1).collect();
    assert!(bcch.len() >= 9, "{} BCCH blocks", bcch.len());
    // The CCCH blocks: empty paging, 9 per multiframe minus those cut at the edges.
    let ccch: Vec<_> = recs.iter().filter(|r| r.header.sub_type == 2).collect();
    assert!(ccch.len() >= 8 * 9, "{} CCCH blocks", ccch.len());
    assert!(ccch.iter().all(|r| r.payload == gsm_sim::EMPTY_PAGING));
    for r in &bcch {
        assert_eq!(r.header.arfcn, gsm_sim::ARFCN);
        let tc = (r.header.frame_number / 51) % 8;
        let want = match tc {
            0 => frames[0],
            1 => frames[1],
            2 | 6 => frames[2],
            3 | 7 => frames[3],
            _ => gsm_sim::FILL,
        };
        assert_eq!(r.payload, want, "FN {}", r.header.frame_number);
        assert_eq!(
            r.header.frame_number % 51,
            2,
            "BCCH Norm starts at FN mod 51 = 2"
        );
    }
}
