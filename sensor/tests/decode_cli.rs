//! `decode --json` on the committed recording excerpts, through the real
//! binary: every line is a valid WIRE.md Observation, and what it says equals
//! the recordings' truth files.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use towerwatch_models::{Observation, Rat};

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/iq")
        .join(name)
}

fn truth(name: &str) -> Value {
    let p = testdata(&format!("{name}.truth.json"));
    serde_json::from_str(
        &std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap()
}

fn decode(name: &str, extra: &[&str]) -> Vec<Observation> {
    let out = Command::new(env!("CARGO_BIN_EXE_towerwatch-sensor"))
        .args([
            "decode",
            "--json",
            "--sensor-id",
            "lamp-7",
            "--calibration-db",
            "-30",
        ])
        .args(extra)
        .arg(testdata(name))
        .output()
        .expect("run towerwatch-sensor");
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            Observation::from_json_slice(l.as_bytes())
                .unwrap_or_else(|e| panic!("{name}: invalid observation {e}: {l}"))
        })
        .collect()
}

fn mib(o: &Observation) -> towerwatch_models::system_info::Mib {
    o.system_info
        .as_ref()
        .and_then(|s| s.mib.clone())
        .expect("a MIB")
}

#[test]
fn srsran_cell150_two_ports_exact_mib_bits() {
    let t = truth("srsran_pbch_cell150_2port");
    let obs = decode("srsran_pbch_cell150_2port", &[]);
    assert_eq!(obs.len(), 1, "{obs:?}");
    let o = &obs[0];
    assert_eq!(o.rat, Rat::Lte);
    assert_eq!(o.sensor_id, "lamp-7");
    assert_eq!(
        u64::from(o.cell.pci.unwrap()),
        t["expected"]["cell_id"].as_u64().unwrap()
    );
    let m = mib(o);
    assert_eq!(
        u64::from(m.antenna_ports.unwrap()),
        t["expected"]["nof_ports"].as_u64().unwrap()
    );
    assert_eq!(m.nof_prb, Some(50));
    assert_eq!(m.phich_duration.as_deref(), Some("normal"));
    assert_eq!(m.phich_resource.as_deref(), Some("one"));
    assert_eq!(
        u64::from(m.sfn.unwrap()),
        t["expected"]["mib_decoded"]["sfn"].as_u64().unwrap()
    );
    // The raw BCH bits, packed, equal srsRAN's asserted payload.
    let bits = t["expected"]["mib_payload_bits"].as_str().unwrap();
    let packed: Vec<u8> = bits
        .as_bytes()
        .chunks(8)
        .map(|c| c.iter().fold(0u8, |a, &b| (a << 1) | (b - b'0')))
        .collect();
    assert_eq!(
        o.system_info
            .as_ref()
            .unwrap()
            .raw
            .as_ref()
            .unwrap()
            .mib
            .as_deref(),
        Some(hex::encode(packed).as_str())
    );
    // Calibration applies to dBm, not to dBFS.
    let m = &o.measurement;
    assert!((m.rsrp_dbm.unwrap() - (m.power_dbfs.unwrap() - 30.0)).abs() < 1e-9);
}

#[test]
fn amarisoft_cell1_one_port() {
    let t = truth("srsran_amarisoft_cell1_6prb");
    let obs = decode("srsran_amarisoft_cell1_6prb", &[]);
    assert_eq!(obs.len(), 1, "{obs:?}");
    assert_eq!(
        u64::from(obs[0].cell.pci.unwrap()),
        t["expected"]["cell_id"].as_u64().unwrap()
    );
    let m = mib(&obs[0]);
    assert_eq!(
        u64::from(m.antenna_ports.unwrap()),
        t["expected"]["nof_ports"].as_u64().unwrap()
    );
    assert_eq!(
        u64::from(m.nof_prb.unwrap()),
        t["expected"]["nof_prb"].as_u64().unwrap()
    );
}

#[test]
fn srsenb_pci123_every_mib_field_and_earfcn() {
    let t = truth("srsenb_b3_6prb_pci123_40ms");
    let obs = decode("srsenb_b3_6prb_pci123_40ms", &[]);
    assert_eq!(obs.len(), 1, "{obs:?}");
    let o = &obs[0];
    assert_eq!(u64::from(o.cell.pci.unwrap()), t["pci"].as_u64().unwrap());
    assert_eq!(
        u64::from(o.cell.earfcn.unwrap()),
        t["dl_earfcn"].as_u64().unwrap()
    );
    assert_eq!(
        o.center_freq_hz,
        Some(t["dl_center_frequency_hz"].as_f64().unwrap() as u64)
    );
    let m = mib(o);
    assert_eq!(
        u64::from(m.nof_prb.unwrap()),
        t["nof_prb"].as_u64().unwrap()
    );
    assert_eq!(
        u64::from(m.antenna_ports.unwrap()),
        t["nof_crs_ports"].as_u64().unwrap()
    );
    assert_eq!(m.phich_duration.as_deref(), t["phich_duration"].as_str());
    assert_eq!(t["phich_resources"], "1/6");
    assert_eq!(m.phich_resource.as_deref(), Some("one_sixth"));
    assert!(
        o.measurement.sinr_db.unwrap() > 30.0,
        "an ideal signal: {:?}",
        o.measurement
    );
    assert!(o.measurement.cfo_hz.unwrap().abs() < 100.0);
}

#[test]
fn off_the_air_hackrf_pci360_at_19_2_msps() {
    let t = truth("real_f796_s19.2_hackrf_20ms");
    let obs = decode("real_f796_s19.2_hackrf_20ms", &[]);
    assert_eq!(obs.len(), 1, "{obs:?}");
    let o = &obs[0];
    let e = &t["expected"];
    assert_eq!(u64::from(o.cell.pci.unwrap()), e["pci"].as_u64().unwrap());
    let m = mib(o);
    assert_eq!(
        u64::from(m.nof_prb.unwrap()),
        e["nof_prb"].as_u64().unwrap()
    );
    assert_eq!(
        u64::from(m.antenna_ports.unwrap()),
        e["ports"].as_u64().unwrap()
    );
    assert_eq!(m.phich_duration.as_deref(), e["phich"]["length"].as_str());
    assert_eq!(m.phich_resource.as_deref(), Some("one"));
    // 796 MHz is EARFCN 6200 in band 20, the band SIB1 names.
    assert_eq!(o.cell.earfcn, Some(6200));
    let cfo = o.measurement.cfo_hz.unwrap();
    assert!((5_000.0..7_500.0).contains(&cfo), "about +6 kHz off: {cfo}");
}

#[test]
fn noise_only_yields_no_cell() {
    let t = truth("real_f2646_s1.92_noise_hackrf_40ms");
    assert_eq!(t["expected"]["cells"].as_array().unwrap().len(), 0);
    assert!(decode("real_f2646_s1.92_noise_hackrf_40ms", &[]).is_empty());
}

#[test]
fn rats_without_a_decoder_say_so() {
    let out = Command::new(env!("CARGO_BIN_EXE_towerwatch-sensor"))
        .args(["decode", "--rat", "nr"])
        .arg(testdata("srsran_pbch_cell150_2port"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("decoder"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// gr-gsm's lines "FN TIME:  hex…" of a truth file → (FN, octets).
fn peer_frames(t: &Value) -> Vec<(u32, Vec<u8>)> {
    t["expected_peer_decode"]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|l| {
            let (head, hexpart) = l.as_str().unwrap().split_once(':').unwrap();
            let fnum = head.split_whitespace().next().unwrap().parse().unwrap();
            let bytes = hex::decode(hexpart.split_whitespace().collect::<String>()).unwrap();
            (fnum, bytes)
        })
        .collect()
}

#[test]
fn off_the_air_gsm_cell_with_si3_and_grgsm_frames_in_the_pcap() {
    let name = "real_gsmsp2007_953.6MHz_128";
    let t = truth(name);
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("gsm.pcap");
    let obs = decode(name, &["--pcap", pcap.to_str().unwrap()]);
    assert_eq!(obs.len(), 1, "{obs:?}");
    let o = &obs[0];
    assert_eq!(o.rat, Rat::Gsm);
    assert_eq!(o.sensor_id, "lamp-7");
    assert_eq!(
        u64::from(o.cell.arfcn.unwrap()),
        t["arfcn_pgsm900"].as_u64().unwrap()
    );
    assert_eq!(
        o.center_freq_hz,
        Some(t["center_frequency_hz"].as_f64().unwrap() as u64)
    );
    assert!(o.cell.bsic.unwrap() < 64);
    // Calibration applies to dBm, not to dBFS.
    let m = &o.measurement;
    assert!((m.rxlev_dbm.unwrap() - (m.power_dbfs.unwrap() - 30.0)).abs() < 1e-9);
    assert!(m.cfo_hz.unwrap().abs() < 20_000.0);
    // The cell identity comes from the SI3 on its BCCH; the raw frame decodes to it.
    let si = o.system_info.as_ref().expect("system information");
    let si3 = si.gsm.si3.as_ref().expect("SI3 in 160 ms");
    assert_eq!(o.cell.mcc.as_deref(), Some(si3.mcc.as_str()));
    assert_eq!(o.cell.mnc.as_deref(), Some(si3.mnc.as_str()));
    assert_eq!(o.cell.lac, Some(si3.lac));
    assert_eq!(o.cell.cell_identity, Some(u64::from(si3.cell_identity)));
    let raw = &si.raw.as_ref().expect("raw").bcch;
    assert_eq!(raw.len(), 1, "one BCCH block in 160 ms: {raw:?}");
    let frame = hex::decode(&raw[0]).unwrap();
    assert_eq!(frame.len(), 23);
    assert_eq!(
        towerwatch_rrc::gsm::decode_ccch_frame(&frame).unwrap(),
        towerwatch_rrc::gsm::RrMessage::Si3(si3.clone())
    );
    // The pcap holds every decoded block as GSMTAP, gr-gsm's two frames among them.
    let recs = towerwatch_sensor::pcap::read_gsmtap(&std::fs::read(&pcap).unwrap()).unwrap();
    assert_eq!(recs.len(), 6, "{recs:?}");
    for r in &recs {
        assert_eq!(r.header.gsmtap_type, 1);
        assert_eq!(r.header.timeslot, 0);
        assert_eq!(r.header.arfcn, o.cell.arfcn.unwrap());
        assert_eq!(r.payload.len(), 23);
    }
    let peer = peer_frames(&t);
    assert_eq!(peer.len(), 2);
    for (fnum, bytes) in peer {
        let r = recs
            .iter()
            .find(|r| r.header.frame_number == fnum)
            .unwrap_or_else(|| panic!("gr-gsm's FN {fnum} is not in the pcap"));
        assert_eq!(r.payload, bytes, "FN {fnum}");
        assert_eq!(r.header.sub_type, 2, "CCCH");
    }
    let bcch: Vec<_> = recs.iter().filter(|r| r.header.sub_type == 1).collect();
    assert_eq!(bcch.len(), 1);
    assert_eq!(bcch[0].payload, frame);
}

#[test]
fn gsm_table_and_lte_recording_under_rat_gsm() {
    let out = Command::new(env!("CARGO_BIN_EXE_towerwatch-sensor"))
        .args(["decode", "--rat", "gsm"])
        .arg(testdata("real_gsmsp2007_953.6MHz_128"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("gsm "))
        .unwrap_or_else(|| panic!("no GSM row: {text}"));
    let obs = decode("real_gsmsp2007_953.6MHz_128", &["--rat", "gsm"]);
    let c = &obs[0].cell;
    for field in [
        c.arfcn.unwrap().to_string(),
        c.bsic.unwrap().to_string(),
        format!("{}-{}", c.mcc.as_ref().unwrap(), c.mnc.as_ref().unwrap()),
        c.lac.unwrap().to_string(),
        c.cell_identity.unwrap().to_string(),
    ] {
        assert!(
            row.split_whitespace().any(|w| w == field),
            "{field} in {row}"
        );
    }
    // An LTE recording searched for GSM only has no GSM cell (and no LTE one).
    assert!(decode("srsenb_b3_6prb_pci123_40ms", &["--rat", "gsm"]).is_empty());
}
