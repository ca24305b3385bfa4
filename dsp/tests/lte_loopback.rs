//! Loopback: the test transmitter (PSS/SSS/CRS/PBCH, random load) through the test
//! channel (CFO, timing offset, AWGN, sums of cells) into the cell searcher.

use towerwatch_dsp::lte::cell_search::{LteCellReport, LteCellSearcher, LteSearchConfig};
use towerwatch_dsp::lte::mib::{PhichDuration, PhichResource};
use towerwatch_dsp::lte::tx::channel::{
    add_awgn, apply_cfo, combine_ports, delay, mean_power, Rng,
};
use towerwatch_dsp::lte::tx::{LteTransmitter, LteTxConfig};
use towerwatch_dsp::lte::{CyclicPrefix, Duplex};
use towerwatch_dsp::Complex32;

const FS: f64 = 1.92e6;

struct Cell {
    cfg: LteTxConfig,
    cfo_hz: f64,
    delay: f64,
    gain_db: f64,
}

fn cell(pci: u16, ports: u8) -> Cell {
    Cell {
        cfg: LteTxConfig {
            pci,
            ports,
            nof_prb: 50,
            phich_resource: PhichResource::One,
            sfn: 28,
            seed: u64::from(pci) + 7,
            ..Default::default()
        },
        cfo_hz: 0.0,
        delay: 0.0,
        gain_db: 0.0,
    }
}

/// Renders the cells (40 ms + 1 subframe of margin for the delay) and adds noise at
/// `snr_db` relative to the first cell's power over the 1.92 MHz band.
fn render(cells: &[Cell], subframes: usize, snr_db: f64, seed: u64) -> Vec<Complex32> {
    let mut rng = Rng::new(seed);
    let mut sum: Vec<Complex32> = Vec::new();
    let mut ref_power = 0.0;
    for (i, c) in cells.iter().enumerate() {
        let mut tx = LteTransmitter::new(c.cfg.clone()).unwrap();
        let ports = tx.generate_ports(subframes);
        let h: Vec<Complex32> = (0..ports.len())
            .map(|_| {
                let ph = rng.range(0.0, std::f64::consts::TAU);
                Complex32::from_polar(1.0, ph as f32)
            })
            .collect();
        let mut s = combine_ports(&ports, &h);
        s = delay(&s, c.delay);
        apply_cfo(&mut s, c.cfo_hz, FS, rng.range(0.0, std::f64::consts::TAU));
        let g = 10f64.powf(c.gain_db / 20.0) as f32;
        if i == 0 {
            ref_power = mean_power(&s) * f64::from(g * g);
        }
        towerwatch_dsp::lte::tx::channel::add_into(&mut sum, &s, g);
    }
    add_awgn(&mut sum, ref_power / 10f64.powf(snr_db / 10.0), &mut rng);
    sum
}

fn search(x: &[Complex32]) -> Vec<LteCellReport> {
    LteCellSearcher::new(LteSearchConfig::default()).search(x)
}

fn check(r: &LteCellReport, c: &Cell) {
    assert_eq!(r.pci, c.cfg.pci);
    assert!(r.crc_ok);
    let mib = r.mib.expect("mib");
    assert_eq!(mib.ports, c.cfg.ports, "{r:?}");
    assert_eq!(mib.nof_prb, c.cfg.nof_prb);
    assert_eq!(mib.phich_resource, c.cfg.phich_resource);
    assert_eq!(r.cp, c.cfg.cp);
    assert_eq!(r.duplex, c.cfg.duplex);
    assert!(
        (r.cfo_hz - c.cfo_hz).abs() < 150.0,
        "cfo {} vs {}",
        r.cfo_hz,
        c.cfo_hz
    );
}

#[test]
fn single_cell_clean() {
    let c = cell(150, 2);
    let x = render(&[c], 40, 30.0, 1);
    let r = search(&x);
    eprintln!("{r:#?}");
    assert_eq!(r.len(), 1);
    check(&r[0], &cell(150, 2));
    // Frame 0 starts at sample 0 (no delay) with SFN 28.
    assert_eq!(r[0].frame_start, 0);
    assert_eq!(r[0].mib.unwrap().sfn, 28);
}

#[test]
fn parameter_grid() {
    // PCI × ports × CP × duplex × CFO × delay at 0 dB SNR, 40 ms.
    let mut rng = Rng::new(99);
    let pcis = [0u16, 1, 150, 301, 503, 257];
    let mut n = 0;
    for (i, &pci) in pcis.iter().enumerate() {
        for ports in [1u8, 2, 4] {
            let cp = if (i + ports as usize) % 2 == 0 {
                CyclicPrefix::Normal
            } else {
                CyclicPrefix::Extended
            };
            let duplex = if i % 3 == 2 { Duplex::Tdd } else { Duplex::Fdd };
            let mut c = cell(pci, ports);
            c.cfg.cp = cp;
            c.cfg.duplex = duplex;
            c.cfg.phich_duration = if ports == 4 {
                PhichDuration::Extended
            } else {
                PhichDuration::Normal
            };
            c.cfg.nof_prb = [6u8, 15, 25, 50, 75, 100][(i + ports as usize) % 6];
            c.cfo_hz = rng.range(-25e3, 25e3);
            c.delay = rng.range(0.0, 19200.0);
            let x = render(std::slice::from_ref(&c), 41, 0.0, 1000 + n);
            let r = search(&x);
            if r.len() != 1 {
                for w in [10.0, 20.0] {
                    let mut s = LteCellSearcher::new(LteSearchConfig {
                        report_unconfirmed: true,
                        pss_window_ms: w,
                        ..Default::default()
                    });
                    eprintln!("diagnostic window {w}: {:?}", s.search(&x));
                }
            }
            assert_eq!(
                r.len(),
                1,
                "pci {pci} ports {ports} {cp:?} {duplex:?} cfo {} delay {}: {r:#?}",
                c.cfo_hz,
                c.delay
            );
            check(&r[0], &c);
            assert_eq!(r[0].mib.unwrap().phich_duration, c.cfg.phich_duration);
            // Frame start: the delayed frame boundary modulo 10 ms.
            let want = c.delay.rem_euclid(19200.0);
            let got = r[0].frame_start as f64;
            let d = (got - want).rem_euclid(19200.0);
            assert!(!(2.0..=19198.0).contains(&d), "frame start {got} vs {want}");
            // SFN of the frame at frame_start: 28 if it is the first generated frame.
            let sfn = r[0].mib.unwrap().sfn;
            assert!(sfn == 28 || sfn == 29, "sfn {sfn}");
            n += 1;
        }
    }
}

#[test]
fn cfo_extremes_and_low_snr() {
    for (cfo, snr) in [
        (-25e3, 0.0),
        (25e3, 0.0),
        (14e3, -3.0),
        (-7.4e3, -5.0),
        (6e3, -6.0),
    ] {
        let mut c = cell(77, 2);
        c.cfo_hz = cfo;
        c.delay = 5000.25;
        let x = render(std::slice::from_ref(&c), 80, snr, 5);
        let r = search(&x);
        assert_eq!(r.len(), 1, "cfo {cfo} snr {snr}");
        check(&r[0], &c);
    }
}

#[test]
fn two_cells_different_roots() {
    let mut a = cell(10, 2);
    a.cfo_hz = 3000.0;
    a.delay = 1234.0;
    let mut b = cell(44, 1);
    b.cfo_hz = 3100.0;
    b.delay = 7000.0;
    b.gain_db = -6.0;
    let x = render(&[a, b], 41, 10.0, 8);
    let r = search(&x);
    let pcis: Vec<u16> = r.iter().map(|c| c.pci).collect();
    assert_eq!(pcis.len(), 2, "{r:#?}");
    assert!(pcis.contains(&10) && pcis.contains(&44));
    let (ra, rb) = if r[0].pci == 10 {
        (&r[0], &r[1])
    } else {
        (&r[1], &r[0])
    };
    assert!(
        ra.rsrp_dbfs > rb.rsrp_dbfs + 3.0,
        "{} {}",
        ra.rsrp_dbfs,
        rb.rsrp_dbfs
    );
}

#[test]
fn two_cells_same_root_separated_by_cancellation() {
    // PCI 30 and 60 share N_ID^(2) = 0; the weaker one is 4 dB down and its
    // synchronisation signals collide with the stronger cell's (fully loaded) data.
    let mut a = cell(30, 2);
    a.cfo_hz = -5000.0;
    a.delay = 300.0;
    let mut b = cell(60, 1);
    b.cfo_hz = -5050.0;
    b.delay = 2900.0;
    b.gain_db = -4.0;
    let x = render(&[a, b], 41, 15.0, 9);
    let r = search(&x);
    let mut pcis: Vec<u16> = r.iter().map(|c| c.pci).collect();
    pcis.sort();
    assert_eq!(pcis, vec![30, 60], "{r:#?}");
}

#[test]
fn two_synchronised_cells_same_root() {
    // Same timing and N_ID^(2) (a synchronised network): only the SSS, CRS and
    // PBCH tell them apart; the second is found after cancelling the first.
    let mut a = cell(33, 1);
    a.cfo_hz = 2000.0;
    a.delay = 500.0;
    let mut b = cell(99, 1);
    b.cfo_hz = 2000.0;
    b.delay = 501.0;
    b.gain_db = -6.0;
    let x = render(&[a, b], 81, 20.0, 10);
    let r = search(&x);
    let mut pcis: Vec<u16> = r.iter().map(|c| c.pci).collect();
    pcis.sort();
    assert_eq!(pcis, vec![33, 99], "{r:#?}");
}

#[test]
fn measurements_track_snr_and_power() {
    let mut c = cell(5, 1);
    c.cfo_hz = 1000.0;
    let x = render(std::slice::from_ref(&c), 41, 10.0, 11);
    let r = search(&x);
    assert_eq!(r.len(), 1);
    // Fully loaded cell: 72 of 128 subcarriers → per-RE SNR ≈ SNR + 2.5 dB.
    assert!((r[0].sinr_db - 12.5).abs() < 2.0, "sinr {}", r[0].sinr_db);
    // RSRQ of a fully loaded cell with noise: 10·log10(6·RSRP/RSSI) ≈ −10.8 − …
    assert!(
        r[0].rsrq_db < -9.0 && r[0].rsrq_db > -14.0,
        "rsrq {}",
        r[0].rsrq_db
    );
    // 6 dB more signal → RSRP up 6 dB.
    let x2: Vec<Complex32> = x.iter().map(|v| v * 2.0).collect();
    let r2 = search(&x2);
    assert!((r2[0].rsrp_dbfs - r[0].rsrp_dbfs - 6.02).abs() < 0.3);
}

#[test]
fn sample_clock_drift_is_tracked() {
    let c = cell(200, 1);
    let x = render(std::slice::from_ref(&c), 81, 10.0, 12);
    // Resample by (1 + 20 ppm) with linear interpolation: the recording's clock runs fast,
    // so frames become 20 ppm longer.
    let eps = 20e-6;
    let y: Vec<Complex32> = (0..x.len() - 10)
        .map(|n| {
            let t = n as f64 / (1.0 + eps);
            let i = t.floor() as usize;
            let f = (t - i as f64) as f32;
            x[i] * (1.0 - f) + x[i + 1] * f
        })
        .collect();
    let r = search(&y);
    assert_eq!(r.len(), 1);
    assert!(
        (r[0].timing_drift_ppm - 20.0).abs() < 5.0,
        "drift {}",
        r[0].timing_drift_ppm
    );
}

#[test]
fn noise_and_garbage_yield_nothing_and_never_panic() {
    let mut rng = Rng::new(3);
    let mut x = vec![Complex32::default(); 19200 * 4];
    add_awgn(&mut x, 0.01, &mut rng);
    assert!(search(&x).is_empty());
    let mut s = LteCellSearcher::new(LteSearchConfig {
        report_unconfirmed: true,
        ..Default::default()
    });
    assert!(s.search(&x).iter().all(|c| !c.crc_ok));
    for bad in [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e30,
        f32::MAX,
        0.0,
    ] {
        let y = vec![Complex32::new(bad, -bad); 30000];
        assert!(search(&y).is_empty());
    }
    for n in [0usize, 1, 63, 127, 128, 129, 1000, 9599, 9600, 9601, 9700] {
        let y: Vec<Complex32> = x[..n].to_vec();
        let _ = search(&y);
    }
    // A real cell with NaN bursts still decodes.
    let mut y = render(&[cell(150, 2)], 41, 10.0, 13);
    for i in (0..y.len()).step_by(997) {
        y[i] = Complex32::new(f32::NAN, f32::INFINITY);
    }
    assert!(search(&y).iter().any(|c| c.pci == 150));
}

#[test]
fn wide_cfo_search_finds_rtlsdr_like_offsets() {
    // Cheap receivers at 800–1800 MHz are 50–70 kHz off: `max_cfo_hz` 80 kHz.
    let mut s = LteCellSearcher::new(LteSearchConfig {
        max_cfo_hz: 80e3,
        ..Default::default()
    });
    for (i, (pci, ports, cfo)) in [
        (360u16, 2u8, -49_200.0),
        (57, 1, 61_000.0),
        (263, 4, -67_000.0),
        (11, 2, 79_000.0),
        (300, 1, 3_000.0),
    ]
    .into_iter()
    .enumerate()
    {
        let mut c = cell(pci, ports);
        c.cfo_hz = cfo;
        c.delay = 4321.5 + 1000.0 * i as f64;
        let x = render(std::slice::from_ref(&c), 41, 0.0, 40 + i as u64);
        let r = s.search(&x);
        assert_eq!(r.len(), 1, "pci {pci} cfo {cfo}: {r:#?}");
        check(&r[0], &c);
    }
}

#[test]
fn unloaded_cell_is_found() {
    // Only PSS/SSS/CRS/PBCH: the cyclic prefix carries little energy, so the
    // fractional-CFO estimate may not lock and the full grid is searched.
    for (cfo, snr) in [(12_000.0, 10.0), (-20_500.0, 0.0), (3_700.0, -3.0)] {
        let mut c = cell(222, 2);
        c.cfg.data_load = false;
        c.cfo_hz = cfo;
        c.delay = 777.0;
        let x = render(std::slice::from_ref(&c), 41, snr, 50);
        let r = search(&x);
        assert_eq!(r.len(), 1, "cfo {cfo} snr {snr}: {r:#?}");
        check(&r[0], &c);
    }
}
