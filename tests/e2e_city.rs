//! End to end, the way it runs in the field: the bundled city scenario is
//! rendered into per-sensor recordings, one sensor daemon per lamppost
//! replays them through the real decoders, publishes over a real MQTT broker
//! (the collector's embedded rumqttd, or mosquitto when CI sets
//! `TOWERWATCH_TEST_MQTT_PORT`) into a real collector, and the suspects are
//! read back from its HTTP API and compared with the scenario's truth.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use towerwatch::demo::{self, City, CityConfig};
use towerwatch::demo_cli::CITY_BLOCK;
use towerwatch::scenario::{Scenario, World};
use towerwatch::simulate::truth::TruthCell;
use towerwatch_models::{Suspect, Timestamp};

fn world() -> World {
    Scenario::parse(CITY_BLOCK).unwrap().resolve().unwrap()
}

fn config(dir: &std::path::Path) -> CityConfig {
    let mut cfg = CityConfig::new(dir.to_path_buf()).unwrap();
    cfg.realtime = false;
    cfg.external_broker = common::external_broker();
    cfg
}

/// Waits until every rogue has a suspect (or 60 s), returning the suspects.
async fn settle(city: &City) -> Vec<Suspect> {
    let t0 = Instant::now();
    loop {
        let s = city.suspects().unwrap();
        let found = city
            .truth()
            .cells
            .iter()
            .filter(|c| c.rogue)
            .all(|c| s.iter().any(|x| demo::matches(x, c)));
        if found || t0.elapsed() > Duration::from_secs(60) {
            // One more moment for late evidence and the final localization.
            tokio::time::sleep(Duration::from_secs(2)).await;
            return city.suspects().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The outcome a run must reach whatever happened to sensors or the broker.
fn check_outcome(city: &City, suspects: &[Suspect], started: Timestamp) -> Vec<(String, f64)> {
    let truth = city.truth();
    let rogues: Vec<&TruthCell> = truth.cells.iter().filter(|c| c.rogue).collect();
    assert_eq!(rogues.len(), 2, "the bundled scenario has two rogues");
    let mut located = Vec::new();
    for r in &rogues {
        let s = suspects
            .iter()
            .find(|s| demo::matches(s, r))
            .unwrap_or_else(|| {
                panic!("{} never became a suspect; suspects: {suspects:#?}", r.name)
            });
        let kinds: BTreeSet<&str> = s.evidence.iter().map(|e| e.kind.as_str()).collect();
        assert!(
            kinds.contains("unknown_cell"),
            "{}: evidence {kinds:?}",
            r.name
        );
        assert!(
            kinds.contains("area_mismatch"),
            "{}: evidence {kinds:?}",
            r.name
        );
        if r.rat == towerwatch_models::Rat::Lte {
            assert!(
                kinds.contains("downgrade_priority"),
                "{}: evidence {kinds:?}",
                r.name
            );
        }
        let loc = s
            .location
            .as_ref()
            .unwrap_or_else(|| panic!("{} not located: {:?}", r.name, s.not_localizable));
        let err = demo::distance_m((loc.lat, loc.lon), (r.lat, r.lon));
        assert!(
            err <= loc.error_ellipse_m.major,
            "{}: located {err:.0} m from the truth, outside its reported bound {:.0} m",
            r.name,
            loc.error_ellipse_m.major
        );
        // Within one scan cycle of switching on (observations carry the
        // recordings' capture times, which start at scenario second 0 = `started`).
        let on = started.add_seconds(r.on_s);
        let delay = s.first_seen.seconds_since(on);
        assert!(
            (0.0..=truth.cycle_s).contains(&delay),
            "{}: first seen {delay:.1} s after switching on (cycle {:.1} s)",
            r.name,
            truth.cycle_s
        );
        located.push((r.name.clone(), err));
    }
    for s in suspects {
        if let Some(c) = truth.cells.iter().find(|c| !c.rogue && demo::matches(s, c)) {
            panic!(
                "legitimate cell {} became a suspect: {}",
                c.name,
                demo::describe(s)
            );
        }
    }
    located
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rogues_become_located_suspects_and_legitimate_cells_never_do() {
    let dir = tempfile::tempdir().unwrap();
    let city = City::start(world(), config(dir.path()), |_, _| {})
        .await
        .unwrap();
    let started = city.world.start;
    let run = city.run_sensors(std::future::pending()).await.unwrap();
    assert_eq!(run.summaries.len(), 16);
    for (id, s) in &run.summaries {
        assert!(s.observations > 0, "sensor {id} decoded nothing");
        assert_eq!(s.undelivered, 0, "sensor {id} kept observations");
    }
    let suspects = settle(&city).await;
    check_outcome(&city, &suspects, started);
    city.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sensor_off_and_a_broker_outage_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    // The sensor nearest the catcher stays off; the others lose the broker for a while.
    cfg.sensors_off.insert("lamp-10".into());
    let upstream = cfg.broker();
    let proxy = common::Proxy::start(upstream).await;
    cfg.sensor_broker = Some(proxy.addr);
    let city = City::start(world(), cfg, |_, _| {}).await.unwrap();
    let started = city.world.start;
    let p = proxy.clone();
    let outage = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        p.off();
        tokio::time::sleep(Duration::from_secs(4)).await;
        p.on();
    });
    let run = city.run_sensors(std::future::pending()).await.unwrap();
    outage.await.unwrap();
    assert_eq!(run.summaries.len(), 15);
    for (id, s) in &run.summaries {
        assert_eq!(
            s.undelivered, 0,
            "sensor {id} kept observations after the outage"
        );
    }
    let suspects = settle(&city).await;
    check_outcome(&city, &suspects, started);
    city.shutdown().await.unwrap();
}
