//! GSM IQ loopback: our transmitter (GMSK, TS 45.004; 51-multiframe, TS 45.002
//! §7) → typical-urban multipath (TS 45.005 annex C.3), frequency offset,
//! noise → the full receiver (FCCH, SCH, MLSE, xCCH). Seeds are fixed.

use towerwatch_dsp::gsm::multiframe::Ts0Channel;
use towerwatch_dsp::gsm::receiver::{ChannelPlan, GsmReceiver, GsmReceiverConfig, MissReason};
use towerwatch_dsp::gsm::tx::channel::{add_noise_es_n0, apply_cfo, Multipath, Rng, TU12};
use towerwatch_dsp::gsm::tx::{FrameBursts, FrameModulator, Ts0Config, Ts0Generator};
use towerwatch_dsp::gsm::SYMBOL_RATE;
use towerwatch_dsp::signal::resample::Resampler;
use towerwatch_dsp::Complex32;

/// Frames → baseband at `rate` with TU multipath (seed, or none), CFO and Es/N0.
fn channel(
    frames: &[FrameBursts],
    rate: f64,
    tu_seed: Option<u64>,
    cfo: f64,
    es_n0_db: f64,
) -> Vec<Complex32> {
    let mut x = Vec::new();
    FrameModulator::new(4).modulate(frames, 0.5, &mut x);
    let mut y = Vec::new();
    Resampler::new(4.0 * SYMBOL_RATE, rate)
        .unwrap()
        .process(&x, &mut y);
    let mut rng = Rng::new(17);
    if let Some(seed) = tu_seed {
        y = Multipath::draw(TU12, rate, &mut Rng::new(seed)).apply(&y);
    }
    apply_cfo(&mut y, cfo, rate, 0.7);
    add_noise_es_n0(&mut y, es_n0_db, rate, &mut rng);
    y
}

/// A 23-octet frame that differs per block.
fn content(first: u32, ch: Ts0Channel) -> Option<[u8; 23]> {
    let mut f = [0x2b_u8; 23];
    f[0] = 0x55;
    f[1] = 0x06;
    f[2] = match ch {
        Ts0Channel::Bcch => 0x19,
        _ => 0x21,
    };
    f[3..7].copy_from_slice(&first.to_be_bytes());
    Some(f)
}

#[test]
fn own_content_through_tu_cfo_and_noise() {
    let fn0 = 51 * 2000 + 37;
    let n = 2 * 51 + 10;
    let cfg = Ts0Config {
        ncc: 5,
        bcc: 3,
        combined: false,
    };
    let frames = Ts0Generator::new(cfg, content).frames(fn0, n, false);
    for (rate, cfo, tu) in [
        (1e6, 20_000.0, Some(3)),
        (500e3, -20_000.0, Some(4)),
        (4.0 * SYMBOL_RATE, 1234.0, None),
    ] {
        let x = channel(&frames, rate, tu, cfo, 20.0);
        let mut rx = GsmReceiver::new(GsmReceiverConfig::default()).unwrap();
        let rep = rx.process(&x, rate).unwrap();
        assert_eq!(rep.cells.len(), 1, "{rate} {cfo}: {:?}", rep.misses);
        let c = &rep.cells[0];
        eprintln!(
            "rate {rate} cfo {cfo}: est {:.0} Hz, BSIC {}, FN0 {}, SCH {}/{}, blocks {}/{}, SNR {:.1} dB, {:.1} dBFS",
            c.cfo_hz, c.bsic, c.fn_first, c.sch_ok, c.sch_failed, c.bcch_ok, c.bcch_failed, c.snr_db, c.power_dbfs
        );
        assert_eq!(c.bsic, 5 * 8 + 3);
        assert!((c.cfo_hz - cfo).abs() < 100.0, "{}", c.cfo_hz);
        assert_eq!(c.sch_failed, 0);
        assert_eq!(c.bcch_failed, 0);
        // Every complete block in the signal, with its content.
        assert!(c.frames.len() >= 18, "{}", c.frames.len());
        for f in &c.frames {
            assert_eq!(Some(f.data), content(f.fnum, f.channel), "FN {}", f.fnum);
            assert!(f.fnum >= fn0 && f.fnum + 3 < fn0 + n as u32);
        }
    }
}

#[test]
fn noise_alone_and_garbage_find_nothing() {
    let mut rng = Rng::new(1);
    let mut x = vec![Complex32::default(); 300_000];
    towerwatch_dsp::gsm::tx::channel::add_awgn(&mut x, 0.01, &mut rng);
    let mut rx = GsmReceiver::new(GsmReceiverConfig {
        channels: ChannelPlan::Offsets(vec![0.0, 200e3]),
        ..GsmReceiverConfig::default()
    })
    .unwrap();
    let rep = rx.process(&x, 1e6).unwrap();
    assert!(rep.cells.is_empty());
    assert_eq!(rep.misses.len(), 2);
    assert!(matches!(rep.misses[0].reason, MissReason::NoFcch { .. }));
    for bad in [
        vec![Complex32::new(f32::NAN, f32::INFINITY); 50_000],
        vec![],
        vec![Complex32::new(1e30, -1e30); 7],
    ] {
        let rep = rx.process(&bad, 1e6).unwrap();
        assert!(rep.cells.is_empty());
    }
    assert!(rx.process(&x, f64::NAN).is_err());
    assert!(rx.process(&x, 10.0).is_err());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Arbitrary bytes as cf32 samples (NaN, inf, huge values included): no panic.
    #[test]
    fn arbitrary_samples_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..40_000), rate in 250e3f64..3e6) {
        let x = towerwatch_dsp::iq::DataType::Cf32Le.decode(&bytes);
        let mut rx = GsmReceiver::new(GsmReceiverConfig {
            channels: ChannelPlan::Scan { min_excess_db: 3.0, max_channels: 3 },
            ..GsmReceiverConfig::default()
        }).unwrap();
        let _ = rx.process(&x, rate);
    }
}
