//! The tprog pipeline as a library: everything `tprog train` does, callable without the CLI (a
//! notebook binding, the sweep runner, a server).
//!
//! [`learn`] is the paper's pipeline, one call per stage, in the order the README's "How it
//! works" lists them:
//!
//! 1. **Task** ([`prepare`]): a generator or a data file yields `(tokens, labels)` with a
//!    vocabulary, and the preset with the user's overrides becomes the run's configuration.
//! 2. **Relaxed model** ([`stages::train_relaxed`]): trained with Gumbel-softmax choices while
//!    τ anneals, keeping the best epoch by discrete validation accuracy.
//! 3. **Discrete model** ([`stages::discrete`]): every choice taken by argmax, evaluated on
//!    every split — the model we report.
//! 4. **Decompile** ([`stages::decompile`]): discrete model → program.
//! 5. **Verify** ([`stages::verify`]): the program equals the discrete model everywhere.
//! 6. **Emit** ([`stages::emit`]): `program.json`, `program.py` and the circuit `program.svg`; then the report
//!    ([`report::write`]): `summary.json` and `report.md`.
//!
//! A run of the standard Transformer baseline (`RunConfig::standard`) takes stages 1 and 2
//! with the same loop, is evaluated like stage 3, and skips the program stages ([`baseline`]).
//!
//! ```no_run
//! use std::sync::atomic::AtomicBool;
//! use tprog_pipeline::{DataRequest, Overrides, Request, learn, prepare};
//! use tprog_tasks::TaskName;
//! use tprog_train::{Preset, Silent};
//!
//! let request = Request {
//!     data: DataRequest::Task(TaskName::Sort),
//!     preset: Preset::Tiny,
//!     overrides: Overrides::default(),
//! };
//! let prepared = prepare(&request)?;
//! let summary = learn(&prepared, "runs/sort-tiny".as_ref(), false, &mut Silent, &AtomicBool::new(false))?;
//! println!("test accuracy {:?}", summary.test.token_acc);
//! # Ok::<(), tprog_pipeline::PipelineError>(())
//! ```

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use tprog_train::rundir::files;
use tprog_train::session::{self, RunData};
use tprog_train::{Observer, Outcome, RunConfig, RunDir};

pub mod baseline;
pub mod curves;
mod error;
pub mod import;
pub mod reading;
pub mod report;
mod request;
pub mod saved;
pub mod stages;
mod summary;

pub use error::PipelineError;
pub use request::{
    DataRequest, MAX_DATASET_SIZE, MAX_MODULES, MAX_N_CTX, Overrides, Prepared, Request,
    default_run_dir, prepare,
};
pub use summary::{Faithful, SUMMARY_VERSION, SplitAgreement, SplitResult, Summary};

/// Learns a program for a prepared run in `dir`: trains the relaxed model (stage 2), then
/// [`finish`] (stages 3–6 and the report). `overwrite` allows replacing an existing run.
pub fn learn(
    prepared: &Prepared,
    dir: &Path,
    overwrite: bool,
    observer: &mut dyn Observer,
    stop: &AtomicBool,
) -> Result<Summary, PipelineError> {
    let started = Instant::now();
    let Prepared { config, data } = prepared; // 1. Task: made by `prepare`
    let run = session::create(dir, config, overwrite)?;
    if config.standard.is_some() {
        return baseline::learn(&run, config, data, observer, stop, started); // no program
    }
    let trained = stages::train_relaxed(&run, config, data, observer, stop)?; // 2. Relaxed model
    finish(&run, config, data, trained, started) // 3.–6. and the report
}

/// Stages 3–6 of a trained (or resumed, or imported) run, then its report.
pub fn finish(
    run: &RunDir,
    config: &RunConfig,
    data: &RunData,
    trained: Outcome,
    started: Instant,
) -> Result<Summary, PipelineError> {
    let mut discrete = stages::discrete(run, trained, data)?; // 3. Discrete model
    let program = stages::decompile(&discrete.model, config) // 4. Decompile
        .and_then(|program| stages::verify(&mut discrete.model, program, &data.splits)) // 5. Verify
        .and_then(|verified| stages::emit(run, verified)); // 6. Emit
    report::write(run, config, &discrete, program.as_ref(), started) // summary.json, report.md
}

/// What may change when a run is resumed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResumeChanges {
    /// Train to this many epochs in all. It may only extend the run; the temperature keeps its
    /// original schedule and the extra epochs run at `tau_end`.
    pub n_epochs: Option<usize>,
}

/// Continues the run in `dir` from its last checkpoint (or, when training had finished, redoes
/// the program stage), then [`finish`]. Temporary files that an interrupted write left behind
/// are removed first; their names are returned with the summary.
pub fn resume(
    dir: &Path,
    changes: ResumeChanges,
    observer: &mut dyn Observer,
    stop: &AtomicBool,
) -> Result<(Summary, Vec<String>), PipelineError> {
    let started = Instant::now();
    let mut run = session::open(dir)?;
    if !run.dir.path(files::CHECKPOINT).is_file() {
        return Err(PipelineError::NotResumable {
            dir: dir.to_path_buf(),
        });
    }
    let removed = tprog_train::rundir::remove_stale_temporaries(dir);
    if let Some(n_epochs) = changes.n_epochs {
        extend(&mut run, n_epochs)?;
    }
    let data = stages::task(&run.config)?;
    if run.config.standard.is_some() {
        let summary = baseline::resume(&run, &data, observer, stop, started)?;
        return Ok((summary, removed));
    }
    let trained = stages::continue_relaxed(&run, &data, observer, stop)?;
    let summary = finish(&run.dir, &run.config, &data, trained, started)?;
    Ok((summary, removed))
}

/// Extends a run to `n_epochs` epochs in all, keeping its temperature schedule, and saves the
/// new configuration.
fn extend(run: &mut session::OpenRun, n_epochs: usize) -> Result<(), PipelineError> {
    let train = &mut run.config.train;
    if n_epochs < train.n_epochs {
        return Err(PipelineError::Invalid(vec![format!(
            "--epochs {n_epochs} would shorten the run (it plans {} epochs); on resume --epochs \
             may only extend it",
            train.n_epochs
        )]));
    }
    if n_epochs == train.n_epochs {
        return Ok(());
    }
    train.schedule_epochs = Some(train.schedule_epochs());
    train.n_epochs = n_epochs;
    train.validate()?;
    run.dir.write_json(files::CONFIG, &run.config)?;
    Ok(())
}
