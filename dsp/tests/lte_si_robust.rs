//! Hostile input for the system-information chain (TS 36.211 §6.7–6.8, TS 36.212
//! §5.3.2–5.3.3): random samples, random soft bits and random DCI bits must never
//! panic, and the work per call stays bounded.

use proptest::prelude::*;
use towerwatch_dsp::lte::dci::{size_1a, size_1c, Dci1A, Dci1C, DciDecoder, SI_RNTI};
use towerwatch_dsp::lte::mib::{PhichDuration, PhichResource};
use towerwatch_dsp::lte::pdsch::{c_init, DlschDecoder};
use towerwatch_dsp::lte::ra::{alloc_1a, alloc_1c};
use towerwatch_dsp::lte::si::{SiCell, SiReceiver, SiTiming};
use towerwatch_dsp::lte::{CyclicPrefix, Duplex};
use towerwatch_dsp::Complex32;

fn cell(nprb: u8, ports: u8, pci: u16, ext: bool) -> SiCell {
    SiCell {
        nprb,
        pci,
        ports,
        cp: if ext {
            CyclicPrefix::Extended
        } else {
            CyclicPrefix::Normal
        },
        duplex: if pci % 2 == 0 {
            Duplex::Fdd
        } else {
            Duplex::Tdd
        },
        phich_duration: if pci % 3 == 0 {
            PhichDuration::Extended
        } else {
            PhichDuration::Normal
        },
        phich_resource: PhichResource::Two,
    }
}

fn sample(v: (f32, f32)) -> Complex32 {
    Complex32::new(v.0, v.1)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn receiver_survives_random_samples(
        nprb in prop::sample::select(vec![6u8, 15, 25]),
        ports in prop::sample::select(vec![1u8, 2, 4]),
        pci in 0u16..504,
        ext in any::<bool>(),
        raw in prop::collection::vec((any::<f32>(), any::<f32>()), 0..3000),
        start in -5000i64..5000,
        sfn in any::<u16>(),
        sf in any::<u8>(),
        scale in prop::sample::select(vec![0.0f32, 1e-6, 1.0, 1e6]),
    ) {
        let mut rx = SiReceiver::new(cell(nprb, ports, pci, ext)).unwrap();
        let n = rx.subframe_len();
        // Tile the random samples to a bit more than one subframe.
        let mut x: Vec<Complex32> = raw.iter().map(|&v| sample(v) * scale).collect();
        if !x.is_empty() {
            while x.len() < n + 200 {
                let k = x.len().min(n + 200 - x.len());
                x.extend_from_within(..k);
            }
        }
        let r = rx.decode_subframe(&x, start, sfn, sf);
        if let Some(c) = r.cfi {
            prop_assert!((1..=3).contains(&c.cfi));
        }
        prop_assert!(r.pdu.is_none() || r.crc_ok);
        // A whole-recording walk with absurd timing must also return.
        let pdus = rx.decode_recording(&x, &SiTiming { frame_start: start as f64 * 1.5, sfn, frame_len: n as f64 * 10.0, cfo_hz: f64::from(scale) });
        prop_assert!(pdus.len() <= x.len() / n + 1);
        let none = rx.decode_recording(&x, &SiTiming { frame_start: f64::NAN, sfn, frame_len: 0.0, cfo_hz: f64::INFINITY });
        prop_assert!(none.is_empty());
        // A frame length far from 10 ms would mean unbounded subframe counts: refused.
        for fl in [1e-9, 1.0, n as f64, n as f64 * 1e6] {
            let r = rx.decode_recording(&x, &SiTiming { frame_start: 0.0, sfn, frame_len: fl, cfo_hz: 0.0 });
            prop_assert!(r.is_empty());
        }
    }

    #[test]
    fn dci_decoder_survives_random_llrs(
        llr in prop::collection::vec(any::<f32>(), 0..700),
        len in 0usize..80,
        rnti in any::<u16>(),
    ) {
        let mut d = DciDecoder::new();
        if let Some(h) = d.decode(&llr, len, rnti) {
            prop_assert_eq!(h.len, len);
        }
    }

    #[test]
    fn dci_fields_and_allocations_never_panic(
        bits in prop::collection::vec(0u8..2, 0..40),
        nprb in 0usize..120,
        riv in any::<u32>(),
        flags in any::<u8>(),
    ) {
        for duplex in [Duplex::Fdd, Duplex::Tdd] {
            if (6..=110).contains(&nprb) {
                let n = size_1a(nprb, duplex);
                if let Some(d) = Dci1A::unpack(&bits, nprb, duplex) {
                    prop_assert_eq!(bits.len(), n);
                    prop_assert_eq!(d.pack(nprb, duplex), bits.clone());
                }
                let _ = size_1c(nprb);
                let _ = Dci1C::unpack(&bits, nprb);
            }
        }
        if let Ok(a) = alloc_1a(riv, flags & 1 == 1, flags & 2 == 2, nprb) {
            prop_assert!(a.n_prb >= 1 && a.n_prb <= nprb);
            prop_assert_eq!(a.slots[0].count_ones() as usize, a.n_prb);
        }
        if let Ok(a) = alloc_1c(riv, flags & 2 == 2, nprb) {
            prop_assert_eq!(a.slots[1].count_ones() as usize, a.n_prb);
        }
    }

    #[test]
    fn dlsch_decoder_survives_random_llrs(
        llr in prop::collection::vec(any::<f32>(), 0..2000),
        tbs in 0usize..7000,
        rv in 0u8..6,
        key in 0u64..3,
    ) {
        let mut d = DlschDecoder::new();
        let mut out = Vec::new();
        if let Ok(r) = d.decode(&llr, c_init(SI_RNTI, 5, 1), tbs, rv, key, 0, &mut out) {
            prop_assert!(!r.crc_ok || out.len() * 8 == tbs);
        }
    }
}
