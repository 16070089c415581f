//! The `tprog` command line: argument parsing around library calls.
//!
//! Each subcommand lives in its own file under `cmd/`, turns raw flags into validated library
//! requests and calls `tprog-pipeline` (or the library crates). Exit codes: 0 success (also
//! when a reader closes the pipe early), 1 an error (printed with its causes), 2 a usage error,
//! 130 interrupted by Ctrl-C after saving the last good checkpoint.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Prints a line to standard output; a failed write returns a `StdoutError` from the caller.
macro_rules! outln {
    () => {
        $crate::cmd::output::write_line(format_args!(""))?
    };
    ($($arg:tt)*) => {
        $crate::cmd::output::write_line(format_args!($($arg)*))?
    };
}

/// Prints a line to standard error, best effort.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::cmd::output::note(format_args!($($arg)*))
    };
}

mod cmd;

use cmd::output::StdoutError;

/// Learn Transformer Programs: train an interpretable Transformer, decompile it into a
/// program, verify that the program equals the model, run and export it.
#[derive(Debug, Parser)]
#[command(name = "tprog", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the built-in tasks with their parameters and the paper's settings.
    Tasks(cmd::tasks::Args),
    /// Generate a task's dataset (or read an NLP data set with --data-dir): print split sizes
    /// and examples, or write it as JSONL.
    Data(cmd::data::Args),
    /// Learn a program for a task: train, decompile, verify, export (or --resume a run);
    /// or train the standard Transformer baseline (--model standard).
    Train(Box<cmd::train::Args>),
    /// Accuracy of a run's discrete model on its splits or on a JSONL file.
    Eval(cmd::eval::Args),
    /// Check the run's saved program.json (and program.py) against its discrete model;
    /// --exhaustive: exact accuracy on every input of the task.
    Verify(cmd::verify::Args),
    /// Write a run's saved program as Python or JSON.
    Export(cmd::export::Args),
    /// Import a checkpoint saved by the reference implementation (model.pt + args.json).
    ImportReference(cmd::import::Args),
    /// Run a program on input tokens: print the labels, or a trace of every variable.
    Run(cmd::run::Args),
    /// Simplify a run's program: the smallest program found with exactly its predictions
    /// (checked on every input of the task, or every example), written beside the original.
    Simplify(cmd::simplify::Args),
    /// Draw a run's program as a circuit: inputs, heads, MLPs and the classifier, with arrows
    /// for what each reads (DOT or SVG).
    Graph(cmd::graph::Args),
    /// Explain one input: at each position the keys the heads selected, the table entries hit,
    /// the classifier features that decided (text, and --html for a clickable page).
    Explain(cmd::explain::Args),
    /// The program's wrong predictions grouped by (position, expected, predicted), each with a
    /// count and an explained representative.
    Errors(cmd::errors::Args),
    /// What a program learned: per embedding variable its most frequent words per value, per
    /// head where it looks and which words it links, per class its strongest classifier rows.
    Analyze(cmd::analyze::Args),
    /// The count baselines on an NLP data set: unigram tagger (conll_ner), naive Bayes (trec,
    /// mr, subj, ag_news).
    Baseline(cmd::baseline::Args),
    /// Sweeps: run a grid of runs from a TOML file here or on a Slurm cluster, see where each
    /// stands, collect every result into one table and one plot.
    Sweep(cmd::sweep::Args),
    /// Overlay several runs' training curves (loss, temperature, validation accuracy per
    /// epoch) in one picture, a legend naming each run.
    Plot(cmd::plot::Args),
}

/// What a command asks `main` to exit with, besides an error.
pub enum Status {
    /// Success.
    Done,
    /// Interrupted by Ctrl-C after saving.
    Interrupted,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Tasks(args) => cmd::tasks::run(args),
        Command::Data(args) => cmd::data::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Train(args) => cmd::train::run(*args),
        Command::Eval(args) => cmd::eval::run(args),
        Command::ImportReference(args) => cmd::import::run(args),
        Command::Verify(args) => cmd::verify::run(args),
        Command::Export(args) => cmd::export::run(args),
        Command::Simplify(args) => cmd::simplify::run(args),
        Command::Graph(args) => cmd::graph::run(args),
        Command::Explain(args) => cmd::explain::run(args),
        Command::Errors(args) => cmd::errors::run(args),
        Command::Analyze(args) => cmd::analyze::run(args),
        Command::Baseline(args) => cmd::baseline::run(args),
        Command::Sweep(args) => cmd::sweep::run(args),
        Command::Plot(args) => cmd::plot::run(args),
    };
    let result = result.and_then(|status| {
        cmd::output::flush()?;
        Ok(status)
    });
    match result {
        Ok(Status::Done) => ExitCode::SUCCESS,
        Ok(Status::Interrupted) => ExitCode::from(130),
        Err(error) => report(&error),
    }
}

/// Prints an error with its causes, each said once; a closed standard output is no error.
fn report(error: &anyhow::Error) -> ExitCode {
    if let Some(stdout) = error.downcast_ref::<StdoutError>()
        && stdout.is_closed_pipe()
    {
        return ExitCode::SUCCESS;
    }
    let mut said = error.to_string();
    note!("error: {said}");
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if said.contains(&text) {
            continue;
        }
        note!("  caused by: {text}");
        said.push_str(&text);
    }
    ExitCode::FAILURE
}
