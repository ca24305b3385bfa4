//! Fuzz the GSM IQ receiver (TS 45.002/45.010 sync, MLSE, xCCH) with arbitrary
//! bytes as samples: it must never panic, hang or grow without bound.
//! The first byte picks the sample format and rate; the rest are samples.
#![no_main]

use libfuzzer_sys::fuzz_target;
use towerwatch_dsp::gsm::receiver::{ChannelPlan, GsmReceiver, GsmReceiverConfig};
use towerwatch_dsp::iq::DataType;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let dt = [
        DataType::Cf32Le,
        DataType::Ci16Le,
        DataType::Ci8,
        DataType::Cu8,
    ][usize::from(sel & 3)];
    let rate = [
        270_833.3,
        500_000.0,
        541_666.7,
        1_000_000.0,
        2_400_000.0,
        4_000_000.0,
        250_000.0,
        1e9,
    ][usize::from((sel >> 2) & 7)];
    let channels = if sel & 0x20 != 0 {
        ChannelPlan::Scan {
            min_excess_db: 3.0,
            max_channels: 4,
        }
    } else {
        ChannelPlan::Offsets(vec![0.0, 200e3])
    };
    let x = dt.decode(rest);
    let mut rx = GsmReceiver::new(GsmReceiverConfig {
        channels,
        ..GsmReceiverConfig::default()
    })
    .expect("valid config");
    let _ = rx.process(&x, rate);
});
