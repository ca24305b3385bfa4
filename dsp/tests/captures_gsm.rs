//! The GSM receiver on the off-the-air recordings of the shared test set
//! (`TOWERWATCH_IQ_DIR`, default `<workspace>/../shared/iq`, folder `gsm/`;
//! THC GSMSP 2007 USRP1 captures). Fails loudly when a recording is missing.
//!
//! `cargo test -p towerwatch-dsp --features captures --test captures_gsm -- --nocapture`

use std::path::PathBuf;
use std::str::FromStr;

use towerwatch_dsp::gsm::receiver::{GsmReceiver, GsmReceiverConfig, GsmReport};
use towerwatch_dsp::gsm::xcch::encode_xcch;
use towerwatch_dsp::iq::DataType;
use towerwatch_dsp::Complex32;

fn iq_dir() -> PathBuf {
    std::env::var_os("TOWERWATCH_IQ_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/iq"))
}

/// (samples, sample rate, truth JSON if any).
fn load(name: &str) -> (Vec<Complex32>, f64, Option<serde_json::Value>) {
    let dir = iq_dir().join("gsm");
    let meta_path = dir.join(format!("{name}.sigmf-meta"));
    let text = std::fs::read_to_string(&meta_path)
        .unwrap_or_else(|e| panic!("recording metadata missing: {}: {e}", meta_path.display()));
    let meta: serde_json::Value = serde_json::from_str(&text).unwrap();
    let dt = DataType::from_str(meta["global"]["core:datatype"].as_str().unwrap()).unwrap();
    let fs = meta["global"]["core:sample_rate"].as_f64().unwrap();
    let data_path = dir.join(format!("{name}.sigmf-data"));
    let bytes = std::fs::read(&data_path)
        .unwrap_or_else(|e| panic!("recording data missing: {}: {e}", data_path.display()));
    let truth = std::fs::read_to_string(dir.join(format!("{name}.truth.json")))
        .ok()
        .map(|t| serde_json::from_str(&t).unwrap());
    (dt.decode(&bytes), fs, truth)
}

fn run(name: &str) -> (GsmReport, Option<serde_json::Value>) {
    let (x, fs, truth) = load(name);
    let mut rx = GsmReceiver::new(GsmReceiverConfig::default()).unwrap();
    let t = std::time::Instant::now();
    let rep = rx.process(&x, fs).unwrap();
    eprintln!("{name}: {} samples at {fs} Hz, {:?}", x.len(), t.elapsed());
    for c in &rep.cells {
        eprintln!(
            "  cell: CFO {:.0} Hz, BSIC {} (NCC {} BCC {}), FN first {}, FCCH {}, SCH {}/{} ok, blocks {}/{} ok, {:.1} dBFS, SNR {:.1} dB, drift {:.2} ppm",
            c.cfo_hz, c.bsic, c.ncc, c.bcc, c.fn_first, c.fcch_count, c.sch_ok, c.sch_ok + c.sch_failed,
            c.bcch_ok, c.bcch_ok + c.bcch_failed, c.power_dbfs, c.snr_db, c.timing_drift_ppm
        );
        for f in &c.frames {
            let hex: Vec<String> = f.data.iter().map(|b| format!("{b:02x}")).collect();
            eprintln!(
                "    {} {:?} ({} bit errors): {}",
                f.fnum,
                f.channel,
                f.bit_errors,
                hex.join(" ")
            );
        }
    }
    for m in &rep.misses {
        eprintln!("  miss: {m:?}");
    }
    (rep, truth)
}

/// gr-gsm's lines "FN TIME:  hex…" → (FN, 23 octets).
fn peer_frames(truth: &serde_json::Value) -> Vec<(u32, Vec<u8>)> {
    truth["expected_peer_decode"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let l = l.as_str().unwrap();
            let (head, hex) = l.split_once(':').unwrap();
            let fnum = head.split_whitespace().next().unwrap().parse().unwrap();
            let bytes = hex
                .split_whitespace()
                .map(|b| u8::from_str_radix(b, 16).unwrap())
                .collect();
            (fnum, bytes)
        })
        .collect()
}

/// Every frame reported must be a valid block: re-encoding it gives a codeword
/// (the Fire check passed inside; here we check the report is self-consistent).
fn all_frames_consistent(rep: &GsmReport) {
    for c in &rep.cells {
        assert!(c.bsic < 64);
        for f in &c.frames {
            let _ = encode_xcch(&f.data);
            assert!(
                f.bit_errors < 100,
                "FN {}: {} bit errors",
                f.fnum,
                f.bit_errors
            );
        }
    }
}

#[test]
fn real_953_6mhz_matches_grgsm() {
    let (rep, truth) = run("real_gsmsp2007_953.6MHz_128");
    let truth = truth.expect("truth file");
    assert_eq!(rep.cells.len(), 1);
    let c = &rep.cells[0];
    let expected = peer_frames(&truth);
    assert_eq!(expected.len(), 2);
    for (fnum, bytes) in &expected {
        let found = c.frames.iter().find(|f| f.fnum == *fnum);
        let found = found.unwrap_or_else(|| panic!("gr-gsm's frame FN {fnum} not decoded"));
        assert_eq!(found.data.as_slice(), bytes.as_slice(), "FN {fnum}");
    }
    all_frames_consistent(&rep);
}

#[test]
fn other_real_recordings_do_not_panic_and_report_only_valid_frames() {
    for name in [
        "real_gsmsp2007_941.0MHz_128",
        "real_gsmsp2007_953.6MHz_64",
        "real_gsmsp2007_941MHz_16",
        "real_gsmsp2007_937MHz_16",
    ] {
        let (rep, _) = run(name);
        all_frames_consistent(&rep);
    }
}
