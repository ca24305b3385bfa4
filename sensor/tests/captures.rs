//! Capture tests on the full recordings in `../shared/iq/` (or `TOWERWATCH_IQ_DIR`).
//! Run by `.ci/run` with `--features captures`; a missing folder or file fails loudly.

use std::path::{Path, PathBuf};
use towerwatch_models::{Observation, Rat};
use towerwatch_sensor::cli::info::inspect;
use towerwatch_sensor::pipeline::{decode_recording, DecodeOptions};
use towerwatch_sensor::source::{RawFormat, Recording};

fn iq_dir() -> PathBuf {
    let d = std::env::var_os("TOWERWATCH_IQ_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/iq"));
    assert!(
        d.is_dir(),
        "recordings folder {} is missing (set TOWERWATCH_IQ_DIR)",
        d.display()
    );
    d
}

/// Every recording in the shared folder: `info` reads it whole, the sample
/// count and datatype agree with the files, and `core:sha512` matches.
#[test]
fn info_on_every_shared_recording() {
    let dir = iq_dir();
    let mut metas = Vec::new();
    for sub in ["lte", "nr", "gsm"] {
        let d = dir.join(sub);
        assert!(d.is_dir(), "{} is missing", d.display());
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.to_string_lossy().ends_with(".sigmf-meta") {
                metas.push(p);
            }
        }
    }
    metas.sort();
    assert!(
        metas.len() >= 20,
        "only {} recordings under {}",
        metas.len(),
        dir.display()
    );
    for p in &metas {
        let data = p.with_extension("sigmf-data");
        assert!(data.is_file(), "{} has no data file", p.display());
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        let dt = meta["global"]["core:datatype"]
            .as_str()
            .unwrap()
            .to_string();
        let bps = match dt.as_str() {
            "cf32_le" => 8,
            "ci16_le" => 4,
            "ci8" | "cu8" => 2,
            other => panic!("{}: unexpected datatype {other}", p.display()),
        };
        let rec = Recording::open(p, RawFormat::default()).unwrap();
        let info = inspect(&rec).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let len = std::fs::metadata(&data).unwrap().len();
        assert_eq!(info.datatype, dt, "{}", p.display());
        assert_eq!(info.samples, len / bps, "{}", p.display());
        assert_eq!(
            info.sha512,
            if meta["global"].get("core:sha512").is_some() {
                "match"
            } else {
                "absent"
            },
            "{}",
            p.display()
        );
        assert!(info.mean_dbfs.is_some(), "{}", p.display());
        eprintln!(
            "{:45} {:8} {:>10} samples {:>8.2} ms {:>7.2} dBFS clip {:.4}%",
            info.name,
            info.datatype,
            info.samples,
            info.duration_s.unwrap_or(0.0) * 1e3,
            info.mean_dbfs.unwrap_or(f64::NAN),
            info.clipping_fraction * 100.0
        );
    }
}

/// `decode` (automatic RAT choice) on a shared GSM recording: its Observations and blocks.
fn decode_gsm(
    name: &str,
) -> (
    Vec<Observation>,
    Vec<towerwatch_sensor::pipeline::gsm::GsmBlock>,
) {
    let p = iq_dir().join("gsm").join(format!("{name}.sigmf-meta"));
    assert!(p.is_file(), "{} is missing", p.display());
    let rec = Recording::open(&p, RawFormat::default()).unwrap();
    // These cf32 files hold 16-bit ADC counts (full scale 32768, not 1.0): −90.3 dB.
    let opts = DecodeOptions {
        calibration_db: -90.3,
        ..DecodeOptions::default()
    };
    let r = decode_recording(&rec, &opts).unwrap();
    assert_eq!(r.searched, vec![Rat::Gsm, Rat::Lte], "{name}: GSM raster");
    for o in &r.observations {
        o.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!("{name}: {}", o.cell.describe(o.rat));
    }
    (r.observations, r.gsm_blocks)
}

fn truth_gsm(name: &str) -> serde_json::Value {
    let p = iq_dir().join("gsm").join(format!("{name}.truth.json"));
    serde_json::from_str(
        &std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap()
}

/// The full 953.6 MHz recording: one GSM cell on the truth's ARFCN, its SI3
/// identity, and gr-gsm's two CCCH frames among the decoded blocks.
#[test]
fn gsm_953_6mhz_cell_and_grgsm_frames() {
    let name = "real_gsmsp2007_953.6MHz_128";
    let t = truth_gsm(name);
    let (obs, blocks) = decode_gsm(name);
    assert_eq!(obs.len(), 1, "{obs:?}");
    let o = &obs[0];
    assert_eq!(o.rat, Rat::Gsm);
    assert_eq!(o.cell.arfcn.map(u64::from), t["arfcn_pgsm900"].as_u64());
    assert!(o.cell.has_global_identity(), "{:?}", o.cell);
    // The same level as the committed excerpt (rescaled to full scale) shows, about −28 dBm there.
    let rxlev = o.measurement.rxlev_dbm.expect("rxlev");
    assert!((-40.0..-20.0).contains(&rxlev), "{rxlev}");
    for line in t["expected_peer_decode"]["messages"].as_array().unwrap() {
        let (head, hexpart) = line.as_str().unwrap().split_once(':').unwrap();
        let fnum: u32 = head.split_whitespace().next().unwrap().parse().unwrap();
        let bytes: Vec<u8> = hexpart
            .split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect();
        let b = blocks
            .iter()
            .find(|b| b.fnum == fnum)
            .unwrap_or_else(|| panic!("gr-gsm's FN {fnum} not decoded"));
        assert_eq!(b.data.as_slice(), bytes.as_slice(), "FN {fnum}");
    }
}

/// The other GSM recordings (gr-gsm found nothing in them, or there is no
/// truth): whatever cell we report sits on the recording's ARFCN (the truth's
/// where given) and has the BSIC the 160 ms recording at that frequency shows.
#[test]
fn gsm_short_recordings_report_only_the_cells_that_are_there() {
    let (long_953, _) = decode_gsm("real_gsmsp2007_953.6MHz_128");
    let (long_941, _) = decode_gsm("real_gsmsp2007_941.0MHz_128");
    assert_eq!(long_941.len(), 1, "{long_941:?}");
    assert_eq!(long_941[0].cell.arfcn, Some(30));
    for (name, reference) in [
        ("real_gsmsp2007_953.6MHz_64", &long_953[0]),
        ("real_gsmsp2007_941MHz_16", &long_941[0]),
        ("real_gsmsp2007_937MHz_16", &long_941[0]),
    ] {
        let t = truth_gsm(name);
        let (obs, blocks) = decode_gsm(name);
        assert!(obs.len() <= 1, "{name}: {obs:?}");
        for o in &obs {
            assert_eq!(o.rat, Rat::Gsm, "{name}");
            assert_eq!(
                o.cell.arfcn.map(u64::from),
                t["arfcn_pgsm900"].as_u64(),
                "{name}"
            );
            if o.cell.arfcn == reference.cell.arfcn {
                assert_eq!(o.cell.bsic, reference.cell.bsic, "{name}");
            }
        }
        for b in &blocks {
            assert!(obs.iter().any(|o| o.cell.bsic == Some(b.bsic)), "{name}");
        }
    }
}
