//! LTE system information decoding throughput (PCFICH, PDCCH blind decoding for
//! SI-RNTI in every subframe, PDSCH and turbo decoding of every SI transmission)
//! for a 25 PRB cell at 7.68 Msps, in steady state (receiver built once), with divan.
//!
//! `cargo bench -p towerwatch-dsp --bench lte_si`
//!
//! Real-time factor = divan's samples/s ÷ 7.68e6 (the input is the cell-rate
//! stream; 640 ms = 4,915,200 samples).

use divan::counter::ItemsCount;
use divan::{black_box, Bencher};
use towerwatch_dsp::lte::cell_search::{LteCellSearcher, LteSearchConfig};
use towerwatch_dsp::lte::mib::{PhichDuration, PhichResource};
use towerwatch_dsp::lte::si::{decode_si, SiCell, SiReceiver, SiSchedule, SiTiming};
use towerwatch_dsp::lte::tx::channel::{add_awgn_snr, apply_cfo, combine_ports, Rng};
use towerwatch_dsp::lte::tx::si::{ScheduledTb, SiTxConfig};
use towerwatch_dsp::lte::tx::{LteTransmitter, LteTxConfig};
use towerwatch_dsp::lte::{CyclicPrefix, Duplex};
use towerwatch_dsp::Complex32;

fn main() {
    divan::main();
}

const CFO: f64 = 2000.0;

/// 25 PRB, 2 ports, 10 dB SNR, SIB1 (every 20 ms) and four SI messages laid out
/// as a common operator configuration: si-WindowLength 20 ms, periodicities 16,
/// 64, 64, 64 frames (each message once per period, inside its window).
fn signal(subframes: usize, load: bool) -> (Vec<Complex32>, f64) {
    let mut tx = LteTransmitter::new(LteTxConfig {
        pci: 301,
        ports: 2,
        nof_prb: 25,
        fft_size: 512,
        phich_resource: PhichResource::One,
        data_load: load,
        ..Default::default()
    })
    .unwrap();
    let sib1: Vec<u8> = (0..17u8).map(|i| i.wrapping_mul(29) ^ 0x40).collect();
    let msg = |n: u8, len: u8| -> Vec<u8> { (0..len).map(|i| i.wrapping_mul(13) ^ n).collect() };
    tx.set_system_info(SiTxConfig {
        sibs: vec![
            ScheduledTb::sib1(sib1),
            ScheduledTb {
                period_frames: 16,
                frame_offset: 1,
                subframe: 1,
                bytes: msg(1, 33),
            },
            ScheduledTb {
                period_frames: 64,
                frame_offset: 3,
                subframe: 2,
                bytes: msg(2, 30),
            },
            ScheduledTb {
                period_frames: 64,
                frame_offset: 5,
                subframe: 3,
                bytes: msg(3, 24),
            },
            ScheduledTb {
                period_frames: 64,
                frame_offset: 7,
                subframe: 4,
                bytes: msg(4, 40),
            },
        ],
        cfi: 2,
        aggregation: 4,
        rb_start: 2,
        ..Default::default()
    })
    .unwrap();
    let fs = tx.sample_rate();
    let mut x = combine_ports(&tx.generate_ports(subframes), &[]);
    apply_cfo(&mut x, CFO, fs, 0.1);
    add_awgn_snr(&mut x, 10.0, &mut Rng::new(3));
    (x, fs)
}

fn receiver() -> SiReceiver {
    SiReceiver::new(SiCell {
        nprb: 25,
        pci: 301,
        ports: 2,
        cp: CyclicPrefix::Normal,
        duplex: Duplex::Fdd,
        phich_duration: PhichDuration::Normal,
        phich_resource: PhichResource::One,
    })
    .unwrap()
}

fn timing(fs: f64) -> SiTiming {
    SiTiming {
        frame_start: 0.0,
        sfn: 0,
        frame_len: fs * 0.01,
        cfo_hz: CFO,
    }
}

#[divan::bench]
fn construct() -> SiReceiver {
    receiver()
}

/// 640 ms (one 64-frame SI cycle: 32 SIB1 + 4 + 1 + 1 + 1 SI transmissions).
const SUBFRAMES: usize = 640;
const PDUS: usize = 39;

/// Every subframe searched; unused resource elements (control region included)
/// carry random QPSK, so every PDCCH candidate is decoded.
#[divan::bench(sample_count = 30)]
fn si_25prb_loaded_every_subframe(b: Bencher) {
    let (x, fs) = signal(SUBFRAMES, true);
    let mut rx = receiver();
    assert_eq!(rx.decode_recording(&x, &timing(fs)).len(), PDUS);
    b.counter(ItemsCount::new(x.len()))
        .bench_local(|| black_box(rx.decode_recording(black_box(&x), &timing(fs))));
}

/// As above, searching only SIB1's subframes and the SI windows of SIB1's
/// schedule (what a sensor does once SIB1 is decoded).
#[divan::bench(sample_count = 30)]
fn si_25prb_loaded_scheduled(b: Bencher) {
    let (x, fs) = signal(SUBFRAMES, true);
    let mut rx = receiver();
    rx.set_schedule(Some(SiSchedule {
        window_ms: 20,
        periodicities_rf: vec![16, 64, 64, 64],
    }));
    assert_eq!(rx.decode_recording(&x, &timing(fs)).len(), PDUS);
    b.counter(ItemsCount::new(x.len()))
        .bench_local(|| black_box(rx.decode_recording(black_box(&x), &timing(fs))));
}

/// Every subframe searched, idle cell (only the SI is sent, as in the srsenb
/// recordings): idle PDCCH candidates are skipped by their power.
#[divan::bench(sample_count = 30)]
fn si_25prb_idle_every_subframe(b: Bencher) {
    let (x, fs) = signal(SUBFRAMES, false);
    let mut rx = receiver();
    assert_eq!(rx.decode_recording(&x, &timing(fs)).len(), PDUS);
    b.counter(ItemsCount::new(x.len()))
        .bench_local(|| black_box(rx.decode_recording(black_box(&x), &timing(fs))));
}

/// The full chain on 80 ms of a loaded 25 PRB cell: resampling to 1.92 Msps, cell
/// search and MIB, then `decode_si` (resampling is skipped: the input is already
/// at the cell rate). Counter: samples at 7.68 Msps.
#[divan::bench(sample_count = 20)]
fn search_mib_si_25prb_loaded_80ms(b: Bencher) {
    let (x, fs) = signal(80, true);
    let mut searcher = LteCellSearcher::new(LteSearchConfig::default());
    b.counter(ItemsCount::new(x.len())).bench_local(|| {
        let x192 = towerwatch_dsp::signal::resample::resample(&x, fs, 1.92e6).unwrap();
        let cells = searcher.search(&x192);
        let pdus = decode_si(&x, fs, &cells[0]).unwrap();
        black_box(pdus)
    });
}
