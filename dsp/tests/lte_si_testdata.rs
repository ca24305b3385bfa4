//! SI decoding (PCFICH, PDCCH, DCI 1A/1C for SI-RNTI, PDSCH) on the committed
//! recording excerpts in `testdata/iq/` (expectations from their `.truth.json`).

use std::path::PathBuf;
use std::str::FromStr;
use towerwatch_dsp::iq::DataType;
use towerwatch_dsp::lte::cell_search::{LteCellReport, LteCellSearcher, LteSearchConfig};
use towerwatch_dsp::lte::dci::Dci;
use towerwatch_dsp::lte::si::{decode_si, SiPdu};
use towerwatch_dsp::Complex32;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/iq")
}

fn load(name: &str) -> (Vec<Complex32>, f64, serde_json::Value) {
    let d = dir();
    let meta_path = d.join(format!("{name}.sigmf-meta"));
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&meta_path)
            .unwrap_or_else(|e| panic!("missing {}: {e}", meta_path.display())),
    )
    .unwrap();
    let truth_path = d.join(format!("{name}.truth.json"));
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&truth_path)
            .unwrap_or_else(|e| panic!("missing {}: {e}", truth_path.display())),
    )
    .unwrap();
    let dt = DataType::from_str(meta["global"]["core:datatype"].as_str().unwrap()).unwrap();
    let fs = meta["global"]["core:sample_rate"].as_f64().unwrap();
    let data_path = d.join(format!("{name}.sigmf-data"));
    let bytes = std::fs::read(&data_path)
        .unwrap_or_else(|e| panic!("missing {}: {e}", data_path.display()));
    (dt.decode(&bytes), fs, truth)
}

fn search(x: &[Complex32], fs: f64) -> Vec<LteCellReport> {
    let x192 = if (fs - 1.92e6).abs() > 1.0 {
        towerwatch_dsp::signal::resample::resample(x, fs, 1.92e6).unwrap()
    } else {
        x.to_vec()
    };
    LteCellSearcher::new(LteSearchConfig::default()).search(&x192)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn show(pdus: &[SiPdu]) {
    for p in pdus {
        eprintln!(
            "SFN {} sf {} {:?} L{} cce {} cfi {} tbs {} rv {} comb {} it {} sinr {:.1} {}",
            p.sfn,
            p.subframe,
            p.dci.dci,
            p.dci.aggregation,
            p.dci.first_cce,
            p.dci.cfi,
            p.tbs,
            p.rv,
            p.combined,
            p.iterations,
            p.sinr_db,
            hex(&p.bytes)
        );
    }
}

#[test]
fn srsenb_6prb_excerpt_sib1() {
    let (x, fs, truth) = load("srsenb_b3_6prb_pci123_40ms");
    let cells = search(&x, fs);
    assert_eq!(cells.len(), 1);
    let pdus = decode_si(&x, fs, &cells[0]).unwrap();
    show(&pdus);
    let sib1 = truth["broadcast_messages"][0]["packed_hex"]
        .as_str()
        .unwrap();
    // 40 ms holds two subframe-5s of even frames: SIB1 must come out of at least one.
    let got: Vec<&SiPdu> = pdus
        .iter()
        .filter(|p| p.subframe == 5 && p.sfn % 2 == 0)
        .collect();
    assert!(!got.is_empty(), "no SIB1 decoded");
    for p in &got {
        assert!(
            hex(&p.bytes).starts_with(sib1),
            "{} vs {sib1}",
            hex(&p.bytes)
        );
        assert!(
            p.bytes[sib1.len() / 2..].iter().all(|&b| b == 0),
            "MAC padding"
        );
    }
    // The SI message with SIB2 + SIB3 (rf8, 20 ms window) also falls in these 40 ms.
    let si = truth["broadcast_messages"][1]["packed_hex"]
        .as_str()
        .unwrap();
    assert!(
        pdus.iter().any(|p| hex(&p.bytes).starts_with(si)),
        "SI message 1 not decoded"
    );
    // Nothing else: every PDU is one of the two messages.
    for p in &pdus {
        let h = hex(&p.bytes);
        assert!(
            h.starts_with(sib1) || h.starts_with(si),
            "unexpected PDU {h}"
        );
    }
}

#[test]
fn amarisoft_dci_1a_riv11_mcs2() {
    let (x, fs, _) = load("srsran_amarisoft_cell1_6prb");
    let cells = search(&x, fs);
    assert_eq!(cells.len(), 1);
    let pdus = decode_si(&x, fs, &cells[0]).unwrap();
    show(&pdus);
    // The truth: CFI 3, SI-RNTI DCI 1A (type 2 localized, RIV 11, MCS 2, RV 0,
    // HARQ 0) and its PDSCH CRC passes within the 10 subframes.
    let hit = pdus.iter().find(|p| {
        matches!(p.dci.dci, Dci::F1A(d) if d.riv == 11 && d.mcs == 2 && !d.distributed && d.rv == 0 && d.harq == 0)
    });
    let p = hit.expect("no PDSCH with DCI 1A RIV 11 MCS 2");
    assert_eq!(p.dci.cfi, 3);
    // Every PDU here is a BCCH-DL-SCH message: SIB1 in subframe 5 (c1 choice 1 → 0x40/0x60).
    assert_eq!(p.subframe, 5);
    assert_eq!(p.bytes[0] & 0xC0, 0x40);
}

#[test]
fn hackrf_796mhz_20ms_excerpt_sib1() {
    // Off-air 10 MHz cell at 19.2 Msps, +6 kHz: the first 20 ms hold SFN 14's
    // subframe 5 (the truth's frame at MIB decode), i.e. one SIB1 transmission (RV 0).
    let (x, fs, truth) = load("real_f796_s19.2_hackrf_20ms");
    let cells = search(&x, fs);
    let cell = cells.iter().find(|c| c.pci == 360).expect("PCI 360");
    let pdus = decode_si(&x, fs, cell).unwrap();
    show(&pdus);
    let want = truth["expected"]["sib1"]["raw_hex"].as_str().unwrap();
    assert!(
        pdus.iter()
            .any(|p| hex(&p.bytes) == want && p.subframe == 5),
        "SIB1 {want} not decoded"
    );
}
