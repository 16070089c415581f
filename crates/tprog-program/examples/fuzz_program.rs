//! Fuzzes the program loader (JSON) for a while: `cargo run --release -p tprog-program --example
//! fuzz_program -- --seconds 600 [--seed S]`. Prints executions and panics; each panicking case
//! is written to `$TMPDIR/fuzz_program_crash_SEED.bin` to be turned into a regression test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/fuzzing/mod.rs"]
mod fuzzing;

use std::process::ExitCode;
use std::time::{Duration, Instant};

/// `--seconds N` and `--seed S` from the command line.
fn arguments() -> Result<(u64, u64), String> {
    let mut seconds = 60;
    let mut seed = 1 << 32;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number = value
            .parse::<u64>()
            .map_err(|e| format!("{flag} {value}: {e}"))?;
        match flag.as_str() {
            "--seconds" => seconds = number,
            "--seed" => seed = number,
            _ => return Err(format!("unknown flag {flag} (use --seconds N, --seed S)")),
        }
    }
    Ok((seconds, seed))
}

fn main() -> ExitCode {
    let (seconds, seed) = match arguments() {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    // Panics are counted and reported below; keep the default hook's output short.
    std::panic::set_hook(Box::new(|info| eprintln!("panic: {info}")));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut next = seed;
    let mut executions = 0;
    let mut loaded = 0;
    let mut panics = Vec::new();
    while Instant::now() < deadline {
        // Batches of 1000, reporting between them.
        let summary = fuzzing::run(next..next + 1_000, Some(deadline));
        next += 1_000;
        executions += summary.executions;
        loaded += summary.loaded;
        for (seed, message) in summary.panics {
            let path = std::env::temp_dir().join(format!("fuzz_program_crash_{seed}.bin"));
            let _ = std::fs::write(&path, fuzzing::case(seed));
            eprintln!("seed {seed}: {message} (case in {})", path.display());
            panics.push(seed);
        }
        if executions % 50_000 < 1_000 {
            eprintln!(
                "{:.0} s: {executions} executions ({loaded} loaded), {} panics",
                start.elapsed().as_secs_f64(),
                panics.len()
            );
        }
    }
    println!(
        "fuzz_program: {executions} executions ({loaded} loaded) in {:.1} s from seed {seed}, {} panics{}",
        start.elapsed().as_secs_f64(),
        panics.len(),
        if panics.is_empty() {
            String::new()
        } else {
            format!(" (seeds {panics:?})")
        }
    );
    if panics.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
