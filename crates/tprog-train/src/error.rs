//! Errors of training, evaluation and run directories.

use std::path::PathBuf;

/// Everything that can go wrong while training or reading a run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A file of the run directory could not be read or written.
    #[error("cannot read or write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A JSON file of the run directory is malformed.
    #[error("malformed JSON in {}: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// The directory is not a tprog run (no `config.json`).
    #[error("{} is not a tprog run directory (no config.json)", path.display())]
    NotARunDir {
        /// The directory.
        path: PathBuf,
    },
    /// The training loss became NaN or infinite; the last good checkpoint is kept.
    #[error(
        "the training loss became {loss} at epoch {epoch}, step {step} (τ = {tau:.4}); \
         the last good checkpoint is kept"
    )]
    NonFiniteLoss {
        /// 0-based epoch.
        epoch: usize,
        /// 0-based step within the epoch.
        step: usize,
        /// The loss value.
        loss: f32,
        /// The temperature at that step.
        tau: f64,
    },
    /// A gradient became NaN or infinite; the update is not applied and the last good
    /// checkpoint is kept.
    #[error(
        "the gradient of {parameter} became NaN or infinite at epoch {epoch}, step {step} \
         (τ = {tau:.4}); the update was not applied and the last good checkpoint is kept"
    )]
    NonFiniteGradient {
        /// 0-based epoch.
        epoch: usize,
        /// 0-based step within the epoch.
        step: usize,
        /// The first parameter whose gradient is not finite.
        parameter: String,
        /// The temperature at that step.
        tau: f64,
    },
    /// The disk filled up while writing a file; the previous version of the file is kept.
    #[error("disk full while writing {}: the previous version of the file is kept", path.display())]
    DiskFull {
        /// The file.
        path: PathBuf,
    },
    /// The training configuration is invalid (every problem listed).
    #[error("invalid training configuration:\n  - {}", problems.join("\n  - "))]
    InvalidConfig {
        /// One line per problem.
        problems: Vec<String>,
    },
    /// A checkpoint file is unreadable or does not fit the model.
    #[error("bad checkpoint {}: {problem}", path.display())]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// `train` would overwrite an existing run.
    #[error(
        "{} already holds a run; continue it with --resume, or pass --overwrite or another --out",
        path.display()
    )]
    RunExists {
        /// The directory.
        path: PathBuf,
    },
    /// A new run would overwrite files that are not from a run.
    #[error(
        "{} already holds {}, which a run would overwrite; pass --overwrite to replace them, or \
         choose another --out",
        dir.display(),
        files.join(", ")
    )]
    WouldOverwrite {
        /// The directory.
        dir: PathBuf,
        /// The files that exist.
        files: Vec<String>,
    },
    /// The run has no trained model yet.
    #[error("{} does not exist: the run has not finished an epoch yet", path.display())]
    NoModel {
        /// The missing file.
        path: PathBuf,
    },
    /// A model error (configuration, checkpoint).
    #[error(transparent)]
    Model(#[from] tprog_model::ModelError),
    /// A standard Transformer error (configuration, batch, parameter file); boxed, so that
    /// the error stays small.
    #[error(transparent)]
    Baseline(Box<tprog_baseline::standard::BaselineError>),
    /// A reference checkpoint could not be read.
    #[error(transparent)]
    Import(#[from] tprog_import::TorchImportError),
    /// A task or data error.
    #[error(transparent)]
    Task(#[from] tprog_tasks::TaskError),
}

impl From<tprog_baseline::standard::BaselineError> for TrainError {
    fn from(error: tprog_baseline::standard::BaselineError) -> Self {
        TrainError::Baseline(Box::new(error))
    }
}
