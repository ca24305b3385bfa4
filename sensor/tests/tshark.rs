//! Wireshark dissects our `decode --pcap` GSMTAP output: `tshark -r FILE -V`
//! names the system information types and reads the same MCC, MNC, LAC and
//! cell identity as our Observation — on the simulated cell (against the
//! values encoded) and on the off-the-air excerpt (against our decode: an
//! independent decoder agreeing on real data).
//!
//! Needs tshark (`apt-get install tshark`); fails loudly without it:
//! `cargo test -p towerwatch-sensor --features tshark --test tshark`

mod common;

use common::gsm_sim;
use std::path::{Path, PathBuf};
use std::process::Command;
use towerwatch_models::Observation;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/iq")
        .join(name)
}

/// `decode --json --pcap` on `rec`: the Observations.
fn decode(rec: &Path, pcap: &Path) -> Vec<Observation> {
    let out = Command::new(env!("CARGO_BIN_EXE_towerwatch-sensor"))
        .args(["decode", "--json", "--rat", "gsm", "--pcap"])
        .arg(pcap)
        .arg(rec)
        .output()
        .expect("run towerwatch-sensor");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| Observation::from_json_slice(l.as_bytes()).unwrap())
        .collect()
}

/// `tshark -r pcap -V`, text. Panics when tshark is missing or fails.
fn tshark(pcap: &Path) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .arg("-V")
        .output()
        .unwrap_or_else(|e| {
            panic!("tshark could not be run ({e}): install it (apt-get install tshark)")
        });
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value in the last parentheses of the first line containing `label`
/// after the first line containing `after` (e.g. `Cell CI: 0x3b2d (15149)` → `15149`).
fn field(text: &str, after: &str, label: &str) -> String {
    let start = text
        .find(after)
        .unwrap_or_else(|| panic!("tshark output has no {after:?}"));
    let line = text[start..]
        .lines()
        .find(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no {label:?} after {after:?}"));
    let open = line.rfind('(').unwrap();
    let close = line.rfind(')').unwrap();
    line[open + 1..close].to_string()
}

/// tshark's SI3 identity: (MCC, MNC, LAC, CI). tshark prints the MCC as a
/// number (`Test network (1)`), the MNC with its digits (`(01)`); the MCC is
/// returned as our three digits.
fn si3_identity(text: &str) -> (String, String, u64, u64) {
    let si3 = "GSM CCCH - System Information Type 3";
    let mcc: u16 = field(text, si3, "Mobile Country Code (MCC):")
        .parse()
        .expect("numeric MCC");
    (
        format!("{mcc:03}"),
        field(text, si3, "Mobile Network Code (MNC):"),
        field(text, si3, "Location Area Code (LAC):")
            .parse()
            .unwrap(),
        field(text, si3, "Cell CI:").parse().unwrap(),
    )
}

#[test]
fn tshark_reads_the_simulated_cell_as_encoded() {
    let dir = tempfile::tempdir().unwrap();
    let meta = gsm_sim::write_recording(dir.path(), "sim_dcs725");
    let pcap = dir.path().join("sim.pcap");
    let obs = decode(&meta, &pcap);
    assert_eq!(obs.len(), 1);
    let text = tshark(&pcap);
    for t in [
        "System Information Type 1",
        "System Information Type 2",
        "System Information Type 3",
        "System Information Type 4",
    ] {
        assert!(
            text.contains(&format!("GSM CCCH - {t}\n")),
            "tshark did not dissect {t}"
        );
    }
    assert!(text.contains("ARFCN: 725"));
    assert!(text.contains("Channel Type: BCCH (1)"));
    assert!(
        !text.contains("Malformed"),
        "tshark found a malformed packet"
    );
    let (_, _, si3, _) = gsm_sim::system_info();
    let (mcc, mnc, lac, ci) = si3_identity(&text);
    assert_eq!((mcc.as_str(), mnc.as_str()), ("001", "01"));
    assert_eq!(lac, u64::from(si3.lac));
    assert_eq!(ci, u64::from(si3.cell_identity));
    let c = &obs[0].cell;
    assert_eq!(
        (
            c.mcc.clone(),
            c.mnc.clone(),
            c.lac.map(u64::from),
            c.cell_identity
        ),
        (Some(mcc), Some(mnc), Some(lac), Some(ci))
    );
    // The frequency lists (our range-format encoding) as tshark lists them.
    let (si1, si2, _, _) = gsm_sim::system_info();
    let list = |t: &str| -> String {
        let sec = &text[text.find(&format!("GSM CCCH - {t}\n")).unwrap()..];
        sec.lines()
            .find_map(|l| l.trim().strip_prefix("List of ARFCNs = "))
            .unwrap_or_else(|| panic!("no ARFCN list in {t}"))
            .trim()
            .to_string()
    };
    let join = |v: &[u16]| v.iter().map(u16::to_string).collect::<Vec<_>>().join(" ");
    assert_eq!(list("System Information Type 1"), join(&si1.cell_channels));
    assert_eq!(list("System Information Type 2"), join(&si2.neighbours));
}

#[test]
fn tshark_agrees_with_our_si3_on_the_real_excerpt() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("real.pcap");
    let obs = decode(&testdata("real_gsmsp2007_953.6MHz_128"), &pcap);
    assert_eq!(obs.len(), 1);
    let text = tshark(&pcap);
    assert!(text.contains("GSM CCCH - System Information Type 3\n"));
    assert!(text.contains("GSM CCCH - Paging Request Type 1\n"));
    assert!(
        !text.contains("Malformed"),
        "tshark found a malformed packet"
    );
    let (mcc, mnc, lac, ci) = si3_identity(&text);
    let c = &obs[0].cell;
    assert_eq!(c.mcc.as_deref(), Some(mcc.as_str()));
    assert_eq!(c.mnc.as_deref(), Some(mnc.as_str()));
    assert_eq!(c.lac.map(u64::from), Some(lac));
    assert_eq!(c.cell_identity, Some(ci));
    assert!(text.contains("ARFCN: 93"));
}
