//! Test helpers: a real MQTT broker (rumqttd) on a loopback port, and a
//! subscriber that collects what arrives.
#![allow(dead_code)]

pub mod gsm_sim;

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A free loopback port (bound, then released for the broker).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The broker tests talk to: an external one when `TOWERWATCH_TEST_MQTT_PORT` names it
/// (CI runs the suite again against mosquitto), else rumqttd embedded on a free port.
pub fn broker_port() -> u16 {
    match std::env::var("TOWERWATCH_TEST_MQTT_PORT") {
        Ok(p) => {
            let port: u16 = p
                .parse()
                .expect("TOWERWATCH_TEST_MQTT_PORT is a port number");
            wait_for_port(port);
            port
        }
        Err(_) => {
            let port = free_port();
            start_broker(port);
            port
        }
    }
}

/// Starts rumqttd (MQTT 3.1.1) on `port` on its own thread. It has no shutdown: it lives until the test process ends.
pub fn start_broker(port: u16) {
    let cfg: rumqttd::Config = serde_json::from_value(serde_json::json!({
        "id": 0,
        "router": {"max_connections": 1000, "max_outgoing_packet_count": 2000, "max_segment_size": 104857600, "max_segment_count": 10},
        "v4": {"1": {"name": "v4-1", "listen": format!("127.0.0.1:{port}"), "next_connection_delay_ms": 1,
              "connections": {"connection_timeout_ms": 60000, "max_payload_size": 1048576, "max_inflight_count": 200, "dynamic_filters": true}}}
    }))
    .expect("broker config");
    std::thread::spawn(move || {
        let mut broker = rumqttd::Broker::new(cfg);
        let _ = broker.start();
    });
    wait_for_port(port);
}

/// Waits until something listens on `port`.
pub fn wait_for_port(port: u16) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("nothing listens on 127.0.0.1:{port}");
}

/// Payloads received, by topic.
pub type Inbox = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// Subscribes to `filter` (QoS 1) and collects every message; runs on the current tokio runtime.
pub async fn subscribe(port: u16, client_id: &str, filter: &str) -> Inbox {
    let mut opts = rumqttc::MqttOptions::new(client_id, "127.0.0.1", port);
    opts.set_keep_alive(Duration::from_secs(5));
    opts.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut eventloop) = rumqttc::AsyncClient::new(opts, 100);
    let inbox: Inbox = Arc::default();
    let sink = inbox.clone();
    let filter = filter.to_string();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let mut ready_tx = Some(ready_tx);
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_))) => {
                    client
                        .subscribe(&filter, rumqttc::QoS::AtLeastOnce)
                        .await
                        .unwrap();
                }
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_))) => {
                    if let Some(t) = ready_tx.take() {
                        let _ = t.send(());
                    }
                }
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => {
                    sink.lock()
                        .unwrap()
                        .push((p.topic.clone(), p.payload.to_vec()));
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), ready_rx)
        .await
        .expect("subscribed")
        .unwrap();
    inbox
}

/// Waits until `pred` holds for the inbox, or panics after `secs`.
pub async fn wait_until(
    inbox: &Inbox,
    secs: u64,
    what: &str,
    pred: impl Fn(&[(String, Vec<u8>)]) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if pred(&inbox.lock().unwrap()) {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!(
                "timed out waiting for {what}; have {} messages",
                inbox.lock().unwrap().len()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A TCP proxy on loopback that can be cut and restored, to take the broker
/// away from a client (a network outage) without stopping the broker.
pub struct Proxy {
    /// Port clients connect to.
    pub port: u16,
    up: Arc<std::sync::atomic::AtomicBool>,
    generation: Arc<std::sync::atomic::AtomicU64>,
}

impl Proxy {
    /// Forwards `127.0.0.1:{port}` to `127.0.0.1:{target}`.
    pub async fn start(target: u16) -> Proxy {
        use std::sync::atomic::Ordering::SeqCst;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let generation = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (u, g) = (up.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !u.load(SeqCst) {
                    drop(inbound);
                    continue;
                }
                let my_gen = g.load(SeqCst);
                let g2 = g.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) =
                        tokio::net::TcpStream::connect(("127.0.0.1", target)).await
                    else {
                        return;
                    };
                    let cut = async {
                        while g2.load(SeqCst) == my_gen {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut => {}
                    }
                });
            }
        });
        Proxy {
            port,
            up,
            generation,
        }
    }

    /// Cuts every connection and refuses new ones.
    pub fn cut(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        self.up.store(false, SeqCst);
        self.generation.fetch_add(1, SeqCst);
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}
