//! `towerwatch-sensor info` on the committed recording excerpts, through the real binary.

use std::path::{Path, PathBuf};
use std::process::Command;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/iq")
}

fn sensor(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_towerwatch-sensor"))
        .args(args)
        .output()
        .expect("run towerwatch-sensor")
}

#[test]
fn info_json_matches_the_files() {
    let mut seen = 0;
    for entry in std::fs::read_dir(testdata()).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().and_then(|e| e.to_str()) != Some("sigmf-meta") {
            continue;
        }
        seen += 1;
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let dt = meta["global"]["core:datatype"].as_str().unwrap();
        let bps = match dt {
            "cf32_le" => 8,
            "ci16_le" => 4,
            _ => 2,
        };
        let data_len = std::fs::metadata(p.with_extension("sigmf-data"))
            .unwrap()
            .len();
        let out = sensor(&["info", "--json", p.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}: {}",
            p.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(info["datatype"], dt);
        assert_eq!(info["samples"].as_u64().unwrap(), data_len / bps);
        assert_eq!(info["sha512"], "match");
        assert_eq!(info["sample_rate_hz"], meta["global"]["core:sample_rate"]);
        let mean = info["mean_dbfs"].as_f64().unwrap();
        assert!(
            (-80.0..3.0).contains(&mean),
            "{}: mean {mean} dBFS",
            p.display()
        );
    }
    assert_eq!(seen, 6, "expected the six committed excerpts");
}

#[test]
fn info_table_and_raw_files() {
    let base = testdata().join("srsran_pbch_cell150_2port");
    let out = sensor(&["info", base.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("samples      9601"), "{text}");
    assert!(text.contains("duration     5.001 ms"), "{text}");
    // The same bytes as a raw GNU Radio .cfile: needs --rate, and then agrees.
    let dir = tempfile::tempdir().unwrap();
    let cfile = dir.path().join("x.cfile");
    std::fs::copy(base.with_extension("sigmf-data"), &cfile).unwrap();
    let bad = sensor(&["info", cfile.to_str().unwrap()]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--rate"));
    let ok = sensor(&[
        "info",
        "--json",
        "--rate",
        "1.92e6",
        "--freq",
        "806e6",
        cfile.to_str().unwrap(),
    ]);
    assert!(ok.status.success());
    let info: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(info["samples"], 9601);
    assert_eq!(info["frequencies_hz"][0], 806e6);
}

#[test]
fn info_refuses_a_corrupted_recording() {
    let dir = tempfile::tempdir().unwrap();
    let base = testdata().join("srsran_amarisoft_cell1_6prb");
    let mut data = std::fs::read(base.with_extension("sigmf-data")).unwrap();
    data[1000] ^= 0x40;
    std::fs::write(dir.path().join("c.sigmf-data"), data).unwrap();
    std::fs::copy(
        base.with_extension("sigmf-meta"),
        dir.path().join("c.sigmf-meta"),
    )
    .unwrap();
    let out = sensor(&["info", dir.path().join("c").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("MISMATCH"));
    let missing = sensor(&["info", dir.path().join("nothing").to_str().unwrap()]);
    assert!(!missing.status.success());
}
