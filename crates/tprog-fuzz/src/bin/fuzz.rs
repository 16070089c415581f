//! Runs the fuzz targets for a given time and reports, per target, executions, loaded inputs,
//! time and panics (each panicking input is saved to `$TMPDIR/fuzz_<target>_crash_<seed>.bin`):
//!
//! ```text
//! cargo run --release -p tprog-fuzz -- --target program|jsonl|rundir|pt|all --seconds N [--seed S]
//! ```
//!
//! Exits 0 when nothing panicked, 1 when something did (or a target could not be set up), 2 on
//! a usage error.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use tprog_fuzz::targets::{JsonlTarget, ProgramTarget, PtTarget, RundirTarget};
use tprog_fuzz::{FuzzError, Limits, Summary, Target, run};

/// Seeded-mutation fuzzing of tprog's loaders.
#[derive(Debug, Parser)]
#[command(name = "fuzz")]
struct Args {
    /// Which target to run (`all`: each in turn, for `--seconds` each).
    #[arg(long, value_enum)]
    target: Which,
    /// How long to run each target, in seconds.
    #[arg(long)]
    seconds: u64,
    /// The first seed; cases use consecutive seeds from here (the tests use small seeds).
    #[arg(long, default_value_t = 1 << 32)]
    seed: u64,
}

/// The targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    /// Program JSON loader and interpreter.
    Program,
    /// JSONL dataset loader.
    Jsonl,
    /// Run-directory files (safetensors, config.json, state.json).
    Rundir,
    /// The reference's `.pt` checkpoints.
    Pt,
    /// Every target, one after the other.
    All,
}

/// Runs one target and prints its report; returns the number of panics.
fn fuzz<T: Target>(target: &T, seed: u64, seconds: u64) -> usize {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let limits = Limits {
        deadline: Some(deadline),
        report_every: Some(Duration::from_secs(60)),
    };
    let summary = run(target, seed.., limits);
    report(target.name(), seed, &summary);
    summary.panics.len()
}

/// Prints one target's report.
fn report(name: &str, seed: u64, summary: &Summary) {
    let seconds = summary.elapsed.as_secs_f64();
    println!(
        "{name}: {} executions ({} loaded) in {seconds:.1} s ({:.0}/s) from seed {seed}, {} panics",
        summary.executions,
        summary.loaded,
        summary.executions as f64 / seconds.max(1e-9),
        summary.panics.len()
    );
    println!("  refused: {:?}", summary.refused);
    for panic in &summary.panics {
        let saved = panic.saved.as_ref().map_or("not saved".to_string(), |p| {
            format!("saved to {}", p.display())
        });
        println!("  panic, seed {}: {} ({saved})", panic.seed, panic.message);
        if !panic.description.is_empty() {
            println!("    case: {}", panic.description);
        }
    }
}

/// Sets up and runs `which` (not `All`); a setup failure counts as a failure.
fn fuzz_one(which: Which, seed: u64, seconds: u64) -> Result<usize, FuzzError> {
    Ok(match which {
        Which::Program => fuzz(&ProgramTarget::new(), seed, seconds),
        Which::Jsonl => fuzz(&JsonlTarget::new(), seed, seconds),
        Which::Rundir => fuzz(&RundirTarget::new()?, seed, seconds),
        Which::Pt => fuzz(&PtTarget::new()?, seed, seconds),
        Which::All => 0,
    })
}

fn main() -> ExitCode {
    // clap exits with status 2 and a usage message on a bad command line.
    let args = Args::parse();
    let targets = match args.target {
        Which::All => vec![Which::Program, Which::Jsonl, Which::Rundir, Which::Pt],
        one => vec![one],
    };
    let mut failed = false;
    for which in targets {
        match fuzz_one(which, args.seed, args.seconds) {
            Ok(panics) => failed |= panics > 0,
            Err(error) => {
                eprintln!("error: {which:?}: {error}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
