//! What a finished run saved, checked and reused: `tprog verify` checks the **saved**
//! `program.json` (and `program.py`) against the model, `tprog export` writes the saved
//! program in another format, without decompiling again.

use std::path::{Path, PathBuf};

use tprog_program::{Program, to_python};
use tprog_tasks::EncodedSplit;
use tprog_train::rundir::files;
use tprog_train::session::{self, OpenRun};

use crate::summary::{SplitAgreement, require_exact};
use crate::{PipelineError, stages};

/// Reads the run's saved `program.json`.
pub fn program(run: &OpenRun) -> Result<Program, PipelineError> {
    if run.config.standard.is_some() {
        return Err(PipelineError::BaselineHasNoProgram {
            dir: run.dir.root().to_path_buf(),
        });
    }
    let path = run.dir.path(files::PROGRAM_JSON);
    if !path.is_file() {
        return Err(PipelineError::NoProgram {
            path,
            dir: run.dir.root().to_path_buf(),
        });
    }
    Ok(Program::from_json_file(&path)?)
}

/// How the saved `program.py` compares with the export of the saved `program.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PythonCheck {
    /// There is no `program.py`.
    Missing,
    /// It is exactly the Python export of `program.json`.
    Matches,
}

/// Checks that `program.py`, when present, is exactly the export of `program`.
pub fn check_python(run: &OpenRun, program: &Program) -> Result<PythonCheck, PipelineError> {
    let path = run.dir.path(files::PROGRAM_PY);
    let saved = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(PythonCheck::Missing);
        }
        Err(source) => {
            return Err(tprog_train::TrainError::Io { path, source }.into());
        }
    };
    let expected = to_python(program);
    if saved == expected.as_bytes() {
        return Ok(PythonCheck::Matches);
    }
    let saved = String::from_utf8_lossy(&saved);
    let line = saved
        .lines()
        .zip(expected.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| saved.lines().count().min(expected.lines().count()))
        + 1;
    Err(PipelineError::PythonDiffers {
        path,
        dir: run.dir.root().to_path_buf(),
        line,
    })
}

/// The result of checking a run's saved program against its model.
#[derive(Debug, Clone)]
pub struct SavedCheck {
    /// Program against model, per split (or file).
    pub splits: Vec<SplitAgreement>,
    /// `program.py`.
    pub python: PythonCheck,
    /// The saved program.
    pub program: Program,
}

/// Checks the run's saved `program.json` against its discrete model on its splits (or on the
/// JSONL file `data`), and its `program.py` against `program.json`. Any difference is an
/// error; the agreement rows are returned either way inside the error's text.
pub fn verify(run: &OpenRun, data: Option<&Path>) -> Result<SavedCheck, PipelineError> {
    let program = program(run)?;
    let python = check_python(run, &program)?;
    let mut model = session::load_model(run)?;
    let splits = match data {
        Some(path) => {
            let encoded: EncodedSplit = session::encode_file(run, path)?;
            stages::agreement(
                &mut model,
                &program,
                &[(&path.display().to_string(), &encoded)],
            )?
        }
        None => {
            let data = stages::task(&run.config)?;
            stages::agreement(&mut model, &program, &stages::named(&data.splits))?
        }
    };
    require_exact(&splits)?;
    Ok(SavedCheck {
        splits,
        python,
        program,
    })
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One self-contained Python file (standard library only) exposing `run(tokens)`.
    Python,
    /// The program IR as versioned JSON.
    Json,
}

/// The run's saved program in `format`.
pub fn export(run: &OpenRun, format: ExportFormat) -> Result<String, PipelineError> {
    let program = program(run)?;
    Ok(match format {
        ExportFormat::Python => to_python(&program),
        ExportFormat::Json => program.to_json() + "\n",
    })
}

/// Writes `text` to a user-named file `path` atomically. An existing file is replaced only with
/// `force`, and never when it is one of a run directory's own files.
pub fn write_output(path: &Path, bytes: &[u8], force: bool) -> Result<(), PipelineError> {
    if let Some(parent) = path.parent()
        && parent.join(files::CONFIG).is_file()
        && path
            .file_name()
            .is_some_and(|name| files::ALL.iter().any(|f| name == *f))
    {
        return Err(PipelineError::Invalid(vec![format!(
            "{} is a file of the run in {}; write the output elsewhere",
            path.display(),
            parent.display()
        )]));
    }
    if path.exists() && !force {
        return Err(PipelineError::WouldOverwrite {
            path: path.to_path_buf(),
        });
    }
    if path.is_dir() {
        return Err(PipelineError::Invalid(vec![format!(
            "{} is a directory; give a file name",
            path.display()
        )]));
    }
    tprog_train::rundir::write_atomic(path, bytes).map_err(|error| match error {
        tprog_train::TrainError::Io { source, .. } => PipelineError::Write {
            path: PathBuf::from(path),
            source,
        },
        other => other.into(),
    })
}
