//! The wire contract (WIRE.md) as golden files: every example parses, and
//! serializing it back gives the same JSON value, so field names and types
//! cannot drift. Files named `wire_*` are WIRE.md's examples or follow them
//! field for field; `*_valid` variants also pass validation.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;
use towerwatch_models::{Observation, Rat, SensorState, SensorStatus, Spectrum, Suspect};

fn golden(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Parses, re-serializes and checks the JSON value is unchanged and stable.
fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(name: &str) -> T {
    let bytes = golden(name);
    let original: Value = serde_json::from_slice(&bytes).unwrap();
    let parsed: T = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let back = serde_json::to_value(&parsed).unwrap();
    assert_eq!(back, original, "{name}: re-serialized JSON differs");
    let again: T = serde_json::from_value(back.clone()).unwrap();
    assert_eq!(again, parsed);
    assert_eq!(
        serde_json::to_string(&again).unwrap(),
        serde_json::to_string(&parsed).unwrap()
    );
    parsed
}

#[test]
fn wire_md_lte_observation() {
    let o: Observation = round_trip("wire_observation_lte.json");
    assert_eq!(o.rat, Rat::Lte);
    assert_eq!(o.cell.mnc.as_deref(), Some("01"));
    assert_eq!(o.time.to_string(), "2026-11-21T23:40:00.123Z");
    let si = o.system_info.as_ref().unwrap();
    assert_eq!(si.sib7.as_ref().unwrap().carriers[0].arfcns, vec![62, 64]);
    // The WIRE.md example's raw field is prose, not hex: it parses but does not validate.
    assert!(o.validate().is_err());
}

#[test]
fn valid_lte_observation() {
    let o: Observation = round_trip("observation_lte_valid.json");
    o.validate().unwrap();
    let parsed = Observation::from_json_slice(&golden("observation_lte_valid.json")).unwrap();
    assert_eq!(parsed, o);
}

#[test]
fn gsm_and_nr_observations() {
    let g: Observation = round_trip("wire_observation_gsm.json");
    g.validate().unwrap();
    assert_eq!(g.cell.bsic, Some(37));
    let n: Observation = round_trip("wire_observation_nr.json");
    n.validate().unwrap();
    assert_eq!(n.cell.pci, Some(500));
}

#[test]
fn status_spectrum_suspect() {
    let s: SensorStatus = round_trip("wire_status.json");
    s.validate().unwrap();
    let w: SensorStatus = round_trip("wire_status_last_will.json");
    assert_eq!(w.state, SensorState::Offline);
    assert_eq!(w, SensorStatus::offline("lamp-0042"));
    let sp: Spectrum = round_trip("wire_spectrum.json");
    sp.validate().unwrap();
    let su: Suspect = round_trip("wire_suspect.json");
    su.validate().unwrap();
}

#[test]
fn validation_names_the_field() {
    let mut v: Value = serde_json::from_slice(&golden("observation_lte_valid.json")).unwrap();
    type Mutation = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Mutation)> = vec![
        ("sensor_id", Box::new(|v| v["sensor_id"] = "Lamp 1".into())),
        ("cell.pci", Box::new(|v| v["cell"]["pci"] = 504.into())),
        ("cell.mcc", Box::new(|v| v["cell"]["mcc"] = "26".into())),
        (
            "position.lat",
            Box::new(|v| v["position"]["lat"] = 91.0.into()),
        ),
        ("schema", Box::new(|v| v["schema"] = 2.into())),
        ("json", Box::new(|v| v["seq"] = (-1).into())),
        ("cell", Box::new(|v| v["cell"]["bsic"] = 3.into())),
    ];
    for (field, mutate) in cases {
        let mut w = v.clone();
        mutate(&mut w);
        let err = Observation::from_json_slice(&serde_json::to_vec(&w).unwrap()).unwrap_err();
        assert_eq!(err.field, field, "{err}");
    }
    v["anomalies"] = Value::Array(vec![v["anomalies"][0].clone(); 65]);
    assert_eq!(
        Observation::from_json_slice(&serde_json::to_vec(&v).unwrap())
            .unwrap_err()
            .field,
        "anomalies"
    );
    let huge = vec![b' '; towerwatch_models::MAX_PAYLOAD_BYTES + 1];
    assert_eq!(
        Observation::from_json_slice(&huge).unwrap_err().field,
        "payload"
    );
}
