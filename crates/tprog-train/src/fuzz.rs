//! Mutation fuzzing of what a run directory holds: `model.safetensors`, `checkpoint.safetensors`,
//! `config.json` and `state.json` are mutated (bit flips, truncation, inserted and repeated
//! bytes, edited numbers) and loaded the way `tprog` loads them; every attempt must give a
//! value or a clean error, never a panic. Used by `tests/fuzz_rundir.rs` (a few seconds) and
//! `examples/fuzz_rundir.rs` (for as long as asked).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tprog_model::ModelConfig;
use tprog_tasks::TaskName;

use crate::checkpoint::{self, LoopState, checkpoint_bytes};
use crate::{Preset, RunConfig, TaskSource, data};

/// The valid files mutations start from.
pub struct Seeds {
    /// `config.json` text.
    pub config: String,
    /// `state.json` text.
    pub state: String,
    /// `model.safetensors` bytes.
    pub model: Vec<u8>,
    /// `checkpoint.safetensors` bytes.
    pub checkpoint: Vec<u8>,
}

/// Valid files of a tiny sort run.
pub fn seeds() -> Result<Seeds, crate::TrainError> {
    let resolved = Preset::Tiny.resolve(TaskName::Sort);
    let source = TaskSource::Generated {
        task: TaskName::Sort,
        params: resolved.params,
    };
    let dataset = data::load(&source)?;
    let config = RunConfig {
        name: "sort".into(),
        preset: Some("tiny".into()),
        data: source,
        shape: data::shape_of(&dataset),
        model: resolved.model_config(&dataset),
        train: resolved.train.clone(),
    };
    let model = config.model.init(0)?;
    let state = LoopState {
        epochs_completed: 3,
        adam_steps: 12,
        best_val: 0.5,
        best_epoch: 2,
        epochs_since_best: 1,
        seconds: 1.5,
    };
    let json = |value: &dyn erased_json::Json| value.text();
    Ok(Seeds {
        config: json(&config),
        state: json(&state),
        model: model.to_safetensors_bytes()?,
        checkpoint: checkpoint_bytes(model.params(), &state)?,
    })
}

mod erased_json {
    /// Pretty JSON of a serialisable value.
    pub trait Json {
        /// The JSON text.
        fn text(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn text(&self) -> String {
            serde_json::to_string_pretty(self).unwrap_or_default()
        }
    }
}

/// One random mutation of `bytes`.
pub fn mutate(rng: &mut ChaCha8Rng, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let rounds = rng.gen_range(1..=4);
    for _ in 0..rounds {
        if out.is_empty() {
            out.push(rng.r#gen());
            continue;
        }
        let at = rng.gen_range(0..out.len());
        match rng.gen_range(0..7) {
            0 => out[at] ^= 1 << rng.gen_range(0..8),
            1 => out[at] = rng.r#gen(),
            2 => out.truncate(at),
            3 => out.insert(at, rng.r#gen()),
            4 => {
                let end = (at + rng.gen_range(1..64)).min(out.len());
                let chunk = out[at..end].to_vec();
                out.splice(at..at, chunk);
            }
            5 => {
                // An ASCII digit becomes a run of digits: huge numbers in JSON headers.
                if let Some(offset) = out[at..].iter().position(u8::is_ascii_digit) {
                    let digits = b"99999999999999999999".to_vec();
                    out.splice(at + offset..at + offset + 1, digits);
                }
            }
            _ => {
                let end = (at + rng.gen_range(1..16)).min(out.len());
                out.drain(at..end);
            }
        }
    }
    out
}

/// Loads one randomly chosen kind of file, mutated; describes the input if loading panicked.
pub fn round(rng: &mut ChaCha8Rng, seeds: &Seeds, template: &ModelConfig) -> Option<String> {
    let path = Path::new("fuzzed");
    let kind = rng.gen_range(0..4);
    let (name, input) = match kind {
        0 => ("model.safetensors", mutate(rng, &seeds.model)),
        1 => ("checkpoint.safetensors", mutate(rng, &seeds.checkpoint)),
        2 => ("config.json", mutate(rng, seeds.config.as_bytes())),
        _ => ("state.json", mutate(rng, seeds.state.as_bytes())),
    };
    let attempt = catch_unwind(AssertUnwindSafe(|| match kind {
        0 => {
            if let Ok(mut model) = template.init(0) {
                let _ = model.load_safetensors_bytes(&input, path);
            }
        }
        1 => {
            if let Ok(mut model) = template.init(0) {
                let _ = checkpoint::restore_bytes(&input, path, model.params_mut());
                let _ = checkpoint::stored_state(&input, path);
            }
        }
        2 => {
            // What `session::open` and `load_model` do with a config.json.
            if let Ok(text) = std::str::from_utf8(&input)
                && let Ok(config) = serde_json::from_str::<RunConfig>(text)
                && config.model.validate().is_ok()
                && config.train.validate().is_ok()
            {
                let _ = config.model.init(config.train.seed);
            }
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(&input) {
                let _ = serde_json::from_str::<LoopState>(text);
            }
        }
    }));
    attempt.is_err().then(|| {
        format!(
            "{name}: {} bytes, starting {:?}",
            input.len(),
            &input[..input.len().min(64)]
        )
    })
}

/// Runs `rounds` mutations from `seed`; returns the descriptions of the panicking inputs.
pub fn run(seed: u64, rounds: usize) -> Result<Vec<String>, crate::TrainError> {
    let seeds = seeds()?;
    let config: RunConfig =
        serde_json::from_str(&seeds.config).map_err(|source| crate::TrainError::Json {
            path: "config.json".into(),
            source,
        })?;
    let template = config.model;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Ok((0..rounds)
        .filter_map(|_| round(&mut rng, &seeds, &template))
        .collect())
}
