//! Delivery of the outbox to the MQTT broker (QoS 1), with the retained
//! status message and its last will.
//!
//! [`Delivery`] is the sans-I/O bookkeeping: which outbox `seq` each MQTT
//! packet id carries, what may be sent next, what an acknowledgement frees.
//! [`run`] drives it with rumqttc in one task, so the order of publish
//! requests and of the client's `Outgoing::Publish` events is the same:
//!
//! - a publish is tracked only once the client accepted it; its packet id is
//!   learnt from the matching `Outgoing::Publish` event (same order);
//! - a `PubAck` removes the observation from the outbox;
//! - on any connection error the client's queue is cleaned and the tracking
//!   reset; after the next `ConnAck` (clean session) everything still in the
//!   outbox is sent again, oldest first. The collector de-duplicates on
//!   `(sensor_id, seq)`, so redelivery is harmless and nothing is lost.

use crate::outbox::{Outbox, OutboxError};
use rumqttc::{AsyncClient, Event, EventLoop, LastWill, MqttOptions, Outgoing, Packet, QoS};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use towerwatch_models::topic::{Topic, TopicKind};
use towerwatch_models::SensorStatus;

/// What a publish request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// An outbox observation.
    Observation(u64),
    /// Anything else (status, spectrum).
    Other,
}

/// Sans-I/O delivery bookkeeping.
#[derive(Debug, Default)]
pub struct Delivery {
    connected: bool,
    /// Accepted by the client, packet id not yet known (in request order).
    awaiting_pkid: VecDeque<Sent>,
    /// Sent, waiting for PubAck.
    by_pkid: HashMap<u16, u64>,
    /// Highest outbox seq handed to the client in this connection.
    cursor: Option<u64>,
    window: usize,
}

impl Delivery {
    /// Bookkeeping with at most `window` observations in flight.
    pub fn new(window: usize) -> Self {
        Delivery {
            window: window.max(1),
            ..Default::default()
        }
    }

    /// A new connection is up (clean session): start from the oldest pending observation.
    pub fn on_connack(&mut self) {
        self.reset();
        self.connected = true;
    }

    /// The connection is gone: nothing in flight will be acknowledged.
    pub fn on_disconnect(&mut self) {
        self.reset();
        self.connected = false;
    }

    fn reset(&mut self) {
        self.awaiting_pkid.clear();
        self.by_pkid.clear();
        self.cursor = None;
    }

    /// Whether publishing makes sense now.
    pub fn connected(&self) -> bool {
        self.connected
    }

    /// Observations in flight.
    pub fn in_flight(&self) -> usize {
        self.by_pkid.len()
            + self
                .awaiting_pkid
                .iter()
                .filter(|s| matches!(s, Sent::Observation(_)))
                .count()
    }

    /// How many more observations may be sent now, and after which seq.
    pub fn room(&self) -> (usize, Option<u64>) {
        if !self.connected {
            return (0, self.cursor);
        }
        (self.window.saturating_sub(self.in_flight()), self.cursor)
    }

    /// The client accepted a publish request.
    pub fn sent(&mut self, s: Sent) {
        if let Sent::Observation(seq) = s {
            self.cursor = Some(self.cursor.map_or(seq, |c| c.max(seq)));
        }
        self.awaiting_pkid.push_back(s);
    }

    /// The client wrote a PUBLISH with packet id `pkid` (QoS > 0; QoS 0 has id 0 and is ignored).
    pub fn on_outgoing_publish(&mut self, pkid: u16) {
        if let Some(Sent::Observation(seq)) = self.awaiting_pkid.pop_front() {
            if pkid != 0 {
                self.by_pkid.insert(pkid, seq);
            }
        }
    }

    /// The broker acknowledged `pkid`: the seq to remove from the outbox, if it was an observation.
    pub fn on_puback(&mut self, pkid: u16) -> Option<u64> {
        self.by_pkid.remove(&pkid)
    }
}

/// Counters the publisher keeps for metrics and status.
#[derive(Debug, Default)]
pub struct PublisherStats {
    /// Observations acknowledged by the broker.
    pub acked: std::sync::atomic::AtomicU64,
    /// Connections made.
    pub connects: std::sync::atomic::AtomicU64,
    /// Connection errors.
    pub errors: std::sync::atomic::AtomicU64,
}

/// Where and how to connect.
#[derive(Clone)]
pub struct PublisherConfig {
    /// Sensor id (also the MQTT client id).
    pub sensor_id: String,
    /// Region.
    pub region: String,
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// Keep-alive.
    pub keep_alive: Duration,
    /// Observations in flight.
    pub max_inflight: u16,
    /// TLS transport, when configured.
    pub transport: Option<rumqttc::Transport>,
}

impl std::fmt::Debug for PublisherConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublisherConfig")
            .field("sensor_id", &self.sensor_id)
            .field("region", &self.region)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.transport.is_some())
            .finish()
    }
}

/// Handles to a running publisher.
#[derive(Debug, Clone)]
pub struct PublisherHandle {
    /// Wake the publisher: the outbox has new observations.
    pub wake: Arc<Notify>,
    /// The latest status to publish (retained).
    pub status: watch::Sender<Option<SensorStatus>>,
    /// Counters.
    pub stats: Arc<PublisherStats>,
    stop: Arc<Notify>,
    done: Arc<tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl PublisherHandle {
    /// Publishes `last_status` (retained), disconnects cleanly and ends the task, waiting at
    /// most `grace` for the broker to take the status. The outbox keeps whatever was not acknowledged.
    pub async fn shutdown(&self, last_status: SensorStatus, grace: Duration) {
        let _ = self.status.send(Some(last_status));
        self.stop.notify_one();
        if let Some(task) = self.done.lock().await.take() {
            let _ = tokio::time::timeout(grace, task).await;
        }
    }
}

fn jitter(seed: &mut u64) -> f64 {
    // xorshift64*: jitter only, not security.
    *seed ^= *seed >> 12;
    *seed ^= *seed << 25;
    *seed ^= *seed >> 27;
    (seed.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
}

/// Starts the publisher task. Returns its handle; the task runs until the runtime stops.
pub fn spawn(
    cfg: PublisherConfig,
    outbox: Arc<Outbox>,
) -> Result<PublisherHandle, towerwatch_models::ValidationError> {
    let obs_topic =
        Topic::sensor(TopicKind::Observations, &cfg.region, &cfg.sensor_id)?.to_string();
    let status_topic = Topic::sensor(TopicKind::Status, &cfg.region, &cfg.sensor_id)?.to_string();
    let mut opts = MqttOptions::new(cfg.sensor_id.clone(), cfg.host.clone(), cfg.port);
    opts.set_keep_alive(cfg.keep_alive);
    opts.set_clean_session(true);
    opts.set_inflight(cfg.max_inflight);
    opts.set_max_packet_size(
        towerwatch_models::MAX_PAYLOAD_BYTES + 1024,
        towerwatch_models::MAX_PAYLOAD_BYTES + 1024,
    );
    let will =
        serde_json::to_vec(&SensorStatus::offline(cfg.sensor_id.clone())).unwrap_or_default();
    opts.set_last_will(LastWill::new(&status_topic, will, QoS::AtLeastOnce, true));
    if let Some(t) = cfg.transport.clone() {
        opts.set_transport(t);
    }
    let (client, eventloop) = AsyncClient::new(opts, usize::from(cfg.max_inflight) + 16);
    let wake = Arc::new(Notify::new());
    let (status_tx, status_rx) = watch::channel(None);
    let stats = Arc::new(PublisherStats::default());
    let stop = Arc::new(Notify::new());
    let task = Task {
        client,
        outbox,
        delivery: Delivery::new(usize::from(cfg.max_inflight)),
        obs_topic,
        status_topic,
        status_rx,
        stats: stats.clone(),
    };
    let join = tokio::spawn(task.run(eventloop, wake.clone(), stop.clone()));
    Ok(PublisherHandle {
        wake,
        status: status_tx,
        stats,
        stop,
        done: Arc::new(tokio::sync::Mutex::new(Some(join))),
    })
}

struct Task {
    client: AsyncClient,
    outbox: Arc<Outbox>,
    delivery: Delivery,
    obs_topic: String,
    status_topic: String,
    status_rx: watch::Receiver<Option<SensorStatus>>,
    stats: Arc<PublisherStats>,
}

impl Task {
    /// Hands the client as many pending observations as the window allows.
    fn fill(&mut self) -> Result<(), OutboxError> {
        let (room, after) = self.delivery.room();
        if room == 0 {
            return Ok(());
        }
        for (seq, payload) in self.outbox.pending_after(after, room)? {
            match self
                .client
                .try_publish(&self.obs_topic, QoS::AtLeastOnce, false, payload)
            {
                Ok(()) => self.delivery.sent(Sent::Observation(seq)),
                Err(_) => break, // queue full: the next event brings us back here
            }
        }
        Ok(())
    }

    fn publish_status(&mut self) {
        if !self.delivery.connected() {
            return;
        }
        let status = self.status_rx.borrow_and_update().clone();
        if let Some(s) = status {
            if let Ok(bytes) = serde_json::to_vec(&s) {
                if self
                    .client
                    .try_publish(&self.status_topic, QoS::AtLeastOnce, true, bytes)
                    .is_ok()
                {
                    self.delivery.sent(Sent::Other);
                }
            }
        }
    }

    async fn run(mut self, mut eventloop: EventLoop, wake: Arc<Notify>, stop: Arc<Notify>) {
        use std::sync::atomic::Ordering::Relaxed;
        let mut failures = 0u32;
        let mut stopping = false;
        let mut seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1;
        loop {
            let ev = {
                let poll = eventloop.poll();
                tokio::pin!(poll);
                loop {
                    tokio::select! {
                        ev = &mut poll => break ev,
                        _ = stop.notified(), if !stopping => {
                            stopping = true;
                            self.publish_status();
                            let _ = self.client.try_disconnect();
                        }
                        _ = wake.notified() => { let _ = self.fill(); }
                        changed = self.status_rx.changed() => {
                            if changed.is_ok() { self.publish_status(); }
                        }
                    }
                }
            };
            match ev {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    failures = 0;
                    self.stats.connects.fetch_add(1, Relaxed);
                    self.delivery.on_connack();
                    tracing::info!("connected to the broker");
                    self.status_rx.mark_changed();
                    self.publish_status();
                    let _ = self.fill();
                }
                Ok(Event::Outgoing(Outgoing::Publish(pkid))) => {
                    self.delivery.on_outgoing_publish(pkid)
                }
                Ok(Event::Incoming(Packet::PubAck(ack))) => {
                    if let Some(seq) = self.delivery.on_puback(ack.pkid) {
                        if let Err(e) = self.outbox.ack(seq) {
                            tracing::error!("outbox ack failed: {e}");
                        }
                        self.stats.acked.fetch_add(1, Relaxed);
                    }
                    let _ = self.fill();
                }
                Ok(_) => {}
                Err(_) if stopping => return,
                Err(e) => {
                    self.stats.errors.fetch_add(1, Relaxed);
                    // Requests not yet written go back to the client's own queue, which the next
                    // clean-session ConnAck discards; the outbox resends them instead.
                    eventloop.clean();
                    self.delivery.on_disconnect();
                    failures = failures.saturating_add(1);
                    let base = 0.2 * 2f64.powi(failures.min(8) as i32);
                    let delay = base.min(30.0) * (0.5 + 0.5 * jitter(&mut seed));
                    if failures <= 3 || failures % 20 == 0 {
                        tracing::warn!("broker connection: {e}; retrying in {delay:.1} s");
                    }
                    tokio::time::sleep(Duration::from_secs_f64(delay)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_map_back_to_seqs_in_order() {
        let mut d = Delivery::new(3);
        assert_eq!(d.room(), (0, None), "nothing before ConnAck");
        d.on_connack();
        assert_eq!(d.room(), (3, None));
        d.sent(Sent::Observation(10));
        d.sent(Sent::Other);
        d.sent(Sent::Observation(11));
        assert_eq!(d.room(), (1, Some(11)));
        d.on_outgoing_publish(1);
        d.on_outgoing_publish(2);
        d.on_outgoing_publish(3);
        assert_eq!(d.on_puback(3), Some(11));
        assert_eq!(d.on_puback(2), None, "status is not an observation");
        assert_eq!(d.on_puback(1), Some(10));
        assert_eq!(d.on_puback(1), None, "a duplicate ack frees nothing");
        assert_eq!(d.in_flight(), 0);
        assert_eq!(d.room(), (3, Some(11)));
    }

    #[test]
    fn reconnect_resends_from_the_oldest() {
        let mut d = Delivery::new(10);
        d.on_connack();
        d.sent(Sent::Observation(1));
        d.on_outgoing_publish(7);
        d.on_disconnect();
        assert_eq!(d.room(), (0, None));
        assert_eq!(
            d.on_puback(7),
            None,
            "acks from a dead connection free nothing"
        );
        d.on_connack();
        assert_eq!(d.room(), (10, None));
    }

    #[test]
    fn jitter_is_in_unit_interval() {
        let mut s = 12345;
        for _ in 0..1000 {
            let j = jitter(&mut s);
            assert!((0.0..1.0).contains(&j));
        }
    }
}
