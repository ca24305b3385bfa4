//! System information (PCFICH, PDCCH/DCI for SI-RNTI, PDSCH) on the full
//! recordings of the shared test set (`TOWERWATCH_IQ_DIR`, default
//! `<workspace>/../shared/iq`; see its README). Fails loudly when a recording
//! is missing.
//!
//! `cargo test -p towerwatch-dsp --features captures --test captures_sib -- --nocapture`

use std::path::PathBuf;
use std::str::FromStr;
use towerwatch_dsp::iq::DataType;
use towerwatch_dsp::lte::cell_search::{LteCellReport, LteCellSearcher, LteSearchConfig};
use towerwatch_dsp::lte::dci::Dci;
use towerwatch_dsp::lte::si::{decode_si, decode_si_scheduled, SiPdu, SiSchedule};
use towerwatch_dsp::Complex32;

fn iq_dir() -> PathBuf {
    std::env::var_os("TOWERWATCH_IQ_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/iq"))
}

fn read_json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("recording file missing: {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON in {}: {e}", path.display()))
}

/// Samples, sample rate and truth of a recording.
fn load(name: &str) -> (Vec<Complex32>, f64, serde_json::Value) {
    let dir = iq_dir().join("lte");
    let meta = read_json(&dir.join(format!("{name}.sigmf-meta")));
    let truth = read_json(&dir.join(format!("{name}.truth.json")));
    let dt = DataType::from_str(meta["global"]["core:datatype"].as_str().expect("datatype"))
        .expect("datatype");
    let fs = meta["global"]["core:sample_rate"]
        .as_f64()
        .expect("core:sample_rate");
    let data_path = dir.join(format!("{name}.sigmf-data"));
    let bytes = std::fs::read(&data_path)
        .unwrap_or_else(|e| panic!("recording data missing: {}: {e}", data_path.display()));
    (dt.decode(&bytes), fs, truth)
}

fn search(x: &[Complex32], fs: f64) -> Vec<LteCellReport> {
    let x192 = if (fs - 1.92e6).abs() > 1.0 {
        towerwatch_dsp::signal::resample::resample(x, fs, 1.92e6).expect("resample")
    } else {
        x.to_vec()
    };
    LteCellSearcher::new(LteSearchConfig::default()).search(&x192)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn run(name: &str, pci: u16) -> (Vec<SiPdu>, serde_json::Value) {
    let (x, fs, truth) = load(name);
    let t = std::time::Instant::now();
    let cells = search(&x, fs);
    let cell = cells
        .iter()
        .find(|c| c.pci == pci)
        .unwrap_or_else(|| panic!("{name}: PCI {pci} not found in {cells:?}"));
    let pdus = decode_si(&x, fs, cell).expect("decode_si");
    eprintln!("{name}: {} PDUs in {:?}", pdus.len(), t.elapsed());
    for p in &pdus {
        eprintln!(
            "  SFN {:4} sf {} {:?} L{} cfi {} tbs {} rv {} combined {} sinr {:.1} dB {}",
            p.sfn,
            p.subframe,
            p.dci.dci,
            p.dci.aggregation,
            p.dci.cfi,
            p.tbs,
            p.rv,
            p.combined,
            p.sinr_db,
            hex(&p.bytes)
        );
    }
    (pdus, truth)
}

/// Every PDU equals one truth message (plus zero MAC padding) and every truth
/// message was decoded at least once.
fn check_srsenb(name: &str, pci: u16) {
    let (pdus, truth) = run(name, pci);
    let msgs: Vec<String> = truth["broadcast_messages"]
        .as_array()
        .expect("broadcast_messages")
        .iter()
        .map(|m| m["packed_hex"].as_str().expect("packed_hex").to_string())
        .collect();
    assert!(!msgs.is_empty());
    let mut seen = vec![0usize; msgs.len()];
    for p in &pdus {
        let h = hex(&p.bytes);
        let i = msgs
            .iter()
            .position(|m| h.starts_with(m.as_str()))
            .unwrap_or_else(|| panic!("{name}: PDU {h} matches no truth message"));
        assert!(
            h[msgs[i].len()..].bytes().all(|c| c == b'0'),
            "{name}: non-zero padding in {h}"
        );
        if i == 0 {
            // SIB1: subframe 5 of even frames.
            assert_eq!((p.subframe, p.sfn % 2), (5, 0), "{name}: SIB1 timing");
        }
        seen[i] += 1;
    }
    for (m, n) in msgs.iter().zip(&seen) {
        eprintln!("  {n} × {m}");
        assert!(*n > 0, "{name}: message {m} never decoded");
    }
    // 400 ms: SIB1 every 20 ms → 20 transmissions; an ideal signal loses none.
    assert!(seen[0] >= 19, "{name}: only {} SIB1 of 20", seen[0]);
}

#[test]
fn srsenb_6prb_pci123_every_sib() {
    check_srsenb("srsenb_b3_6prb_pci123", 123);
}

#[test]
fn srsenb_25prb_pci301_every_sib() {
    check_srsenb("srsenb_b3_25prb_pci301_sib5", 301);
}

#[test]
fn amarisoft_dci_and_crc() {
    let (pdus, truth) = run("srsran_amarisoft_cell1_6prb", 1);
    let e = &truth["expected"];
    assert_eq!(e["cfi"], 3);
    let riv = e["dci"]["riv"].as_u64().unwrap() as u32;
    let mcs = e["dci"]["mcs"].as_u64().unwrap() as u8;
    let p = pdus
        .iter()
        .find(
            |p| matches!(p.dci.dci, Dci::F1A(d) if d.riv == riv && d.mcs == mcs && !d.distributed),
        )
        .expect("DCI 1A with the truth's RIV and MCS and a passing PDSCH CRC");
    assert_eq!(p.dci.cfi, 3);
}

#[test]
fn hackrf_796mhz_sib1() {
    let (pdus, truth) = run("real_f796_s19.2_hackrf", 360);
    let s = &truth["expected"]["sib1"];
    let want = s["raw_hex"].as_str().unwrap();
    let sib1: Vec<&SiPdu> = pdus.iter().filter(|p| hex(&p.bytes) == want).collect();
    assert!(!sib1.is_empty(), "SIB1 {want} not decoded");
    for p in &sib1 {
        assert_eq!((p.subframe, p.sfn % 2), (5, 0));
        assert_eq!(u64::from(p.tbs), s["tbs_bits"].as_u64().unwrap());
        if let Dci::F1A(d) = p.dci.dci {
            assert_eq!(u64::from(d.mcs), s["mcs"].as_u64().unwrap());
        }
    }
    // Its content, through the RRC decoder.
    let m = towerwatch_rrc::lte::decode_bcch_dl_sch(&sib1[0].bytes).expect("RRC decode");
    let s1 = m.sib1.expect("SIB1");
    assert_eq!(s1.plmns.first().map(String::as_str), Some("20620"));
    assert_eq!(s1.tac, Some(501));
    assert_eq!(s1.cell_identity, Some(1_340_487));
}

#[test]
fn srsenb_25prb_scheduled_equals_sniffing() {
    // With SIB1's schedule (si-WindowLength and the periodicities from the truth)
    // only SIB1 subframes and SI windows are searched: the same PDUs come out.
    let name = "srsenb_b3_25prb_pci301_sib5";
    let (x, fs, truth) = load(name);
    let cells = search(&x, fs);
    let cell = cells.iter().find(|c| c.pci == 301).expect("PCI 301");
    let schedule = SiSchedule {
        window_ms: truth["si_window_length_ms"].as_u64().unwrap() as u16,
        periodicities_rf: truth["si_scheduling"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["si_periodicity_rf"].as_u64().unwrap() as u16)
            .collect(),
    };
    assert_eq!(schedule.periodicities_rf, vec![8, 16]);
    let all = decode_si(&x, fs, cell).unwrap();
    let scheduled = decode_si_scheduled(&x, fs, cell, Some(schedule)).unwrap();
    assert_eq!(all.len(), 36);
    assert_eq!(
        all.iter()
            .map(|p| (p.sfn, p.subframe, &p.bytes))
            .collect::<Vec<_>>(),
        scheduled
            .iter()
            .map(|p| (p.sfn, p.subframe, &p.bytes))
            .collect::<Vec<_>>()
    );
}
