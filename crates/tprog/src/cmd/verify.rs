//! `tprog verify`: check the run's **saved** program (`program.json`, and `program.py` when
//! present) against its discrete model on every example, or measure the program's exact
//! accuracy on every input of the task (`--exhaustive`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use tprog_decompile::verify_exhaustive;
use tprog_pipeline::saved::{self, PythonCheck};
use tprog_tasks::Task;
use tprog_train::TaskSource;
use tprog_train::session;

use crate::Status;
use crate::cmd::tables;

/// Arguments of `tprog verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run directory.
    pub run_dir: PathBuf,
    /// Compare on this JSONL file (`.jsonl` or `.jsonl.gz`) instead of the run's splits.
    #[arg(long, conflicts_with = "exhaustive")]
    pub data: Option<PathBuf>,
    /// Also run the program on every input the task's generator can produce and report its
    /// exact accuracy against the task's labels, with the first counterexamples.
    #[arg(long)]
    pub exhaustive: bool,
    /// Counterexamples to print with --exhaustive.
    #[arg(long, default_value_t = 5)]
    pub counterexamples: usize,
}

/// Runs `tprog verify`.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let run = session::open(&args.run_dir)?;
    let checked = saved::verify(&run, args.data.as_deref())?;
    note!(
        "program.json: {} modules; program.py: {}",
        checked.program.modules.len(),
        match checked.python {
            PythonCheck::Matches => "the export of program.json",
            PythonCheck::Missing => "absent",
        }
    );
    tables::print_agreement(&checked.splits)?;
    if !args.exhaustive {
        return Ok(Status::Done);
    }
    let TaskSource::Generated { task, params } = &run.config.data else {
        bail!("--exhaustive needs a built-in task; this run trained on a file");
    };
    let task = Task::new(*task, *params)?;
    let started = Instant::now();
    let report = verify_exhaustive(&checked.program, &task, args.counterexamples)?;
    let seconds = started.elapsed().as_secs_f64();
    outln!(
        "\nexhaustive: {} inputs ({} scored positions) in {:.3} s — exact accuracy {:.4}% \
         of positions, {:.4}% of sequences",
        report.sequences,
        report.positions,
        seconds,
        100.0 * report.accuracy(),
        100.0 * report.sequence_accuracy()
    );
    for c in &report.counterexamples {
        outln!(
            "  input {:?}\n    expected {:?}\n    program  {:?}",
            c.tokens.join(" "),
            c.expected.join(" "),
            c.predicted.join(" ")
        );
    }
    Ok(Status::Done)
}
