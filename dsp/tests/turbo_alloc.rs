//! The turbo decoder and the rate de-matcher allocate nothing per call
//! (STYLE.md "build once, process many"): counted with a global allocator in
//! this test binary, which holds only this one test.

// A counting `GlobalAlloc` needs `unsafe impl`; test-only, it forwards to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use towerwatch_dsp::fec::crc::{Crc, CRC24A};
use towerwatch_dsp::fec::turbo::{turbo_encode, TurboDecoder};
use towerwatch_dsp::fec::turbo_rate_match::TurboRateMatcher;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// Delegates to the system allocator and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn decode_and_dematch_do_not_allocate() {
    let k = 1056;
    let c: Vec<u8> = (0..k).map(|i| ((i * 31 + 7) % 11 % 2) as u8).collect();
    let [d0, d1, d2] = turbo_encode(&c).unwrap();
    let rm = TurboRateMatcher::new(k, 0, None).unwrap();
    let mut tx = vec![0u8; 2500];
    rm.rate_match([&d0, &d1, &d2], 0, &mut tx).unwrap();
    let rx: Vec<f32> = tx
        .iter()
        .map(|&b| if b == 0 { 3.0 } else { -3.0 })
        .collect();
    let mut dec = TurboDecoder::new(6144);
    let crc = Crc::new(CRC24A);
    let mut s = [vec![0f32; k + 4], vec![0f32; k + 4], vec![0f32; k + 4]];
    let mut out = vec![0u8; k];
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..3 {
        for v in s.iter_mut() {
            v.fill(0.0);
        }
        let [s0, s1, s2] = &mut s;
        rm.dematch_accumulate(&rx, 0, [s0, s1, s2]).unwrap();
        let _ = dec.decode(s0, s1, s2, &mut out, |b| crc.check(b)).unwrap();
    }
    assert_eq!(ALLOCATIONS.load(Ordering::Relaxed) - before, 0);
    assert_eq!(out, c);
}
