//! Fuzzing the `.pt` reader, deterministically: the real checkpoint under a few thousand seeded
//! mutations (see `support/mutate.rs`) must read or be refused with a typed error, never panic.
//! `examples/fuzz_pt.rs` runs the same loop for as long as asked; inputs it found that once
//! panicked are kept below as regression tests.

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

#[path = "support/mutate.rs"]
mod mutate;

use std::collections::BTreeMap;
use std::path::Path;

use mutate::{Outcome, Rng, Seed, mutate, quiet_panics, run_reader};

/// The checkpoint copied from the reference run (see `tests/fixtures/reference/`).
const CHECKPOINT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/reference/trained_sort_readme.model.pt"
);

/// Mutants tried by the test (a few seconds in the dev profile).
const EXECUTIONS: usize = 3000;

#[test]
fn mutated_checkpoints_never_panic() {
    quiet_panics();
    let seed = Seed::load(Path::new(CHECKPOINT)).unwrap();
    assert!(matches!(run_reader(&seed.bytes), Outcome::Read));
    let mut rng = Rng::new(0x0074_7072_6f67);
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    let mut panics = Vec::new();
    for i in 0..EXECUTIONS {
        let mutant = mutate(&seed, &mut rng);
        match run_reader(&mutant.bytes) {
            Outcome::Read => *tally.entry("read").or_default() += 1,
            Outcome::Refused(variant) => *tally.entry(variant).or_default() += 1,
            Outcome::Panicked(message) => {
                panics.push(format!("mutant {i} ({}): {message}", mutant.description));
            }
        }
    }
    assert!(panics.is_empty(), "{}", panics.join("\n"));
    // The mutations reach past the zip layer into the pickle and the tensor views.
    for layer in ["NotZip", "MalformedPickle", "CorruptEntry"] {
        assert!(tally.get(layer).copied().unwrap_or(0) > 0, "{tally:?}");
    }
    assert!(tally.len() >= 6, "{tally:?}");
}
