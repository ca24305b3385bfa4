//! The whole system on one machine: a scenario rendered into per-sensor
//! recordings, a collector with its embedded broker, one sensor pipeline per
//! simulated sensor replaying its recordings in real time, and the analyst
//! map — exactly the code that runs in the field, with recordings instead of
//! radios.
//!
//! ```text
//!  scenario ─> simulate ─> sensors/<id>/*.sigmf ─> towerwatch-sensor daemon ×N ─┐
//!                                                                                 │ MQTT (embedded rumqttd)
//!  map / API <── towerwatch-collector (ingest, detect, locate) <──────────────────┘
//! ```
//!
//! [`City`] is the library form used by `towerwatch demo` and by the
//! end-to-end tests: start it, run the sensors, read the suspects.

use crate::scenario::World;
use crate::simulate::{self, Rendered, Truth};
use anyhow::{bail, Context};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use towerwatch_models::topic::Topic;
use towerwatch_models::{Suspect, Timestamp};
use towerwatch_sensor::daemon::{self, RunOptions, RunSummary};
use towerwatch_sensor::source::replay::ReplaySource;

/// How to run the city.
#[derive(Debug, Clone)]
pub struct CityConfig {
    /// Where recordings, the collector's database and the sensors' outboxes go.
    pub work_dir: PathBuf,
    /// The collector's HTTP address (map and API).
    pub http_listen: SocketAddr,
    /// The embedded broker's address.
    pub mqtt_listen: SocketAddr,
    /// Sensors that stay switched off.
    pub sensors_off: BTreeSet<String>,
    /// Raster tile URL template for the map (`None`: the plain grid).
    pub tiles: Option<String>,
    /// Broker address the sensors use instead of the collector's (a proxy in tests).
    pub sensor_broker: Option<SocketAddr>,
    /// Use this external broker (mosquitto, …) instead of starting the embedded one at `mqtt_listen`.
    pub external_broker: Option<SocketAddr>,
    /// Replay at the recordings' real rate (the demo) or as fast as the DSP runs (tests).
    pub realtime: bool,
    /// Date the scenario from now (the map shows current times) instead of its `time.start`.
    pub start_now: bool,
}

impl CityConfig {
    /// Defaults for `work_dir`: loopback ports picked free, embedded broker, real time, dated now.
    pub fn new(work_dir: PathBuf) -> std::io::Result<CityConfig> {
        Ok(CityConfig {
            work_dir,
            http_listen: SocketAddr::from(([127, 0, 0, 1], free_port()?)),
            mqtt_listen: SocketAddr::from(([127, 0, 0, 1], free_port()?)),
            sensors_off: BTreeSet::new(),
            tiles: None,
            sensor_broker: None,
            external_broker: None,
            realtime: true,
            start_now: true,
        })
    }

    /// Where the collector's MQTT is.
    pub fn broker(&self) -> SocketAddr {
        self.external_broker.unwrap_or(self.mqtt_listen)
    }
}

/// A free loopback port (bound, then released).
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `preferred` if it can be bound now, otherwise a free loopback port.
pub fn port_or_free(preferred: SocketAddr) -> std::io::Result<SocketAddr> {
    match TcpListener::bind(preferred) {
        Ok(l) => l.local_addr(),
        Err(_) => Ok(SocketAddr::from(([127, 0, 0, 1], free_port()?))),
    }
}

/// A running collector with the scenario rendered and its known cells imported.
#[derive(Debug)]
pub struct City {
    /// The scenario.
    pub world: World,
    /// What was rendered.
    pub rendered: Rendered,
    /// The configuration.
    pub cfg: CityConfig,
    collector_stop: Option<oneshot::Sender<()>>,
    collector: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// What the sensors did.
#[derive(Debug, Clone)]
pub struct SensorsRun {
    /// Wall-clock time the sensors started (scenario second 0).
    pub started: Timestamp,
    /// Per sensor.
    pub summaries: Vec<(String, RunSummary)>,
}

fn metrics_handle() -> metrics_exporter_prometheus::PrometheusHandle {
    // One process-wide recorder; later Cities (tests) get a private one.
    let b = metrics_exporter_prometheus::PrometheusBuilder::new();
    match b.install_recorder() {
        Ok(h) => h,
        Err(_) => metrics_exporter_prometheus::PrometheusBuilder::new()
            .build_recorder()
            .handle(),
    }
}

impl City {
    /// Renders `world` (with `progress(done, total)`), imports the listed cells
    /// and starts the collector. Call from inside a tokio runtime.
    pub async fn start(
        mut world: World,
        cfg: CityConfig,
        progress: impl FnMut(u64, u64) + Send,
    ) -> anyhow::Result<City> {
        std::fs::create_dir_all(&cfg.work_dir)?;
        if cfg.start_now {
            world.start = Timestamp::now();
        }
        let rec_dir = cfg.work_dir.join("recordings");
        let rendered = {
            let world = world.clone();
            let rec_dir = rec_dir.clone();
            // Rendering is CPU work: keep it off the async workers.
            tokio::task::block_in_place(move || simulate::render(&world, &rec_dir, progress))?
        };
        let data_dir = cfg.work_dir.join("collector");
        import_cells(&data_dir, &rec_dir.join("known_cells.csv"))?;
        let raw = towerwatch_collector::config::RawConfig {
            data_dir: Some(data_dir),
            mqtt_listen: cfg
                .external_broker
                .is_none()
                .then(|| cfg.mqtt_listen.to_string()),
            mqtt_url: cfg.external_broker.map(|a| format!("mqtt://{a}")),
            http_listen: Some(cfg.http_listen.to_string()),
            region: Some(world.scenario.region.clone()),
            // The scenario's streets: UMi NLOS falls 35.3 dB per decade, σ 7.8 dB.
            path_loss_exponent: Some(3.5),
            shadowing_db: Some(7.8),
            tiles: cfg.tiles.clone(),
            // Unique per city: two collectors on one external broker must not
            // take over each other's session.
            client_id: Some(format!(
                "towerwatch-demo-collector-{}",
                cfg.http_listen.port()
            )),
            ..Default::default()
        };
        let ccfg = raw.validate().context("collector configuration")?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let collector = tokio::spawn(async move {
            towerwatch_collector::service::run(ccfg, metrics_handle(), async {
                let _ = stop_rx.await;
            })
            .await
            .map_err(anyhow::Error::from)
        });
        let city = City {
            world,
            rendered,
            cfg,
            collector_stop: Some(stop_tx),
            collector: Some(collector),
        };
        city.wait_ready(Duration::from_secs(20)).await?;
        Ok(city)
    }

    /// The map's URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.cfg.http_listen)
    }

    /// The truth of the rendered scenario.
    pub fn truth(&self) -> &Truth {
        &self.rendered.truth
    }

    async fn wait_ready(&self, timeout: Duration) -> anyhow::Result<()> {
        let t0 = Instant::now();
        loop {
            if let Ok((200, _)) = http_get(self.cfg.http_listen, "/healthz") {
                return Ok(());
            }
            if t0.elapsed() > timeout {
                bail!(
                    "the collector did not become ready on {}",
                    self.cfg.http_listen
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs one sensor daemon per sensor (except those switched off) over its
    /// recordings, in real time, until every recording has been read and
    /// delivered (or `stop` fires).
    pub async fn run_sensors(
        &self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<SensorsRun> {
        let broker = self.cfg.sensor_broker.unwrap_or(self.cfg.broker());
        let (stop_all, _) = tokio::sync::broadcast::channel::<()>(1);
        let started = Timestamp::now();
        let mut tasks = tokio::task::JoinSet::new();
        for (s, (id, dir)) in self.world.sensors.iter().zip(&self.rendered.sensor_dirs) {
            if self.cfg.sensors_off.contains(id) {
                continue;
            }
            // Each run gets a fresh state directory under the work dir.
            let state = self.cfg.work_dir.join("sensor-state").join(id);
            let text = simulate::sensor_config(
                &self.world,
                s,
                dir,
                &state,
                &format!("mqtt://{broker}"),
                self.cfg.realtime,
            );
            let cfg = towerwatch_sensor::config::RawConfig::from_toml(&text)
                .and_then(|r| r.validate())
                .map_err(|e| anyhow::anyhow!("sensor {id}: {e}"))?;
            let source = ReplaySource::open(std::slice::from_ref(dir), false)
                .map_err(|e| anyhow::anyhow!("sensor {id}: {e}"))?;
            let mut rx = stop_all.subscribe();
            let opts = RunOptions {
                exit_when_done: true,
                drain_timeout: Duration::from_secs(60),
                status_period: Duration::from_secs(5),
            };
            let id = id.clone();
            tasks.spawn(async move {
                let r = daemon::run(cfg, Box::new(source), opts, async move {
                    let _ = rx.recv().await;
                })
                .await;
                (id, r)
            });
        }
        let mut stop = Box::pin(stop);
        let mut summaries = Vec::new();
        let mut stopped = false;
        while !tasks.is_empty() {
            tokio::select! {
                r = tasks.join_next() => {
                    let Some(r) = r else { break };
                    let (id, r) = r.context("sensor task")?;
                    summaries.push((id.clone(), r.with_context(|| format!("sensor {id}"))?));
                }
                _ = &mut stop, if !stopped => {
                    // Daemons stop promptly once told; keep collecting their summaries.
                    let _ = stop_all.send(());
                    stopped = true;
                }
            }
        }
        Ok(SensorsRun { started, summaries })
    }

    /// Alerts as the collector publishes them (MQTT `…/alerts`), from now on.
    pub async fn alerts(&self) -> anyhow::Result<mpsc::Receiver<Suspect>> {
        let topic = Topic::alerts_filter(Some(&self.world.scenario.region));
        let mut o = rumqttc::MqttOptions::new(
            format!("towerwatch-demo-alerts-{}", self.cfg.http_listen.port()),
            self.cfg.broker().ip().to_string(),
            self.cfg.broker().port(),
        );
        o.set_keep_alive(Duration::from_secs(30));
        o.set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut ev) = rumqttc::AsyncClient::new(o, 64);
        let (tx, rx) = mpsc::channel(256);
        let (ok_tx, ok_rx) = oneshot::channel();
        let mut ok_tx = Some(ok_tx);
        tokio::spawn(async move {
            let _client = client.clone();
            let mut subscribed = false;
            loop {
                match ev.poll().await {
                    Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_))) => {
                        if !subscribed {
                            subscribed = client
                                .subscribe(&topic, rumqttc::QoS::AtLeastOnce)
                                .await
                                .is_ok();
                        }
                    }
                    Ok(rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_))) => {
                        if let Some(t) = ok_tx.take() {
                            let _ = t.send(());
                        }
                    }
                    Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => {
                        if let Ok(s) = serde_json::from_slice::<Suspect>(&p.payload) {
                            if tx.send(s).await.is_err() {
                                return;
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        });
        tokio::time::timeout(Duration::from_secs(10), ok_rx)
            .await
            .context("subscribing to alerts")?
            .context("alerts subscription")?;
        Ok(rx)
    }

    /// The collector's suspects, highest score first (HTTP API).
    pub fn suspects(&self) -> anyhow::Result<Vec<Suspect>> {
        let (code, body) = http_get(self.cfg.http_listen, "/api/v1/suspects")?;
        if code != 200 {
            bail!("GET /api/v1/suspects: HTTP {code}");
        }
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        let list = v.get("suspects").cloned().unwrap_or(v);
        let mut s: Vec<Suspect> = serde_json::from_value(list)?;
        s.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(s)
    }

    /// Stops the collector (the embedded broker thread stays until the process ends).
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(s) = self.collector_stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.collector.take() {
            h.await.context("collector task")??;
        }
        Ok(())
    }
}

fn import_cells(data_dir: &Path, csv: &Path) -> anyhow::Result<usize> {
    let text = std::fs::read_to_string(csv).with_context(|| csv.display().to_string())?;
    let imp = towerwatch_collector::opencellid::parse(&text);
    if !imp.errors.is_empty() {
        bail!("{}: {:?}", csv.display(), imp.errors);
    }
    let store = towerwatch_collector::store::Store::open(data_dir)?;
    Ok(towerwatch_collector::opencellid::import(
        &store, &imp.cells,
    )?)
}

/// A minimal HTTP/1.0 GET on loopback: status code and body.
pub fn http_get(addr: SocketAddr, path: &str) -> anyhow::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let head_end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no HTTP header end")?;
    let head = String::from_utf8_lossy(&buf[..head_end]);
    let code: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .context("no HTTP status")?;
    Ok((code, buf[head_end + 4..].to_vec()))
}

/// Distance in metres between two `(lat, lon)` points.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    towerwatch_collector::locate::geo::haversine_m(a, b)
}

/// The rogue a suspect stands for: same RAT and the rogue's identity (cell id, or channel + PCI/BSIC).
pub fn matches(s: &Suspect, c: &crate::simulate::truth::TruthCell) -> bool {
    if s.rat != c.rat {
        return false;
    }
    let (a, b) = (&s.cell, &c.cell);
    let same_global = a.cell_identity.is_some() && a.cell_identity == b.cell_identity;
    let same_lte = a.earfcn.is_some() && a.earfcn == b.earfcn && a.pci == b.pci;
    let same_gsm = a.arfcn.is_some() && a.arfcn == b.arfcn && a.bsic == b.bsic;
    same_global || same_lte || same_gsm
}

/// A one-line description of a suspect for the terminal.
pub fn describe(s: &Suspect) -> String {
    let loc = match &s.location {
        Some(l) => format!(
            "at {:.5}, {:.5} (95 % ellipse {:.0} × {:.0} m, {} sensors)",
            l.lat, l.lon, l.error_ellipse_m.major, l.error_ellipse_m.minor, l.sensors_used
        ),
        None => format!(
            "not located ({})",
            s.not_localizable.as_deref().unwrap_or("too few sensors")
        ),
    };
    let kinds: BTreeSet<&str> = s.evidence.iter().map(|e| e.kind.as_str()).collect();
    format!(
        "{} score {:.2}  {}  {}  evidence: {}",
        s.rat.as_str().to_uppercase(),
        s.score,
        s.cell.describe(s.rat),
        loc,
        kinds.into_iter().collect::<Vec<_>>().join(", ")
    )
}
