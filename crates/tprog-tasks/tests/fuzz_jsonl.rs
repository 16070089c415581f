//! Seeded-mutation fuzzing of the JSONL loader on a fixed set of seeds (see `fuzzing/mod.rs`;
//! `cargo run --release --example fuzz_jsonl -- --seconds N` runs it for longer), and the
//! regression cases it found.

#![allow(clippy::unwrap_used)]

mod fuzzing;

use std::time::{Duration, Instant};

#[test]
fn mutated_files_load_or_fail_cleanly() {
    let start = Instant::now();
    // Bounded by count and by time, so a slow machine stays under ~15 s.
    let summary = fuzzing::run(0..30_000, Some(start + Duration::from_secs(15)));
    assert!(
        summary.executions >= 500,
        "only {} executions",
        summary.executions
    );
    assert!(
        summary.loaded >= summary.executions / 50,
        "few cases load: {summary:?}"
    );
    assert!(
        summary.panics.is_empty(),
        "panics (seed, message): {:?}",
        summary.panics
    );
}
