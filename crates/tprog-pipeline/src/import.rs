//! Importing a checkpoint of the reference implementation as a run: the imported model goes
//! through the same stages 3–6 as a trained one, so `program.json` and `program.py` are there
//! right after an import.

use std::path::Path;
use std::time::Instant;

use tprog_train::checkpoint::LoopState;
use tprog_train::import::{Imported, import_reference};
use tprog_train::rundir::files;
use tprog_train::{Outcome, session};

use crate::{PipelineError, Summary, finish, stages};

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
    let imported = import_reference(model_pt, args_json, out, overwrite)?;
    let run = session::open(out)?;
    let data = stages::task(&run.config)?;
    let model = session::load_model(&run)?;
    let state: LoopState = run.dir.read_json(files::STATE)?;
    let trained = Outcome {
        model,
        state,
        interrupted: false,
        stopped_early: false,
    };
    let summary = finish(&run.dir, &run.config, &data, trained, started)?;
    Ok((imported, summary))
}
