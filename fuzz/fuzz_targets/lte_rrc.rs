//! Fuzz the LTE BCCH-DL-SCH decoder (TS 36.331 §6.2, UPER) with arbitrary bytes:
//! it must never panic. libfuzzer's panic hook aborts on any panic, including
//! one the decoder's last-resort `catch_unwind` would have caught, so this also
//! finds panics inside the generated `types_lte_3gpp` code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use towerwatch_rrc::lte::{decode_bcch_dl_sch, encode_sib1};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = decode_bcch_dl_sch(data) {
        // What decodes must re-encode (SIB1 values are all in range) and decode the same.
        if let Some(s) = &m.sib1 {
            let bytes = encode_sib1(s).expect("decoded SIB1 re-encodes");
            let again = decode_bcch_dl_sch(&bytes).expect("re-encoded SIB1 decodes");
            assert_eq!(again.sib1.as_ref(), Some(s));
        }
    }
});
