//! `run` on a GSM channel: `scan.gsm_arfcns = [93]` over the replayed
//! recordings selects the off-the-air excerpt at 953.6 MHz; the daemon dwells
//! on it as GSM and the cell arrives through a real broker as one WIRE.md
//! Observation (`rat: "gsm"`, cell identity from SI3, calibrated RXLEV), equal
//! to what `decode --rat gsm` finds in the same recording.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;
use towerwatch_models::{Observation, Rat};
use towerwatch_sensor::config::RawConfig;
use towerwatch_sensor::daemon::{self, RunOptions};
use towerwatch_sensor::pipeline::{decode_recording, DecodeOptions, RatChoice};
use towerwatch_sensor::source::replay::ReplaySource;
use towerwatch_sensor::source::{RawFormat, Recording};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/iq")
}

fn sensor_id() -> String {
    format!("lamp-gsm-{}", std::process::id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gsm_channel_publishes_the_cell() {
    let port = common::broker_port();
    let topic = format!("towerwatch/v1/test/sensors/{}/observations", sensor_id());
    let inbox = common::subscribe(port, &format!("w-{}", sensor_id()), &topic).await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
sensor_id = "{}"
region = "test"
metrics_listen = ""
position = {{ lat = 52.52, lon = 13.40 }}
data_dir = "{}"
[replay]
paths = ["{}"]
[scan]
gsm_arfcns = [93]
dwell_gsm_ms = 2000
[broker]
url = "mqtt://127.0.0.1:{port}"
"#,
        sensor_id(),
        dir.path().display(),
        testdata().display()
    );
    let cfg = RawConfig::from_toml(&text).unwrap().validate().unwrap();
    let source = ReplaySource::open(&[testdata()], false).unwrap();
    let plan = daemon::channel_plan(&cfg, &source);
    assert_eq!(plan.len(), 1, "{plan:?}");
    assert_eq!(plan[0].rat, Rat::Gsm);
    assert_eq!(plan[0].freq_hz, 953.6e6);
    let summary = daemon::run(
        cfg,
        Box::new(source),
        RunOptions {
            drain_timeout: Duration::from_secs(20),
            ..Default::default()
        },
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(summary.observations, 1, "{summary:?}");
    assert_eq!(summary.undelivered, 0);
    assert_eq!(summary.source_errors, 0);

    common::wait_until(&inbox, 10, "observation", |m| !m.is_empty()).await;
    let got: Vec<Observation> = inbox
        .lock()
        .unwrap()
        .iter()
        .map(|(_, p)| Observation::from_json_slice(p).unwrap())
        .collect();
    let o = &got[0];
    assert_eq!(o.rat, Rat::Gsm);
    assert_eq!(o.sensor_id, sensor_id());
    assert_eq!(o.seq, 0);
    assert_eq!(o.position.unwrap().lat, 52.52);
    assert_eq!(o.cell.arfcn, Some(93));

    // The same cell as `decode` finds, field by field.
    let rec = Recording::open(
        &testdata().join("real_gsmsp2007_953.6MHz_128.sigmf-meta"),
        RawFormat::default(),
    )
    .unwrap();
    let d = decode_recording(
        &rec,
        &DecodeOptions {
            rat: RatChoice::Gsm,
            ..DecodeOptions::default()
        },
    )
    .unwrap();
    assert_eq!(d.observations.len(), 1);
    let e = &d.observations[0];
    assert_eq!(o.cell, e.cell);
    assert!(o.cell.has_global_identity(), "{:?}", o.cell);
    assert_eq!(
        o.system_info.as_ref().map(|s| &s.gsm),
        e.system_info.as_ref().map(|s| &s.gsm)
    );
    assert_eq!(
        o.system_info.as_ref().and_then(|s| s.raw.clone()),
        e.system_info.as_ref().and_then(|s| s.raw.clone())
    );
    // No calibration configured for a replay: dBm equals dBFS.
    assert_eq!(o.measurement.rxlev_dbm, e.measurement.rxlev_dbm);
    assert_eq!(o.center_freq_hz, Some(953_600_000));
}
