//! Fuzzes the `.pt` reader for a given time: the fixture checkpoint (or `--input`) under random
//! mutations (`tests/support/mutate.rs`), counting how each mutant was refused and saving every
//! input that made the reader panic.
//!
//! ```text
//! cargo run --release -p tprog-import --example fuzz_pt -- --seconds 600 [--seed N]
//!     [--input model.pt] [--crashes DIR]
//! ```

#[path = "../tests/support/mutate.rs"]
mod mutate;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use mutate::{Outcome, Rng, Seed, mutate, quiet_panics, run_reader};

/// The checkpoint copied from the reference run.
const CHECKPOINT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/reference/trained_sort_readme.model.pt"
);

struct Options {
    seconds: u64,
    seed: u64,
    input: PathBuf,
    crashes: PathBuf,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        seconds: 60,
        seed: 1,
        input: PathBuf::from(CHECKPOINT),
        crashes: std::env::temp_dir().join("fuzz_pt_crashes"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--seconds" => {
                options.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?
            }
            "--seed" => options.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--input" => options.input = PathBuf::from(value()?),
            "--crashes" => options.crashes = PathBuf::from(value()?),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!(
                "error: {message}\nusage: fuzz_pt [--seconds N] [--seed N] [--input model.pt] [--crashes DIR]"
            );
            return ExitCode::FAILURE;
        }
    };
    let seed = match Seed::load(&options.input) {
        Ok(seed) => seed,
        Err(error) => {
            eprintln!("error: cannot read {}: {error}", options.input.display());
            return ExitCode::FAILURE;
        }
    };
    quiet_panics();
    let mut rng = Rng::new(options.seed);
    let mut tally: BTreeMap<&str, u64> = BTreeMap::new();
    // One saved input per distinct panic (message and location).
    let mut panics: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let mut executions = 0u64;
    let start = Instant::now();
    let budget = Duration::from_secs(options.seconds);
    let mut next_report = Duration::from_secs(60);
    while start.elapsed() < budget {
        let mutant = mutate(&seed, &mut rng);
        executions += 1;
        match run_reader(&mutant.bytes) {
            Outcome::Read => *tally.entry("read").or_default() += 1,
            Outcome::Refused(variant) => *tally.entry(variant).or_default() += 1,
            Outcome::Panicked(message) => {
                *tally.entry("PANIC").or_default() += 1;
                let seen = panics.len();
                let entry = panics
                    .entry(message.clone())
                    .or_insert((0, mutant.description.clone()));
                entry.0 += 1;
                if panics.len() > seen {
                    let _ = std::fs::create_dir_all(&options.crashes);
                    let file = options.crashes.join(format!("crash_{seen}.pt"));
                    let _ = std::fs::write(&file, &mutant.bytes);
                    println!(
                        "new panic #{seen} after {executions} executions: {message}\n  mutations: {}\n  input saved to {}",
                        mutant.description,
                        file.display()
                    );
                }
            }
        }
        if start.elapsed() >= next_report {
            println!("{:>5} s: {executions} executions", next_report.as_secs());
            next_report += Duration::from_secs(60);
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "executions: {executions} in {seconds:.1} s ({:.0}/s), seed {}",
        executions as f64 / seconds,
        options.seed
    );
    println!("outcomes: {tally:?}");
    println!("distinct panics: {}", panics.len());
    for (message, (count, mutations)) in &panics {
        println!("  {count} × {message}\n    first mutations: {mutations}");
    }
    if panics.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
