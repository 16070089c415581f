//! `tprog export`: write a run's saved program (`program.json`) as Python or JSON.

use std::path::PathBuf;

use tprog_pipeline::saved::{self, ExportFormat};
use tprog_train::session;

use crate::Status;

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
    /// Write to this file instead of standard output (never one of a run's own files).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the --out file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Runs `tprog export`.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let run = session::open(&args.run_dir)?;
    let format = match args.format {
        Format::Python => ExportFormat::Python,
        Format::Json => ExportFormat::Json,
    };
    let text = saved::export(&run, format)?;
    match &args.out {
        Some(path) => {
            crate::cmd::output::write_file(path, text.as_bytes(), args.force)?;
            note!("wrote {}", path.display());
        }
        None => crate::cmd::output::write_all(&text)?,
    }
    Ok(Status::Done)
}
