//! The sweep directory's own files, under `_sweep/`: the manifest (the expanded runs, which a
//! Slurm array task indexes), the sweep file as it was, one record per run (the last attempt:
//! process, host, exit code) and one log per run.
//!
//! ```text
//! SWEEP_DIR/
//!   _sweep/manifest.json        the runs, in index order
//!   _sweep/sweep.toml           the sweep file it was made from
//!   _sweep/records/<run>.json   the last attempt of each run
//!   _sweep/logs/<run>.log       its output (every attempt, appended)
//!   _sweep/job.sh, slurm-jobs   the Slurm array job and the ids it was submitted as
//!   <run>/                      the run directories (`tprog train --out`)
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Sweep, SweepError};

/// The directory of the sweep's own files.
pub const BOOKKEEPING: &str = "_sweep";
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";

/// The manifest: the sweep, where it came from, and how its runs are started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The sweep file it was expanded from.
    pub file: PathBuf,
    /// The `tprog` binary the runs are started with.
    pub binary: PathBuf,
    /// The sweep.
    pub sweep: Sweep,
}

/// A sweep directory.
#[derive(Debug, Clone)]
pub struct SweepDir {
    root: PathBuf,
}

/// The last attempt at a run, as the runner recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Whether the attempt was still going when last written.
    pub running: bool,
    /// How it was started: `fresh` or `resume`.
    pub action: String,
    /// The process id of the `tprog train` child.
    pub pid: Option<u32>,
    /// The host it ran on.
    pub host: String,
    /// The Slurm job (`JOBID_TASK`), when run by the Slurm backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slurm_job: Option<String>,
    /// Seconds since the Unix epoch when it started.
    pub started: u64,
    /// Seconds it took, once finished.
    pub seconds: Option<u64>,
    /// The exit code once finished (`None` while running, or when killed by a signal).
    pub exit_code: Option<i32>,
    /// Attempts so far (this one included).
    pub attempt: u32,
}

impl SweepDir {
    /// The sweep directory at `root` (not created).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Its path.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A path under `_sweep/`.
    pub fn own(&self, name: &str) -> PathBuf {
        self.root.join(BOOKKEEPING).join(name)
    }

    /// A run's directory.
    pub fn run_dir(&self, run: &str) -> PathBuf {
        self.root.join(run)
    }

    /// A run's log.
    pub fn log(&self, run: &str) -> PathBuf {
        self.own("logs").join(format!("{run}.log"))
    }

    fn record_path(&self, run: &str) -> PathBuf {
        self.own("records").join(format!("{run}.json"))
    }

    /// Whether it holds a manifest.
    pub fn has_manifest(&self) -> bool {
        self.own(MANIFEST).is_file()
    }

    /// Writes the manifest and the sweep file's text.
    pub fn write_manifest(&self, manifest: &Manifest, file_text: &str) -> Result<(), SweepError> {
        let json = serde_json::to_vec_pretty(manifest)
            .map_err(|e| SweepError::json(self.own(MANIFEST), e))?;
        write_atomic(&self.own(MANIFEST), &json)?;
        write_atomic(&self.own("sweep.toml"), file_text.as_bytes())
    }

    /// Reads the manifest.
    pub fn read_manifest(&self) -> Result<Manifest, SweepError> {
        let path = self.own(MANIFEST);
        if !path.is_file() {
            return Err(SweepError::NotASweep {
                dir: self.root.clone(),
                file: "_sweep/manifest.json",
            });
        }
        let bytes = std::fs::read(&path).map_err(|e| SweepError::io(&path, e))?;
        serde_json::from_slice(&bytes).map_err(|e| SweepError::json(&path, e))
    }

    /// A run's last record, if any (an unreadable record counts as none).
    pub fn read_record(&self, run: &str) -> Option<RunRecord> {
        let bytes = std::fs::read(self.record_path(run)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Replaces a run's record.
    pub fn write_record(&self, run: &str, record: &RunRecord) -> Result<(), SweepError> {
        let path = self.record_path(run);
        let json = serde_json::to_vec_pretty(record).map_err(|e| SweepError::json(&path, e))?;
        write_atomic(&path, &json)
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename, creating the parents.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SweepError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| SweepError::io(parent, e))?;
    }
    let temporary = tprog_train::rundir::temporary_path(path);
    std::fs::write(&temporary, bytes).map_err(|e| SweepError::io(&temporary, e))?;
    std::fs::rename(&temporary, path).map_err(|e| SweepError::io(path, e))
}

/// This machine's host name (empty when unknown).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
