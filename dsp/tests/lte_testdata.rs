//! LTE cell search on the committed recording excerpts in `testdata/iq/`
//! (provenance in `testdata/iq/README.md`; expectations from their `.truth.json`).

use std::path::PathBuf;
use std::str::FromStr;
use towerwatch_dsp::iq::DataType;
use towerwatch_dsp::lte::cell_search::{LteCellReport, LteCellSearcher, LteSearchConfig};
use towerwatch_dsp::lte::mib::{PhichDuration, PhichResource};
use towerwatch_dsp::lte::{CyclicPrefix, Duplex};
use towerwatch_dsp::Complex32;

fn load(name: &str) -> Vec<Complex32> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/iq");
    let meta_path = dir.join(format!("{name}.sigmf-meta"));
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&meta_path)
            .unwrap_or_else(|e| panic!("missing {}: {e}", meta_path.display())),
    )
    .unwrap();
    let dt = DataType::from_str(meta["global"]["core:datatype"].as_str().unwrap()).unwrap();
    let fs = meta["global"]["core:sample_rate"].as_f64().unwrap();
    let data_path = dir.join(format!("{name}.sigmf-data"));
    let bytes = std::fs::read(&data_path)
        .unwrap_or_else(|e| panic!("missing {}: {e}", data_path.display()));
    let x = dt.decode(&bytes);
    if (fs - 1.92e6).abs() > 1.0 {
        towerwatch_dsp::signal::resample::resample(&x, fs, 1.92e6).unwrap()
    } else {
        x
    }
}

fn search(name: &str) -> Vec<LteCellReport> {
    let x = load(name);
    let r = LteCellSearcher::new(LteSearchConfig::default()).search(&x);
    eprintln!("{name}: {}", serde_json::to_string_pretty(&r).unwrap());
    r
}

#[test]
fn srsran_cell150_two_ports_exact_mib() {
    let r = search("srsran_pbch_cell150_2port");
    assert_eq!(r.len(), 1);
    let c = &r[0];
    assert_eq!(c.pci, 150);
    assert_eq!((c.n_id_1, c.n_id_2), (50, 0));
    assert_eq!(c.cp, CyclicPrefix::Normal);
    let mib = c.mib.unwrap();
    assert_eq!(mib.ports, 2);
    assert_eq!(mib.bits_string(), "011010000001110000000000");
    assert_eq!(mib.nof_prb, 50);
    assert_eq!(mib.phich_duration, PhichDuration::Normal);
    assert_eq!(mib.phich_resource, PhichResource::One);
    assert_eq!(mib.sfn, 28);
}

#[test]
fn amarisoft_cell1_one_port() {
    let r = search("srsran_amarisoft_cell1_6prb");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].pci, 1);
    let mib = r[0].mib.unwrap();
    assert_eq!(mib.ports, 1);
    assert_eq!(mib.nof_prb, 6);
}

#[test]
fn srsenb_pci123_excerpt() {
    let r = search("srsenb_b3_6prb_pci123_40ms");
    assert_eq!(r.len(), 1);
    let c = &r[0];
    assert_eq!((c.pci, c.n_id_1, c.n_id_2), (123, 41, 0));
    assert_eq!(c.duplex, Duplex::Fdd);
    let mib = c.mib.unwrap();
    assert_eq!((mib.ports, mib.nof_prb), (1, 6));
    assert_eq!(mib.phich_duration, PhichDuration::Normal);
    assert_eq!(mib.phich_resource, PhichResource::OneSixth);
    assert!(c.cfo_hz.abs() < 50.0);
}

#[test]
fn real_hackrf_796mhz_excerpt() {
    let r = search("real_f796_s19.2_hackrf_20ms");
    assert_eq!(r.len(), 1, "{r:?}");
    let c = &r[0];
    assert_eq!(c.pci, 360);
    let mib = c.mib.unwrap();
    assert_eq!((mib.ports, mib.nof_prb), (2, 50));
    assert_eq!(mib.phich_resource, PhichResource::One);
    // About +6 kHz off (truth file).
    assert!((c.cfo_hz - 6000.0).abs() < 1500.0, "{}", c.cfo_hz);
}

#[test]
fn real_noise_excerpt_has_no_cell() {
    assert!(search("real_f2646_s1.92_noise_hackrf_40ms").is_empty());
}
