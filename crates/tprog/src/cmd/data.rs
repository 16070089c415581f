//! `tprog data`: generate a task's dataset.

/// Arguments of `tprog data`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tprog data`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
