//! `tprog sweep status`: every run's state, from the run directories, the runner's records and,
//! for a sweep submitted to Slurm, what `squeue`/`sacct` say about its array tasks. A directory
//! without a manifest (runs made another way) is read from its run directories alone.

use std::collections::BTreeMap;
use std::path::Path;

use tprog_train::rundir::files;

use crate::SweepError;
use crate::manifest::{BOOKKEEPING, SweepDir};
use crate::slurm;
use crate::state::{RunState, is_alive, run_state_with};

/// One run's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStatus {
    /// Its index in the manifest (`None` without a manifest).
    pub index: Option<usize>,
    /// Its directory, relative to the sweep directory.
    pub dir: String,
    /// Its state.
    pub state: RunState,
    /// What Slurm says about its array task, if it was submitted.
    pub slurm: Option<String>,
}

/// The status of every run of the sweep in `sweep`, in manifest order (or path order without
/// a manifest).
pub fn status(sweep: &SweepDir) -> Result<Vec<RunStatus>, SweepError> {
    if !sweep.root().is_dir() {
        return Err(SweepError::io(
            sweep.root(),
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
        ));
    }
    if !sweep.has_manifest() {
        return Ok(scan(sweep.root())
            .into_iter()
            .map(|dir| {
                let state = crate::state::run_state(sweep, &dir);
                RunStatus {
                    index: None,
                    dir,
                    state,
                    slurm: None,
                }
            })
            .collect());
    }
    let manifest = sweep.read_manifest()?;
    let slurm_states = slurm::task_states(&slurm::submitted_jobs(sweep));
    let mut out = Vec::new();
    for (index, spec) in manifest.sweep.runs.iter().enumerate() {
        let queued = slurm_states.as_ref().and_then(|s| s.get(&index)).cloned();
        // A record written on a Slurm node is alive while Slurm says its task runs.
        let alive = |record: &crate::manifest::RunRecord| match (&record.slurm_job, &slurm_states) {
            (Some(_), Some(_)) => queued.as_deref() == Some("RUNNING"),
            _ => is_alive(record),
        };
        let archived = manifest
            .sweep
            .archive
            .as_deref()
            .and_then(|a| crate::state::finished_state(&a.join(&spec.dir)));
        let mut state = archived.unwrap_or_else(|| run_state_with(sweep, &spec.dir, &alive));
        // Submitted, out of the queue, and never started: Slurm failed the task before it
        // could run (its output file in _sweep/logs says why).
        if state == RunState::Pending
            && queued.as_deref() == Some("NOT_QUEUED")
            && sweep.read_record(&spec.dir).is_none()
        {
            state = RunState::Failed { exit_code: None };
        }
        out.push(RunStatus {
            index: Some(index),
            dir: spec.dir.clone(),
            state,
            slurm: queued,
        });
    }
    Ok(out)
}

/// Counts per state word, in the order done, running, failed, interrupted, pending.
pub fn counts(runs: &[RunStatus]) -> Vec<(&'static str, usize)> {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for run in runs {
        *counts.entry(run.state.word()).or_default() += 1;
    }
    ["done", "running", "failed", "interrupted", "pending"]
        .into_iter()
        .map(|word| (word, counts.get(word).copied().unwrap_or(0)))
        .collect()
}

/// Run directories below `root` (directories holding `config.json` or `summary.json`), as
/// `/`-separated relative paths, sorted; `_sweep/` is skipped.
pub fn scan(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    walk(root, root, &mut found);
    found.sort();
    found
}

fn walk(root: &Path, dir: &Path, found: &mut Vec<String>) {
    if dir.join(files::CONFIG).is_file() || dir.join(files::SUMMARY).is_file() {
        if let Ok(relative) = dir.strip_prefix(root) {
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            found.push(if parts.is_empty() {
                ".".to_owned()
            } else {
                parts.join("/")
            });
        }
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut children: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| e.file_name() != BOOKKEEPING)
        .map(|e| e.path())
        .collect();
    children.sort();
    for child in children {
        walk(root, &child, found);
    }
}
