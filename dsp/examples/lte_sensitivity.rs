//! LTE cell search sensitivity: PCI detection and MIB decoding rate versus SNR.
//!
//! Each trial renders 40 ms of a fully loaded cell (random PCI, 1/2/4 ports with
//! random per-port phases, random timing offset, CFO uniform in ±10 kHz) from the
//! test transmitter at 1.92 Msps, adds white Gaussian noise at the given SNR
//! (signal power over noise power in the whole 1.92 MHz band) and runs the cell
//! searcher (detection-only reports enabled to count PCI detections).
//!
//! `cargo run -p towerwatch-dsp --release --example lte_sensitivity -- [TRIALS] [SNR_MIN] [SNR_MAX] [STEP]`
//! (defaults 200, −12, 6, 2; trials are seeded by SNR and index, so runs repeat exactly).

use towerwatch_dsp::lte::cell_search::{LteCellSearcher, LteSearchConfig};
use towerwatch_dsp::lte::mib::Mib;
use towerwatch_dsp::lte::tx::channel::{
    add_awgn, apply_cfo, combine_ports, delay, mean_power, Rng,
};
use towerwatch_dsp::lte::tx::{LteTransmitter, LteTxConfig};
use towerwatch_dsp::Complex32;

fn main() {
    let args: Vec<f64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let trials = args.first().copied().unwrap_or(200.0) as usize;
    let lo = args.get(1).copied().unwrap_or(-12.0);
    let hi = args.get(2).copied().unwrap_or(6.0);
    let step = args.get(3).copied().unwrap_or(2.0);
    let mut searcher = LteCellSearcher::new(LteSearchConfig {
        report_unconfirmed: true,
        ..Default::default()
    });
    println!("| SNR (dB) | trials | PCI detected | MIB decoded | wrong PCI reported | mean search time |");
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut snr = lo;
    while snr <= hi + 1e-9 {
        let (mut pci_ok, mut mib_ok, mut wrong) = (0usize, 0usize, 0usize);
        let mut busy = std::time::Duration::ZERO;
        for t in 0..trials {
            let mut rng = Rng::new(((snr + 100.0) * 1000.0) as u64 * 100_003 + t as u64);
            let pci = rng.below(504) as u16;
            let ports = [1u8, 2, 4][rng.below(3) as usize];
            let sfn = rng.below(1024) as u16;
            let cfg = LteTxConfig {
                pci,
                ports,
                nof_prb: 50,
                sfn,
                seed: rng.next_u64(),
                ..Default::default()
            };
            let mut tx = LteTransmitter::new(cfg.clone()).expect("valid config");
            let per_port = tx.generate_ports(41);
            let h: Vec<Complex32> = (0..per_port.len())
                .map(|_| Complex32::from_polar(1.0, rng.range(0.0, std::f64::consts::TAU) as f32))
                .collect();
            let mut x = combine_ports(&per_port, &h);
            x = delay(&x, rng.range(0.0, 1920.0));
            let x = &mut x[1920..];
            apply_cfo(
                x,
                rng.range(-10e3, 10e3),
                1.92e6,
                rng.range(0.0, std::f64::consts::TAU),
            );
            let np = mean_power(x) / 10f64.powf(snr / 10.0);
            add_awgn(x, np, &mut rng);
            let t0 = std::time::Instant::now();
            let cells = searcher.search(x);
            busy += t0.elapsed();
            if cells.iter().any(|c| c.pci == pci) {
                pci_ok += 1;
            }
            let want =
                Mib::encode(cfg.nof_prb, cfg.phich_duration, cfg.phich_resource, 0).expect("valid");
            if cells.iter().any(|c| {
                c.pci == pci
                    && c.crc_ok
                    && c.mib.is_some_and(|m| {
                        m.ports == ports && m.bits[..6] == want[..6] && m.bits[14..] == want[14..]
                    })
            }) {
                mib_ok += 1;
            }
            wrong += cells.iter().filter(|c| c.pci != pci && c.crc_ok).count();
        }
        println!(
            "| {snr:+.0} | {trials} | {:.1} % | {:.1} % | {wrong} | {:.2} ms |",
            100.0 * pci_ok as f64 / trials as f64,
            100.0 * mib_ok as f64 / trials as f64,
            busy.as_secs_f64() * 1e3 / trials as f64
        );
        snr += step;
    }
}
