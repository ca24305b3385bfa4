//! Arbitrary bytes as cf32 or ci8 samples through the LTE cell search (PSS, SSS,
//! PBCH/MIB, cancellation, measurements), plus the PBCH decoder and Viterbi
//! decoder on arbitrary soft bits. Nothing may panic.
//!
//! `cargo +nightly fuzz run lte_search`

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;
use towerwatch_dsp::fec::conv::{ConvCode, Termination, ViterbiDecoder};
use towerwatch_dsp::iq::DataType;
use towerwatch_dsp::lte::cell_search::{LteCellSearcher, LteSearchConfig};
use towerwatch_dsp::lte::pbch::PbchDecoder;
use towerwatch_dsp::lte::CyclicPrefix;

thread_local! {
    static SEARCHER: RefCell<LteCellSearcher> =
        RefCell::new(LteCellSearcher::new(LteSearchConfig { report_unconfirmed: true, ..Default::default() }));
    static PBCH: RefCell<PbchDecoder> = RefCell::new(PbchDecoder::new());
    static VITERBI: RefCell<ViterbiDecoder> = RefCell::new(ViterbiDecoder::new(&ConvCode::lte(), 64));
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let dt = if sel & 1 == 0 { DataType::Cf32Le } else { DataType::Ci8 };
    let mut x = dt.decode(rest);
    // Short inputs are tiled so the search reaches its later stages.
    if (sel & 2) != 0 && !x.is_empty() {
        while x.len() < 20_000 {
            let n = x.len().min(20_000 - x.len());
            x.extend_from_within(..n);
        }
    }
    SEARCHER.with(|s| {
        for c in s.borrow_mut().search(&x) {
            assert!(c.pci < 504);
            assert!(c.mib.is_none() || c.crc_ok);
        }
    });
    // The same bytes as f32 LLRs.
    let llrs: Vec<f32> = rest.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    PBCH.with(|p| {
        let mut p = p.borrow_mut();
        let cp = if sel & 4 == 0 { CyclicPrefix::Normal } else { CyclicPrefix::Extended };
        p.set_cell(u16::from(sel) * 2, cp);
        let _ = p.phase_scores(&llrs);
        let _ = p.decode(&[(&llrs, usize::from(sel >> 4))], [1, 2, 4][usize::from(sel >> 6) % 3]);
    });
    VITERBI.with(|v| {
        let mut out = Vec::new();
        let term = if sel & 8 == 0 { Termination::TailBiting } else { Termination::Terminated };
        let _ = v.borrow_mut().decode(&llrs, term, &mut out);
    });
});
