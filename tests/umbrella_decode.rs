//! The umbrella binary runs the same decode as the sensor: the README's main
//! command, end to end, on a committed off-the-air excerpt.

use std::process::Command;
use towerwatch_models::Observation;

#[test]
fn readme_main_command_decodes_the_bundled_recording() {
    let rec = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/iq/real_f796_s19.2_hackrf_20ms"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_towerwatch"))
        .args(["decode", rec, "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let obs: Vec<Observation> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| Observation::from_json_slice(l.as_bytes()).unwrap())
        .collect();
    assert_eq!(obs.len(), 1);
    assert_eq!(obs[0].cell.pci, Some(360));
    assert_eq!(obs[0].cell.earfcn, Some(6200));
    let info = Command::new(env!("CARGO_BIN_EXE_towerwatch"))
        .args(["info", rec])
        .output()
        .unwrap();
    assert!(info.status.success());
    assert!(String::from_utf8_lossy(&info.stdout).contains("sha512       match"));
}
