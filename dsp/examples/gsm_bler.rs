//! BCCH/CCCH block error rate against Es/N0 on a typical-urban channel
//! (TS 45.005 annex C.3, 12 taps), through the whole receiver: FCCH, SCH,
//! timing, MLSE, xCCH decoding. Every block of timeslot 0 carries a random
//! 23-octet frame; a block counts as received only if its exact octets come out.
//! Blocks lost to a synchronisation failure count as errors.
//!
//! Fading: static Rayleigh taps drawn anew for every TDMA frame (`per-burst`,
//! default: independent fading per burst, the interleaver's best case, like a
//! fast-moving receiver or ideal frequency hopping) or for every 4-frame block
//! (`--per-block`: the whole block in one fade, like a static receiver without
//! hopping, TU1.5/TU3 noFH).
//!
//! The cell is offset by 15 kHz (found and corrected by the FCCH stage).
//!
//! `cargo run --release -p towerwatch-dsp --example gsm_bler -- [--per-block] [multiframes per point]`

use towerwatch_dsp::gsm::multiframe::Ts0Channel;
use towerwatch_dsp::gsm::receiver::{GsmReceiver, GsmReceiverConfig};
use towerwatch_dsp::gsm::tx::channel::{add_awgn, apply_cfo, mean_power, Multipath, Rng, TU12};
use towerwatch_dsp::gsm::tx::{FrameModulator, Ts0Config, Ts0Generator, FRAME_SYMBOLS};
use towerwatch_dsp::gsm::SYMBOL_RATE;
use towerwatch_dsp::Complex32;

const SPS: usize = 2;
/// Carrier frequency offset of the simulated cell, Hz.
const CFO_HZ: f64 = 15_000.0;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let per_block = args.iter().any(|a| a == "--per-block");
    let multiframes: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(40);
    let rate = SYMBOL_RATE * SPS as f64;
    let frame_len = FRAME_SYMBOLS * SPS;
    // Chunks of 4 multiframes (0.94 s), each its own receiver call.
    let chunk_mf = 4;
    let chunks = multiframes.div_ceil(chunk_mf);
    println!(
        "TU12, fading redrawn per {}, {} multiframes per point, {} sps, CFO {} Hz",
        if per_block { "block" } else { "burst" },
        chunks * chunk_mf,
        SPS,
        CFO_HZ
    );
    println!("Es/N0 dB | blocks | errors | BLER   | chunks without sync (of {chunks})");
    let mut rx = GsmReceiver::new(GsmReceiverConfig::default()).expect("config");
    for es_n0 in [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 15.0] {
        let mut rng = Rng::new(1000 + es_n0 as u64);
        let (mut blocks, mut errors, mut lost_sync) = (0usize, 0usize, 0usize);
        for chunk in 0..chunks {
            let fn0 = 51 * (100 + chunk as u32 * 7) + (chunk as u32 * 13) % 51;
            let n = chunk_mf * 51;
            let mut contents = std::collections::HashMap::new();
            let mut frame_rng = Rng::new(rng.next_u64());
            let frames = Ts0Generator::new(
                Ts0Config {
                    ncc: 2,
                    bcc: 5,
                    combined: false,
                },
                |first, _ch: Ts0Channel| {
                    let f: [u8; 23] = std::array::from_fn(|_| (frame_rng.next_u64() & 0xFF) as u8);
                    contents.insert(first, f);
                    Some(f)
                },
            )
            .frames(fn0, n, false);
            let mut x = Vec::new();
            FrameModulator::new(SPS).modulate(&frames, 0.5, &mut x);
            let p = mean_power(&x);
            // Time-varying channel: taps change at the start of each frame's timeslot 0.
            let mut y = vec![Complex32::default(); x.len()];
            let mut mp = Multipath::draw(TU12, rate, &mut rng);
            for (k, out) in y.chunks_mut(frame_len).enumerate() {
                if !per_block
                    || (fn0 as usize + k) % 51 % 10 == 2
                    || (fn0 as usize + k) % 51 % 10 == 6
                {
                    mp = Multipath::draw(TU12, rate, &mut rng);
                }
                let taps = mp.taps();
                for (i, o) in out.iter_mut().enumerate() {
                    let n = k * frame_len + i;
                    let mut acc = Complex32::default();
                    for (j, &h) in taps.iter().enumerate() {
                        if n >= j {
                            acc += h * x[n - j];
                        }
                    }
                    *o = acc;
                }
            }
            apply_cfo(&mut y, CFO_HZ, rate, 0.0);
            add_awgn(&mut y, p * SPS as f64 / 10f64.powf(es_n0 / 10.0), &mut rng);
            let rep = rx.process(&y, rate).expect("receiver");
            // Complete blocks in the chunk: those whose 4 bursts lie inside it.
            let expected: Vec<(u32, [u8; 23])> = contents
                .iter()
                .filter(|(f, _)| **f >= fn0 && **f + 3 < fn0 + n as u32)
                .map(|(f, c)| (*f, *c))
                .collect();
            blocks += expected.len();
            if rep.cells.is_empty() {
                lost_sync += 1;
            }
            if std::env::var_os("GSM_BLER_DEBUG").is_some() {
                for c in &rep.cells {
                    eprintln!(
                        "Es/N0 {es_n0} chunk {chunk}: FN0 {fn0} first {} SCH {}/{} blocks {}/{} cfo {:.0} drift {:.1}",
                        c.fn_first, c.sch_ok, c.sch_failed, c.bcch_ok, c.bcch_failed, c.cfo_hz, c.timing_drift_ppm
                    );
                }
            }
            let got = rep
                .cells
                .first()
                .map(|c| c.frames.as_slice())
                .unwrap_or(&[]);
            for (f, c) in &expected {
                if !got.iter().any(|g| g.fnum == *f && g.data == *c) {
                    errors += 1;
                }
            }
        }
        println!(
            "{es_n0:7.1} | {blocks:6} | {errors:6} | {:.4} | {lost_sync}",
            errors as f64 / blocks.max(1) as f64
        );
    }
}
