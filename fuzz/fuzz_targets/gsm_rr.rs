//! Fuzz the GSM RR decoder (TS 44.018) with arbitrary bytes: it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use towerwatch_rrc::gsm::{decode_ccch_frame, decode_l3, freq_list};

fuzz_target!(|data: &[u8]| {
    let _ = decode_ccch_frame(data);
    let _ = decode_l3(data, None);
    if let Some((&first, rest)) = data.split_first() {
        let _ = decode_l3(rest, Some(usize::from(first >> 2)));
    }
    let _ = freq_list::decode(data);
});
