//! Shared pieces of the end-to-end tests: the broker choice and a TCP proxy
//! that can cut the sensors off their broker.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};

/// An external broker to use (CI runs mosquitto and sets `TOWERWATCH_TEST_MQTT_PORT`),
/// or `None` for the collector's embedded broker.
pub fn external_broker() -> Option<SocketAddr> {
    let port = std::env::var("TOWERWATCH_TEST_MQTT_PORT").ok()?;
    let port: u16 = port
        .parse()
        .unwrap_or_else(|_| panic!("TOWERWATCH_TEST_MQTT_PORT={port:?} is not a port"));
    // Fail loudly when the variable names a broker that is not there.
    std::net::TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("TOWERWATCH_TEST_MQTT_PORT={port}: no broker there ({e})"));
    Some(SocketAddr::from(([127, 0, 0, 1], port)))
}

/// A TCP proxy to `upstream` that can be switched off (every connection is
/// dropped and new ones are refused) and on again.
#[derive(Debug, Clone)]
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    epoch: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Proxy {
    /// Starts the proxy on a free loopback port.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = l.local_addr().expect("proxy address");
        let up = Arc::new(AtomicBool::new(true));
        let (epoch, _) = tokio::sync::watch::channel(0u64);
        let epoch = Arc::new(epoch);
        let (u, e) = (up.clone(), epoch.clone());
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = l.accept().await else {
                    continue;
                };
                if !u.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let mut cut = e.subscribe();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    tokio::select! {
                        _ = tokio::io::copy(&mut cr, &mut sw) => {}
                        _ = tokio::io::copy(&mut sr, &mut cw) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Proxy { addr, up, epoch }
    }

    /// Drops every connection and refuses new ones until [`Self::on`].
    pub fn off(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.epoch.send_modify(|e| *e += 1);
    }

    /// Accepts connections again.
    pub fn on(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}
