//! `tprog import-reference`: turn a checkpoint saved by the reference implementation into a
//! tprog run directory (no Python needed), with its program, like a trained run.

use std::path::PathBuf;

use crate::Status;
use crate::cmd::tables;

/// Arguments of `tprog import-reference`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The reference's `model.pt` (a PyTorch state dict saved with `--save`).
    pub model_pt: PathBuf,
    /// The reference's `args.json` written next to it.
    pub args_json: PathBuf,
    /// The run directory to create.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace an existing run in that directory.
    #[arg(long)]
    pub overwrite: bool,
}

/// Runs `tprog import-reference`.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let (imported, summary) =
        tprog_pipeline::import::import(&args.model_pt, &args.args_json, &args.out, args.overwrite)?;
    note!(
        "imported {} → {} ({} derived from the config instead)",
        args.model_pt.display(),
        imported.run.root().display(),
        imported.ignored_buffers_summary(),
    );
    tables::note_program(&args.out, &summary);
    if let Some(faithful) = &summary.faithful {
        tables::print_agreement(&faithful.splits)?;
    }
    tables::print_runs(&[(args.out.clone(), summary)])?;
    Ok(Status::Done)
}
