//! The files of a run directory: `model.safetensors`, `checkpoint.safetensors` (with its stored
//! loop state), `config.json` (→ validate → build the model) and `state.json`. Each case picks
//! one file of a tiny sort run and mutates it (bit flips, random bytes, truncation, inserted and
//! repeated bytes, huge numbers, deletions); it is loaded the way `tprog` loads it and must give
//! a value or a clean error.

use std::path::Path;

use tprog_model::ModelConfig;
use tprog_tasks::TaskName;
use tprog_train::checkpoint::{self, LoopState, checkpoint_bytes};
use tprog_train::{Preset, RunConfig, TaskSource, TrainError, data};

use crate::FuzzError;
use crate::driver::{Outcome, Target};
use crate::mutate::{self, Digit};
use crate::rng::Rng;

/// The kinds of file, in the order a case picks them.
pub const FILES: [&str; 4] = [
    "model.safetensors",
    "checkpoint.safetensors",
    "config.json",
    "state.json",
];

/// The valid files mutations start from.
#[derive(Debug, Clone)]
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

/// Pretty JSON of a value, as a run directory holds it.
fn json<T: serde::Serialize>(value: &T) -> Result<String, FuzzError> {
    serde_json::to_string_pretty(value).map_err(|source| FuzzError::Json {
        what: std::any::type_name::<T>(),
        source,
    })
}

/// Valid files of a tiny sort run.
pub fn seeds() -> Result<Seeds, FuzzError> {
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
        standard: None,
    };
    let model = config.model.init(0).map_err(TrainError::from)?;
    let state = LoopState {
        epochs_completed: 3,
        adam_steps: 12,
        best_val: 0.5,
        best_epoch: 2,
        epochs_since_best: 1,
        seconds: 1.5,
    };
    Ok(Seeds {
        config: json(&config)?,
        state: json(&state)?,
        model: model.to_safetensors_bytes().map_err(TrainError::from)?,
        checkpoint: checkpoint_bytes(model.params(), &state)?,
    })
}

/// One case: which file, and its mutated bytes.
#[derive(Debug, Clone)]
pub struct RunFile {
    /// Index into [`FILES`].
    pub kind: usize,
    /// The mutated contents.
    pub bytes: Vec<u8>,
}

/// The run-directory target: the seed files and the model config they were made with.
#[derive(Debug, Clone)]
pub struct RundirTarget {
    seeds: Seeds,
    template: ModelConfig,
}

impl RundirTarget {
    /// The target, with the files of a tiny sort run.
    pub fn new() -> Result<Self, FuzzError> {
        let seeds = seeds()?;
        let config: RunConfig =
            serde_json::from_str(&seeds.config).map_err(|source| FuzzError::Json {
                what: "config.json",
                source,
            })?;
        Ok(Self {
            seeds,
            template: config.model,
        })
    }

    /// The unmutated files.
    pub fn seeds(&self) -> &Seeds {
        &self.seeds
    }
}

/// One to four random edits of `bytes`.
fn mutate_file(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(4) {
        if bytes.is_empty() {
            bytes.push(rng.byte());
            continue;
        }
        match rng.below(7) {
            0 => mutate::flip_bit(rng, bytes),
            1 => mutate::set_byte(rng, bytes),
            2 => {
                let keep = rng.below(bytes.len());
                bytes.truncate(keep);
            }
            3 => mutate::insert_byte(rng, bytes),
            4 => mutate::repeat_chunk(rng, bytes, 63),
            // An ASCII digit becomes a run of digits: huge numbers in JSON headers.
            5 => mutate::replace_digit(rng, bytes, Digit::After, b"99999999999999999999"),
            _ => mutate::delete(rng, bytes, 15),
        }
    }
}

impl Target for RundirTarget {
    type Case = RunFile;

    fn name(&self) -> &'static str {
        "rundir"
    }

    fn case(&self, seed: u64) -> RunFile {
        let mut rng = Rng::new(seed);
        let kind = rng.below(FILES.len());
        let mut bytes = match kind {
            0 => self.seeds.model.clone(),
            1 => self.seeds.checkpoint.clone(),
            2 => self.seeds.config.clone().into_bytes(),
            _ => self.seeds.state.clone().into_bytes(),
        };
        mutate_file(&mut rng, &mut bytes);
        RunFile { kind, bytes }
    }

    fn bytes<'a>(&self, case: &'a RunFile) -> &'a [u8] {
        &case.bytes
    }

    fn describe(&self, case: &RunFile) -> String {
        format!(
            "{}: {} bytes, starting {:?}",
            FILES[case.kind],
            case.bytes.len(),
            &case.bytes[..case.bytes.len().min(64)]
        )
    }

    fn execute(&self, _seed: u64, case: &RunFile) -> Outcome {
        let path = Path::new("fuzzed");
        let input = &case.bytes;
        let loaded = match case.kind {
            0 => match self.template.init(0) {
                Ok(mut model) => model.load_safetensors_bytes(input, path).is_ok(),
                Err(_) => false,
            },
            1 => match self.template.init(0) {
                Ok(mut model) => {
                    let restored =
                        checkpoint::restore_bytes(input, path, model.params_mut()).is_ok();
                    let state = checkpoint::stored_state(input, path).is_ok();
                    restored && state
                }
                Err(_) => false,
            },
            2 => {
                // What `session::open` and `load_model` do with a config.json.
                if let Ok(text) = std::str::from_utf8(input)
                    && let Ok(config) = serde_json::from_str::<RunConfig>(text)
                    && config.model.validate().is_ok()
                    && config.train.validate().is_ok()
                {
                    config.model.init(config.train.seed).is_ok()
                } else {
                    false
                }
            }
            _ => std::str::from_utf8(input)
                .ok()
                .is_some_and(|text| serde_json::from_str::<LoopState>(text).is_ok()),
        };
        if loaded {
            Outcome::Loaded
        } else {
            Outcome::Refused(FILES[case.kind])
        }
    }
}
