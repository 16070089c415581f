//! `tprog import-reference`: turn a checkpoint saved by the reference implementation into a
//! tprog run directory (no Python needed), then evaluate it like any run.

use std::path::PathBuf;

use tprog_train::import::import_reference;

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
pub fn run(args: Args) -> anyhow::Result<()> {
    let imported = import_reference(&args.model_pt, &args.args_json, &args.out, args.overwrite)?;
    eprintln!(
        "imported {} → {} ({} buffers derived from the config instead: {})",
        args.model_pt.display(),
        imported.run.root().display(),
        imported.ignored_buffers.len(),
        imported.ignored_buffers.join(", ")
    );
    crate::cmd::eval::run(crate::cmd::eval::Args {
        run_dir: args.out,
        data: None,
    })
}
