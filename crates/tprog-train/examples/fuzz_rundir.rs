//! Mutation fuzzing of run-directory files for a given time:
//! `cargo run --release -p tprog-train --example fuzz_rundir -- --seconds 600 [--seed S]`.
//! Prints the executions, the rate and every input that made a loader panic.

use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let seconds = flag("--seconds", 60);
    let mut seed = flag("--seed", 1);
    let started = Instant::now();
    let (mut executions, mut panics) = (0usize, Vec::new());
    while started.elapsed() < Duration::from_secs(seconds) {
        match tprog_train::fuzz::run(seed, 1000) {
            Ok(found) => panics.extend(found),
            Err(error) => {
                eprintln!("cannot build the seed files: {error}");
                std::process::exit(1);
            }
        }
        executions += 1000;
        seed += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "fuzz_rundir: {executions} executions in {elapsed:.0} s ({:.0}/s), {} panics",
        executions as f64 / elapsed,
        panics.len()
    );
    for panic in panics.iter().take(20) {
        println!("  panic: {panic}");
    }
    std::process::exit(i32::from(!panics.is_empty()));
}
