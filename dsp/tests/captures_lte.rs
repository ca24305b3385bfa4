//! LTE cell search on the full recordings of the shared test set
//! (`TOWERWATCH_IQ_DIR`, default `<workspace>/../shared/iq`; see its README).
//! Fails loudly when a recording is missing.
//!
//! `cargo test -p towerwatch-dsp --features captures --test captures_lte`

use std::path::PathBuf;
use std::str::FromStr;
use towerwatch_dsp::iq::DataType;
use towerwatch_dsp::lte::cell_search::{LteCellReport, LteCellSearcher, LteSearchConfig};
use towerwatch_dsp::lte::mib::{PhichDuration, PhichResource};
use towerwatch_dsp::lte::{CyclicPrefix, Duplex};
use towerwatch_dsp::Complex32;

fn iq_dir() -> PathBuf {
    std::env::var_os("TOWERWATCH_IQ_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/iq"))
}

fn load(name: &str) -> Vec<Complex32> {
    let dir = iq_dir().join("lte");
    let meta_path = dir.join(format!("{name}.sigmf-meta"));
    let text = std::fs::read_to_string(&meta_path)
        .unwrap_or_else(|e| panic!("recording metadata missing: {}: {e}", meta_path.display()));
    let meta: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("bad JSON in {}: {e}", meta_path.display()));
    let dt = DataType::from_str(
        meta["global"]["core:datatype"]
            .as_str()
            .expect("core:datatype"),
    )
    .expect("datatype");
    let fs = meta["global"]["core:sample_rate"]
        .as_f64()
        .expect("core:sample_rate");
    let data_path = dir.join(format!("{name}.sigmf-data"));
    let bytes = std::fs::read(&data_path)
        .unwrap_or_else(|e| panic!("recording data missing: {}: {e}", data_path.display()));
    let x = dt.decode(&bytes);
    if (fs - 1.92e6).abs() > 1.0 {
        towerwatch_dsp::signal::resample::resample(&x, fs, 1.92e6).expect("resample")
    } else {
        x
    }
}

fn search(x: &[Complex32]) -> Vec<LteCellReport> {
    LteCellSearcher::new(LteSearchConfig::default()).search(x)
}

fn run(name: &str) -> Vec<LteCellReport> {
    let x = load(name);
    let t = std::time::Instant::now();
    let r = search(&x);
    eprintln!("{name}: {} samples, {:?}", x.len(), t.elapsed());
    for c in &r {
        eprintln!("  {}", serde_json::to_string(c).unwrap());
    }
    r
}

#[test]
fn srsenb_6prb_pci123() {
    let r = run("srsenb_b3_6prb_pci123");
    assert_eq!(r.len(), 1);
    let c = &r[0];
    assert_eq!((c.pci, c.n_id_1, c.n_id_2), (123, 41, 0));
    assert_eq!((c.cp, c.duplex), (CyclicPrefix::Normal, Duplex::Fdd));
    let m = c.mib.unwrap();
    assert_eq!((m.ports, m.nof_prb), (1, 6));
    assert_eq!(
        (m.phich_duration, m.phich_resource),
        (PhichDuration::Normal, PhichResource::OneSixth)
    );
    assert!(c.timing_drift_ppm.abs() < 1.0);
}

#[test]
fn srsenb_25prb_pci301() {
    let r = run("srsenb_b3_25prb_pci301_sib5");
    assert_eq!(r.len(), 1);
    let c = &r[0];
    assert_eq!((c.pci, c.n_id_1, c.n_id_2), (301, 100, 1));
    let m = c.mib.unwrap();
    assert_eq!((m.ports, m.nof_prb), (1, 25));
    assert_eq!(
        (m.phich_duration, m.phich_resource),
        (PhichDuration::Normal, PhichResource::One)
    );
}

#[test]
fn real_hackrf_796mhz_pci360() {
    let r = run("real_f796_s19.2_hackrf");
    assert!(!r.is_empty());
    let c = r.iter().find(|c| c.pci == 360).expect("PCI 360");
    let m = c.mib.unwrap();
    assert_eq!((m.ports, m.nof_prb), (2, 50));
    assert_eq!(
        (m.phich_duration, m.phich_resource),
        (PhichDuration::Normal, PhichResource::One)
    );
    assert!((c.cfo_hz - 6000.0).abs() < 1500.0, "cfo {}", c.cfo_hz);
    assert!(r.iter().all(|c| c.crc_ok));
}

#[test]
fn real_noise_has_no_cell() {
    let r = run("real_f2646_s1.92_noise_hackrf");
    assert!(r.is_empty(), "{r:?}");
}

#[test]
fn every_other_real_recording_is_consistent() {
    let dir = iq_dir().join("lte");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("recording folder missing: {}: {e}", dir.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".sigmf-meta").map(str::to_owned))
        .filter(|n| {
            n.starts_with("real_f")
                && n != "real_f796_s19.2_hackrf"
                && n != "real_f2646_s1.92_noise_hackrf"
        })
        .collect();
    names.sort();
    assert!(
        names.len() >= 5,
        "expected the real_f* recordings in {}",
        dir.display()
    );
    for name in names {
        let x = load(&name);
        let a = search(&x);
        let b = search(&x);
        eprintln!("{name}: {} cells", a.len());
        for c in &a {
            eprintln!("  {}", serde_json::to_string(c).unwrap());
            assert!(c.crc_ok && c.mib.is_some(), "{name}: cell without MIB CRC");
        }
        let key = |r: &[LteCellReport]| {
            let mut k: Vec<(u16, [u8; 24], u8)> = r
                .iter()
                .map(|c| (c.pci, c.mib.unwrap().bits, c.mib.unwrap().ports))
                .collect();
            k.sort();
            k
        };
        assert_eq!(key(&a), key(&b), "{name}: runs differ");
    }
}

#[test]
fn rtlsdr_796mhz_wide_cfo_matches_hackrf_truth() {
    // The RTL-SDR capture at 796 MHz is unlabelled but ~50 kHz off; with a wider
    // frequency search it must show the cell the labelled HackRF capture of the same
    // site holds (PCI 360, 50 PRB, 2 ports).
    let x = load("real_f796_s1.92_rtlsdr");
    let mut s = LteCellSearcher::new(LteSearchConfig {
        max_cfo_hz: 80e3,
        ..Default::default()
    });
    let r = s.search(&x);
    for c in &r {
        eprintln!("  {}", serde_json::to_string(c).unwrap());
    }
    let c = r.iter().find(|c| c.pci == 360).expect("PCI 360");
    let m = c.mib.unwrap();
    assert_eq!((m.ports, m.nof_prb), (2, 50));
    // The RTL-SDR's frequency error and its sample-clock drift come from one crystal:
    // drift ≈ −CFO / 796 MHz.
    let expect_ppm = -c.cfo_hz / 796e6 * 1e6;
    assert!(
        (c.timing_drift_ppm - expect_ppm).abs() < 10.0,
        "drift {} vs {}",
        c.timing_drift_ppm,
        expect_ppm
    );
}
