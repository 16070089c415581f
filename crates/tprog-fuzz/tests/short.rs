//! The fuzzers in CI: each target on a fixed seed range (bounded by time too, so a slow machine
//! stays within budget), with the checks the long runs make plus per-target floors: enough
//! executions, enough inputs that load, refusals from the reader's deeper layers. The long run
//! is `cargo run --release -p tprog-fuzz -- --target all --seconds N`.

use std::time::{Duration, Instant};

use tprog_fuzz::targets::{JsonlTarget, ProgramTarget, PtTarget, RundirTarget};
use tprog_fuzz::{Limits, Summary, Target, run};

/// Runs `target` on `seeds`, stopping after `seconds`, and requires no panic.
fn fuzz<T: Target>(target: &T, seeds: std::ops::Range<u64>, seconds: u64) -> Summary {
    let limits = Limits {
        deadline: Some(Instant::now() + Duration::from_secs(seconds)),
        report_every: None,
    };
    let summary = run(target, seeds, limits);
    eprintln!(
        "{}: {} executions, {} loaded, {:?} refused, {:.2} s",
        target.name(),
        summary.executions,
        summary.loaded,
        summary.refused,
        summary.elapsed.as_secs_f64()
    );
    assert!(
        summary.panics.is_empty(),
        "{} panics: {:#?}",
        summary.panics.len(),
        summary.panics
    );
    summary
}

#[test]
fn mutated_programs_load_and_run_or_fail_cleanly() {
    let summary = fuzz(&ProgramTarget::new(), 0..3_000, 15);
    assert!(summary.executions >= 300, "{summary:?}");
    assert!(
        summary.loaded >= summary.executions / 50,
        "few cases load: {summary:?}"
    );
}

#[test]
fn mutated_jsonl_files_load_or_fail_cleanly() {
    let summary = fuzz(&JsonlTarget::new(), 0..30_000, 15);
    assert!(summary.executions >= 500, "{summary:?}");
    assert!(
        summary.loaded >= summary.executions / 50,
        "few cases load: {summary:?}"
    );
}

#[test]
fn mutated_run_files_never_panic() {
    let summary = fuzz(&RundirTarget::new().unwrap(), 0..3_000, 15);
    assert!(summary.executions >= 300, "{summary:?}");
}

#[test]
fn mutated_checkpoints_never_panic() {
    let target = PtTarget::new().unwrap();
    let summary = fuzz(&target, 0..3_000, 15);
    assert!(summary.executions >= 300, "{summary:?}");
    // The mutations reach past the zip layer into the pickle and the tensor views.
    for layer in ["NotZip", "MalformedPickle", "CorruptEntry"] {
        assert!(
            summary.refused.get(layer).copied().unwrap_or(0) > 0,
            "{summary:?}"
        );
    }
    let kinds = summary.refused.len() + usize::from(summary.loaded > 0);
    assert!(kinds >= 6, "{summary:?}");
}

#[test]
fn a_flipped_byte_in_a_saved_model_is_found_by_its_checksum() {
    let seeds = tprog_fuzz::targets::rundir::seeds().unwrap();
    let config: tprog_train::RunConfig = serde_json::from_str(&seeds.config).unwrap();
    let mut model = config.model.init(0).unwrap();
    let path = std::path::Path::new("model.safetensors");
    model.load_safetensors_bytes(&seeds.model, path).unwrap();
    // Flip one bit in the last tensor byte (data, not header).
    let mut corrupted = seeds.model.clone();
    let last = corrupted.len() - 1;
    corrupted[last] ^= 0x10;
    let error = model
        .load_safetensors_bytes(&corrupted, path)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("checksum") && error.contains("model.safetensors"),
        "{error}"
    );
    let mut corrupted = seeds.checkpoint.clone();
    let last = corrupted.len() - 1;
    corrupted[last] ^= 0x01;
    let error = tprog_train::checkpoint::restore_bytes(&corrupted, path, model.params_mut())
        .unwrap_err()
        .to_string();
    assert!(error.contains("checksum"), "{error}");
}

#[test]
fn a_panicking_case_is_counted_and_saved() {
    /// A target whose loader panics on every third seed.
    struct Brittle;
    impl Target for Brittle {
        type Case = Vec<u8>;
        fn name(&self) -> &'static str {
            "brittle_test"
        }
        fn case(&self, seed: u64) -> Vec<u8> {
            seed.to_le_bytes().to_vec()
        }
        fn bytes<'a>(&self, case: &'a Vec<u8>) -> &'a [u8] {
            case
        }
        fn execute(&self, seed: u64, _case: &Vec<u8>) -> tprog_fuzz::Outcome {
            assert!(seed % 3 != 0, "seed {seed} breaks it");
            tprog_fuzz::Outcome::Loaded
        }
    }
    let summary = run(&Brittle, 1..10, Limits::default());
    assert_eq!(summary.executions, 9);
    assert_eq!(summary.loaded, 6);
    let seeds: Vec<u64> = summary.panics.iter().map(|p| p.seed).collect();
    assert_eq!(seeds, [3, 6, 9]);
    let first = &summary.panics[0];
    assert!(first.message.contains("seed 3 breaks it"), "{first:?}");
    assert!(first.message.contains("short.rs"), "{first:?}");
    let saved = first.saved.as_ref().unwrap();
    assert_eq!(std::fs::read(saved).unwrap(), 3u64.to_le_bytes());
    for panic in &summary.panics {
        if let Some(path) = &panic.saved {
            let _ = std::fs::remove_file(path);
        }
    }
}
