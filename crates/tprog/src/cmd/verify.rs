//! `tprog verify`: check that a run's program equals its discrete model on every example, or
//! measure the program's exact accuracy on every input of the task (`--exhaustive`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use tprog_decompile::{Examples, verify, verify_exhaustive};
use tprog_tasks::Task;
use tprog_train::TaskSource;
use tprog_train::session;

use crate::cmd::program;

/// Arguments of `tprog verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run directory.
    pub run_dir: PathBuf,
    /// Compare on this JSONL file (`.jsonl` or `.jsonl.gz`) instead of the run's splits.
    #[arg(long, conflicts_with = "exhaustive")]
    pub data: Option<PathBuf>,
    /// Run the program on every input the task's generator can produce and report its exact
    /// accuracy against the task's labels, with the first counterexamples.
    #[arg(long)]
    pub exhaustive: bool,
    /// Counterexamples to print with --exhaustive.
    #[arg(long, default_value_t = 5)]
    pub counterexamples: usize,
}

/// Runs `tprog verify`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let run = session::open(&args.run_dir)?;
    let mut model = session::load_model(&run)?;
    let started = Instant::now();
    let program = program::decompile_run(&run, &model)?;
    eprintln!(
        "decompiled {} modules in {:.2} s",
        program.modules.len(),
        started.elapsed().as_secs_f64()
    );
    if args.exhaustive {
        let TaskSource::Generated { task, params } = &run.config.data else {
            bail!("--exhaustive needs a built-in task; this run trained on a file");
        };
        let task = Task::new(*task, *params)?;
        // Program == model first, on the run's own splits.
        program::report_agreement(&program::verify_splits(&run, &mut model, &program)?)?;
        let started = Instant::now();
        let report = verify_exhaustive(&program, &task, args.counterexamples)?;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "\nexhaustive: {} inputs ({} scored positions) in {:.3} s — exact accuracy {:.4}% \
             of positions, {:.4}% of sequences",
            report.sequences,
            report.positions,
            seconds,
            100.0 * report.accuracy(),
            100.0 * report.sequence_accuracy()
        );
        for c in &report.counterexamples {
            println!(
                "  input {:?}\n    expected {:?}\n    program  {:?}",
                c.tokens.join(" "),
                c.expected.join(" "),
                c.predicted.join(" ")
            );
        }
        return Ok(());
    }
    let rows = match &args.data {
        Some(path) => {
            let encoded = session::encode_file(&run, path)?;
            let agreement = verify(&mut model, &program, &Examples::from_split(&encoded))?;
            vec![(path.display().to_string(), agreement)]
        }
        None => program::verify_splits(&run, &mut model, &program)?
            .into_iter()
            .map(|(name, agreement)| (name.to_owned(), agreement))
            .collect(),
    };
    program::report_agreement(&rows)
}
