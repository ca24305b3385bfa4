//! Capture tests on the full recordings in `../shared/iq/` (or `TOWERWATCH_IQ_DIR`).
//! Run by `.ci/run` with `--features captures`; a missing folder or file fails loudly.

use std::path::{Path, PathBuf};
use towerwatch_sensor::cli::info::inspect;
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
