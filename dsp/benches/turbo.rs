//! Turbo decoder throughput (TS 36.212 §5.1.3.2), with divan: information bits
//! per second of `TurboDecoder::decode` (max-log-MAP, extrinsic scale 0.7) at a
//! fixed iteration count (no early stop), for K = 6144 and SIB-sized blocks.
//!
//! `cargo bench -p towerwatch-dsp --bench turbo`
//!
//! The counter counts information bits as items, so divan's items/s is bit/s.

use divan::counter::ItemsCount;
use divan::{black_box, Bencher};
use towerwatch_dsp::fec::turbo::{turbo_encode, TurboAlgorithm, TurboConfig, TurboDecoder};

fn main() {
    divan::main();
}

/// Noisy LLR streams for a random block of size `k` at Es/N0 −3 dB (deterministic).
fn streams(k: usize) -> [Vec<f32>; 3] {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15 ^ k as u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let c: Vec<u8> = (0..k).map(|_| (next() & 1) as u8).collect();
    let d = turbo_encode(&c).expect("block size");
    let sigma = (0.5f32 / 10f32.powf(-0.3)).sqrt();
    d.map(|v| {
        v.iter()
            .map(|&b| {
                // Sum of 12 uniforms − 6 ≈ N(0, 1).
                let n: f32 = (0..12)
                    .map(|_| (next() >> 40) as f32 / (1u64 << 24) as f32)
                    .sum::<f32>()
                    - 6.0;
                let y = if b == 0 { 1.0 } else { -1.0 } + sigma * n;
                2.0 * y / (sigma * sigma)
            })
            .collect()
    })
}

fn run(bencher: Bencher, k: usize, iterations: usize, algorithm: TurboAlgorithm) {
    let [d0, d1, d2] = streams(k);
    let mut dec = TurboDecoder::with_config(
        k,
        TurboConfig {
            max_iterations: iterations,
            algorithm,
            ..Default::default()
        },
    );
    let mut out = vec![0u8; k];
    bencher.counter(ItemsCount::new(k)).bench_local(|| {
        dec.decode(
            black_box(&d0),
            black_box(&d1),
            black_box(&d2),
            &mut out,
            |_| false,
        )
        .expect("decode");
        black_box(&out);
    });
}

/// Max-log fast path, 4 iterations (a typical early-stop count at working SNR).
#[divan::bench(args = [40, 104, 208, 504, 1008, 6144])]
fn max_log_4_iterations(bencher: Bencher, k: usize) {
    run(bencher, k, 4, TurboAlgorithm::MaxLog);
}

/// Max-log fast path, 8 iterations (the default maximum).
#[divan::bench(args = [40, 1008, 6144])]
fn max_log_8_iterations(bencher: Bencher, k: usize) {
    run(bencher, k, 8, TurboAlgorithm::MaxLog);
}

/// The scalar reference, 4 iterations, for comparison.
#[divan::bench(args = [1008, 6144])]
fn max_log_reference_4_iterations(bencher: Bencher, k: usize) {
    run(bencher, k, 4, TurboAlgorithm::MaxLogReference);
}
