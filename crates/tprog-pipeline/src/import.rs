//! Importing a checkpoint of the reference implementation as a run: the imported model goes
//! through the same stages 3–6 as a trained one, so `program.json` and `program.py` are there
//! right after an import.

use std::path::Path;
use std::time::Instant;

use tprog_train::Outcome;
use tprog_train::import::{Imported, import_reference};

use crate::{PipelineError, Summary, finish};

/// Imports `model_pt` with its `args_json` into a new run at `out`, then evaluates, decompiles,
/// verifies and emits its program like a trained run's. Returns the import's details and the
/// run's summary.
pub fn import(
    model_pt: &Path,
    args_json: &Path,
    out: &Path,
    overwrite: bool,
) -> Result<(Imported, Summary), PipelineError> {
    let started = Instant::now();
    // The import hands over the model, its data and its state: nothing is read back.
    let (imported, model) = import_reference(model_pt, args_json, out, overwrite)?;
    let trained = Outcome {
        model,
        state: imported.state.clone(),
        interrupted: false,
        stopped_early: false,
    };
    let summary = finish(
        &imported.run,
        &imported.config,
        &imported.data,
        trained,
        started,
    )?;
    Ok((imported, summary))
}
