//! Resumable checkpoints: the parameters with their Adam moments (`checkpoint.safetensors`)
//! and the loop's state (`state.json`), written atomically after every epoch.

use std::collections::HashMap;
use std::path::Path;

use crate::TrainError;
use crate::rundir::{RunDir, files};
use crate::trainable::{CheckpointParams, Part};
use safetensors::tensor::Dtype;
use serde::{Deserialize, Serialize};

/// The loop's state after a completed epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoopState {
    /// Epochs completed.
    pub epochs_completed: usize,
    /// Adam steps taken (bias correction).
    pub adam_steps: u64,
    /// Best discrete validation token accuracy so far (−1 before the first epoch).
    pub best_val: f64,
    /// Epoch (1-based) of the best validation accuracy; 0 if none yet.
    pub best_epoch: usize,
    /// Epochs since the last improvement.
    pub epochs_since_best: usize,
    /// Wall-clock seconds spent training so far.
    pub seconds: f64,
}

const PARTS: [(&str, Part); 3] = [
    ("value", Part::Value),
    ("adam_m", Part::AdamM),
    ("adam_v", Part::AdamV),
];

/// Header key of the loop state inside `checkpoint.safetensors`.
const STATE_KEY: &str = "loop_state";

/// Serialises every parameter with its Adam moments (`value.<name>`, `adam_m.<name>`, ...)
/// and the loop state that goes with them (in the header), so the pair is one file, replaced
/// in one rename: a crash can never leave a checkpoint of one epoch with the state of another.
pub fn checkpoint_bytes<P: CheckpointParams + ?Sized>(
    params: &P,
    state: &LoopState,
) -> Result<Vec<u8>, TrainError> {
    let mut bytes: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, shape, offset, len) in params.tensor_list() {
        for (part_name, part) in PARTS {
            let data = &params.part(part)[offset..offset + len];
            let raw: Vec<u8> = data.iter().flat_map(|x| x.to_le_bytes()).collect();
            bytes.push((format!("{part_name}.{name}"), shape.clone(), raw));
        }
    }
    // Without the wall-clock seconds, so the file's bytes depend only on the training itself
    // (a resumed run writes exactly the checkpoint an uninterrupted one does).
    let state = LoopState {
        seconds: 0.0,
        ..state.clone()
    };
    let state = serde_json::to_string(&state).map_err(|source| TrainError::Json {
        path: files::CHECKPOINT.into(),
        source,
    })?;
    let metadata = std::collections::BTreeMap::from([(STATE_KEY.to_owned(), state)]);
    tprog_model::checkpoint::serialize_checked_with(&bytes, metadata).map_err(|error| {
        TrainError::Checkpoint {
            path: files::CHECKPOINT.into(),
            problem: error.to_string(),
        }
    })
}

/// The loop state stored in a checkpoint's header (`None` for checkpoints written before it
/// was stored there; their state is in `state.json`).
pub fn stored_state(bytes: &[u8], path: &Path) -> Result<Option<LoopState>, TrainError> {
    match tprog_model::checkpoint::header_metadata(bytes).get(STATE_KEY) {
        None => Ok(None),
        Some(text) => serde_json::from_str(text)
            .map(Some)
            .map_err(|source| TrainError::Json {
                path: path.to_path_buf(),
                source,
            }),
    }
}

/// Writes the checkpoint (with its loop state inside), then `state.json`, a readable copy of
/// the state for people and scripts; resuming trusts the checkpoint's own copy.
pub fn save<P: CheckpointParams + ?Sized>(
    run: &RunDir,
    params: &P,
    state: &LoopState,
) -> Result<(), TrainError> {
    run.write_atomic(files::CHECKPOINT, &checkpoint_bytes(params, state)?)?;
    run.write_json(files::STATE, state)
}

/// Restores a run's checkpoint into `params` and returns its loop state: the copy inside the
/// checkpoint, or `state.json` for checkpoints that have none. The training seconds come from
/// `state.json` (the checkpoint does not hold them), when it is there.
pub fn resume_point<P: CheckpointParams + ?Sized>(
    run: &RunDir,
    params: &mut P,
) -> Result<LoopState, TrainError> {
    let path = run.path(files::CHECKPOINT);
    let bytes = std::fs::read(&path).map_err(|source| TrainError::Io {
        path: path.clone(),
        source,
    })?;
    restore_bytes(&bytes, &path, params)?;
    let readable: Result<LoopState, TrainError> = run.read_json(files::STATE);
    match stored_state(&bytes, &path)? {
        Some(state) => Ok(LoopState {
            seconds: readable.map_or(0.0, |r| r.seconds),
            ..state
        }),
        None => readable,
    }
}

/// Restores parameters and Adam moments from `path` into `params` (same architecture).
pub fn restore<P: CheckpointParams + ?Sized>(
    path: &Path,
    params: &mut P,
) -> Result<(), TrainError> {
    let bytes = std::fs::read(path).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    restore_bytes(&bytes, path, params)
}

/// [`restore`] from bytes already read; `path` names them in errors.
pub fn restore_bytes<P: CheckpointParams + ?Sized>(
    bytes: &[u8],
    path: &Path,
    params: &mut P,
) -> Result<(), TrainError> {
    let error = |problem: String| TrainError::Checkpoint {
        path: path.to_path_buf(),
        problem,
    };
    let tensors = tprog_model::checkpoint::deserialize_checked(bytes)
        .map_err(|e| error(format!("not a valid checkpoint: {e}")))?;
    let mut found: HashMap<String, Vec<f32>> = HashMap::new();
    for (name, view) in tensors.tensors() {
        if view.dtype() != Dtype::F32 {
            return Err(error(format!(
                "tensor {name} is {:?}, expected F32",
                view.dtype()
            )));
        }
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if values.iter().any(|v| !v.is_finite()) {
            return Err(error(format!(
                "tensor {name} holds NaN or infinite values; the checkpoint cannot be resumed"
            )));
        }
        found.insert(name, values);
    }
    let mut problems = Vec::new();
    for (name, _, offset, len) in params.tensor_list() {
        for (part_name, part) in PARTS {
            let key = format!("{part_name}.{name}");
            match found.get(&key) {
                Some(values) if values.len() == len => {
                    params.part_mut(part)[offset..offset + len].copy_from_slice(values);
                }
                Some(values) => problems.push(format!(
                    "{key} has {} values, the model expects {len}",
                    values.len(),
                )),
                None => problems.push(format!("{key} is missing")),
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let shown = problems
        .iter()
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    let more = problems.len().saturating_sub(3);
    Err(error(if more > 0 {
        format!(
            "{shown}; and {more} more problems: the checkpoint is of another architecture than \
             config.json describes"
        )
    } else {
        shown
    }))
}
