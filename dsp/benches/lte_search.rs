//! LTE cell search + MIB throughput at 1.92 Msps (steady state: the searcher is
//! built once) and construction cost, with divan.
//!
//! `cargo bench -p towerwatch-dsp --bench lte_search`
//!
//! Real-time factor = (signal duration) / (time per search): 40 ms of signal at
//! 1.92 Msps is 76,800 samples, so divan's samples/s divided by 1.92e6.

use divan::counter::ItemsCount;
use divan::{black_box, Bencher};
use towerwatch_dsp::lte::cell_search::{LteCellSearcher, LteSearchConfig};
use towerwatch_dsp::lte::tx::channel::{add_awgn_snr, apply_cfo, combine_ports, Rng};
use towerwatch_dsp::lte::tx::{LteTransmitter, LteTxConfig};
use towerwatch_dsp::Complex32;

fn main() {
    divan::main();
}

fn signal(subframes: usize, cells: &[(u16, u8, f32)], snr_db: f64) -> Vec<Complex32> {
    signal_cfo(subframes, cells, snr_db, 6000.0)
}

fn signal_cfo(
    subframes: usize,
    cells: &[(u16, u8, f32)],
    snr_db: f64,
    cfo_hz: f64,
) -> Vec<Complex32> {
    let mut rng = Rng::new(42);
    let mut sum = vec![Complex32::default(); subframes * 1920];
    for &(pci, ports, gain) in cells {
        let mut tx = LteTransmitter::new(LteTxConfig {
            pci,
            ports,
            nof_prb: 50,
            ..Default::default()
        })
        .unwrap();
        let mut s = combine_ports(&tx.generate_ports(subframes), &[]);
        apply_cfo(&mut s, cfo_hz, 1.92e6, 0.3);
        // Rotate timing between cells so they do not align.
        s.rotate_right(usize::from(pci) * 37 % 19200);
        for (a, b) in sum.iter_mut().zip(&s) {
            *a += b * gain;
        }
    }
    add_awgn_snr(&mut sum, snr_db, &mut rng);
    sum
}

#[divan::bench]
fn construct() -> LteCellSearcher {
    LteCellSearcher::new(LteSearchConfig::default())
}

/// One cell, 40 ms, 0 dB SNR.
#[divan::bench]
fn search_one_cell_40ms(b: Bencher) {
    let x = signal(40, &[(150, 2, 1.0)], 0.0);
    let mut s = LteCellSearcher::new(LteSearchConfig::default());
    assert_eq!(s.search(&x).len(), 1);
    b.counter(ItemsCount::new(x.len()))
        .bench_local(|| black_box(s.search(black_box(&x))));
}

/// One cell, 80 ms, 0 dB SNR.
#[divan::bench]
fn search_one_cell_80ms(b: Bencher) {
    let x = signal(80, &[(150, 2, 1.0)], 0.0);
    let mut s = LteCellSearcher::new(LteSearchConfig::default());
    b.counter(ItemsCount::new(x.len()))
        .bench_local(|| black_box(s.search(black_box(&x))));
}

/// One cell, 400 ms, 0 dB SNR (a long dwell: the PSS search window stays 20 ms).
#[divan::bench]
fn search_one_cell_400ms(b: Bencher) {
    let x = signal(400, &[(150, 2, 1.0)], 0.0);
    let mut s = LteCellSearcher::new(LteSearchConfig::default());
    assert_eq!(s.search(&x).len(), 1);
    b.counter(ItemsCount::new(x.len()))
        .bench_local(|| black_box(s.search(black_box(&x))));
}

/// Two cells (the second 3 dB weaker), 40 ms, 10 dB SNR (cancellation and a second pass).
#[divan::bench]
fn search_two_cells_40ms(b: Bencher) {
    let x = signal(40, &[(150, 2, 1.0), (301, 1, 0.7)], 10.0);
    let mut s = LteCellSearcher::new(LteSearchConfig::default());
    assert_eq!(s.search(&x).len(), 2);
    b.counter(ItemsCount::new(x.len()))
        .bench_local(|| black_box(s.search(black_box(&x))));
}

/// Receiver noise only, 40 ms (the common case on an empty channel).
#[divan::bench]
fn search_noise_40ms(b: Bencher) {
    let mut rng = Rng::new(1);
    let mut x = vec![Complex32::default(); 76800];
    towerwatch_dsp::lte::tx::channel::add_awgn(&mut x, 1e-3, &mut rng);
    let mut s = LteCellSearcher::new(LteSearchConfig::default());
    b.counter(ItemsCount::new(x.len()))
        .bench_local(|| black_box(s.search(black_box(&x))));
}

/// One cell 55 kHz off (an RTL-SDR's error at 800 MHz), searched over ±80 kHz, 40 ms.
#[divan::bench]
fn search_one_cell_40ms_cfo55k_wide(b: Bencher) {
    let x = signal_cfo(40, &[(150, 2, 1.0)], 0.0, 55e3);
    let mut s = LteCellSearcher::new(LteSearchConfig {
        max_cfo_hz: 80e3,
        ..Default::default()
    });
    assert_eq!(s.search(&x).len(), 1);
    b.counter(ItemsCount::new(x.len()))
        .bench_local(|| black_box(s.search(black_box(&x))));
}

/// Receiver noise only, 40 ms, searched over ±80 kHz.
#[divan::bench]
fn search_noise_40ms_wide(b: Bencher) {
    let mut rng = Rng::new(1);
    let mut x = vec![Complex32::default(); 76800];
    towerwatch_dsp::lte::tx::channel::add_awgn(&mut x, 1e-3, &mut rng);
    let mut s = LteCellSearcher::new(LteSearchConfig {
        max_cfo_hz: 80e3,
        ..Default::default()
    });
    b.counter(ItemsCount::new(x.len()))
        .bench_local(|| black_box(s.search(black_box(&x))));
}
