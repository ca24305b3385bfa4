//! `towerwatch-sensor`: the sensor node's command line.

use clap::{Parser, Subcommand};
use towerwatch_sensor::cli;

/// towerwatch sensor: scan, decode and report the cells around this node.
#[derive(Debug, Parser)]
#[command(name = "towerwatch-sensor", version, about, long_about = None)]
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
    /// Run the sensor daemon: scan, decode, publish (see sensor.example.toml).
    Run(cli::run::RunArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Info { input, json } => cli::info::run(&input, json),
        Command::Decode(args) => cli::decode::run(&args),
        Command::Run(args) => cli::run::run(&args),
    }
}
