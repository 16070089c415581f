//! Resumable checkpoints: the parameters with their Adam moments (`checkpoint.safetensors`)
//! and the loop's state (`state.json`), written atomically after every epoch.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::Dtype;
use serde::{Deserialize, Serialize};
use tprog_model::Params;

use crate::TrainError;
use crate::rundir::{RunDir, files};

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

const PARTS: [&str; 3] = ["value", "adam_m", "adam_v"];

fn part<'a>(params: &'a Params, name: &str) -> &'a [f32] {
    match name {
        "value" => &params.value,
        "adam_m" => &params.adam_m,
        _ => &params.adam_v,
    }
}

fn part_mut<'a>(params: &'a mut Params, name: &str) -> &'a mut [f32] {
    match name {
        "value" => &mut params.value,
        "adam_m" => &mut params.adam_m,
        _ => &mut params.adam_v,
    }
}

/// Serialises every parameter with its Adam moments (`value.<name>`, `adam_m.<name>`, ...).
pub fn checkpoint_bytes(params: &Params) -> Result<Vec<u8>, TrainError> {
    let mut bytes: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for spec in params.specs() {
        for part_name in PARTS {
            let data = &part(params, part_name)[spec.offset..spec.offset + spec.len];
            let raw: Vec<u8> = data.iter().flat_map(|x| x.to_le_bytes()).collect();
            bytes.push((
                format!("{part_name}.{}", spec.name),
                spec.shape.clone(),
                raw,
            ));
        }
    }
    tprog_model::checkpoint::serialize_checked(&bytes).map_err(|error| TrainError::Checkpoint {
        path: files::CHECKPOINT.into(),
        problem: error.to_string(),
    })
}

/// Writes the checkpoint and then the loop state (state last: it marks the pair complete).
pub fn save(run: &RunDir, params: &Params, state: &LoopState) -> Result<(), TrainError> {
    run.write_atomic(files::CHECKPOINT, &checkpoint_bytes(params)?)?;
    run.write_json(files::STATE, state)
}

/// Restores parameters and Adam moments from `path` into `params` (same architecture).
pub fn restore(path: &Path, params: &mut Params) -> Result<(), TrainError> {
    let bytes = std::fs::read(path).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    restore_bytes(&bytes, path, params)
}

/// [`restore`] from bytes already read; `path` names them in errors.
pub fn restore_bytes(bytes: &[u8], path: &Path, params: &mut Params) -> Result<(), TrainError> {
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
        let values = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        found.insert(name, values);
    }
    let specs = params.specs().to_vec();
    let mut problems = Vec::new();
    for spec in &specs {
        for part_name in PARTS {
            let key = format!("{part_name}.{}", spec.name);
            match found.get(&key) {
                Some(values) if values.len() == spec.len => {
                    part_mut(params, part_name)[spec.offset..spec.offset + spec.len]
                        .copy_from_slice(values);
                }
                Some(values) => problems.push(format!(
                    "{key} has {} values, the model expects {}",
                    values.len(),
                    spec.len
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
