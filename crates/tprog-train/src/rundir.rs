//! The run directory: what a training run leaves behind, written atomically.
//!
//! `config.json` is written before training starts; `metrics.jsonl` gets one line per epoch;
//! `model.safetensors` holds the reported (best-by-validation) parameters; `checkpoint.safetensors`
//! and `state.json` hold what `--resume` needs. Every file is written to a temporary name and
//! renamed into place, so a full disk or an interruption never destroys the last good copy.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::TrainError;

/// File names inside a run directory.
pub mod files {
    /// Task, model and training configuration, written before training.
    pub const CONFIG: &str = "config.json";
    /// Reported parameters (the best epoch by discrete validation accuracy).
    pub const MODEL: &str = "model.safetensors";
    /// Latest parameters and optimiser state, for `--resume`.
    pub const CHECKPOINT: &str = "checkpoint.safetensors";
    /// Loop state (epoch, best score, ...) that goes with the checkpoint.
    pub const STATE: &str = "state.json";
    /// One JSON line per epoch.
    pub const METRICS: &str = "metrics.jsonl";
    /// The decompiled program (JSON IR).
    pub const PROGRAM_JSON: &str = "program.json";
    /// The decompiled program as a self-contained Python file.
    pub const PROGRAM_PY: &str = "program.py";
    /// The program as a circuit picture (`tprog graph` draws the same).
    pub const PROGRAM_SVG: &str = "program.svg";
    /// Loss, temperature and validation accuracy per epoch, drawn from `metrics.jsonl`.
    pub const CURVES_SVG: &str = "curves.svg";
    /// Accuracy table, faithfulness result, program size, timings.
    pub const REPORT: &str = "report.md";
    /// The typed results of the run (written by the pipeline).
    pub const SUMMARY: &str = "summary.json";

    /// Every file a run writes into its directory.
    pub const ALL: [&str; 11] = [
        CONFIG,
        MODEL,
        CHECKPOINT,
        STATE,
        METRICS,
        PROGRAM_JSON,
        PROGRAM_PY,
        PROGRAM_SVG,
        CURVES_SVG,
        REPORT,
        SUMMARY,
    ];
}

/// A run directory on disk.
#[derive(Debug, Clone)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    /// Creates `root` (and parents) for a new run.
    pub fn create(root: impl Into<PathBuf>) -> Result<Self, TrainError> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(|source| TrainError::Io {
            path: root.clone(),
            source,
        })?;
        Ok(Self { root })
    }

    /// Opens an existing run directory (it must hold `config.json`).
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, TrainError> {
        let root = root.into();
        let config = root.join(files::CONFIG);
        if !config.is_file() {
            return Err(TrainError::NotARunDir { path: root });
        }
        Ok(Self { root })
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of a file inside the run directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Writes `bytes` to `name` atomically (temporary file, sync, rename).
    pub fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<(), TrainError> {
        write_atomic(&self.path(name), bytes)
    }

    /// Writes `value` as pretty JSON to `name`, atomically.
    pub fn write_json<T: Serialize>(&self, name: &str, value: &T) -> Result<(), TrainError> {
        let path = self.path(name);
        let mut text = serde_json::to_string_pretty(value).map_err(|source| TrainError::Json {
            path: path.clone(),
            source,
        })?;
        text.push('\n');
        write_atomic(&path, text.as_bytes())
    }

    /// Reads `name` as JSON.
    pub fn read_json<T: DeserializeOwned>(&self, name: &str) -> Result<T, TrainError> {
        let path = self.path(name);
        let text = fs::read_to_string(&path).map_err(|source| TrainError::Io {
            path: path.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| TrainError::Json { path, source })
    }

    /// Appends one JSON line to `metrics.jsonl`.
    pub fn append_metrics<T: Serialize>(&self, record: &T) -> Result<(), TrainError> {
        let path = self.path(files::METRICS);
        let mut line = serde_json::to_string(record).map_err(|source| TrainError::Json {
            path: path.clone(),
            source,
        })?;
        line.push('\n');
        let io = |source| TrainError::Io {
            path: path.clone(),
            source,
        };
        let mut file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io)?;
        file.write_all(line.as_bytes()).map_err(io)?;
        file.flush().map_err(io)
    }

    /// Every record of `metrics.jsonl`, in order (none when the file does not exist).
    pub fn read_metrics<T: serde::de::DeserializeOwned>(&self) -> Result<Vec<T>, TrainError> {
        let path = self.path(files::METRICS);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(TrainError::Io { path, source }),
        };
        text.lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                serde_json::from_str(line).map_err(|source| TrainError::Json {
                    path: path.clone(),
                    source,
                })
            })
            .collect()
    }

    /// Truncates `metrics.jsonl` to its first `n_epochs` lines (used when resuming).
    pub fn truncate_metrics(&self, n_epochs: usize) -> Result<(), TrainError> {
        let path = self.path(files::METRICS);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(TrainError::Io { path, source }),
        };
        let kept: String = text
            .lines()
            .take(n_epochs)
            .map(|line| format!("{line}\n"))
            .collect();
        write_atomic(&path, kept.as_bytes())
    }
}

/// The environment variable of the fault-injection hook of [`write_atomic`] (tests only).
pub const FAULT_CRASH_WRITING: &str = "TPROG_FAULT_CRASH_WRITING";

/// The temporary sibling `.NAME.tmp` that [`write_atomic`] writes before renaming it to `NAME`.
pub fn temporary_path(path: &Path) -> PathBuf {
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned());
    path.with_file_name(format!(".{file_name}.tmp"))
}

/// Removes the temporary files (`.NAME.tmp`) of a run's files that a crash (kill -9, power
/// loss) left in `root` between writing and renaming them; returns the names removed. Only
/// for a run that no other process is writing (a resumed run, before it trains).
pub fn remove_stale_temporaries(root: &Path) -> Vec<String> {
    files::ALL
        .iter()
        .map(|name| temporary_path(&root.join(name)))
        .filter(|tmp| fs::remove_file(tmp).is_ok())
        .map(|tmp| tmp.display().to_string())
        .collect()
}

/// Whether the fault-injection hook asks to crash while writing `file_name`: the variable
/// [`FAULT_CRASH_WRITING`] is `NAME` (the first write of `NAME` in this process) or `NAME@N`
/// (its `N`-th write, 1-based).
fn fault_crash_now(file_name: &str) -> bool {
    use std::sync::Mutex;
    static WRITES: Mutex<Vec<(String, usize)>> = Mutex::new(Vec::new());
    let Some(spec) = std::env::var_os(FAULT_CRASH_WRITING) else {
        return false;
    };
    let spec = spec.to_string_lossy();
    let (name, nth) = match spec.rsplit_once('@') {
        Some((name, n)) => (name, n.parse::<usize>().unwrap_or(1)),
        None => (spec.as_ref(), 1),
    };
    if name != file_name {
        return false;
    }
    let mut writes = WRITES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let count = match writes.iter_mut().find(|(n, _)| n == file_name) {
        Some((_, count)) => {
            *count += 1;
            *count
        }
        None => {
            writes.push((file_name.to_owned(), 1));
            1
        }
    };
    count == nth
}

/// Writes `bytes` to `path` through a temporary sibling and a rename, so that the previous
/// content survives any failure (full disk, interruption).
///
/// **Fault-injection hook, for tests only:** when the environment variable
/// `TPROG_FAULT_CRASH_WRITING` ([`FAULT_CRASH_WRITING`]) equals the file's name (e.g.
/// `checkpoint.safetensors`), or `NAME@N` for its `N`-th write in this process, the process
/// aborts (`std::process::abort`, like a kill -9) after the temporary file is written and
/// synced but before the rename. `crates/tprog/tests/faults.rs` uses it to check that a crash
/// at that moment loses nothing that `--resume` cannot redo bit for bit.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let tmp = temporary_path(path);
    let io = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::StorageFull {
            TrainError::DiskFull {
                path: path.to_path_buf(),
            }
        } else {
            TrainError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    };
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if path
            .file_name()
            .is_some_and(|name| fault_crash_now(&name.to_string_lossy()))
        {
            std::process::abort();
        }
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tprog-rundir-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn json_round_trip_metrics_and_truncation() {
        let dir = RunDir::create(temp_dir("rt")).unwrap();
        dir.write_json(files::CONFIG, &serde_json::json!({"a": 1}))
            .unwrap();
        let back: serde_json::Value = dir.read_json(files::CONFIG).unwrap();
        assert_eq!(back["a"], 1);
        for epoch in 0..5 {
            dir.append_metrics(&serde_json::json!({ "epoch": epoch }))
                .unwrap();
        }
        dir.truncate_metrics(2).unwrap();
        let text = fs::read_to_string(dir.path(files::METRICS)).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(RunDir::open(dir.root()).is_ok());
        fs::remove_dir_all(dir.root()).unwrap();
    }

    #[test]
    fn open_requires_config_and_errors_name_the_path() {
        let missing = temp_dir("missing");
        let error = RunDir::open(&missing).unwrap_err().to_string();
        assert!(error.contains("tprog-rundir-missing"), "{error}");
    }

    #[test]
    fn failed_atomic_write_keeps_previous_content() {
        let dir = RunDir::create(temp_dir("atomic")).unwrap();
        dir.write_atomic("x.txt", b"good").unwrap();
        // Writing into a directory that vanished fails without touching anything else.
        let gone = dir.path("no-such-dir").join("y.txt");
        assert!(write_atomic(&gone, b"bad").is_err());
        assert_eq!(fs::read(dir.path("x.txt")).unwrap(), b"good");
        fs::remove_dir_all(dir.root()).unwrap();
    }
}
