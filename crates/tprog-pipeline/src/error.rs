//! Errors of the pipeline: each names the stage and the file or run it concerns.

use std::path::PathBuf;

/// Everything that can go wrong in a pipeline stage.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Training, a run directory or its data.
    #[error(transparent)]
    Train(Box<tprog_train::TrainError>),
    /// Decompiling or verifying.
    #[error(transparent)]
    Decompile(Box<tprog_decompile::DecompileError>),
    /// Loading or running a program.
    #[error(transparent)]
    Program(Box<tprog_program::ProgramError>),
    /// A task or data file.
    #[error(transparent)]
    Task(Box<tprog_tasks::TaskError>),
    /// The request is invalid (every problem listed).
    #[error("invalid settings:\n  - {}", .0.join("\n  - "))]
    Invalid(Vec<String>),
    /// Training was interrupted before its first epoch finished: there is no model to report.
    #[error(
        "interrupted before the first epoch finished: there is no trained model to report yet; \
         `tprog train --resume {}` continues the run",
        dir.display()
    )]
    NothingTrained {
        /// The run directory.
        dir: PathBuf,
    },
    /// The run has no checkpoint to continue from.
    #[error(
        "{} cannot be resumed: it has no checkpoint.safetensors (the run stopped before its \
         first checkpoint was complete); start it again with --overwrite",
        dir.display()
    )]
    NotResumable {
        /// The run directory.
        dir: PathBuf,
    },
    /// The program differs from the discrete model (the run's summary and report say where).
    #[error(
        "FAITHFULNESS FAILURE: the program differs from the discrete model on {differing} of \
         {positions} positions ({where_})"
    )]
    Unfaithful {
        /// Positions compared.
        positions: usize,
        /// Positions where they differ.
        differing: usize,
        /// Which splits or files, and the first disagreements.
        where_: String,
    },
    /// The run has no saved program.
    #[error(
        "{} does not exist: the run has no program yet (`tprog train --resume {}` writes it)",
        path.display(),
        dir.display()
    )]
    NoProgram {
        /// The missing file.
        path: PathBuf,
        /// The run directory.
        dir: PathBuf,
    },
    /// The run trained the standard Transformer baseline, which has no program.
    #[error(
        "{} is a run of the standard Transformer baseline: it has no program to verify or \
         export (`tprog eval` evaluates it)",
        dir.display()
    )]
    BaselineHasNoProgram {
        /// The run directory.
        dir: PathBuf,
    },
    /// `program.py` is not the export of `program.json`.
    #[error(
        "{} is not the Python export of program.json (first difference at line {line}); \
         `tprog export {} --format python --out FILE` writes a correct one",
        path.display(),
        dir.display()
    )]
    PythonDiffers {
        /// `program.py`.
        path: PathBuf,
        /// The run directory.
        dir: PathBuf,
        /// First differing line, 1-based.
        line: usize,
    },
    /// The program stage failed after training; what training produced is saved.
    #[error(
        "no program for {}: {message}; the trained model (model.safetensors) and its accuracy \
         (summary.json, report.md) are saved; `tprog train --resume {}` retries the program stage",
        dir.display(),
        dir.display()
    )]
    ProgramStage {
        /// The run directory.
        dir: PathBuf,
        /// Why (the error chain, on one line).
        message: String,
    },
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An output file exists and was not created by this command.
    #[error(
        "{} already exists; tprog does not overwrite a file it did not create (pass --force to \
         replace it)",
        path.display()
    )]
    WouldOverwrite {
        /// The existing file.
        path: PathBuf,
    },
}

impl PipelineError {
    /// The error and its causes on one line (`a: b: c`).
    pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            let next = cause.to_string();
            if !text.contains(&next) {
                text.push_str(": ");
                text.push_str(&next);
            }
            source = cause.source();
        }
        text
    }
}

macro_rules! boxed_from {
    ($($variant:ident($error:ty)),*) => {$(
        impl From<$error> for PipelineError {
            fn from(error: $error) -> Self {
                PipelineError::$variant(Box::new(error))
            }
        }
    )*};
}

boxed_from!(
    Train(tprog_train::TrainError),
    Decompile(tprog_decompile::DecompileError),
    Program(tprog_program::ProgramError),
    Task(tprog_tasks::TaskError)
);
