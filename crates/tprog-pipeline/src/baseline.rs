//! The standard Transformer baseline through the same pipeline: stage 1 (*Task*) and stage 2
//! (training, with the same loop, run directory, checkpoints and best-by-validation epoch),
//! then its evaluation on every split and the report. There is no program to decompile,
//! verify or emit; the report says so.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use tprog_baseline::standard::StandardTransformer;
use tprog_train::session::{self, OpenRun, RunData};
use tprog_train::{Observer, Outcome, RunConfig, RunDir};

use crate::{PipelineError, Summary, report, stages};

/// Trains a freshly created standard-Transformer run, then [`finish`].
pub fn learn(
    run: &RunDir,
    config: &RunConfig,
    data: &RunData,
    observer: &mut dyn Observer,
    stop: &AtomicBool,
    started: Instant,
) -> Result<Summary, PipelineError> {
    let trained = session::train_new_standard(run, config, &data.splits, observer, stop)?;
    finish(run, config, data, trained, started)
}

/// Continues an interrupted standard-Transformer run from its last checkpoint, then
/// [`finish`].
pub fn resume(
    run: &OpenRun,
    data: &RunData,
    observer: &mut dyn Observer,
    stop: &AtomicBool,
    started: Instant,
) -> Result<Summary, PipelineError> {
    let trained = session::resume_standard(run, &data.splits, observer, stop)?;
    finish(&run.dir, &run.config, data, trained, started)
}

/// The trained baseline evaluated on every split (the best epoch by validation), then
/// `summary.json` and `report.md`.
pub fn finish(
    run: &RunDir,
    config: &RunConfig,
    data: &RunData,
    trained: Outcome<StandardTransformer>,
    started: Instant,
) -> Result<Summary, PipelineError> {
    let evaluated = stages::discrete(run, trained, data)?;
    report::write_baseline(run, config, &evaluated, started)
}
