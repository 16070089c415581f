//! `tprog simplify`: write the smallest program found with exactly the saved program's
//! predictions (`program.simplified.json` / `.py` beside the original) and report the sizes.

use std::path::PathBuf;

use tprog_pipeline::reading::{self, SIMPLIFIED_JSON, SIMPLIFIED_PY};
use tprog_train::session;

use crate::Status;

/// Arguments of `tprog simplify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run directory.
    pub run_dir: PathBuf,
}

/// Runs `tprog simplify`.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let run = session::open(&args.run_dir)?;
    let simplified = reading::simplify_run(&run)?;
    let (before, after) = (simplified.before, simplified.after);
    outln!("{:<14} {:>8} {:>11}", "", "original", "simplified");
    outln!(
        "{:<14} {:>8} {:>11}",
        "modules",
        before.modules,
        after.modules
    );
    outln!(
        "{:<14} {:>8} {:>11}",
        "python lines",
        before.python_lines,
        after.python_lines
    );
    outln!(
        "{:<14} {:>8} {:>11}   (without the shared runtime library and main)",
        "own lines",
        before.own_python_lines,
        after.own_python_lines
    );
    outln!(
        "{:<14} {:>8} {:>11}   (the heads' and MLPs' code alone: the paper's Table 4 measure)",
        "module lines",
        before.module_python_lines,
        after.module_python_lines
    );
    outln!(
        "{:<14} {:>8} {:>11}",
        "table entries",
        before.table_entries,
        after.table_entries
    );
    if let Some(provenance) = &simplified.program.provenance {
        outln!("evidence: {}", provenance.evidence);
    }
    outln!(
        "predictions identical on every evidence input; {} candidates checked in {} rounds, {:.1} s",
        simplified.checks,
        simplified.rounds,
        simplified.seconds
    );
    for (old, new) in &simplified.renames {
        outln!("renamed {old} -> {new}");
    }
    note!(
        "wrote {} and {}",
        run.dir.path(SIMPLIFIED_JSON).display(),
        run.dir.path(SIMPLIFIED_PY).display()
    );
    Ok(Status::Done)
}
