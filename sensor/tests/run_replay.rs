//! `run` with a replay source into a real broker: every decoded cell arrives
//! as one Observation on the wire, equal to what `decode` finds.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;
use towerwatch_models::{Observation, SensorState, SensorStatus};
use towerwatch_sensor::config::RawConfig;
use towerwatch_sensor::daemon::{self, RunOptions};
use towerwatch_sensor::pipeline::{decode_recording, DecodeOptions};
use towerwatch_sensor::source::replay::{find_recordings, ReplaySource};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/iq")
}

fn sensor_id() -> String {
    format!("lamp-9-{}", std::process::id())
}

fn config(port: u16, data_dir: &Path) -> towerwatch_sensor::config::Config {
    let text = format!(
        r#"
sensor_id = "{}"
region = "test"
metrics_listen = ""
position = {{ lat = 52.52, lon = 13.40 }}
data_dir = "{}"
[replay]
paths = ["{}"]
[broker]
url = "mqtt://127.0.0.1:{port}"
"#,
        sensor_id(),
        data_dir.display(),
        testdata().display()
    );
    RawConfig::from_toml(&text).unwrap().validate().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_into_broker_matches_decode() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("info,rumqttd=warn,sled=warn")
        .with_test_writer()
        .try_init();
    let port = common::broker_port();
    eprintln!("broker up");
    let obs_inbox = common::subscribe(
        port,
        &format!("w-{}", sensor_id()),
        &format!("towerwatch/v1/test/sensors/{}/observations", sensor_id()),
    )
    .await;
    let status_inbox = common::subscribe(
        port,
        &format!("s-{}", sensor_id()),
        &format!("towerwatch/v1/test/sensors/{}/status", sensor_id()),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(port, dir.path());
    let source = ReplaySource::open(&[testdata()], false).unwrap();
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
    assert_eq!(summary.undelivered, 0, "{summary:?}");
    assert_eq!(summary.source_errors, 0);

    // What decode finds in the recordings that name a centre frequency (a channel).
    let mut expected = Vec::new();
    for rec in find_recordings(&[testdata()]).unwrap() {
        if rec.frequency().is_none() {
            continue;
        }
        for o in decode_recording(&rec, &DecodeOptions::default())
            .unwrap()
            .observations
        {
            expected.push((o.cell.earfcn, o.cell.pci, o.system_info.and_then(|s| s.mib)));
        }
    }
    expected.sort_by_key(|e| (e.0, e.1));
    assert!(
        expected.len() >= 2,
        "the excerpts hold at least two cells: {expected:?}"
    );

    common::wait_until(&obs_inbox, 10, "observations", |m| {
        m.len() >= expected.len()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got: Vec<Observation> = obs_inbox
        .lock()
        .unwrap()
        .iter()
        .map(|(t, p)| {
            assert_eq!(
                t,
                &format!("towerwatch/v1/test/sensors/{}/observations", sensor_id())
            );
            Observation::from_json_slice(p).unwrap()
        })
        .collect();
    let mut seqs: Vec<u64> = got.iter().map(|o| o.seq).collect();
    seqs.sort();
    seqs.dedup();
    assert_eq!(
        seqs,
        (0..summary.observations).collect::<Vec<_>>(),
        "every seq once (QoS 1 may repeat, dedup by seq)"
    );
    let mut cells: Vec<_> = got
        .iter()
        .map(|o| {
            (
                o.cell.earfcn,
                o.cell.pci,
                o.system_info.clone().and_then(|s| s.mib),
            )
        })
        .collect();
    cells.sort_by_key(|e| (e.0, e.1));
    cells.dedup();
    assert_eq!(cells, expected);
    // The GSM excerpt (953.6 MHz, on the GSM raster) was dwelt on as GSM.
    assert!(
        got.iter()
            .any(|o| o.rat == towerwatch_models::Rat::Gsm && o.cell.arfcn == Some(93)),
        "no GSM observation: {got:?}"
    );
    for o in &got {
        assert_eq!(o.sensor_id, sensor_id());
        assert_eq!(o.position.unwrap().lat, 52.52);
    }
    // The retained status said who was publishing, and at the end that it stopped.
    common::wait_until(&status_inbox, 10, "status", |m| {
        m.iter().any(|(_, p)| {
            serde_json::from_slice::<SensorStatus>(p).is_ok_and(|s| s.state == SensorState::Offline)
        })
    })
    .await;
    let all: Vec<SensorStatus> = status_inbox
        .lock()
        .unwrap()
        .iter()
        .map(|(_, p)| serde_json::from_slice(p).unwrap())
        .collect();
    assert!(all
        .iter()
        .all(|s| s.sensor_id == sensor_id() && s.validate().is_ok()));
    let last = all.last().unwrap();
    assert_eq!(last.state, SensorState::Offline);
    assert_eq!(last.last_seq, Some(summary.next_seq - 1));
    assert_eq!(last.outbox_len, Some(0));

    // A second run over the same state directory continues the seq.
    let cfg = config(port, dir.path());
    let source = ReplaySource::open(&[testdata()], false).unwrap();
    let again = daemon::run(
        cfg,
        Box::new(source),
        RunOptions::default(),
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(again.next_seq, summary.next_seq * 2);
}
