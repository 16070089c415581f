//! `tprog analyze`: what a run's program learned, read on the run's examples.

use std::path::PathBuf;

use tprog_pipeline::reading::{self, InputSet};
use tprog_program::explain::analyze;
use tprog_tasks::Split;
use tprog_train::session;

use crate::Status;
use crate::cmd::errors::parse_split;

/// Arguments of `tprog analyze`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run directory.
    pub run_dir: PathBuf,
    /// The split whose examples the heads and word counts are read on: train, val or test.
    #[arg(long, default_value = "val", value_parser = parse_split)]
    pub split: Split,
    /// Read program.simplified.json instead of program.json.
    #[arg(long)]
    pub simplified: bool,
    /// Entries per list (words per value, offsets, pairs, rows per class).
    #[arg(long, default_value_t = 8)]
    pub top: usize,
}

/// Runs `tprog analyze`.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let run = session::open(&args.run_dir)?;
    let program = reading::load(&run, args.simplified)?;
    let inputs = reading::inputs(&run, InputSet::Split(args.split))?;
    let analysis = analyze(&program, &inputs.tokens, args.top)?;
    outln!("program: {} ({})", program.name, inputs.description);
    crate::cmd::output::write_all(&analysis.to_text())?;
    Ok(Status::Done)
}
