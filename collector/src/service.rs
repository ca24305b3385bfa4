//! The running service: broker (embedded) or client, ingest with group
//! commit, alerts (MQTT and webhooks) and the HTTP API. Thin async adapters
//! around the pure [`crate::ingest`], [`crate::engine::Engine`] and the
//! [`crate::store::Store`].

use crate::config::{Config, Mqtt};
use crate::detect::{global_key, CellKey, Knowledge};
use crate::engine::{Engine, EngineConfig};
use crate::ingest::{classify, Inbound, Reject};
use crate::locate::PathLoss;
use crate::store::{Insert, SensorRecord, Store, StoreError};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Deserialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use towerwatch_models::topic::TopicKind;
use towerwatch_models::{Suspect, Timestamp, Topic};

/// A service error.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A socket could not be bound or the broker failed to start.
    #[error("{0}")]
    Io(String),
}

/// An inbound MQTT message with what is needed to acknowledge it.
#[derive(Debug)]
enum Ack {
    V4(rumqttc::Publish),
    V5(rumqttc::v5::mqttbytes::v5::Publish),
}

#[derive(Debug)]
struct Message {
    topic: String,
    ack: Ack,
}

impl Message {
    fn payload(&self) -> &[u8] {
        match &self.ack {
            Ack::V4(p) => &p.payload,
            Ack::V5(p) => &p.payload,
        }
    }
}

#[derive(Debug, Clone)]
enum Client {
    V4(rumqttc::AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

impl Client {
    async fn ack(&self, m: &Message) {
        let r = match (&self, &m.ack) {
            (Client::V4(c), Ack::V4(p)) => c.ack(p).await.map_err(|e| e.to_string()),
            (Client::V5(c), Ack::V5(p)) => c.ack(p).await.map_err(|e| e.to_string()),
            _ => Ok(()),
        };
        if let Err(e) = r {
            tracing::warn!("mqtt ack: {e}");
        }
    }

    async fn publish(&self, topic: String, payload: Vec<u8>) -> Result<(), String> {
        match self {
            Client::V4(c) => c
                .publish(topic, rumqttc::QoS::AtLeastOnce, false, payload)
                .await
                .map_err(|e| e.to_string()),
            Client::V5(c) => c
                .publish(
                    topic,
                    rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
                    false,
                    payload,
                )
                .await
                .map_err(|e| e.to_string()),
        }
    }
}

/// What the HTTP handlers and tasks share.
#[derive(Debug)]
pub struct Shared {
    store: Store,
    engine: Mutex<Engine>,
    events: broadcast::Sender<String>,
    metrics: PrometheusHandle,
    token: Option<String>,
    log_budget: AtomicU64,
    /// Connected and subscribed to the broker.
    mqtt_ready: Arc<AtomicBool>,
    /// What the analyst map page is told.
    map: crate::web::MapConfig,
}

/// Metric names.
pub mod names {
    /// Messages received, by topic kind.
    pub const RECEIVED: &str = "towerwatch_collector_messages_received_total";
    /// Messages accepted, by kind.
    pub const ACCEPTED: &str = "towerwatch_collector_messages_accepted_total";
    /// Messages rejected, by reason.
    pub const REJECTED: &str = "towerwatch_collector_messages_rejected_total";
    /// Alerts published on MQTT.
    pub const ALERTS: &str = "towerwatch_collector_alerts_published_total";
    /// Webhook deliveries, by result.
    pub const WEBHOOKS: &str = "towerwatch_collector_webhook_deliveries_total";
    /// Current suspects.
    pub const SUSPECTS: &str = "towerwatch_collector_suspects";
    /// Current known cells.
    pub const KNOWN_CELLS: &str = "towerwatch_collector_known_cells";
}

fn engine_config(cfg: &Config) -> EngineConfig {
    EngineConfig {
        region: cfg.region.clone(),
        model: PathLoss {
            exponent: cfg.path_loss_exponent,
            sigma_db: cfg.shadowing_db,
            ..PathLoss::default()
        },
        floor_dbm: cfg.noise_floor_dbm,
        learn: cfg.learn,
        ..EngineConfig::default()
    }
}

/// Starts the embedded broker on its own thread (rumqttd has no shutdown:
/// it lives as long as the process), listening for MQTT 3.1.1 on `addr`.
fn start_broker(addr: std::net::SocketAddr) -> Result<(), ServiceError> {
    let text = format!(
        "id = 0\n[router]\nid = 0\nmax_connections = 20010\nmax_outgoing_packet_count = 200\nmax_segment_size = 104857600\nmax_segment_count = 10\n\
         [v4.1]\nname = \"v4-1\"\nlisten = \"{addr}\"\nnext_connection_delay_ms = 1\n\
         [v4.1.connections]\nconnection_timeout_ms = 60000\nmax_payload_size = {}\nmax_inflight_count = 200\ndynamic_filters = true\n",
        towerwatch_models::MAX_PAYLOAD_BYTES + 1024
    );
    let config: rumqttd::Config =
        toml::from_str(&text).map_err(|e| ServiceError::Io(format!("broker config: {e}")))?;
    // Fail early if the port is taken (rumqttd would only log it).
    std::net::TcpListener::bind(addr)
        .map_err(|e| ServiceError::Io(format!("mqtt listen {addr}: {e}")))?;
    std::thread::Builder::new()
        .name("rumqttd".into())
        .spawn(move || {
            let mut broker = rumqttd::Broker::new(config);
            if let Err(e) = broker.start() {
                tracing::error!("embedded broker stopped: {e}");
            }
        })
        .map_err(|e| ServiceError::Io(e.to_string()))?;
    Ok(())
}

/// Runs the collector until `shutdown` completes.
pub async fn run(
    cfg: Config,
    metrics: PrometheusHandle,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServiceError> {
    let store = Store::open(&cfg.data_dir)?;
    let mut known = Knowledge::new();
    for c in store.cells()? {
        known.insert(c);
    }
    for s in store.sensors()? {
        if let Some(p) = s.position {
            known.set_sensor(&s.sensor_id, p);
        }
    }
    let mut engine = Engine::new(engine_config(&cfg), known);
    let suspects = store.suspects()?;
    engine.restore(suspects, |s| {
        CellKey(global_key(s.rat, &s.cell).unwrap_or_else(|| CellKey::of(s.rat, &s.cell).0))
    });
    metrics::gauge!(names::KNOWN_CELLS).set(engine.knowledge().len() as f64);
    metrics::gauge!(names::SUSPECTS).set(engine.suspects().count() as f64);
    let (events, _) = broadcast::channel(1024);
    let ready = Arc::new(AtomicBool::new(false));
    let shared = Arc::new(Shared {
        store,
        engine: Mutex::new(engine),
        events,
        metrics,
        token: cfg.api_token.clone(),
        log_budget: AtomicU64::new(0),
        mqtt_ready: ready.clone(),
        map: crate::web::MapConfig {
            tiles: cfg.tiles.clone(),
            tile_attribution: cfg.tile_attribution.clone(),
            auth_required: cfg.api_token.is_some(),
            region: cfg.region.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
    });

    // MQTT.
    let (msg_tx, msg_rx) = mpsc::channel::<Message>(INGEST_QUEUE);
    let client = match &cfg.mqtt {
        Mqtt::Embedded(addr) => {
            start_broker(*addr)?;
            let host = if addr.ip().is_unspecified() {
                "127.0.0.1".to_string()
            } else {
                addr.ip().to_string()
            };
            connect_v4(&cfg, host, addr.port(), msg_tx, ready)
        }
        Mqtt::External { host, port } => connect_v5(&cfg, host.clone(), *port, msg_tx, ready),
    };

    // Alerts: MQTT and webhooks.
    let (alert_tx, alert_rx) = mpsc::channel::<Suspect>(4096);
    tokio::spawn(alert_task(
        client.clone(),
        cfg.region.clone(),
        cfg.webhooks.clone(),
        alert_rx,
    ));
    tokio::spawn(ingest_task(
        shared.clone(),
        client,
        cfg.region.clone(),
        msg_rx,
        alert_tx.clone(),
    ));
    tokio::spawn(tick_task(shared.clone(), cfg.retention_s, alert_tx));

    // HTTP.
    let listener = tokio::net::TcpListener::bind(cfg.http_listen)
        .await
        .map_err(|e| ServiceError::Io(format!("http listen {}: {e}", cfg.http_listen)))?;
    tracing::info!("HTTP API on http://{}", cfg.http_listen);
    axum::serve(listener, router(shared))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| ServiceError::Io(e.to_string()))?;
    Ok(())
}

fn connect_v4(
    cfg: &Config,
    host: String,
    port: u16,
    tx: mpsc::Sender<Message>,
    ready: Arc<AtomicBool>,
) -> Client {
    let mut o = rumqttc::MqttOptions::new(cfg.client_id.clone(), host, port);
    o.set_keep_alive(Duration::from_secs(30));
    o.set_manual_acks(true);
    o.set_max_packet_size(
        towerwatch_models::MAX_PAYLOAD_BYTES + 1024,
        towerwatch_models::MAX_PAYLOAD_BYTES + 1024,
    );
    let (client, mut el) = rumqttc::AsyncClient::new(o, 1024);
    let c = client.clone();
    let region = cfg.region.clone();
    tokio::spawn(async move {
        let mut pending = 0u32;
        loop {
            match el.poll().await {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_))) => {
                    pending = 3;
                    for kind in [
                        TopicKind::Observations,
                        TopicKind::Status,
                        TopicKind::Spectrum,
                    ] {
                        let f = Topic::sensor_filter(kind, Some(&region));
                        if let Err(e) = c.subscribe(f, rumqttc::QoS::AtLeastOnce).await {
                            tracing::warn!("subscribe: {e}");
                        }
                    }
                }
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_))) => {
                    pending = pending.saturating_sub(1);
                    ready.store(pending == 0, Ordering::SeqCst);
                }
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => {
                    let m = Message {
                        topic: p.topic.clone(),
                        ack: Ack::V4(p),
                    };
                    if tx.send(m).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    ready.store(false, Ordering::SeqCst);
                    tracing::warn!("mqtt: {e}; reconnecting");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    });
    Client::V4(client)
}

/// Most unacknowledged QoS 1 messages an external broker may send us (MQTT 5
/// receive maximum); well below [`INGEST_QUEUE`] and [`REQUEST_CAPACITY`].
const RECEIVE_MAXIMUM: u16 = 1000;
/// Capacity of the queue between the MQTT event loop and the ingest task.
const INGEST_QUEUE: usize = 4096;
/// Capacity of the MQTT client's request channel (acknowledgements, alerts).
const REQUEST_CAPACITY: usize = 4096;

fn connect_v5(
    cfg: &Config,
    host: String,
    port: u16,
    tx: mpsc::Sender<Message>,
    ready: Arc<AtomicBool>,
) -> Client {
    use rumqttc::v5::mqttbytes::v5::Packet;
    let mut o = rumqttc::v5::MqttOptions::new(cfg.client_id.clone(), host, port);
    o.set_keep_alive(Duration::from_secs(30));
    o.set_manual_acks(true);
    o.set_max_packet_size(Some((towerwatch_models::MAX_PAYLOAD_BYTES + 1024) as u32));
    // Bound what the broker sends before our acknowledgements: the event loop
    // below blocks on the ingest queue when it is full, and acknowledgements
    // go through the client's request channel, which only the event loop
    // drains. Unbounded (MQTT 5's default 65 535), a fast external broker
    // filled both and the collector deadlocked (the scale benchmark with
    // mosquitto at 10 000 observations/s).
    o.set_receive_maximum(Some(RECEIVE_MAXIMUM));
    let (client, mut el) = rumqttc::v5::AsyncClient::new(o, REQUEST_CAPACITY);
    let c = client.clone();
    let region = cfg.region.clone();
    tokio::spawn(async move {
        let mut pending = 0u32;
        loop {
            match el.poll().await {
                Ok(rumqttc::v5::Event::Incoming(Packet::ConnAck(_))) => {
                    pending = 3;
                    for kind in [
                        TopicKind::Observations,
                        TopicKind::Status,
                        TopicKind::Spectrum,
                    ] {
                        // Status is retained: every collector needs all of it, so it is not shared.
                        let f = Topic::sensor_filter(kind, Some(&region));
                        let f = if kind == TopicKind::Status {
                            f
                        } else {
                            Topic::shared(&f)
                        };
                        if let Err(e) = c
                            .subscribe(f, rumqttc::v5::mqttbytes::QoS::AtLeastOnce)
                            .await
                        {
                            tracing::warn!("subscribe: {e}");
                        }
                    }
                }
                Ok(rumqttc::v5::Event::Incoming(Packet::SubAck(_))) => {
                    pending = pending.saturating_sub(1);
                    ready.store(pending == 0, Ordering::SeqCst);
                }
                Ok(rumqttc::v5::Event::Incoming(Packet::Publish(p))) => {
                    let topic = String::from_utf8_lossy(&p.topic).into_owned();
                    if tx
                        .send(Message {
                            topic,
                            ack: Ack::V5(p),
                        })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    ready.store(false, Ordering::SeqCst);
                    tracing::warn!("mqtt: {e}; reconnecting");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    });
    Client::V5(client)
}

/// Receives messages in batches: process (store, analyze), flush the store,
/// then acknowledge, then alert.
async fn ingest_task(
    shared: Arc<Shared>,
    client: Client,
    region: String,
    mut rx: mpsc::Receiver<Message>,
    alerts: mpsc::Sender<Suspect>,
) {
    // Acknowledgements go out in order from their own task: they pass through
    // the MQTT client's request channel, which only the event loop drains,
    // and the event loop itself waits for room in `rx`. Acknowledging here
    // deadlocked both when a broker sent more than the two queues hold.
    let (ack_tx, mut ack_rx) = mpsc::unbounded_channel::<Vec<Message>>();
    tokio::spawn(async move {
        while let Some(batch) = ack_rx.recv().await {
            for m in &batch {
                client.ack(m).await;
            }
        }
    });
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < 1024 {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        let sh = shared.clone();
        let reg = region.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut changed = Vec::new();
            // Sensor records and known cells are written once per batch, not
            // once per message (see `BatchState`).
            let mut state = BatchState::default();
            for m in &batch {
                changed.extend(process(&sh, &reg, &m.topic, m.payload(), &mut state));
            }
            for rec in state.sensors.values() {
                if let Err(e) = sh.store.put_sensor(rec) {
                    tracing::error!("store: {e}");
                }
            }
            if state.cells_dirty {
                let mut engine = sh.engine.lock().unwrap_or_else(|p| p.into_inner());
                persist_cells(&sh, &mut engine);
            }
            if let Err(e) = sh.store.flush() {
                tracing::error!("store flush: {e}");
            }
            (batch, changed)
        })
        .await;
        let Ok((batch, changed)) = result else {
            continue;
        };
        // Only after the flush: a restart loses nothing acknowledged.
        let _ = ack_tx.send(batch);
        publish_changes(&shared, changed, &alerts).await;
    }
}

async fn publish_changes(shared: &Shared, changed: Vec<Suspect>, alerts: &mpsc::Sender<Suspect>) {
    for s in changed {
        if let Ok(json) = serde_json::to_string(&s) {
            let _ = shared.events.send(json);
        }
        let _ = alerts.try_send(s);
    }
}

fn count_reject(shared: &Shared, r: &Reject) {
    metrics::counter!(names::REJECTED, "reason" => r.label()).increment(1);
    // Log at a bounded rate: the 1st, 2nd, 4th, 8th … rejection.
    let n = shared.log_budget.fetch_add(1, Ordering::Relaxed) + 1;
    if n.is_power_of_two() {
        tracing::warn!("rejected ({n} so far): {r}");
    }
}

/// What one ingest batch accumulates and writes once, before its flush and
/// its acknowledgements (so a restart still loses nothing acknowledged):
/// each sensor's record (read from the store at most once per batch, written
/// once), and whether known cells changed. Writing them per message cost a
/// sled read-modify-write of the sensor record and a scan of every known
/// cell per observation (the scale benchmark, `benches/scale.rs`).
#[derive(Debug, Default)]
struct BatchState {
    sensors: std::collections::HashMap<String, SensorRecord>,
    cells_dirty: bool,
}

impl BatchState {
    fn sensor(&mut self, shared: &Shared, id: &str) -> &mut SensorRecord {
        self.sensors.entry(id.to_string()).or_insert_with(|| {
            shared
                .store
                .sensor(id)
                .ok()
                .flatten()
                .unwrap_or_else(|| SensorRecord {
                    sensor_id: id.to_string(),
                    status: None,
                    position: None,
                    last_observation: None,
                    observations: 0,
                    last_seq: None,
                })
        })
    }
}

/// Processes one message synchronously; returns the suspects that changed.
fn process(
    shared: &Shared,
    region: &str,
    topic: &str,
    payload: &[u8],
    batch: &mut BatchState,
) -> Vec<Suspect> {
    let kind = match Topic::parse(topic).map(|t| t.kind()) {
        Ok(TopicKind::Observations) => "observations",
        Ok(TopicKind::Status) => "status",
        Ok(TopicKind::Spectrum) => "spectrum",
        _ => "other",
    };
    metrics::counter!(names::RECEIVED, "kind" => kind).increment(1);
    let inbound = match classify(topic, payload, Some(region)) {
        Ok(i) => i,
        Err(r) => {
            count_reject(shared, &r);
            return Vec::new();
        }
    };
    let changed = match inbound {
        Inbound::Observation(o) => {
            match shared.store.insert_observation(&o) {
                Ok(Insert::Stored) => {}
                Ok(Insert::Duplicate) => {
                    count_reject(
                        shared,
                        &Reject::Duplicate {
                            sensor_id: o.sensor_id.clone(),
                            seq: o.seq,
                        },
                    );
                    return Vec::new();
                }
                Err(e) => {
                    tracing::error!("store: {e}");
                    return Vec::new();
                }
            }
            let rec = batch.sensor(shared, &o.sensor_id);
            rec.observations += 1;
            rec.last_observation = Some(rec.last_observation.map_or(o.time, |t| t.max(o.time)));
            rec.last_seq = Some(rec.last_seq.map_or(o.seq, |s| s.max(o.seq)));
            if o.position.is_some() {
                rec.position = o.position;
            }
            let mut engine = shared.engine.lock().unwrap_or_else(|p| p.into_inner());
            let changed = engine.observe(&o);
            batch.cells_dirty = true;
            changed
        }
        Inbound::Status(st) => {
            let rec = batch.sensor(shared, &st.sensor_id);
            if st.position.is_some() {
                rec.position = st.position;
            }
            rec.status = Some(st.clone());
            shared
                .engine
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .sensor_status(&st);
            Vec::new()
        }
        Inbound::Spectrum(s) => shared
            .engine
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .spectrum(&s),
    };
    metrics::counter!(names::ACCEPTED, "kind" => kind).increment(1);
    for s in &changed {
        if let Err(e) = shared.store.put_suspect(s) {
            tracing::error!("store: {e}");
        }
    }
    if !changed.is_empty() {
        let n = shared
            .engine
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .suspects()
            .count();
        metrics::gauge!(names::SUSPECTS).set(n as f64);
    }
    changed
}

fn persist_cells(shared: &Shared, engine: &mut Engine) {
    let dirty = engine.take_dirty_cells();
    if dirty.is_empty() {
        return;
    }
    let keys: std::collections::HashSet<String> = dirty.into_iter().collect();
    for c in engine.knowledge().cells() {
        if let Some(k) = global_key(c.rat, &c.cell) {
            if keys.contains(&k) {
                if let Err(e) = shared.store.put_cell(&k, c) {
                    tracing::error!("store: {e}");
                }
            }
        }
    }
    metrics::gauge!(names::KNOWN_CELLS).set(engine.knowledge().len() as f64);
}

async fn tick_task(shared: Arc<Shared>, retention_s: f64, alerts: mpsc::Sender<Suspect>) {
    let mut n: u64 = 0;
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        n += 1;
        let sh = shared.clone();
        let prune = n % 720 == 1;
        let changed = tokio::task::spawn_blocking(move || {
            let now = Timestamp::now();
            let changed = sh
                .engine
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .tick(now);
            for s in &changed {
                let _ = sh.store.put_suspect(s);
            }
            if prune {
                match sh.store.prune(now.add_seconds(-retention_s)) {
                    Ok(k) if k > 0 => tracing::info!("retention: {k} observations deleted"),
                    Ok(_) => {}
                    Err(e) => tracing::error!("retention: {e}"),
                }
            }
            let _ = sh.store.flush();
            changed
        })
        .await
        .unwrap_or_default();
        publish_changes(&shared, changed, &alerts).await;
    }
}

async fn alert_task(
    client: Client,
    region: String,
    webhooks: Vec<String>,
    mut rx: mpsc::Receiver<Suspect>,
) {
    let topic = match Topic::alerts(&region) {
        Ok(t) => t.to_string(),
        Err(e) => {
            tracing::error!("alerts topic: {e}");
            return;
        }
    };
    let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<axum::body::Bytes>>();
    while let Some(s) = rx.recv().await {
        let Ok(body) = serde_json::to_vec(&s) else {
            continue;
        };
        match client.publish(topic.clone(), body.clone()).await {
            Ok(()) => metrics::counter!(names::ALERTS).increment(1),
            Err(e) => tracing::warn!("alert publish: {e}"),
        }
        for url in &webhooks {
            let http = http.clone();
            let url = url.clone();
            let body = body.clone();
            tokio::spawn(async move {
                let mut delay = Duration::from_millis(500);
                for attempt in 1..=4 {
                    let req = axum::http::Request::post(&url)
                        .header("content-type", "application/json")
                        .body(http_body_util::Full::new(axum::body::Bytes::from(
                            body.clone(),
                        )));
                    let ok = match req {
                        Ok(r) => {
                            matches!(tokio::time::timeout(Duration::from_secs(10), http.request(r)).await, Ok(Ok(resp)) if resp.status().is_success())
                        }
                        Err(_) => false,
                    };
                    if ok {
                        metrics::counter!(names::WEBHOOKS, "result" => "ok").increment(1);
                        return;
                    }
                    if attempt < 4 {
                        tokio::time::sleep(delay).await;
                        delay *= 2;
                    }
                }
                metrics::counter!(names::WEBHOOKS, "result" => "failed").increment(1);
                tracing::warn!("webhook {url}: gave up after 4 attempts");
            });
        }
    }
}

// ---- HTTP API ---------------------------------------------------------------

/// The HTTP API and the analyst map (`/`, `/assets/…`, see [`crate::web`]).
pub fn router(shared: Arc<Shared>) -> Router {
    let map = crate::web::router(shared.map.clone());
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_page))
        .route("/api/v1/suspects", get(suspects))
        .route("/api/v1/suspects.geojson", get(suspects_geojson))
        .route(
            "/api/v1/suspects/history",
            get(
                |State(sh): State<Arc<Shared>>,
                 h: HeaderMap,
                 q: Result<
                    Query<crate::web::HistoryQuery>,
                    axum::extract::rejection::QueryRejection,
                >| async move {
                    match unauthorized(&sh, &h) {
                        Some(r) => r,
                        None => crate::web::suspect_history(sh.store.clone(), q).await,
                    }
                },
            ),
        )
        .route("/api/v1/suspects/{id}", get(suspect))
        .route(
            "/api/v1/suspects/{id}/observations",
            get(suspect_observations),
        )
        .route("/api/v1/cells", get(cells))
        .route("/api/v1/sensors", get(sensors))
        .route("/api/v1/observations", get(observations))
        .route("/api/v1/events", get(events))
        .with_state(shared)
        .merge(map)
}

fn unauthorized(shared: &Shared, h: &HeaderMap) -> Option<Response> {
    let Some(token) = &shared.token else {
        return None;
    };
    let given = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Constant-time comparison.
    let ok = given.is_some_and(|g| {
        g.len() == token.len()
            && g.bytes()
                .zip(token.bytes())
                .fold(0u8, |a, (x, y)| a | (x ^ y))
                == 0
    });
    if ok {
        None
    } else {
        Some((StatusCode::UNAUTHORIZED, "missing or wrong bearer token\n").into_response())
    }
}

fn internal(e: impl std::fmt::Display) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response()
}

/// `200 ok` once subscribed to the broker, `503` before and while reconnecting.
async fn healthz(State(sh): State<Arc<Shared>>) -> Response {
    if sh.mqtt_ready.load(Ordering::SeqCst) {
        "ok\n".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "mqtt not connected\n").into_response()
    }
}

async fn metrics_page(State(sh): State<Arc<Shared>>, h: HeaderMap) -> Response {
    if let Some(r) = unauthorized(&sh, &h) {
        return r;
    }
    sh.metrics.render().into_response()
}

fn sorted_suspects(sh: &Shared) -> Result<Vec<Suspect>, StoreError> {
    let mut v = sh.store.suspects()?;
    v.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    Ok(v)
}

async fn suspects(State(sh): State<Arc<Shared>>, h: HeaderMap) -> Response {
    if let Some(r) = unauthorized(&sh, &h) {
        return r;
    }
    match sorted_suspects(&sh) {
        Ok(v) => Json(v).into_response(),
        Err(e) => internal(e),
    }
}

async fn suspect(State(sh): State<Arc<Shared>>, h: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(r) = unauthorized(&sh, &h) {
        return r;
    }
    match sh.store.suspect(&id) {
        Ok(Some(s)) => Json(s).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no such suspect\n").into_response(),
        Err(e) => internal(e),
    }
}

#[derive(Debug, Deserialize)]
struct SuspectObsQuery {
    limit: Option<usize>,
}

/// The latest stored observations of a suspect's cell (what the sensors
/// decoded: system information, measurements, anomalies), oldest first.
/// Looks at the hour before the suspect was last seen, at most 20 000
/// observations of all cells.
async fn suspect_observations(
    State(sh): State<Arc<Shared>>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<SuspectObsQuery>,
) -> Response {
    if let Some(r) = unauthorized(&sh, &h) {
        return r;
    }
    let s = match sh.store.suspect(&id) {
        Ok(Some(s)) => s,
        Ok(None) => return (StatusCode::NOT_FOUND, "no such suspect\n").into_response(),
        Err(e) => return internal(e),
    };
    let limit = q.limit.unwrap_or(20).clamp(1, 200);
    let since = s.first_seen.max(s.last_seen.add_seconds(-3600.0));
    let key = CellKey::of(s.rat, &s.cell);
    let sh2 = sh.clone();
    let found = tokio::task::spawn_blocking(move || {
        sh2.store
            .observations(None, Some(since), 20_000, 20_000)
            .map(|all| {
                let mut mine: Vec<_> = all
                    .into_iter()
                    .filter(|o| o.rat == s.rat && CellKey::of(o.rat, &o.cell) == key)
                    .collect();
                let skip = mine.len().saturating_sub(limit);
                mine.drain(..skip);
                mine
            })
    })
    .await;
    match found {
        Ok(Ok(v)) => Json(v).into_response(),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}

/// Suspects as a GeoJSON FeatureCollection (located ones only).
pub fn geojson(suspects: &[Suspect]) -> serde_json::Value {
    let features: Vec<serde_json::Value> = suspects
        .iter()
        .filter_map(|s| {
            let l = s.location.as_ref()?;
            Some(serde_json::json!({
                "type": "Feature",
                "id": s.id,
                "geometry": {"type": "Point", "coordinates": [l.lon, l.lat]},
                "properties": {
                    "id": s.id, "score": s.score, "rat": s.rat, "cell": s.cell,
                    "error_ellipse_m": l.error_ellipse_m, "method": l.method, "sensors_used": l.sensors_used,
                    "evidence": s.evidence.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
                    "first_seen": s.first_seen, "last_seen": s.last_seen,
                }
            }))
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features})
}

async fn suspects_geojson(State(sh): State<Arc<Shared>>, h: HeaderMap) -> Response {
    if let Some(r) = unauthorized(&sh, &h) {
        return r;
    }
    match sorted_suspects(&sh) {
        Ok(v) => (
            [("content-type", "application/geo+json")],
            Json(geojson(&v)),
        )
            .into_response(),
        Err(e) => internal(e),
    }
}

async fn cells(State(sh): State<Arc<Shared>>, h: HeaderMap) -> Response {
    if let Some(r) = unauthorized(&sh, &h) {
        return r;
    }
    match sh.store.cells() {
        Ok(v) => Json(v).into_response(),
        Err(e) => internal(e),
    }
}

async fn sensors(State(sh): State<Arc<Shared>>, h: HeaderMap) -> Response {
    if let Some(r) = unauthorized(&sh, &h) {
        return r;
    }
    match sh.store.sensors() {
        Ok(v) => Json(v).into_response(),
        Err(e) => internal(e),
    }
}

#[derive(Debug, Deserialize)]
struct ObsQuery {
    sensor_id: Option<String>,
    since: Option<String>,
    limit: Option<usize>,
}

async fn observations(
    State(sh): State<Arc<Shared>>,
    h: HeaderMap,
    Query(q): Query<ObsQuery>,
) -> Response {
    if let Some(r) = unauthorized(&sh, &h) {
        return r;
    }
    let since = match q.since.as_deref().map(str::parse::<Timestamp>) {
        Some(Err(e)) => return (StatusCode::BAD_REQUEST, format!("since: {e}\n")).into_response(),
        Some(Ok(t)) => Some(t),
        None => None,
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    match sh
        .store
        .observations(q.sensor_id.as_deref(), since, limit, 200_000)
    {
        Ok(v) => Json(v).into_response(),
        Err(e) => internal(e),
    }
}

async fn events(State(sh): State<Arc<Shared>>, h: HeaderMap) -> Response {
    if let Some(r) = unauthorized(&sh, &h) {
        return r;
    }
    let rx = sh.events.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(json) => {
                    return Some((
                        Ok::<_, std::convert::Infallible>(
                            SseEvent::default().event("suspect").data(json),
                        ),
                        rx,
                    ))
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
