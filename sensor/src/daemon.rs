//! `towerwatch-sensor run`: the node daemon.
//!
//! ```text
//!  source ─> scan loop (blocking thread: tune, dwell, decode) ─> outbox (sled) ─> publisher (MQTT)
//!               │                                                                  ▲
//!               └── status, metrics, watchdog ─────────────────────────────────────┘
//! ```
//!
//! The scan loop survives its source failing: a failed tune or read is
//! counted, reported in the status (`radio_fault`) and retried with backoff;
//! a lost device is reopened. Everything decoded is in the outbox before it
//! is published, so a broker outage or a SIGKILL loses nothing.

use crate::config::Config;
use crate::outbox::Outbox;
use crate::pipeline::lte::ChannelContext;
use crate::pipeline::{self, Dwell};
use crate::publisher::{self, PublisherConfig, PublisherHandle};
use crate::scheduler::{Channel, Outcome, Scheduler};
use crate::source::{IqSource, SourceError};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use towerwatch_models::{Rat, SensorState, SensorStatus, Timestamp};

/// How a run ends.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Stop when the source has nothing left (replay without loop), after the outbox drained.
    pub exit_when_done: bool,
    /// How long to wait for the broker to take the outbox before exiting.
    pub drain_timeout: Duration,
    /// Status publication period.
    pub status_period: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            exit_when_done: true,
            drain_timeout: Duration::from_secs(30),
            status_period: Duration::from_secs(15),
        }
    }
}

/// Counters shared by the scan loop and the status.
#[derive(Debug, Default)]
pub struct ScanStats {
    /// Dwells completed.
    pub dwells: AtomicU64,
    /// Observations produced.
    pub observations: AtomicU64,
    /// Source failures.
    pub source_errors: AtomicU64,
    /// Sample blocks dropped because DSP fell behind (live radios).
    pub blocks_dropped: AtomicU64,
    /// Whether the source is currently failing.
    pub radio_fault: AtomicBool,
    /// Last fault text.
    pub fault_detail: Mutex<Option<String>>,
}

/// The configured channels: `scan.lte_earfcns` as LTE channels, `scan.gsm_arfcns` as GSM channels.
pub fn configured_plan(cfg: &Config) -> Vec<Channel> {
    let lte = cfg.scan.lte_earfcns.iter().filter_map(|&e| {
        towerwatch_models::band::lte_earfcn_to_freq(e).map(|(_, f)| Channel {
            rat: Rat::Lte,
            freq_hz: f as f64,
            number: Some(e),
        })
    });
    let gsm = cfg.scan.gsm_arfcns.iter().filter_map(|&a| {
        towerwatch_models::band::gsm_arfcn_to_freq(a, false).map(|f| Channel {
            rat: Rat::Gsm,
            freq_hz: f as f64,
            number: Some(u32::from(a)),
        })
    });
    lte.chain(gsm).collect()
}

/// The channel plan: the configured LTE EARFCNs and GSM ARFCNs, or (replay)
/// every recording's frequency — a GSM channel where the frequency is on the
/// GSM raster of a GSM band ([`pipeline::auto_rats`]; such a channel is
/// decoded for GSM and LTE, as LTE bands overlap every GSM band), else LTE.
pub fn channel_plan(cfg: &Config, source: &dyn IqSource) -> Vec<Channel> {
    let mut plan = configured_plan(cfg);
    if plan.is_empty() {
        if let Some(freqs) = source.available_channels() {
            plan = freqs
                .into_iter()
                .map(|f| {
                    if pipeline::auto_rats(Some(f)).contains(&Rat::Gsm) {
                        Channel {
                            rat: Rat::Gsm,
                            freq_hz: f,
                            number: pipeline::gsm::arfcn_of(f).map(|(a, _)| u32::from(a)),
                        }
                    } else {
                        Channel {
                            rat: Rat::Lte,
                            freq_hz: f,
                            number: towerwatch_models::band::lte_freq_to_earfcn(f),
                        }
                    }
                })
                .collect();
        }
    }
    if !cfg.scan.nr_gscns.is_empty() {
        tracing::warn!("NR channels in the scan plan are skipped: this build has no NR decoder");
    }
    plan
}

/// The RATs decoded on `ch`: its own, or for a channel taken from the source
/// (replay) every RAT its frequency may carry.
pub fn dwell_rats(ch: &Channel, from_source: bool) -> Vec<Rat> {
    if from_source {
        pipeline::auto_rats(Some(ch.freq_hz))
    } else {
        vec![ch.rat]
    }
}

/// Dwell length for `rats`, ms: the longest of their configured dwells.
pub fn dwell_ms(cfg: &Config, rats: &[Rat]) -> u64 {
    rats.iter()
        .map(|r| match r {
            Rat::Lte => cfg.scan.dwell_lte_ms,
            Rat::Gsm => cfg.scan.dwell_gsm_ms,
            Rat::Nr => cfg.scan.dwell_nr_ms,
        })
        .max()
        .unwrap_or(cfg.scan.dwell_lte_ms)
}

fn status(
    cfg: &Config,
    outbox: &Outbox,
    stats: &ScanStats,
    started: Instant,
    source: &str,
    state: Option<SensorState>,
) -> SensorStatus {
    let fault = stats.radio_fault.load(Ordering::Relaxed);
    let mut s = SensorStatus::offline(cfg.sensor_id.clone());
    s.state = state.unwrap_or(if fault {
        SensorState::RadioFault
    } else {
        SensorState::Online
    });
    s.time = Some(Timestamp::now());
    s.position = cfg.position;
    s.version = Some(env!("CARGO_PKG_VERSION").to_string());
    s.uptime_s = Some(started.elapsed().as_secs_f64());
    s.radio = Some(source.to_string());
    s.last_seq = outbox.next_seq().ok().and_then(|n| n.checked_sub(1));
    s.outbox_len = Some(outbox.len() as u64);
    s.outbox_dropped_total = Some(outbox.dropped_total());
    s.blocks_dropped_total = Some(stats.blocks_dropped.load(Ordering::Relaxed));
    s.detail = if fault {
        stats.fault_detail.lock().ok().and_then(|d| d.clone())
    } else {
        None
    };
    s
}

/// Decoders kept across dwells, by (sample rate, RATs): FFT plans and buffers are built once.
type DwellCache = Vec<(f64, Vec<Rat>, Dwell)>;

/// Dwells on one channel, decoding `rats`; returns the observations or the source error.
fn dwell(
    source: &mut dyn IqSource,
    ch: &Channel,
    rats: &[Rat],
    cfg: &Config,
    dwells: &mut DwellCache,
    pace: bool,
) -> Result<Option<Vec<towerwatch_models::Observation>>, SourceError> {
    let tuned = source.tune(ch.freq_hz)?;
    let ctx = ChannelContext {
        sensor_id: cfg.sensor_id.clone(),
        center_freq_hz: Some(tuned.freq_hz),
        calibration_db: cfg.calibration_db(&band_name(ch)),
        // A replayed recording carries its own capture time; a radio is live.
        time: source.sample_time().unwrap_or_else(Timestamp::now),
        source: None,
    };
    // GSM needs at least 250 kHz: below, a mixed channel is decoded for LTE only.
    let rats: Vec<Rat> = rats
        .iter()
        .copied()
        .filter(|r| *r != Rat::Gsm || tuned.sample_rate >= 250e3 || rats.len() == 1)
        .collect();
    let idx = match dwells
        .iter()
        .position(|(r, k, _)| *r == tuned.sample_rate && *k == rats)
    {
        Some(i) => {
            dwells[i].2.restart(ctx);
            i
        }
        None => {
            let d = Dwell::new(
                tuned.sample_rate,
                &rats,
                0.08,
                pipeline::gsm::DEFAULT_WINDOW_S,
                ctx,
            )
            .map_err(|e| SourceError::Failed(e.to_string()))?;
            dwells.push((tuned.sample_rate, rats.clone(), d));
            dwells.len() - 1
        }
    };
    let d = &mut dwells[idx].2;
    let want = (dwell_ms(cfg, &rats) as f64 * 1e-3 * tuned.sample_rate) as usize;
    let block = ((tuned.sample_rate * 0.01) as usize).max(1024);
    let mut buf = Vec::with_capacity(block);
    let mut got = 0usize;
    let t0 = Instant::now();
    while got < want {
        buf.clear();
        let n = source.read(block.min(want - got), &mut buf)?;
        if n == 0 {
            break;
        }
        got += n;
        d.push(&buf);
        if pace {
            let ahead = got as f64 / tuned.sample_rate - t0.elapsed().as_secs_f64();
            if ahead > 0.0 {
                std::thread::sleep(Duration::from_secs_f64(ahead));
            }
        }
    }
    if got == 0 {
        return Ok(None);
    }
    Ok(Some(d.finish()))
}

/// A band name for calibration lookup, e.g. `lte_b20`.
pub fn band_name(ch: &Channel) -> String {
    match ch.rat {
        Rat::Lte => ch
            .number
            .and_then(towerwatch_models::band::lte_earfcn_to_freq)
            .map_or("lte".into(), |(b, _)| format!("lte_b{b}")),
        Rat::Gsm => {
            let a = ch.number.and_then(|n| u16::try_from(n).ok());
            let pcs = a.is_some_and(|a| {
                towerwatch_models::band::gsm_arfcn_to_freq(a, false)
                    .is_none_or(|f| (f as f64 - ch.freq_hz).abs() > 1_000.0)
            });
            pipeline::gsm::band_name(a, pcs).into()
        }
        Rat::Nr => "nr".into(),
    }
}

/// The blocking scan loop. Returns when `stop` is set or (with `exit_when_done`) the source is exhausted.
#[allow(clippy::too_many_arguments)]
pub fn scan_loop(
    cfg: &Config,
    mut source: Box<dyn IqSource>,
    outbox: &Outbox,
    publisher: &PublisherHandle,
    stats: &ScanStats,
    stop: &AtomicBool,
    exit_when_done: bool,
    pace: bool,
) {
    let plan = channel_plan(cfg, source.as_ref());
    let from_source = configured_plan(cfg).is_empty();
    if plan.is_empty() {
        tracing::error!("the scan plan is empty: configure scan.lte_earfcns / scan.gsm_arfcns or replay recordings with a centre frequency");
    }
    let mut sched = Scheduler::new(plan, cfg.scan.revisit_factor, cfg.scan.full_sweep_s as f64);
    let clock = Instant::now();
    let mut dwells: DwellCache = Vec::new();
    let mut backoff = Duration::from_millis(100);
    while !stop.load(Ordering::Relaxed) {
        let Some((idx, ch)) = sched.next(clock.elapsed().as_secs_f64()) else {
            if exit_when_done {
                tracing::info!("every channel is exhausted: scan finished");
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
            continue;
        };
        let rats = dwell_rats(&ch, from_source);
        match dwell(source.as_mut(), &ch, &rats, cfg, &mut dwells, pace) {
            Ok(Some(mut obs)) => {
                stats.radio_fault.store(false, Ordering::Relaxed);
                backoff = Duration::from_millis(100);
                stats.dwells.fetch_add(1, Ordering::Relaxed);
                for o in &mut obs {
                    o.position = cfg.position;
                }
                let n = obs.len();
                tracing::debug!(freq_hz = ch.freq_hz, cells = n, "dwell done");
                if n > 0 {
                    match outbox.push_all(&mut obs) {
                        Ok(_) => {
                            stats.observations.fetch_add(n as u64, Ordering::Relaxed);
                            metrics::counter!("towerwatch_sensor_observations_total", "rat" => ch.rat.as_str()).increment(n as u64);
                            publisher.wake.notify_one();
                        }
                        Err(e) => tracing::error!("outbox write failed: {e}"),
                    }
                }
                metrics::counter!("towerwatch_sensor_dwells_total", "rat" => ch.rat.as_str())
                    .increment(1);
                sched.report(idx, Outcome::Cells(n));
            }
            Ok(None) => {
                tracing::debug!(freq_hz = ch.freq_hz, "channel ended");
                sched.report(idx, Outcome::Gone)
            }
            Err(SourceError::NoChannel(_)) => sched.report(idx, Outcome::Gone),
            Err(e) => {
                stats.source_errors.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("towerwatch_sensor_source_errors_total").increment(1);
                stats.radio_fault.store(true, Ordering::Relaxed);
                if let Ok(mut d) = stats.fault_detail.lock() {
                    *d = Some(e.to_string());
                }
                tracing::warn!("source: {e}; retrying in {:?}", backoff);
                sched.report(idx, Outcome::Failed);
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
        metrics::gauge!("towerwatch_sensor_outbox_observations").set(outbox.len() as f64);
    }
}

/// Runs the daemon until `shutdown` resolves or (with `exit_when_done`) the source is exhausted
/// and the outbox drained.
pub async fn run(
    cfg: Config,
    source: Box<dyn IqSource>,
    opts: RunOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<RunSummary> {
    std::fs::create_dir_all(&cfg.data_dir)?;
    let outbox = Arc::new(Outbox::open(&cfg.data_dir.join("outbox"), cfg.outbox_max)?);
    let pcfg = PublisherConfig {
        sensor_id: cfg.sensor_id.clone(),
        region: cfg.region.clone(),
        host: cfg.broker.host.clone(),
        port: cfg.broker.port,
        keep_alive: cfg.broker.keep_alive,
        max_inflight: cfg.broker.max_inflight,
        transport: crate::tls::transport(&cfg.broker)?,
    };
    let publisher = publisher::spawn(pcfg, outbox.clone())?;
    let stats = Arc::new(ScanStats::default());
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let source_name = source.describe();
    let pace = cfg.replay.as_ref().is_some_and(|r| r.realtime);
    let _ = publisher.status.send(Some(status(
        &cfg,
        &outbox,
        &stats,
        started,
        &source_name,
        Some(SensorState::Starting),
    )));
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
    tracing::info!(sensor_id = %cfg.sensor_id, source = %source_name, next_seq = outbox.next_seq().unwrap_or(0), "sensor running");

    let scan = {
        let (cfg, outbox, publisher, stats, stop) = (
            cfg.clone(),
            outbox.clone(),
            publisher.clone(),
            stats.clone(),
            stop.clone(),
        );
        let exit = opts.exit_when_done;
        tokio::task::spawn_blocking(move || {
            scan_loop(&cfg, source, &outbox, &publisher, &stats, &stop, exit, pace)
        })
    };
    tokio::pin!(shutdown);
    let mut scan = scan;
    let mut ticker = tokio::time::interval(opts.status_period);
    let interrupted = loop {
        tokio::select! {
            _ = &mut shutdown => break true,
            r = &mut scan => { if let Err(e) = r { tracing::error!("scan loop ended abnormally: {e}"); } break false; }
            _ = ticker.tick() => {
                let _ = publisher.status.send(Some(status(&cfg, &outbox, &stats, started, &source_name, None)));
            }
        }
    };
    stop.store(true, Ordering::Relaxed);
    if interrupted {
        let _ = scan.await;
    }
    outbox.flush()?;
    let _ = publisher.status.send(Some(status(
        &cfg,
        &outbox,
        &stats,
        started,
        &source_name,
        None,
    )));
    if !interrupted {
        // The source is exhausted: give the broker time to take everything.
        let deadline = Instant::now() + opts.drain_timeout;
        while !outbox.is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    outbox.flush()?;
    let mut last = status(
        &cfg,
        &outbox,
        &stats,
        started,
        &source_name,
        Some(SensorState::Offline),
    );
    last.detail = Some("stopped".into());
    publisher.shutdown(last, Duration::from_secs(2)).await;
    let summary = RunSummary {
        observations: stats.observations.load(Ordering::Relaxed),
        undelivered: outbox.len() as u64,
        source_errors: stats.source_errors.load(Ordering::Relaxed),
        next_seq: outbox.next_seq()?,
    };
    tracing::info!(?summary, "sensor stopped");
    Ok(summary)
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Observations decoded and stored.
    pub observations: u64,
    /// Observations still waiting for the broker at exit (kept for the next run).
    pub undelivered: u64,
    /// Source failures survived.
    pub source_errors: u64,
    /// The seq the next observation will get.
    pub next_seq: u64,
}
