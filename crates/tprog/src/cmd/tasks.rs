//! `tprog tasks`: list the built-in tasks.

/// Arguments of `tprog tasks`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tprog tasks`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
