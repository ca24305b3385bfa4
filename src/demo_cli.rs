//! `towerwatch demo`: the terminal side of [`crate::demo`] — progress,
//! alerts as they arrive, a truth-versus-suspects summary, and the map URL.

use crate::demo::{self, City, CityConfig};
use crate::scenario::{Scenario, World};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The bundled scenario (`scenarios/city_block.toml`).
pub const CITY_BLOCK: &str = include_str!("../scenarios/city_block.toml");

/// `towerwatch demo` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Scenario file (default: the bundled city block).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Stop after this many seconds (default: serve the map until Ctrl-C).
    #[arg(long)]
    pub duration: Option<f64>,
    /// No progress bars or prompts (logs and alerts only).
    #[arg(long)]
    pub headless: bool,
    /// Exit once the sensors are done and the summary is printed, instead of serving the map.
    #[arg(long)]
    pub once: bool,
    /// Map and API address (another free port is used if this one is taken).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub http_listen: SocketAddr,
    /// Keep recordings and databases here (default: a temporary folder, removed at exit).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Raster tile URL template for the map, e.g. `https://tile.openstreetmap.org/{z}/{x}/{y}.png`
    /// (default: no tiles, a plain grid).
    #[arg(long)]
    pub tiles: Option<String>,
    /// Leave these sensors switched off (repeatable).
    #[arg(long = "sensor-off")]
    pub sensors_off: Vec<String>,
}

fn load(args: &DemoArgs) -> anyhow::Result<World> {
    let text = match &args.scenario {
        Some(p) => {
            std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => CITY_BLOCK.to_string(),
    };
    Ok(Scenario::parse(&text)?.resolve()?)
}

/// Runs the demo.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,rumqttd=off".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let world = load(&args)?;
    let tmp;
    let work_dir = match &args.work_dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::Builder::new()
                .prefix("towerwatch-demo-")
                .tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let deadline = args.duration.map(Duration::from_secs_f64);
    rt.block_on(async move {
        let run = run_city(world, work_dir, &args);
        match deadline {
            Some(d) => match tokio::time::timeout(d, run).await {
                Ok(r) => r,
                Err(_) => {
                    println!("--duration {:.0} s reached: stopping.", d.as_secs_f64());
                    Ok(())
                }
            },
            None => run.await,
        }
    })
}

async fn run_city(world: World, work_dir: PathBuf, args: &DemoArgs) -> anyhow::Result<()> {
    let rogues = world.cells.iter().filter(|c| c.spec.rogue).count();
    println!(
        "towerwatch demo — scenario {}: {} sensors, {} stations ({} rogue), {} cycles of {:.1} s",
        world.scenario.name,
        world.sensors.len(),
        world.cells.len(),
        rogues,
        world.scenario.time.cycles,
        world.cycle_s
    );
    let cfg = CityConfig {
        work_dir,
        http_listen: demo::port_or_free(args.http_listen)?,
        mqtt_listen: SocketAddr::from(([127, 0, 0, 1], demo::free_port()?)),
        sensors_off: args.sensors_off.iter().cloned().collect::<BTreeSet<_>>(),
        tiles: args.tiles.clone(),
        sensor_broker: None,
        external_broker: None,
        realtime: true,
        start_now: true,
    };
    let pb = if args.headless {
        indicatif::ProgressBar::hidden()
    } else {
        let pb = indicatif::ProgressBar::new(0);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "rendering the city's radio signals [{bar:40}] {pos}/{len} channel-cycles {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        pb
    };
    let pbc = pb.clone();
    let city = City::start(world, cfg, move |d, t| {
        pbc.set_length(t);
        pbc.set_position(d);
    })
    .await?;
    pb.finish_and_clear();
    println!(
        "rendered {} recordings ({:.0} MB) under {}",
        city.rendered.recordings,
        city.rendered.bytes as f64 / 1e6,
        city.cfg.work_dir.display()
    );
    println!("map: {}   (API: {}api/v1/suspects)", city.url(), city.url());
    let mut alerts = city.alerts().await?;
    let printer = tokio::spawn(async move {
        let mut last: std::collections::HashMap<String, f64> = Default::default();
        while let Some(s) = alerts.recv().await {
            // Print a suspect when it appears or its score moves by 0.05.
            let prev = last.get(&s.id).copied();
            if prev.is_none_or(|p| (s.score - p).abs() >= 0.05) {
                println!("ALERT  {}", demo::describe(&s));
                last.insert(s.id.clone(), s.score);
            }
        }
    });
    println!(
        "sensors: {} replaying their recordings in real time …",
        city.world.sensors.len() - city.cfg.sensors_off.len()
    );
    let run = city
        .run_sensors(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    let obs: u64 = run.summaries.iter().map(|(_, s)| s.observations).sum();
    println!("sensors done: {obs} observations delivered");
    // Let the collector take the last messages.
    tokio::time::sleep(Duration::from_secs(2)).await;
    summarize(&city)?;
    printer.abort();
    if !args.once {
        println!("map: {} — serving until Ctrl-C.", city.url());
        let _ = tokio::signal::ctrl_c().await;
    }
    city.shutdown().await
}

fn summarize(city: &City) -> anyhow::Result<()> {
    let suspects = city.suspects()?;
    let truth = city.truth();
    println!("\ntruth versus the collector's suspects:");
    for c in truth.cells.iter().filter(|c| c.rogue) {
        match suspects.iter().find(|s| demo::matches(s, c)) {
            Some(s) => {
                let err = s
                    .location
                    .as_ref()
                    .map(|l| demo::distance_m((l.lat, l.lon), (c.lat, c.lon)));
                println!(
                    "  FOUND   {:<24} score {:.2}, {}",
                    c.name,
                    s.score,
                    match (err, &s.location) {
                        (Some(e), Some(l)) => format!(
                            "located {e:.0} m from the truth (95 % ellipse semi-axes {:.0} × {:.0} m)",
                            l.error_ellipse_m.major, l.error_ellipse_m.minor
                        ),
                        _ => "not located".into(),
                    }
                );
            }
            None => println!("  MISSED  {:<24} no suspect", c.name),
        }
    }
    let false_alarms: Vec<_> = suspects
        .iter()
        .filter(|s| !truth.cells.iter().any(|c| c.rogue && demo::matches(s, c)))
        .collect();
    if false_alarms.is_empty() {
        println!("  no legitimate cell became a suspect");
    }
    for s in false_alarms {
        println!("  OTHER   {}", demo::describe(s));
    }
    Ok(())
}
