//! What can go wrong in a sweep, each variant naming the file or directory it is about.

use std::path::PathBuf;

/// A sweep error.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The sweep file could not be read.
    #[error("cannot read the sweep file {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The sweep file is not valid TOML, or a key has the wrong type.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message (with the line and the key).
        message: String,
    },
    /// The sweep file parses but describes no valid set of runs; every problem is listed.
    #[error("{path}: {}", problems.join("; "))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found, each naming its key.
        problems: Vec<String>,
    },
    /// A file or directory of the sweep could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A JSON file of the sweep (manifest, run record, summary) is malformed.
    #[error("{path}: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A directory is not a sweep directory (no manifest) where one is needed.
    #[error(
        "{dir} is not a sweep directory (no {file}); `tprog sweep run FILE --out {dir}` makes one"
    )]
    NotASweep {
        /// The directory.
        dir: PathBuf,
        /// The manifest it lacks.
        file: &'static str,
    },
    /// An external command (sbatch, squeue, sacct) failed.
    #[error("{command}: {message}")]
    Command {
        /// The command line.
        command: String,
        /// What went wrong (its standard error, or why it could not start).
        message: String,
    },
    /// Another driver holds the sweep directory's lock.
    #[error(
        "{path}: another `tprog sweep run` drives this sweep ({holder}); two drivers would start \
         the same runs twice. {}",
        if *same_host {
            "Wait for it to end, or stop it with Ctrl-C (its runs keep their checkpoints)"
        } else {
            "Wait for it, or stop it on its host; if that process is gone, delete the lock file"
        }
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// Who holds it.
        holder: String,
        /// Whether the holder runs on this host (its liveness was checked).
        same_host: bool,
    },
    /// A picture could not be drawn.
    #[error("drawing {what}: {message}")]
    Plot {
        /// Which picture.
        what: String,
        /// plotters' message.
        message: String,
    },
}

impl SweepError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// A JSON error on `path`.
    pub fn json(path: impl Into<PathBuf>, error: impl std::fmt::Display) -> Self {
        Self::Json {
            path: path.into(),
            message: error.to_string(),
        }
    }
}
