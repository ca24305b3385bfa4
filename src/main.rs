//! `towerwatch`: the umbrella command. Today it decodes and inspects
//! recordings (the same commands as `towerwatch-sensor`); `demo` and
//! `simulate` join as the city simulation lands.

use clap::{Parser, Subcommand};
use towerwatch_sensor::cli;

/// towerwatch: find rogue base stations.
#[derive(Debug, Parser)]
#[command(name = "towerwatch", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a recording's metadata, duration, datatype and power statistics.
    Info {
        #[command(flatten)]
        input: cli::InputArgs,
        /// One JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Decode every cell in a recording: one Observation per cell.
    Decode(cli::decode::DecodeArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Info { input, json } => cli::info::run(&input, json),
        Command::Decode(args) => cli::decode::run(&args),
    }
}
