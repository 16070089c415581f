//! `tprog export`: write a run's program as Python or JSON.

use std::path::PathBuf;

use anyhow::Context;
use tprog_program::to_python;
use tprog_train::session;

use crate::cmd::program;

/// Output formats of `tprog export`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// One self-contained Python file (standard library only) exposing `run(tokens)`.
    Python,
    /// The program IR as versioned JSON (readable by `tprog run`).
    Json,
}

/// Arguments of `tprog export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run directory.
    pub run_dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "python")]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `tprog export`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let run = session::open(&args.run_dir)?;
    let model = session::load_model(&run)?;
    let program = program::decompile_run(&run, &model)?;
    let text = match args.format {
        Format::Python => to_python(&program),
        Format::Json => program.to_json() + "\n",
    };
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}
