//! The `tprog` command line: argument parsing and glue only.
//!
//! Each subcommand lives in its own file under `cmd/`, turns raw flags into validated library
//! configs and calls the library crates. Errors are printed with their cause chain.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

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
    /// Generate a task's dataset: print split sizes and examples, or write it as JSONL.
    Data(cmd::data::Args),
    /// Learn a program for a task: train, decompile, verify, export (or --resume a run).
    Train(cmd::train::Args),
    /// Accuracy of a run's discrete model on its splits or on a JSONL file.
    Eval(cmd::eval::Args),
    /// Check that a run's program equals its discrete model; --exhaustive: exact accuracy on
    /// every input of the task.
    Verify(cmd::verify::Args),
    /// Write a run's program as Python or JSON.
    Export(cmd::export::Args),
    /// Import a checkpoint saved by the reference implementation (model.pt + args.json).
    ImportReference(cmd::import::Args),
    /// Run a program on input tokens: print the labels, or a trace of every variable.
    Run(cmd::run::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Tasks(args) => cmd::tasks::run(args),
        Command::Data(args) => cmd::data::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Train(args) => cmd::train::run(args),
        Command::Eval(args) => cmd::eval::run(args),
        Command::ImportReference(args) => cmd::import::run(args),
        Command::Verify(args) => cmd::verify::run(args),
        Command::Export(args) => cmd::export::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}
