//! `towerwatch-sensor run --config sensor.toml`: the daemon.

use crate::config::{Config, RawConfig, RawReplay};
use crate::daemon::{self, RunOptions};
use crate::source::replay::ReplaySource;
use crate::source::IqSource;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// Options of `run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The configuration file (TOML; see sensor.example.toml).
    #[arg(long, short)]
    pub config: PathBuf,
    /// Replay these recordings (files or folders) instead of the configured source.
    #[arg(long)]
    pub replay: Vec<PathBuf>,
    /// Loop the replayed recordings forever.
    #[arg(long)]
    pub r#loop: bool,
    /// Override the state directory.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Override the broker URL.
    #[arg(long)]
    pub broker: Option<String>,
    /// Seconds to wait for the broker to take the outbox when a replay ends.
    #[arg(long, default_value_t = 30.0)]
    pub drain_timeout: f64,
}

/// Loads and validates the configuration with the command-line overrides.
pub fn load_config(args: &RunArgs) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(&args.config)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.config.display()))?;
    let mut raw = RawConfig::from_toml(&text)?;
    if !args.replay.is_empty() {
        // Recordings made by this sensor's radio keep its calibration.
        let calibration_db = raw
            .radio
            .take()
            .map(|r| r.calibration_db)
            .unwrap_or_default();
        raw.replay = Some(RawReplay {
            paths: args.replay.clone(),
            r#loop: args.r#loop,
            realtime: false,
            calibration_db,
        });
    }
    if args.r#loop {
        if let Some(r) = raw.replay.as_mut() {
            r.r#loop = true;
        }
    }
    if let Some(d) = &args.data_dir {
        raw.data_dir = Some(d.clone());
    }
    if let Some(b) = &args.broker {
        raw.broker.url = b.clone();
    }
    Ok(raw.validate()?)
}

/// The source the configuration names.
pub fn open_source(cfg: &Config) -> anyhow::Result<Box<dyn IqSource>> {
    if let Some(r) = &cfg.replay {
        return Ok(Box::new(ReplaySource::open(&r.paths, r.r#loop)?));
    }
    anyhow::bail!("radio sources need a build with the `soapy` feature (cargo build --features soapy, with libsoapysdr-dev installed)")
}

/// Runs the daemon until SIGINT/SIGTERM (or the end of a replay).
pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cfg = load_config(args)?;
    let source = open_source(&cfg)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        if let Some(addr) = cfg.metrics_listen {
            crate::metrics::serve(addr).await?;
        }
        let opts = RunOptions {
            exit_when_done: !args.r#loop,
            drain_timeout: Duration::from_secs_f64(args.drain_timeout.max(0.0)),
            ..RunOptions::default()
        };
        let summary = daemon::run(cfg, source, opts, shutdown_signal()).await?;
        eprintln!(
            "observations {} undelivered {} source errors {} next seq {}",
            summary.observations, summary.undelivered, summary.source_errors, summary.next_seq
        );
        Ok(())
    })
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
