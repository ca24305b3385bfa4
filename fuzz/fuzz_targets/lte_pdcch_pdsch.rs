//! Arbitrary bytes as cf32/ci8 samples through the LTE system-information
//! receiver (PCFICH, PDCCH blind decoding for SI-RNTI, PDSCH, turbo decoding)
//! of a cell picked from the first byte, plus the DCI and DL-SCH decoders on the
//! same bytes read as soft bits. Nothing may panic.
//!
//! `cargo +nightly fuzz run lte_pdcch_pdsch`

#![no_main]

use libfuzzer_sys::fuzz_target;
use towerwatch_dsp::iq::DataType;
use towerwatch_dsp::lte::dci::{DciDecoder, SI_RNTI};
use towerwatch_dsp::lte::mib::{PhichDuration, PhichResource};
use towerwatch_dsp::lte::pdsch::{c_init, DlschDecoder};
use towerwatch_dsp::lte::si::{SiCell, SiReceiver};
use towerwatch_dsp::lte::{CyclicPrefix, Duplex};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let cell = SiCell {
        nprb: [6u8, 15, 25][usize::from(sel % 3)],
        pci: u16::from(sel) * 2 % 504,
        ports: [1u8, 2, 4][usize::from((sel >> 2) % 3)],
        cp: if sel & 0x10 == 0 { CyclicPrefix::Normal } else { CyclicPrefix::Extended },
        duplex: if sel & 0x20 == 0 { Duplex::Fdd } else { Duplex::Tdd },
        phich_duration: if sel & 0x40 == 0 { PhichDuration::Normal } else { PhichDuration::Extended },
        phich_resource: PhichResource::One,
    };
    let Ok(mut rx) = SiReceiver::new(cell) else { return };
    let dt = if sel & 0x80 == 0 { DataType::Cf32Le } else { DataType::Ci8 };
    let mut x = dt.decode(rest);
    let n = rx.subframe_len();
    if !x.is_empty() {
        while x.len() < n {
            let k = x.len().min(n - x.len());
            x.extend_from_within(..k);
        }
    }
    let r = rx.decode_subframe(&x, 0, u16::from(sel), sel % 10);
    assert!(r.pdu.is_none() || r.crc_ok);
    let llrs: Vec<f32> = rest
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let mut d = DciDecoder::new();
    let _ = d.decode(&llrs, usize::from(sel % 40), SI_RNTI);
    let mut s = DlschDecoder::new();
    let mut out = Vec::new();
    let _ = s.decode(&llrs, c_init(SI_RNTI, 5, 1), 8 * usize::from(sel), sel % 4, 0, 0, &mut out);
});
