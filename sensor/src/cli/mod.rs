//! Subcommands of `towerwatch-sensor`.

pub mod decode;
pub mod info;
pub mod run;

use crate::source::RawFormat;
use clap::Args;
use towerwatch_dsp::iq::DataType;

/// How to read a recording (options shared by `info` and `decode`).
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// A SigMF recording (`NAME`, `NAME.sigmf-meta` or `NAME.sigmf-data`) or a raw IQ file.
    pub file: std::path::PathBuf,
    /// Sample format of a raw file: cf32_le (GNU Radio .cfile), ci16_le, ci8 (HackRF .bin), cu8 (rtl_sdr .bin).
    #[arg(long, value_parser = parse_datatype)]
    pub format: Option<DataType>,
    /// Sample rate of a raw file, samples per second (e.g. 1.92e6).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Centre frequency of a raw file, Hz (e.g. 806e6).
    #[arg(long)]
    pub freq: Option<f64>,
}

impl InputArgs {
    /// The raw-file description given on the command line.
    pub fn raw(&self) -> RawFormat {
        RawFormat {
            datatype: self.format,
            sample_rate: self.rate,
            frequency: self.freq,
        }
    }
}

fn parse_datatype(s: &str) -> Result<DataType, String> {
    s.parse()
        .map_err(|e: towerwatch_dsp::iq::UnsupportedDataType| e.to_string())
}
