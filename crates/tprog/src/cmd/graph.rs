//! `tprog graph`: the program's circuit as a picture (Graphviz DOT, or an SVG laid out by
//! tprog itself, no external tool).

use std::path::PathBuf;

use tprog_pipeline::reading;
use tprog_program::graph::{Circuit, to_dot, to_svg};
use tprog_train::session;

use crate::Status;

/// Output formats of `tprog graph`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Graphviz DOT text (render with `dot -Tsvg`).
    Dot,
    /// A standalone SVG document.
    Svg,
}

/// Arguments of `tprog graph`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run directory.
    pub run_dir: PathBuf,
    /// Draw program.simplified.json (written by `tprog simplify`) instead of program.json.
    #[arg(long)]
    pub simplified: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "svg")]
    pub format: Format,
    /// Write to this file instead of standard output (never one of a run's own files).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the --out file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Runs `tprog graph`.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let run = session::open(&args.run_dir)?;
    let program = reading::load(&run, args.simplified)?;
    let circuit = Circuit::of(&program);
    let text = match args.format {
        Format::Dot => to_dot(&circuit),
        Format::Svg => to_svg(&circuit),
    };
    match &args.out {
        Some(path) => {
            crate::cmd::output::write_file(path, text.as_bytes(), args.force)?;
            note!("wrote {}", path.display());
        }
        None => crate::cmd::output::write_all(&text)?,
    }
    Ok(Status::Done)
}
