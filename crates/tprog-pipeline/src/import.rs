//! Importing a checkpoint of the reference implementation as a run: the imported model goes
//! through the same stages 3–6 as a trained one, so `program.json` and `program.py` are there
//! right after an import. A `--standard` checkpoint is evaluated and reported like a trained
//! standard baseline.

use std::path::Path;
use std::time::Instant;

use tprog_train::Outcome;
use tprog_train::import::{Imported, ImportedModel, import_reference};

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
    let (run, config, data) = (&imported.run, &imported.config, &imported.data);
    let summary = match model {
        ImportedModel::Program(model) => {
            finish(run, config, data, outcome(*model, &imported), started)?
        }
        // A `--standard` checkpoint: evaluated and reported like a trained baseline (no program).
        ImportedModel::Standard(model) => {
            crate::baseline::finish(run, config, data, outcome(*model, &imported), started)?
        }
    };
    Ok((imported, summary))
}

/// What training would have handed over: the imported model at its imported state.
fn outcome<M>(model: M, imported: &Imported) -> Outcome<M> {
    Outcome {
        model,
        state: imported.state.clone(),
        interrupted: false,
        stopped_early: false,
    }
}
