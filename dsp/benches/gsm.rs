//! GSM receiver throughput with divan (receivers built once, steady state).
//!
//! `cargo bench -p towerwatch-dsp --bench gsm`
//!
//! Real-time factor = signal duration / time per call:
//! - `receiver_real_953_6mhz`: the committed off-the-air excerpt, 160 ms at 500 ksps
//!   (FCCH, SCH, 6 BCCH/CCCH blocks).
//! - `receiver_synthetic_1s`: 0.94 s (4 multiframes, 204 frames) of our transmitter at
//!   1 Msps through TU12 multipath, +20 kHz and Es/N0 = 12 dB.
//! - `band_scan_2_4msps`: 100 ms at 2.4 Msps, 8 channels on the raster;
//!   divan's items/s are samples/s, channels/s = calls/s × 8.

use divan::counter::ItemsCount;
use divan::{black_box, Bencher};
use std::str::FromStr;
use towerwatch_dsp::gsm::band_scan::{BandScanConfig, BandScanner};
use towerwatch_dsp::gsm::burst_rx::{BurstKind, BurstReceiver};
use towerwatch_dsp::gsm::fcch::{FcchConfig, FcchDetector};
use towerwatch_dsp::gsm::multiframe::Ts0Channel;
use towerwatch_dsp::gsm::receiver::{GsmReceiver, GsmReceiverConfig};
use towerwatch_dsp::gsm::tx::channel::{add_noise_es_n0, apply_cfo, Multipath, Rng, TU12};
use towerwatch_dsp::gsm::tx::{FrameModulator, Ts0Config, Ts0Generator};
use towerwatch_dsp::gsm::xcch::XcchDecoder;
use towerwatch_dsp::gsm::SYMBOL_RATE;
use towerwatch_dsp::iq::DataType;
use towerwatch_dsp::signal::resample::Resampler;
use towerwatch_dsp::Complex32;

fn main() {
    divan::main();
}

fn real_excerpt() -> (Vec<Complex32>, f64) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/iq");
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("real_gsmsp2007_953.6MHz_128.sigmf-meta")).unwrap(),
    )
    .unwrap();
    let dt = DataType::from_str(meta["global"]["core:datatype"].as_str().unwrap()).unwrap();
    let x = dt.decode(&std::fs::read(dir.join("real_gsmsp2007_953.6MHz_128.sigmf-data")).unwrap());
    (x, meta["global"]["core:sample_rate"].as_f64().unwrap())
}

fn synthetic(rate: f64) -> Vec<Complex32> {
    let frames = Ts0Generator::new(
        Ts0Config {
            ncc: 1,
            bcc: 2,
            combined: false,
        },
        |f, _: Ts0Channel| {
            let mut b = [0x2b_u8; 23];
            b[..4].copy_from_slice(&f.to_be_bytes());
            Some(b)
        },
    )
    .frames(51 * 300, 4 * 51, false);
    let mut x = Vec::new();
    FrameModulator::new(4).modulate(&frames, 0.5, &mut x);
    let mut y = Vec::new();
    Resampler::new(4.0 * SYMBOL_RATE, rate)
        .unwrap()
        .process(&x, &mut y);
    let mut rng = Rng::new(7);
    let mut y = Multipath::draw(TU12, rate, &mut rng).apply(&y);
    apply_cfo(&mut y, 20_000.0, rate, 0.0);
    add_noise_es_n0(&mut y, 12.0, rate, &mut rng);
    y
}

/// The whole receiver on the real 160 ms excerpt.
#[divan::bench]
fn receiver_real_953_6mhz(b: Bencher) {
    let (x, fs) = real_excerpt();
    let mut rx = GsmReceiver::new(GsmReceiverConfig::default()).unwrap();
    assert_eq!(rx.process(&x, fs).unwrap().cells[0].frames.len(), 6);
    b.counter(ItemsCount::new(x.len()))
        .bench_local(|| black_box(rx.process(black_box(&x), fs).unwrap()));
}

/// The whole receiver on 0.94 s of synthetic TU signal at 1 Msps.
#[divan::bench]
fn receiver_synthetic_1s(b: Bencher) {
    let rate = 1e6;
    let x = synthetic(rate);
    let mut rx = GsmReceiver::new(GsmReceiverConfig::default()).unwrap();
    assert!(rx.process(&x, rate).unwrap().cells[0].frames.len() > 30);
    b.counter(ItemsCount::new(x.len()))
        .bench_local(|| black_box(rx.process(black_box(&x), rate).unwrap()));
}

/// FCCH search alone over 0.94 s at 2 samples per symbol.
#[divan::bench]
fn fcch_search_1s(b: Bencher) {
    let x = synthetic(2.0 * SYMBOL_RATE);
    let mut d = FcchDetector::new(FcchConfig::default(), 2);
    b.counter(ItemsCount::new(x.len()))
        .bench_local(|| black_box(d.search(black_box(&x))));
}

/// One normal burst: timing search (±2 symbols), estimation, MLSE twice.
#[divan::bench]
fn normal_burst(b: Bencher) {
    let x = synthetic(2.0 * SYMBOL_RATE);
    let mut r = BurstReceiver::new(2);
    b.bench_local(|| black_box(r.receive(black_box(&x), BurstKind::Normal { tsc: 2 }, 2000, 2008)));
}

/// xCCH block decoding (Viterbi + Fire) from 456 LLRs.
#[divan::bench]
fn xcch_block(b: Bencher) {
    let llrs: Vec<f32> = (0..456)
        .map(|i| if i % 3 == 0 { -1.0 } else { 1.0 })
        .collect();
    let mut d = XcchDecoder::new();
    b.bench_local(|| black_box(d.decode(black_box(&llrs))));
}

/// Band scan: 100 ms at 2.4 Msps, 8 raster channels.
#[divan::bench]
fn band_scan_2_4msps(b: Bencher) {
    let fs = 2.4e6;
    let mut rng = Rng::new(3);
    let mut x = vec![Complex32::default(); 240_000];
    towerwatch_dsp::gsm::tx::channel::add_awgn(&mut x, 1e-3, &mut rng);
    let mut s = BandScanner::new(BandScanConfig::default());
    assert_eq!(s.scan(&x, fs, Some(935.1e6)).unwrap().len(), 8);
    b.counter(ItemsCount::new(x.len()))
        .bench_local(|| black_box(s.scan(black_box(&x), fs, Some(935.1e6)).unwrap()));
}
