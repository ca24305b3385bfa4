//! The decode pipeline: a recording's samples in, Observations out.
//!
//! The same composition runs for replay (`decode`) and, later, live scans:
//! samples are streamed, resampled to each RAT's search rate, handed to the
//! RAT's searcher in `towerwatch-dsp`, and each decoded cell becomes one
//! Observation (WIRE.md).

use crate::source::Recording;
use clap::ValueEnum;
use towerwatch_models::{Observation, Rat};

/// Which RATs `decode` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RatChoice {
    /// Every RAT with a decoder.
    Auto,
    /// LTE only.
    Lte,
    /// GSM only.
    Gsm,
    /// 5G NR only.
    Nr,
}

/// Options of a decode run.
#[derive(Debug, Clone)]
pub struct DecodeOptions {
    /// Which RATs.
    pub rat: RatChoice,
    /// Sensor id in the Observations.
    pub sensor_id: String,
    /// dBFS → dBm.
    pub calibration_db: f64,
}

/// What a decode run found.
#[derive(Debug, Clone, Default)]
pub struct DecodeResult {
    /// One per decoded cell.
    pub observations: Vec<Observation>,
    /// RATs searched.
    pub searched: Vec<Rat>,
}

/// A decode run that could not happen.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The RAT has no decoder in this build.
    #[error("no {0} decoder exists yet in this build of towerwatch")]
    NoDecoder(Rat),
    /// The recording could not be read.
    #[error(transparent)]
    Recording(#[from] crate::source::RecordingError),
    /// The recording lacks what decoding needs.
    #[error("{0}")]
    Unusable(String),
}

/// Decodes every cell of the chosen RATs in `rec`.
pub fn decode_recording(_rec: &Recording, opts: &DecodeOptions) -> Result<DecodeResult, DecodeError> {
    let rat = match opts.rat {
        RatChoice::Auto | RatChoice::Lte => Rat::Lte,
        RatChoice::Gsm => Rat::Gsm,
        RatChoice::Nr => Rat::Nr,
    };
    Err(DecodeError::NoDecoder(rat))
}

/// A readable table of the decoded cells.
pub fn render_table(rec: &Recording, r: &DecodeResult) -> String {
    let mut s = format!("{}: {} cell(s)\n", rec.name, r.observations.len());
    for o in &r.observations {
        s += &format!("  {}\n", o.cell.describe(o.rat));
    }
    s
}
