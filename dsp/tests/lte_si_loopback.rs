//! System information loopback: SIB1 and a SystemInformation message encoded
//! by `towerwatch-rrc`, sent by our transmitter (PCFICH, DCI 1A on the PDCCH,
//! PDSCH; TS 36.211 §6.3–6.8) over a grid of PCI, ports, bandwidth, frequency
//! offset and SNR, received by `lte::si`, and checked byte for byte and through
//! the RRC decoder.

use towerwatch_dsp::lte::cell_search::{LteCellSearcher, LteSearchConfig};
use towerwatch_dsp::lte::dci::{Dci, DciFormat};
use towerwatch_dsp::lte::mib::{PhichDuration, PhichResource};
use towerwatch_dsp::lte::si::{decode_si, SiCell, SiReceiver, SiTiming};
use towerwatch_dsp::lte::tx::channel::{add_awgn_snr, apply_cfo, combine_ports, delay, Rng};
use towerwatch_dsp::lte::tx::si::{ScheduledTb, SiTxConfig};
use towerwatch_dsp::lte::tx::{LteTransmitter, LteTxConfig};
use towerwatch_dsp::lte::{CyclicPrefix, Duplex};
use towerwatch_dsp::Complex32;
use towerwatch_models::system_info::{SchedulingInfo, Sib1, Sib2};
use towerwatch_rrc::lte::{decode_bcch_dl_sch, encode_sib1, encode_system_information, SiSib};

fn sib1_bytes(tac: u32, ci: u64) -> Vec<u8> {
    encode_sib1(&Sib1 {
        plmns: vec!["26201".into()],
        tac: Some(tac),
        cell_identity: Some(ci),
        q_rx_lev_min_dbm: Some(-124),
        freq_band_indicator: Some(3),
        scheduling: vec![SchedulingInfo {
            periodicity_rf: 16,
            sibs: vec![3],
        }],
        ..Default::default()
    })
    .expect("encode SIB1")
}

fn si_bytes() -> Vec<u8> {
    encode_system_information(&[SiSib::Sib2(Sib2::default())]).expect("encode SI")
}

struct Case {
    nprb: u8,
    fft: usize,
    pci: u16,
    ports: u8,
    cfo_hz: f64,
    snr_db: Option<f64>,
    delay: f64,
    cp: CyclicPrefix,
    duplex: Duplex,
    format: DciFormat,
    distributed: bool,
}

impl Case {
    fn new(nprb: u8, fft: usize, pci: u16, ports: u8) -> Self {
        Case {
            nprb,
            fft,
            pci,
            ports,
            cfo_hz: 0.0,
            snr_db: None,
            delay: 0.0,
            cp: CyclicPrefix::Normal,
            duplex: Duplex::Fdd,
            format: DciFormat::F1A,
            distributed: false,
        }
    }
}

/// Sends 4 frames (SIB1 in frames 0 and 2, the SI message in subframe 3 — 4 for
/// TDD — of frames 1 and 3) and returns (SIB1 copies decoded, SI copies decoded).
fn run(c: &Case, sib1: &[u8], si: &[u8]) -> (usize, usize) {
    let si_sf = if c.duplex == Duplex::Tdd { 4 } else { 3 };
    let mut tx = LteTransmitter::new(LteTxConfig {
        pci: c.pci,
        ports: c.ports,
        nof_prb: c.nprb,
        fft_size: c.fft,
        cp: c.cp,
        duplex: c.duplex,
        phich_resource: PhichResource::One,
        sfn: 100,
        seed: u64::from(c.pci) + 7,
        ..Default::default()
    })
    .unwrap();
    tx.set_system_info(SiTxConfig {
        sibs: vec![
            ScheduledTb::sib1(sib1.to_vec()),
            ScheduledTb {
                period_frames: 2,
                frame_offset: 1,
                subframe: si_sf,
                bytes: si.to_vec(),
            },
        ],
        cfi: if c.nprb <= 15 { 3 } else { 2 },
        aggregation: if c.nprb <= 10 { 4 } else { 8 },
        rb_start: 1,
        format: c.format,
        distributed: c.distributed,
    })
    .unwrap();
    let fs = tx.sample_rate();
    let ports = tx.generate_ports(40);
    let mut rng = Rng::new(u64::from(c.pci) * 31 + u64::from(c.ports));
    let gains: Vec<Complex32> = (0..ports.len())
        .map(|_| Complex32::from_polar(1.0, rng.range(0.0, std::f64::consts::TAU) as f32))
        .collect();
    let x = combine_ports(&ports, &gains);
    let mut x = delay(&x, c.delay);
    apply_cfo(&mut x, c.cfo_hz, fs, 0.3);
    if let Some(snr) = c.snr_db {
        add_awgn_snr(&mut x, snr, &mut rng);
    }
    let cell = SiCell {
        nprb: c.nprb,
        pci: c.pci,
        ports: c.ports,
        cp: c.cp,
        duplex: c.duplex,
        phich_duration: PhichDuration::Normal,
        phich_resource: PhichResource::One,
    };
    let mut rx = SiReceiver::new(cell).unwrap();
    assert_eq!(rx.sample_rate(), fs);
    // Timing and CFO as a cell search would report them: rounded, slightly off.
    let pdus = rx.decode_recording(
        &x,
        &SiTiming {
            frame_start: c.delay.round() + 1.0,
            sfn: 100,
            frame_len: fs * 0.01,
            cfo_hz: c.cfo_hz + 40.0,
        },
    );
    let mut n1 = 0;
    let mut n2 = 0;
    for p in &pdus {
        match (p.dci.dci, c.format) {
            (Dci::F1A(d), DciFormat::F1A) => assert_eq!(d.distributed, c.distributed),
            (Dci::F1C(_), DciFormat::F1C) => {}
            (d, f) => panic!("sent {f:?}, decoded {d:?}"),
        }
        if p.subframe == 5 {
            assert_eq!(p.sfn % 2, 0);
            assert_eq!(&p.bytes[..sib1.len()], sib1);
            assert!(p.bytes[sib1.len()..].iter().all(|&b| b == 0));
            n1 += 1;
        } else {
            assert_eq!(p.subframe, si_sf);
            assert_eq!(p.sfn % 2, 1);
            assert_eq!(&p.bytes[..si.len()], si);
            n2 += 1;
        }
    }
    (n1, n2)
}

#[test]
fn loopback_grid() {
    let sib1 = sib1_bytes(501, 1_340_487);
    let si = si_bytes();
    let mut failures = Vec::new();
    let mut cases = 0;
    for (nprb, fft) in [(6u8, 128usize), (15, 256), (25, 512)] {
        for ports in [1u8, 2, 4] {
            for (pci, cfo, snr) in [
                (0u16, 0.0, None),
                (301, 3200.0, Some(12.0)),
                (503, -7100.0, Some(6.0)),
            ] {
                let c = Case {
                    cfo_hz: cfo,
                    snr_db: snr,
                    delay: 2.4 * (fft / 128) as f64,
                    ..Case::new(nprb, fft, pci, ports)
                };
                cases += 1;
                let (n1, n2) = run(&c, &sib1, &si);
                // Two SIB1 and two SI transmissions were sent.
                if n1 != 2 || n2 != 2 {
                    failures.push(format!(
                        "{nprb} PRB, {ports} ports, PCI {pci}, CFO {cfo}, SNR {snr:?}: SIB1 {n1}/2, SI {n2}/2"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn loopback_formats_cp_duplex() {
    // DCI 1C and distributed 1A (TS 36.213 §7.1.6.3), extended CP and TDD
    // (uplink-downlink configuration 1 in the transmitter: subframes 2, 3, 7, 8 silent).
    let sib1 = sib1_bytes(77, 4242);
    let si = si_bytes();
    let cases = [
        Case {
            format: DciFormat::F1C,
            ..Case::new(6, 128, 5, 1)
        },
        Case {
            format: DciFormat::F1C,
            cp: CyclicPrefix::Extended,
            snr_db: Some(10.0),
            cfo_hz: -900.0,
            ..Case::new(15, 256, 88, 2)
        },
        Case {
            distributed: true,
            snr_db: Some(10.0),
            delay: 7.0,
            ..Case::new(25, 512, 301, 2)
        },
        Case {
            duplex: Duplex::Tdd,
            snr_db: Some(10.0),
            ..Case::new(25, 512, 12, 4)
        },
        Case {
            format: DciFormat::F1C,
            duplex: Duplex::Tdd,
            cp: CyclicPrefix::Extended,
            ..Case::new(6, 128, 400, 4)
        },
        Case {
            format: DciFormat::F1C,
            snr_db: Some(12.0),
            cfo_hz: 4000.0,
            ..Case::new(50, 1024, 17, 4)
        },
        Case {
            distributed: true,
            ..Case::new(50, 1024, 500, 1)
        },
    ];
    let mut failures = Vec::new();
    for c in &cases {
        let (n1, n2) = run(c, &sib1, &si);
        if n1 != 2 || n2 != 2 {
            failures.push(format!(
                "{} PRB {:?} {:?} {:?} distributed {} ports {}: SIB1 {n1}/2, SI {n2}/2",
                c.nprb, c.format, c.cp, c.duplex, c.distributed, c.ports
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn decoded_pdus_parse_as_rrc() {
    let sib1 = sib1_bytes(23, 105_217);
    let si = si_bytes();
    let c = Case {
        cfo_hz: 1500.0,
        snr_db: Some(15.0),
        delay: 11.0,
        ..Case::new(15, 256, 77, 2)
    };
    let (n1, n2) = run(&c, &sib1, &si);
    assert_eq!((n1, n2), (2, 2));
    let m = decode_bcch_dl_sch(&sib1).unwrap();
    let s = m.sib1.unwrap();
    assert_eq!(s.tac, Some(23));
    assert_eq!(s.cell_identity, Some(105_217));
    assert_eq!(decode_bcch_dl_sch(&si).unwrap().sib_types, vec![2]);
}

#[test]
fn end_to_end_through_cell_search_25prb() {
    // 25 PRB at 7.68 Msps, cell search at 1.92 Msps, then decode_si at the cell rate.
    let sib1 = sib1_bytes(6699, 27_439_893);
    let mut tx = LteTransmitter::new(LteTxConfig {
        pci: 301,
        ports: 2,
        nof_prb: 25,
        fft_size: 512,
        phich_resource: PhichResource::One,
        sfn: 14,
        ..Default::default()
    })
    .unwrap();
    tx.set_system_info(SiTxConfig {
        sibs: vec![ScheduledTb::sib1(sib1.clone())],
        cfi: 2,
        aggregation: 4,
        rb_start: 3,
        ..Default::default()
    })
    .unwrap();
    let fs = tx.sample_rate();
    let x = tx.generate(80);
    let mut x = delay(&x, 1234.6);
    apply_cfo(&mut x, 2500.0, fs, 0.0);
    let mut rng = Rng::new(5);
    add_awgn_snr(&mut x, 10.0, &mut rng);
    let x192 = towerwatch_dsp::signal::resample::resample(&x, fs, 1.92e6).unwrap();
    let cells = LteCellSearcher::new(LteSearchConfig::default()).search(&x192);
    assert_eq!(cells.len(), 1);
    assert_eq!(cells[0].pci, 301);
    let pdus = decode_si(&x, fs, &cells[0]).unwrap();
    // SIB1 in subframe 5 of SFN 14, 16, 18, 20 (four transmissions, 80 ms).
    assert!(pdus.len() >= 3, "{} SIB1 decoded", pdus.len());
    for p in &pdus {
        assert_eq!((p.subframe, p.sfn % 2), (5, 0));
        assert_eq!(&p.bytes[..sib1.len()], &sib1[..]);
    }
}
