//! End to end, with real parts: the collector binary with its embedded broker
//! on free loopback ports and a temporary sled directory; observations
//! published with rumqttc; results read through the HTTP API.

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use towerwatch_collector::locate::LocalFrame;
use towerwatch_models::{CellId, Observation, Position, Rat, Suspect, Timestamp};

const BIN: &str = env!("CARGO_BIN_EXE_towerwatch-collector");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Collector {
    child: Child,
    http: u16,
    mqtt: u16,
}

impl Collector {
    fn start(dir: &Path) -> Collector {
        Self::start_on(dir, free_port(), free_port())
    }

    fn start_on(dir: &Path, mqtt: u16, http: u16) -> Collector {
        let child = Command::new(BIN)
            .args(["run", "--data-dir"])
            .arg(dir)
            .args([
                "--mqtt-listen",
                &format!("127.0.0.1:{mqtt}"),
                "--http-listen",
                &format!("127.0.0.1:{http}"),
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let c = Collector { child, http, mqtt };
        let t0 = Instant::now();
        while c.get("/healthz").is_none_or(|(s, _)| s != 200) {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "collector did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        c
    }

    /// A plain HTTP/1.0 GET: (status, body).
    fn get(&self, path: &str) -> Option<(u16, String)> {
        Self::get_port(self.http, path)
    }

    fn get_port(port: u16, path: &str) -> Option<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
        let mut buf = String::new();
        s.read_to_string(&mut buf).ok()?;
        let status = buf.split(' ').nth(1)?.parse().ok()?;
        let body = buf.split_once("\r\n\r\n")?.1.to_string();
        Some((status, body))
    }

    fn json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let (s, b) = self.get(path).expect("http");
        assert_eq!(s, 200, "{path}: {b}");
        serde_json::from_str(&b).unwrap_or_else(|e| panic!("{path}: {e}: {b}"))
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Connects, runs `f` with the client while polling the event loop, and
/// returns the payloads received on subscribed topics.
async fn with_client<F, Fut>(port: u16, id: &str, subscribe: Option<String>, f: F) -> Vec<Vec<u8>>
where
    F: FnOnce(AsyncClient) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut o = MqttOptions::new(id, "127.0.0.1", port);
    o.set_keep_alive(Duration::from_secs(10));
    o.set_max_packet_size(512 * 1024, 512 * 1024);
    let (client, mut el) = AsyncClient::new(o, 1000);
    if let Some(t) = subscribe {
        client.subscribe(t, QoS::AtLeastOnce).await.unwrap();
    }
    let (done_tx, mut done_rx) = tokio::sync::oneshot::channel::<()>();
    let poller = tokio::spawn(async move {
        let mut got = Vec::new();
        let mut draining: Option<Instant> = None;
        loop {
            tokio::select! {
                ev = el.poll() => match ev {
                    Ok(Event::Incoming(Packet::Publish(p))) => got.push(p.payload.to_vec()),
                    Ok(_) => {}
                    Err(e) => panic!("mqtt: {e}"),
                },
                _ = &mut done_rx, if draining.is_none() => draining = Some(Instant::now()),
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
            if draining.is_some_and(|t| t.elapsed() > Duration::from_millis(1500)) {
                return got;
            }
        }
    });
    f(client.clone()).await;
    let _ = done_tx.send(());
    let got = poller.await.unwrap();
    let _ = client.disconnect().await;
    got
}

fn topic(sensor: &str) -> String {
    format!("towerwatch/v1/default/sensors/{sensor}/observations")
}

fn cell(tac: u32, ci: u64, pci: u16) -> CellId {
    CellId {
        earfcn: Some(6300),
        pci: Some(pci),
        mcc: Some("262".into()),
        mnc: Some("01".into()),
        tac: Some(tac),
        cell_identity: Some(ci),
        ..CellId::default()
    }
}

fn obs(sensor: &str, seq: u64, pos: (f64, f64), c: CellId, rsrp: f64) -> Observation {
    let mut o = Observation::new(sensor, seq, Timestamp::now(), Rat::Lte, c);
    o.position = Some(Position::new(pos.0, pos.1));
    o.measurement.rsrp_dbm = Some(rsrp);
    o
}

#[test]
fn rogue_cell_becomes_a_located_suspect_and_imported_cells_do_not() {
    let dir = tempfile::tempdir().unwrap();
    // Two legitimate cells imported from OpenCellID CSV.
    let csv = dir.path().join("cells.csv");
    std::fs::write(&csv, "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal\nLTE,262,1,4021,100,0,13.4010,52.5205,800,50,1,1459813000,1700000000,-90\nLTE,262,1,4021,101,0,13.4030,52.5190,800,50,1,1459813000,1700000000,-90\n").unwrap();
    let db = dir.path().join("db");
    let out = Command::new(BIN)
        .args(["import-cells", "--data-dir"])
        .arg(&db)
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 2 cells"));

    let c = Collector::start(&db);
    let frame = LocalFrame::new(52.52, 13.40);
    let truth = [230.0, 280.0];
    let model = towerwatch_collector::locate::PathLoss {
        exponent: 3.5,
        sigma_db: 8.0,
        height_m: 5.0,
        min_distance_m: 1.0,
    };
    let http = c.http;
    let alerts = rt().block_on(with_client(
        c.mqtt,
        "test-pub",
        Some("towerwatch/v1/default/alerts".into()),
        |client| async move {
            for (i, s) in towerwatch_collector::locate::sim::grid(4, 4, 150.0)
                .iter()
                .enumerate()
            {
                let id = format!("lamp-{i:02}");
                let pos = frame.to_geo(*s);
                let seq = 10 * i as u64;
                let rogue_p = model.mean_dbm(truth, -20.0, *s);
                for (k, o) in [
                    obs(&id, seq, pos, cell(4021, 100, 1), -85.0),
                    obs(&id, seq + 1, pos, cell(4021, 101, 2), -88.0),
                    obs(&id, seq + 2, pos, cell(9999, 77, 301), rogue_p),
                ]
                .into_iter()
                .enumerate()
                {
                    let _ = k;
                    client
                        .publish(
                            topic(&id),
                            QoS::AtLeastOnce,
                            false,
                            serde_json::to_vec(&o).unwrap(),
                        )
                        .await
                        .unwrap();
                }
            }
            // Wait until the suspect is located from all sixteen sensors.
            for _ in 0..150 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let body = tokio::task::spawn_blocking(move || {
                    Collector::get_port(http, "/api/v1/suspects")
                })
                .await
                .unwrap();
                if body.is_some_and(|(_, b)| b.contains("\"sensors_used\":16")) {
                    break;
                }
            }
        },
    ));

    let suspects: Vec<Suspect> = c.json("/api/v1/suspects");
    assert_eq!(
        suspects.len(),
        1,
        "{suspects:?}\n{}",
        c.get("/metrics").unwrap().1
    );
    let s = &suspects[0];
    assert_eq!((s.cell.tac, s.cell.cell_identity), (Some(9999), Some(77)));
    let kinds: Vec<&str> = s.evidence.iter().map(|e| e.kind.as_str()).collect();
    assert!(
        kinds.contains(&"unknown_cell") && kinds.contains(&"area_mismatch"),
        "{kinds:?}"
    );
    assert!(s.score > 0.7, "{}", s.score);
    let loc = s.location.as_ref().expect("located");
    let p = frame.to_enu(loc.lat, loc.lon);
    assert!((p[0] - truth[0]).hypot(p[1] - truth[1]) < 20.0, "{p:?}");
    assert_eq!(loc.sensors_used, 16);
    // Published on the alerts topic.
    let alert_ids: Vec<String> = alerts
        .iter()
        .filter_map(|a| serde_json::from_slice::<Suspect>(a).ok())
        .map(|a| a.id)
        .collect();
    assert!(alert_ids.contains(&s.id), "{alert_ids:?}");

    let one: Suspect = c.json(&format!("/api/v1/suspects/{}", s.id));
    assert_eq!(one.id, s.id);
    assert_eq!(c.get("/api/v1/suspects/s-nope").unwrap().0, 404);
    let gj: serde_json::Value = c.json("/api/v1/suspects.geojson");
    assert_eq!(gj["features"].as_array().unwrap().len(), 1);
    let cells: Vec<serde_json::Value> = c.json("/api/v1/cells");
    assert_eq!(cells.len(), 2);
    assert!(
        cells
            .iter()
            .all(|k| k["profiles"].as_array().is_some_and(|p| p.len() == 16)),
        "profiles learned"
    );
    let sensors: Vec<serde_json::Value> = c.json("/api/v1/sensors");
    assert_eq!(sensors.len(), 16);
    let mine: Vec<Observation> = c.json("/api/v1/observations?sensor_id=lamp-03&limit=10");
    assert_eq!(
        mine.iter().map(|o| o.seq).collect::<Vec<_>>(),
        vec![30, 31, 32]
    );
    let metrics = c.get("/metrics").unwrap().1;
    assert!(
        metrics.contains("towerwatch_collector_messages_accepted_total{kind=\"observations\"} 48"),
        "{metrics}"
    );
    c.kill();

    // Export gives the imported cells back.
    let out = Command::new(BIN)
        .args(["export-cells", "--data-dir"])
        .arg(&db)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("radio,mcc,net")
            && text.contains("LTE,262,1,4021,100,")
            && text.lines().count() == 3,
        "{text}"
    );
}

#[test]
fn impostors_replays_and_garbage_are_rejected_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let c = Collector::start(dir.path());
    let good = obs("lamp-a", 7, (52.52, 13.40), cell(9999, 77, 301), -70.0);
    rt().block_on(with_client(c.mqtt, "test-bad", None, |client| async move {
        // An impostor: lamp-b's topic, lamp-a's payload.
        client
            .publish(
                topic("lamp-b"),
                QoS::AtLeastOnce,
                false,
                serde_json::to_vec(&good).unwrap(),
            )
            .await
            .unwrap();
        // The genuine one, then a replay of the same (sensor, seq).
        client
            .publish(
                topic("lamp-a"),
                QoS::AtLeastOnce,
                false,
                serde_json::to_vec(&good).unwrap(),
            )
            .await
            .unwrap();
        client
            .publish(
                topic("lamp-a"),
                QoS::AtLeastOnce,
                false,
                serde_json::to_vec(&good).unwrap(),
            )
            .await
            .unwrap();
        // Random bytes, and a payload that is JSON but not an observation.
        client
            .publish(
                topic("lamp-a"),
                QoS::AtLeastOnce,
                false,
                vec![0xde, 0xad, 0xbe, 0xef, 0x00, 0x7b],
            )
            .await
            .unwrap();
        client
            .publish(
                topic("lamp-a"),
                QoS::AtLeastOnce,
                false,
                b"{\"schema\":1}".to_vec(),
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }));
    let m = c.get("/metrics").unwrap().1;
    for line in [
        "towerwatch_collector_messages_rejected_total{reason=\"sensor_mismatch\"} 1",
        "towerwatch_collector_messages_rejected_total{reason=\"duplicate\"} 1",
        "towerwatch_collector_messages_rejected_total{reason=\"json\"} 2",
        "towerwatch_collector_messages_accepted_total{kind=\"observations\"} 1",
    ] {
        assert!(m.contains(line), "missing {line} in\n{m}");
    }
    let stored: Vec<Observation> = c.json("/api/v1/observations");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].sensor_id, "lamp-a");
    let sensors: Vec<serde_json::Value> = c.json("/api/v1/sensors");
    assert_eq!(
        sensors.len(),
        1,
        "the impostor's target sensor was not created"
    );
    assert_eq!(c.get("/healthz").unwrap().0, 200);
}

#[test]
fn the_api_token_is_enforced_and_required_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let (mqtt, http) = (free_port(), free_port());
    let child = Command::new(BIN)
        .args(["run", "--data-dir"])
        .arg(dir.path())
        .args([
            "--mqtt-listen",
            &format!("127.0.0.1:{mqtt}"),
            "--http-listen",
            &format!("127.0.0.1:{http}"),
            "--api-token",
            "s3cret",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let c = Collector { child, http, mqtt };
    let t0 = Instant::now();
    while c.get("/healthz").is_none_or(|(s, _)| s != 200) {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "collector did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(c.get("/api/v1/suspects").unwrap().0, 401);
    assert_eq!(c.get("/metrics").unwrap().0, 401);
    let mut s = TcpStream::connect(("127.0.0.1", http)).unwrap();
    write!(
        s,
        "GET /api/v1/suspects HTTP/1.0\r\nAuthorization: Bearer s3cret\r\n\r\n"
    )
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    assert!(
        buf.starts_with("HTTP/1.0 200") && buf.ends_with("[]"),
        "{buf}"
    );
    drop(c);
    // No token on a non-loopback address: refused at start, naming the field.
    let out = Command::new(BIN)
        .args(["run", "--data-dir"])
        .arg(dir.path())
        .args(["--http-listen", "0.0.0.0:1", "--mqtt-listen", "127.0.0.1:1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("api_token"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Publishes `msgs` on QoS 1, tolerating the broker going away.
fn publish_tolerant(port: u16, id: &str, msgs: Vec<(String, Vec<u8>)>) {
    rt().block_on(async move {
        let mut o = MqttOptions::new(id, "127.0.0.1", port);
        o.set_keep_alive(Duration::from_secs(10));
        let (client, mut el) = AsyncClient::new(o, 10_000);
        let poller = tokio::spawn(async move {
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(2) {
                if el.poll().await.is_err() {
                    return;
                }
            }
        });
        for (t, p) in msgs {
            if client.publish(t, QoS::AtLeastOnce, false, p).await.is_err() {
                break;
            }
        }
        let _ = poller.await;
    });
}

#[test]
fn sigkill_during_ingest_then_resend_stores_everything_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let n: u64 = 600;
    let msgs: Vec<(String, Vec<u8>)> = (0..n)
        .map(|seq| {
            let o = obs(
                "lamp-k",
                seq,
                (52.52, 13.40),
                cell(4021, 100 + seq % 7, 1),
                -80.0,
            );
            (topic("lamp-k"), serde_json::to_vec(&o).unwrap())
        })
        .collect();
    let c = Collector::start(dir.path());
    let (mqtt, first) = (c.mqtt, msgs.clone());
    let publisher = std::thread::spawn(move || publish_tolerant(mqtt, "crash-pub", first));
    // Kill (SIGKILL) as soon as ingest has visibly started.
    let t0 = Instant::now();
    loop {
        let stored = c
            .get("/api/v1/sensors")
            .map(|(_, b)| b.contains("lamp-k"))
            .unwrap_or(false);
        if stored || t0.elapsed() > Duration::from_secs(10) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    c.kill();
    publisher.join().unwrap();

    // Restart on the same database; the sensor re-sends its whole outbox.
    let c = Collector::start(dir.path());
    let before: Vec<Observation> = c.json("/api/v1/observations?sensor_id=lamp-k&limit=1000");
    eprintln!("{} of {n} observations survived the SIGKILL", before.len());
    publish_tolerant(c.mqtt, "crash-pub-2", msgs);
    let t0 = Instant::now();
    let mut got: Vec<Observation> = Vec::new();
    while t0.elapsed() < Duration::from_secs(20) {
        got = c.json("/api/v1/observations?sensor_id=lamp-k&limit=1000");
        if got.len() as u64 >= n {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut seqs: Vec<u64> = got.iter().map(|o| o.seq).collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (0..n).collect::<Vec<_>>(),
        "every observation stored exactly once"
    );
    // Whatever survived the kill was kept and counted as a replay on re-send.
    let m = c.get("/metrics").unwrap().1;
    if !before.is_empty() {
        let line = format!(
            "towerwatch_collector_messages_rejected_total{{reason=\"duplicate\"}} {}",
            before.len()
        );
        assert!(
            m.contains(&line),
            "{} stored before the restart; metrics:\n{m}",
            before.len()
        );
    }
}
