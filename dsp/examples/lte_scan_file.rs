//! Runs the LTE cell searcher on a SigMF recording and prints what it finds.
//!
//! `cargo run -p towerwatch-dsp --release --example lte_scan_file -- PATH/NAME.sigmf-meta`

use std::str::FromStr;
use towerwatch_dsp::iq::DataType;
use towerwatch_dsp::lte::cell_search::{LteCellSearcher, LteSearchConfig};

fn main() {
    let Some(meta_path) = std::env::args().nth(1) else {
        eprintln!("usage: lte_scan_file NAME.sigmf-meta");
        std::process::exit(2);
    };
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta_path).expect("read meta"))
            .expect("meta json");
    let dt = DataType::from_str(meta["global"]["core:datatype"].as_str().expect("datatype"))
        .expect("datatype");
    let fs = meta["global"]["core:sample_rate"]
        .as_f64()
        .expect("sample rate");
    let data = std::fs::read(meta_path.replace(".sigmf-meta", ".sigmf-data")).expect("read data");
    let x = dt.decode(&data);
    let x = if (fs - 1.92e6).abs() > 1.0 {
        towerwatch_dsp::signal::resample::resample(&x, fs, 1.92e6).expect("resample")
    } else {
        x
    };
    let max_cfo_hz = std::env::var("MAX_CFO")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25e3);
    let mut s = LteCellSearcher::new(LteSearchConfig {
        report_unconfirmed: std::env::var("UNCONFIRMED").is_ok(),
        max_cfo_hz,
        ..Default::default()
    });
    let cells = s.search(&x);
    // Steady state: repeat (REPEAT=n) with the same searcher.
    let reps: u32 = std::env::var("REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let t = std::time::Instant::now();
    for _ in 0..reps {
        std::hint::black_box(s.search(&x));
    }
    let dt = t.elapsed() / reps;
    println!("{} samples at 1.92 Msps, search took {:?}", x.len(), dt);
    for c in cells {
        println!("{}", serde_json::to_string(&c).unwrap());
    }
}
