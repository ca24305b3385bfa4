//! `towerwatch-sensor decode FILE`: every cell in a recording, as Observations.

use crate::cli::InputArgs;
use crate::pipeline::{self, DecodeOptions, RatChoice};
use crate::source::Recording;
use clap::Args;

/// Options of `decode`.
#[derive(Debug, Clone, Args)]
pub struct DecodeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// One Observation (WIRE.md JSON) per line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Which radio access technology to look for.
    #[arg(long, value_enum, default_value_t = RatChoice::Auto)]
    pub rat: RatChoice,
    /// Sensor id written into the Observations.
    #[arg(long, default_value = "replay")]
    pub sensor_id: String,
    /// Calibration offset added to dBFS figures to give dBm.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub calibration_db: f64,
    /// Search window (a sensor's dwell), seconds.
    #[arg(long, default_value_t = 0.08)]
    pub window: f64,
    /// Decode at most this many seconds of the recording.
    #[arg(long)]
    pub max_seconds: Option<f64>,
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
    };
    let result = pipeline::decode_recording(&rec, &opts)?;
    if args.json {
        for o in &result.observations {
            println!("{}", serde_json::to_string(o)?);
        }
    } else {
        print!("{}", pipeline::render_table(&rec, &result));
    }
    Ok(())
}
