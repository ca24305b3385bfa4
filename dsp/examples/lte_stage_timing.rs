//! Rough per-stage timing of the LTE searcher on a synthetic 80 ms cell (diagnostics).
//!
//! `cargo run -p towerwatch-dsp --release --example lte_stage_timing`

use std::time::Instant;
use towerwatch_dsp::lte::cell_search::{LteCellSearcher, LteSearchConfig};
use towerwatch_dsp::lte::sync::pss::{
    pss_time, refine, track, PssSearch, PssSearchConfig, PssSearcher,
};
use towerwatch_dsp::lte::tx::channel::{add_awgn_snr, apply_cfo, Rng};
use towerwatch_dsp::lte::tx::{LteTransmitter, LteTxConfig};

fn main() {
    let mut tx = LteTransmitter::new(LteTxConfig {
        pci: 150,
        ports: 2,
        nof_prb: 50,
        ..Default::default()
    })
    .unwrap();
    let mut x = tx.generate(80);
    apply_cfo(&mut x, 6000.0, 1.92e6, 0.0);
    add_awgn_snr(&mut x, 0.0, &mut Rng::new(1));
    let n = 200u32;
    let mut p = PssSearcher::new(PssSearchConfig::default());
    let t = Instant::now();
    let mut c = None;
    for _ in 0..n {
        let r = p.search(&x, 38400);
        if c.is_none() {
            println!("{r:?}");
        }
        if let PssSearch::Found { candidates } = r {
            c = Some(candidates[0]);
        }
    }
    println!("pss search 20 ms window: {:?}", t.elapsed() / n);
    let c = c.unwrap();
    let rep = pss_time(0, 128);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(refine(&x, 38400, &c, &rep));
    }
    println!("refine: {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(track(&x, c.offset, c.cfo_hz, &rep));
    }
    println!("track 80 ms: {:?}", t.elapsed() / n);
    {
        use towerwatch_dsp::lte::grid::OfdmDemod;
        use towerwatch_dsp::lte::sync::cfo::Derotator;
        let mut d = OfdmDemod::new();
        let rot = Derotator::new(1234.0, 1.92e6);
        let mut out = [towerwatch_dsp::Complex32::default(); 72];
        let t = Instant::now();
        for i in 0..100_000 {
            d.demod_rot(&x, (i % 1000) as isize, &rot, &mut out);
        }
        println!("demod_rot: {:?}", t.elapsed() / 100_000);
        let t = Instant::now();
        for i in 0..100_000 {
            d.demod(&x, (i % 1000) as isize, &mut out);
        }
        println!("demod: {:?}", t.elapsed() / 100_000);
    }
    for cancel in [false, true] {
        let mut s = LteCellSearcher::new(LteSearchConfig {
            cancel,
            ..Default::default()
        });
        let t = Instant::now();
        for _ in 0..n / 4 {
            std::hint::black_box(s.search(&x));
        }
        println!("full search (cancel {cancel}): {:?}", t.elapsed() / (n / 4));
    }
}

#[allow(dead_code)]
fn unused() {}
