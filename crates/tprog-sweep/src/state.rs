//! Where a run stands, read from its directory and its record, and what restarting the sweep
//! does with it: a finished run is skipped, an interrupted one resumed (`tprog train --resume`),
//! one that never got to a checkpoint started afresh.

use std::fmt;
use std::path::Path;

use tprog_train::checkpoint::LoopState;
use tprog_train::rundir::files;

use crate::SweepError;
use crate::manifest::{RunRecord, SweepDir, host_name};

/// A run's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    /// `summary.json` written at the end of training (`no_program` when the program stage
    /// failed: the accuracies are there, the program is not).
    Done {
        /// Why there is no program, if there is none.
        no_program: Option<String>,
    },
    /// A `tprog train` process is working on it.
    Running,
    /// The last attempt failed (exit code, or `None` when killed by a signal).
    Failed {
        /// Its exit code.
        exit_code: Option<i32>,
    },
    /// Stopped with a checkpoint to resume from (Ctrl-C, a killed job, a time limit).
    Interrupted {
        /// Epochs done.
        epochs: Option<usize>,
    },
    /// Not started.
    Pending,
}

impl RunState {
    /// The state's one-word name (`done`, `running`, `failed`, `interrupted`, `pending`).
    pub fn word(&self) -> &'static str {
        match self {
            RunState::Done { .. } => "done",
            RunState::Running => "running",
            RunState::Failed { .. } => "failed",
            RunState::Interrupted { .. } => "interrupted",
            RunState::Pending => "pending",
        }
    }
}

impl fmt::Display for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunState::Done { no_program: None } => f.write_str("done"),
            RunState::Done {
                no_program: Some(why),
            } => write!(f, "done (no program: {why})"),
            RunState::Running => f.write_str("running"),
            RunState::Failed {
                exit_code: Some(code),
            } => write!(f, "failed (exit code {code})"),
            RunState::Failed { exit_code: None } => {
                f.write_str("failed (no exit code: killed, or Slurm could not start it)")
            }
            RunState::Interrupted {
                epochs: Some(epochs),
            } => write!(f, "interrupted after epoch {epochs}"),
            RunState::Interrupted { epochs: None } => f.write_str("interrupted"),
            RunState::Pending => f.write_str("pending"),
        }
    }
}

/// What the runner does with a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing: it is done, or another process is running it.
    Skip,
    /// `tprog train ... --out DIR` (with `--overwrite` when an unfinished start left files).
    Fresh {
        /// Whether the directory holds files of an earlier start.
        overwrite: bool,
    },
    /// `tprog train --resume DIR`.
    Resume,
}

/// The state of run `run` of a sweep whose finished runs are archived in `archive`: one
/// archived there is done, whatever its run directory holds.
pub fn archived_state(sweep: &SweepDir, archive: Option<&Path>, run: &str) -> RunState {
    if let Some(archive) = archive
        && let Some(done) = finished_state(&archive.join(run))
    {
        return done;
    }
    run_state(sweep, run)
}

/// Copies a finished run's `summary.json`, `report.md` and `curves.svg` to the same relative
/// place under `archive` (results to commit, where run directories are not).
pub fn archive_run(sweep: &SweepDir, archive: &Path, run: &str) -> Result<(), SweepError> {
    let from = sweep.run_dir(run);
    let to = archive.join(run);
    if from == to {
        return Ok(());
    }
    std::fs::create_dir_all(&to).map_err(|e| SweepError::io(&to, e))?;
    for name in [files::SUMMARY, files::REPORT, files::CURVES_SVG] {
        let source = from.join(name);
        if source.is_file() {
            std::fs::copy(&source, to.join(name)).map_err(|e| SweepError::io(&source, e))?;
        }
    }
    Ok(())
}

/// The state of the run `run` of the sweep in `sweep`.
pub fn run_state(sweep: &SweepDir, run: &str) -> RunState {
    run_state_with(sweep, run, &is_alive)
}

/// [`run_state`], with `alive` telling whether a record's process still runs (the status
/// command asks Slurm about records written on other hosts).
pub fn run_state_with(sweep: &SweepDir, run: &str, alive: &dyn Fn(&RunRecord) -> bool) -> RunState {
    let dir = sweep.run_dir(run);
    let record = sweep.read_record(run);
    if let Some(record) = &record
        && record.running
        && alive(record)
    {
        return RunState::Running;
    }
    if let Some(state) = finished_state(&dir) {
        return state;
    }
    if let Some(record) = &record
        && !record.running
        && record.exit_code != Some(0)
        && record.exit_code != Some(130)
    {
        return RunState::Failed {
            exit_code: record.exit_code,
        };
    }
    // A checkpoint written moments ago by a process this sweep did not start (another sweep,
    // a shell loop, a hand-started `tprog train`) is taken as a run in progress: resuming it
    // too would have two processes write one run.
    if record.is_none() && checkpoint_age(&dir).is_some_and(|age| age < RECENT) {
        return RunState::Running;
    }
    if dir.join(files::CHECKPOINT).is_file() {
        return RunState::Interrupted {
            epochs: epochs_done(&dir),
        };
    }
    RunState::Pending
}

/// A run directory's own state, without any record: `Done` from a final summary,
/// `Interrupted` from a checkpoint; `None` when it has neither.
pub fn finished_state(dir: &Path) -> Option<RunState> {
    let text = std::fs::read_to_string(dir.join(files::SUMMARY)).ok()?;
    let ending: Ending = serde_json::from_str(&text).ok()?;
    (!ending.interrupted).then_some(RunState::Done {
        no_program: ending.program_error,
    })
}

/// How a run ended, the two fields of `summary.json` every version has (version 1 files, from
/// before the configuration was saved in them, do not read as a `tprog_pipeline::Summary`).
#[derive(serde::Deserialize)]
struct Ending {
    interrupted: bool,
    #[serde(default)]
    program_error: Option<String>,
}

/// How recent a checkpoint of a run without a record must be for the run to count as running.
pub const RECENT: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// How long ago the run's `state.json` (written with every checkpoint) was written.
pub fn checkpoint_age(dir: &Path) -> Option<std::time::Duration> {
    std::fs::metadata(dir.join(files::STATE))
        .and_then(|m| m.modified())
        .ok()?
        .elapsed()
        .ok()
}

/// What restarting does with a run in `state` whose directory is `dir`.
pub fn action(state: &RunState, dir: &Path) -> Action {
    match state {
        RunState::Done { .. } | RunState::Running => Action::Skip,
        _ if dir.join(files::CHECKPOINT).is_file() => Action::Resume,
        _ => Action::Fresh {
            overwrite: dir.join(files::CONFIG).exists(),
        },
    }
}

/// Epochs recorded in the run's `state.json`, if readable.
fn epochs_done(dir: &Path) -> Option<usize> {
    let run = tprog_train::RunDir::open(dir).ok()?;
    let state: LoopState = run.read_json(files::STATE).ok()?;
    Some(state.epochs_completed)
}

/// Whether the process of a running record still runs: on this host, its pid exists; on
/// another host (a Slurm node) it is taken on trust, and Slurm's own view is asked separately.
pub fn is_alive(record: &RunRecord) -> bool {
    if record.host != host_name() {
        return true;
    }
    match record.pid {
        Some(pid) => Path::new(&format!("/proc/{pid}")).exists(),
        None => false,
    }
}
