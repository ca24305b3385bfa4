//! `towerwatch-sensor decode FILE`: every cell in a recording, as Observations.

use crate::cli::InputArgs;
use crate::pcap::{GsmtapHeader, PcapWriter, UmChannel};
use crate::pipeline::gsm::GsmBlock;
use crate::pipeline::{self, DecodeOptions, RatChoice};
use crate::source::Recording;
use clap::Args;
use std::path::{Path, PathBuf};
use towerwatch_dsp::gsm::multiframe::Ts0Channel;

/// Options of `decode`.
#[derive(Debug, Clone, Args)]
pub struct DecodeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// One Observation (WIRE.md JSON) per line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Which radio access technology to look for (auto: by the centre frequency;
    /// GSM and LTE on the GSM raster, LTE elsewhere).
    #[arg(long, value_enum, default_value_t = RatChoice::Auto)]
    pub rat: RatChoice,
    /// Sensor id written into the Observations.
    #[arg(long, default_value = "replay")]
    pub sensor_id: String,
    /// Calibration offset added to dBFS figures to give dBm.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub calibration_db: f64,
    /// LTE search window (a sensor's dwell), seconds.
    #[arg(long, default_value_t = 0.08)]
    pub window: f64,
    /// GSM search window, seconds.
    #[arg(long, default_value_t = pipeline::gsm::DEFAULT_WINDOW_S)]
    pub gsm_window: f64,
    /// Decode at most this many seconds of the recording.
    #[arg(long)]
    pub max_seconds: Option<f64>,
    /// Write every decoded GSM broadcast block to this pcap file as GSMTAP
    /// (UDP port 4729 over IPv4) for Wireshark / tshark.
    #[arg(long)]
    pub pcap: Option<PathBuf>,
}

/// The GSMTAP sub-type of a timeslot-0 block (non-combined layout; with
/// CCCH_CONF = 1 the receiver names CCCH blocks 3–8 SDCCH/4 and SACCH/4).
pub fn um_channel(ch: Ts0Channel) -> UmChannel {
    match ch {
        Ts0Channel::Bcch => UmChannel::Bcch,
        Ts0Channel::Sdcch4 { .. } => UmChannel::Sdcch4,
        Ts0Channel::Sacch4 { .. } => UmChannel::Sacch4,
        _ => UmChannel::Ccch,
    }
}

/// Writes `blocks` to `path` as GSMTAP; returns how many packets.
pub fn write_pcap(path: &Path, blocks: &[GsmBlock]) -> anyhow::Result<usize> {
    let f = std::fs::File::create(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut w = PcapWriter::new(std::io::BufWriter::new(f))?;
    for b in blocks {
        let h = GsmtapHeader::um(
            b.arfcn.unwrap_or(0),
            b.pcs,
            0,
            b.fnum,
            um_channel(b.channel),
            b.signal_dbm,
            b.snr_db,
        );
        w.write_gsmtap(b.time, &h, &b.data)?;
    }
    let n = w.packets();
    w.finish()?;
    Ok(n)
}

/// Runs `decode`.
pub fn run(args: &DecodeArgs) -> anyhow::Result<()> {
    towerwatch_models::validate::check_id("sensor_id", &args.sensor_id)?;
    let rec = Recording::open(&args.input.file, args.input.raw())?;
    let opts = DecodeOptions {
        rat: args.rat,
        sensor_id: args.sensor_id.clone(),
        calibration_db: args.calibration_db,
        window_s: args.window,
        max_s: args.max_seconds,
        gsm_window_s: args.gsm_window,
    };
    let result = pipeline::decode_recording(&rec, &opts)?;
    if let Some(p) = &args.pcap {
        let n = write_pcap(p, &result.gsm_blocks)?;
        eprintln!("{}: {n} GSMTAP packet(s)", p.display());
    }
    if args.json {
        for o in &result.observations {
            println!("{}", serde_json::to_string(o)?);
        }
    } else {
        print!("{}", pipeline::render_table(&rec, &result));
    }
    Ok(())
}
