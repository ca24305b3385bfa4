//! `towerwatch`: the umbrella command — decode and inspect recordings (the
//! same commands as `towerwatch-sensor`), render a city scenario into
//! per-sensor recordings (`simulate`), and run the whole system on one
//! (`demo`).

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use towerwatch::scenario::Scenario;
use towerwatch::simulate;
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
    /// Render what each sensor of a scenario would record (SigMF), plus truth.json.
    Simulate {
        /// The scenario (TOML).
        scenario: PathBuf,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// The whole system on a simulated city block: collector, broker, sensors, map.
    Demo(towerwatch::demo_cli::DemoArgs),
}

fn progress_bar(total: u64, quiet: bool, what: &str) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(total);
    pb.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

fn simulate_cmd(
    scenario: &std::path::Path,
    out: &std::path::Path,
    quiet: bool,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(scenario)
        .with_context(|| format!("reading {}", scenario.display()))?;
    let world = Scenario::parse(&text)?.resolve()?;
    eprintln!(
        "scenario {}: {} sensors, {} stations, channels {}; {} cycles of {:.2} s",
        world.scenario.name,
        world.sensors.len(),
        world.cells.len(),
        simulate::describe_plan(&world),
        world.scenario.time.cycles,
        world.cycle_s
    );
    let pb = progress_bar(0, quiet, "rendering");
    let r = simulate::render(&world, out, |done, total| {
        pb.set_length(total);
        pb.set_position(done);
    })?;
    pb.finish_and_clear();
    println!(
        "{} recordings, {:.1} MB of samples, truth in {}",
        r.recordings,
        r.bytes as f64 / 1e6,
        out.join("truth.json").display()
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Info { input, json } => cli::info::run(&input, json),
        Command::Decode(args) => cli::decode::run(&args),
        Command::Simulate {
            scenario,
            out,
            quiet,
        } => simulate_cmd(&scenario, &out, quiet),
        Command::Demo(args) => towerwatch::demo_cli::run(args),
    }
}
