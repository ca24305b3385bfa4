//! The analyst map is served from the binary: `/` and every asset answer 200
//! with the right content type, the page names only local files, revalidation
//! works, and the page's API additions (`/api/v1/map-config`,
//! `/api/v1/suspects/{id}/observations`, `/api/v1/suspects/history`) answer
//! as documented.

use rumqttc::{AsyncClient, Event, MqttOptions, QoS};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
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

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, lower-case headers, body.
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Collector {
    fn start(dir: &Path, extra: &[&str]) -> Collector {
        let (mqtt, http) = (free_port(), free_port());
        let child = Command::new(BIN)
            .args(["run", "--data-dir"])
            .arg(dir)
            .args([
                "--mqtt-listen",
                &format!("127.0.0.1:{mqtt}"),
                "--http-listen",
                &format!("127.0.0.1:{http}"),
            ])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let c = Collector { child, http, mqtt };
        let t0 = Instant::now();
        while c.get("/healthz", &[]).is_none_or(|r| r.status != 200) {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "collector did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        c
    }

    /// A plain HTTP/1.0 GET with extra header lines.
    fn get(&self, path: &str, headers: &[&str]) -> Option<Resp> {
        let mut s = TcpStream::connect(("127.0.0.1", self.http)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        let mut req = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n");
        for h in headers {
            req.push_str(h);
            req.push_str("\r\n");
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).ok()?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).ok()?;
        let split = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&buf[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Some(Resp {
            status,
            headers,
            body: buf[split + 4..].to_vec(),
        })
    }

    fn must(&self, path: &str) -> Resp {
        let r = self.get(path, &[]).expect("http");
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r
    }
}

/// Every `src="…"` and `href="…"` value in an HTML text.
fn references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
    }
    out
}

#[test]
fn the_page_and_its_assets_are_served_from_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let c = Collector::start(dir.path(), &[]);

    let page = c.must("/");
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    let html = page.text();
    assert!(html.contains("<title>towerwatch"), "{html}");

    // Only local files: no scheme, no protocol-relative URL, nothing outside /assets/.
    let refs = references(&html);
    assert!(refs.len() >= 5, "{refs:?}");
    for r in &refs {
        assert!(
            !r.contains("://") && !r.starts_with("//"),
            "index.html refers to a remote URL: {r}"
        );
        assert!(r.starts_with("assets/"), "unexpected reference {r}");
    }
    let want = [
        ("assets/app.js", "text/javascript; charset=utf-8"),
        ("assets/app.css", "text/css; charset=utf-8"),
        (
            "assets/vendor/leaflet/leaflet.js",
            "text/javascript; charset=utf-8",
        ),
        (
            "assets/vendor/leaflet/leaflet.css",
            "text/css; charset=utf-8",
        ),
        ("assets/favicon.svg", "image/svg+xml"),
    ];
    for (path, mime) in want {
        assert!(
            refs.iter().any(|r| r == path),
            "index.html does not load {path}"
        );
        let r = c.must(&format!("/{path}"));
        assert_eq!(r.header("content-type"), Some(mime), "{path}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert!(r.body.len() > 100, "{path} is {} bytes", r.body.len());
    }
    // The JS and CSS name no remote script or stylesheet either.
    for path in ["/assets/app.js", "/assets/app.css"] {
        let t = c.must(path).text();
        for bad in ["http://", "https://"] {
            assert!(!t.contains(bad), "{path} contains {bad}");
        }
    }

    // Every embedded file answers, with its content type; Leaflet's images are there.
    let mut n = 0;
    for (path, mime) in towerwatch_collector::web::assets() {
        let r = c.must(&format!("/assets/{path}"));
        assert_eq!(r.header("content-type"), Some(mime), "{path}");
        n += 1;
    }
    assert!(n >= 8, "{n} assets");
    let css = c.must("/assets/vendor/leaflet/leaflet.css").text();
    assert!(css.contains("url(images/layers.png)"));
    let png = c.must("/assets/vendor/leaflet/images/layers.png");
    assert_eq!(png.header("content-type"), Some("image/png"));
    assert_eq!(&png.body[..4], b"\x89PNG");

    // Revalidation: the ETag gives 304 without a body.
    let etag = page.header("etag").expect("etag").to_string();
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    let again = c.get("/", &[&format!("If-None-Match: {etag}")]).unwrap();
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    // Unknown files and attempts to leave the table are 404.
    for path in [
        "/assets/nope.js",
        "/assets/../Cargo.toml",
        "/assets/%2e%2e/Cargo.toml",
        "/assets/",
    ] {
        let r = c.get(path, &[]).unwrap();
        assert!(r.status == 404, "{path}: {}", r.status);
    }

    // The page's settings: no tiles by default, no token.
    let cfg: serde_json::Value =
        serde_json::from_slice(&c.must("/api/v1/map-config").body).unwrap();
    assert_eq!(cfg["tiles"], serde_json::Value::Null);
    assert_eq!(cfg["auth_required"], false);
    assert_eq!(cfg["region"], "default");
}

#[test]
fn tiles_and_token_reach_the_page_and_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let c = Collector::start(
        dir.path(),
        &[
            "--api-token",
            "s3cret",
            "--tiles",
            "https://{s}.tiles.example.org/{z}/{x}/{y}.png",
            "--tile-attribution",
            "© example",
        ],
    );
    // The page and its files hold no data and need no token; the API does.
    let page = c.must("/");
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("img-src 'self' data: blob: https://*.tiles.example.org;"),
        "{csp}"
    );
    c.must("/assets/app.js");
    let cfg: serde_json::Value =
        serde_json::from_slice(&c.must("/api/v1/map-config").body).unwrap();
    assert_eq!(
        cfg["tiles"],
        "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    );
    assert_eq!(cfg["tile_attribution"], "© example");
    assert_eq!(cfg["auth_required"], true);
    assert_eq!(c.get("/api/v1/suspects", &[]).unwrap().status, 401);
    assert_eq!(
        c.get("/api/v1/suspects/s-x/observations", &[])
            .unwrap()
            .status,
        401
    );
    let ok = c
        .get("/api/v1/suspects", &["Authorization: Bearer s3cret"])
        .unwrap();
    assert_eq!(ok.status, 200);
    // The replay history too, checked before its parameters.
    for q in ["", "?limit=0", "?since=nonsense"] {
        let path = format!("/api/v1/suspects/history{q}");
        assert_eq!(c.get(&path, &[]).unwrap().status, 401, "{path}");
        assert_eq!(
            c.get(&path, &["Authorization: Bearer wrong"])
                .unwrap()
                .status,
            401
        );
    }
    let h = c
        .get(
            "/api/v1/suspects/history",
            &["Authorization: Bearer s3cret"],
        )
        .unwrap();
    assert_eq!(h.status, 200, "{}", h.text());
    assert_eq!(
        c.get(
            "/api/v1/suspects/history?limit=0",
            &["Authorization: Bearer s3cret"]
        )
        .unwrap()
        .status,
        400
    );
    drop(c);

    // A tile template that could break out of the URL is refused at start.
    let out = Command::new(BIN)
        .args(["run", "--data-dir"])
        .arg(dir.path())
        .args([
            "--mqtt-listen",
            "127.0.0.1:1",
            "--http-listen",
            "127.0.0.1:1",
            "--tiles",
            "https://t.example.org/{z}/{x}/{y}.png\"><script>",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("tiles"));
}

fn lte(tac: u32, ci: u64, pci: u16) -> CellId {
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

/// Three sensors hear a known cell and a rogue (TAC 9999) with system information.
fn rogue_messages() -> Vec<(String, Vec<u8>)> {
    let mut msgs = Vec::new();
    for (i, sensor) in ["lamp-a", "lamp-b", "lamp-c"].iter().enumerate() {
        let pos = Position::new(52.52 + i as f64 * 0.001, 13.40);
        for (k, (cell, info)) in [(lte(4021, 100, 1), false), (lte(9999, 77, 301), true)]
            .into_iter()
            .enumerate()
        {
            let mut o = Observation::new(
                *sensor,
                k as u64 + 1,
                Timestamp::now(),
                Rat::Lte,
                cell.clone(),
            );
            o.position = Some(pos);
            o.measurement.rsrp_dbm = Some(-80.0 - i as f64);
            if info {
                o.system_info = Some(
                    serde_json::from_value(serde_json::json!({
                        "sib1": {"plmns": ["26201"], "tac": 9999, "cell_identity": 77}
                    }))
                    .unwrap(),
                );
            }
            msgs.push((
                format!("towerwatch/v1/default/sensors/{sensor}/observations"),
                serde_json::to_vec(&o).unwrap(),
            ));
        }
    }
    msgs
}

/// Publishes with QoS 1 and waits for every acknowledgement.
fn publish_all(port: u16, msgs: Vec<(String, Vec<u8>)>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let (client, mut el) =
            AsyncClient::new(MqttOptions::new("web-test", "127.0.0.1", port), 100);
        let n = msgs.len();
        for (t, p) in msgs {
            client.publish(t, QoS::AtLeastOnce, false, p).await.unwrap();
        }
        let mut acked = 0;
        let t0 = Instant::now();
        while acked < n && t0.elapsed() < Duration::from_secs(10) {
            if let Ok(Ok(Event::Incoming(rumqttc::Packet::PubAck(_)))) =
                tokio::time::timeout(Duration::from_secs(1), el.poll()).await
            {
                acked += 1;
            }
        }
        assert_eq!(acked, n, "broker acknowledged every publish");
    });
}

/// A data directory with one known cell (TAC 4021, CI 100) imported.
fn db_with_known_cell(dir: &Path) -> std::path::PathBuf {
    let csv = dir.join("cells.csv");
    std::fs::write(&csv, "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal\nLTE,262,1,4021,100,0,13.4010,52.5205,800,50,1,1459813000,1700000000,-90\n").unwrap();
    let db = dir.join("db");
    let out = Command::new(BIN)
        .args(["import-cells", "--data-dir"])
        .arg(&db)
        .arg(&csv)
        .output()
        .unwrap();
    assert!(out.status.success());
    db
}

#[test]
fn suspect_history_replays_revisions_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_known_cell(dir.path());
    let c = Collector::start(&db, &[]);
    let before = Timestamp::now();
    // Nothing recorded yet.
    let empty: serde_json::Value =
        serde_json::from_slice(&c.must("/api/v1/suspects/history").body).unwrap();
    assert_eq!(
        empty,
        serde_json::json!({"revisions": [], "truncated": false})
    );

    publish_all(c.mqtt, rogue_messages());
    // Wait until the latest revision is the stored suspect, located by all three.
    let t0 = Instant::now();
    let (rogue, revs) = loop {
        let all: Vec<Suspect> = serde_json::from_slice(&c.must("/api/v1/suspects").body).unwrap();
        let h: serde_json::Value =
            serde_json::from_slice(&c.must("/api/v1/suspects/history").body).unwrap();
        let revs = h["revisions"].as_array().unwrap().clone();
        if let Some(s) = all.iter().find(|s| s.cell.tac == Some(9999)).cloned() {
            let last: Option<Suspect> = revs
                .iter()
                .rev()
                .find(|r| r["suspect"]["id"] == s.id.as_str())
                .map(|r| serde_json::from_value(r["suspect"].clone()).unwrap());
            if last.as_ref().is_some_and(|l| {
                l.score == s.score
                    && l.location == s.location
                    && l.evidence.len() == s.evidence.len()
            }) && s.evidence.len() >= 3
            {
                assert_eq!(h["truncated"], false);
                break (s, revs);
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "no suspect with history: {all:?} {revs:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let times: Vec<Timestamp> = revs
        .iter()
        .map(|r| r["at"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "oldest first: {times:?}"
    );
    assert!(times.iter().all(|t| *t >= before));
    let mine: Vec<&serde_json::Value> = revs
        .iter()
        .filter(|r| r["suspect"]["id"] == rogue.id.as_str())
        .collect();
    // First reported by one sensor, then by three: at least two states.
    assert!(mine.len() >= 2, "{mine:?}");
    assert_ne!(mine[0]["suspect"], mine[mine.len() - 1]["suspect"]);

    // Bounded: limit=1 returns the oldest and says more matched.
    let one: serde_json::Value =
        serde_json::from_slice(&c.must("/api/v1/suspects/history?limit=1").body).unwrap();
    assert_eq!(one["revisions"].as_array().unwrap().len(), 1);
    assert_eq!(one["revisions"][0], revs[0]);
    assert_eq!(one["truncated"], true);

    // A window before anything happened is empty; one after it holds each
    // suspect's state at its start (its latest revision).
    let early = before.add_seconds(-3600.0);
    let none: serde_json::Value = serde_json::from_slice(
        &c.must(&format!(
            "/api/v1/suspects/history?since={early}&until={before}"
        ))
        .body,
    )
    .unwrap();
    assert_eq!(none["revisions"].as_array().unwrap().len(), 0);
    let later = Timestamp::now().add_seconds(60.0);
    let at_start: serde_json::Value = serde_json::from_slice(
        &c.must(&format!("/api/v1/suspects/history?since={later}"))
            .body,
    )
    .unwrap();
    let at_start = at_start["revisions"].as_array().unwrap();
    let ids: std::collections::HashSet<&str> = revs
        .iter()
        .map(|r| r["suspect"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(at_start.len(), ids.len(), "one state per suspect");
    let last_mine = at_start
        .iter()
        .find(|r| r["suspect"]["id"] == rogue.id.as_str())
        .unwrap();
    assert_eq!(last_mine, *mine.last().unwrap());

    // Hostile or wrong parameters are refused, never a panic.
    for q in [
        "since=yesterday",
        "until=2026-13-45T00:00:00Z",
        "limit=0",
        "limit=50001",
        "limit=-1",
        "limit=x",
        "limit=99999999999999999999999",
        "since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z",
    ] {
        let r = c
            .get(&format!("/api/v1/suspects/history?{q}"), &[])
            .unwrap();
        assert_eq!(r.status, 400, "{q}: {}", r.text());
    }
    assert_eq!(
        c.get("/api/v1/suspects/history?limit=50000", &[])
            .unwrap()
            .status,
        200
    );
    // The collector is still serving.
    c.must("/api/v1/suspects/history");
}

#[test]
fn a_suspects_observations_carry_its_system_information() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_known_cell(dir.path());
    let c = Collector::start(&db, &[]);
    let msgs = rogue_messages();
    publish_all(c.mqtt, msgs);

    let t0 = Instant::now();
    let rogue = loop {
        let all: Vec<Suspect> = serde_json::from_slice(&c.must("/api/v1/suspects").body).unwrap();
        if let Some(s) = all.into_iter().find(|s| s.cell.tac == Some(9999)) {
            break s;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "no suspect");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut obs: Vec<Observation> = Vec::new();
    while obs.len() < 3 && t0.elapsed() < Duration::from_secs(10) {
        obs = serde_json::from_slice(
            &c.must(&format!("/api/v1/suspects/{}/observations", rogue.id))
                .body,
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(obs.len(), 3, "one per sensor, only the suspect's cell");
    assert!(obs.iter().all(|o| o.cell.tac == Some(9999)));
    assert!(obs.iter().all(|o| serde_json::to_string(&o.system_info)
        .unwrap()
        .contains("26201")));
    let two: Vec<Observation> = serde_json::from_slice(
        &c.must(&format!(
            "/api/v1/suspects/{}/observations?limit=2",
            rogue.id
        ))
        .body,
    )
    .unwrap();
    assert_eq!(two.len(), 2, "the latest two");
    assert_eq!(
        c.get("/api/v1/suspects/s-nope/observations", &[])
            .unwrap()
            .status,
        404
    );
    assert_eq!(
        c.get(
            &format!("/api/v1/suspects/{}/observations?limit=x", rogue.id),
            &[]
        )
        .unwrap()
        .status,
        400
    );
}
