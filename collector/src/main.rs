//! `towerwatch-collector`: run the collector, import and export known cells.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use towerwatch_collector::config::RawConfig;
use towerwatch_collector::{opencellid, service, store::Store};

#[derive(Debug, Parser)]
#[command(
    name = "towerwatch-collector",
    version,
    about = "Fuse sensor observations into located, scored suspects"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the collector: broker or client, ingest, detection, alerts, HTTP API.
    Run(RunArgs),
    /// Import known cells from an OpenCellID CSV file.
    ImportCells {
        /// Database directory.
        #[arg(long)]
        data_dir: PathBuf,
        /// The CSV file.
        file: PathBuf,
    },
    /// Export known cells as OpenCellID CSV (to FILE, or standard output).
    ExportCells {
        /// Database directory.
        #[arg(long)]
        data_dir: PathBuf,
        /// Output file.
        file: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// TOML configuration file (flags override its values).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Database directory.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Start the embedded MQTT broker on ADDR:PORT (default 127.0.0.1:1883).
    #[arg(long, conflicts_with = "mqtt_url")]
    mqtt_listen: Option<String>,
    /// Use an external broker, mqtt://HOST:PORT (MQTT 5 shared subscriptions).
    #[arg(long)]
    mqtt_url: Option<String>,
    /// HTTP API address (default 127.0.0.1:8080).
    #[arg(long)]
    http_listen: Option<String>,
    /// Bearer token for the HTTP API; required for a non-loopback address
    /// (or set TOWERWATCH_API_TOKEN, which keeps it out of the process list).
    #[arg(long)]
    api_token: Option<String>,
    /// Region served.
    #[arg(long)]
    region: Option<String>,
    /// Learning mode: cells heard become learned known cells.
    #[arg(long)]
    learn: bool,
    /// Webhook URL (repeatable).
    #[arg(long = "webhook")]
    webhooks: Vec<String>,
    /// Analyst map base layer: raster tile URL template, e.g.
    /// https://tile.openstreetmap.org/{z}/{x}/{y}.png (default: none, a plain
    /// grid that needs no network).
    #[arg(long)]
    tiles: Option<String>,
    /// Attribution shown under the tiles, e.g. "© OpenStreetMap contributors".
    #[arg(long)]
    tile_attribution: Option<String>,
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,rumqttd=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Run(a) => run(a),
        Command::ImportCells { data_dir, file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let imp = opencellid::parse(&text);
            for e in imp.errors.iter().take(20) {
                eprintln!("{}: {e}", file.display());
            }
            let store = Store::open(&data_dir)
                .with_context(|| format!("opening {}", data_dir.display()))?;
            let n = opencellid::import(&store, &imp.cells)?;
            println!(
                "imported {n} cells ({} other RATs skipped, {} bad lines)",
                imp.skipped,
                imp.errors.len()
            );
            Ok(())
        }
        Command::ExportCells { data_dir, file } => {
            let store = Store::open(&data_dir)
                .with_context(|| format!("opening {}", data_dir.display()))?;
            let text = opencellid::write(&store.cells()?);
            match file {
                Some(f) => {
                    std::fs::write(&f, text).with_context(|| format!("writing {}", f.display()))?
                }
                None => print!("{text}"),
            }
            Ok(())
        }
    }
}

fn run(a: RunArgs) -> Result<()> {
    let file = match &a.config {
        Some(p) => RawConfig::from_toml(
            &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        )?,
        None => RawConfig::default(),
    };
    let flags = RawConfig {
        data_dir: a.data_dir,
        mqtt_listen: a.mqtt_listen,
        mqtt_url: a.mqtt_url,
        http_listen: a.http_listen,
        api_token: a
            .api_token
            .or_else(|| std::env::var("TOWERWATCH_API_TOKEN").ok()),
        region: a.region,
        learn: a.learn.then_some(true),
        webhooks: (!a.webhooks.is_empty()).then_some(a.webhooks),
        tiles: a.tiles,
        tile_attribution: a.tile_attribution,
        ..RawConfig::default()
    };
    // A flag for one broker mode replaces the file's other mode.
    let file = if flags.mqtt_url.is_some() {
        RawConfig {
            mqtt_listen: None,
            ..file
        }
    } else {
        file
    };
    let file = if flags.mqtt_listen.is_some() {
        RawConfig {
            mqtt_url: None,
            ..file
        }
    } else {
        file
    };
    let cfg = file.overridden_by(flags).validate()?;
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .context("metrics recorder")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down");
        };
        if let Err(e) = service::run(cfg, metrics, shutdown).await {
            bail!("{e}");
        }
        Ok(())
    })?;
    // rumqttd has no shutdown: leave the process.
    std::process::exit(0)
}
