//! Running a sweep's runs as `tprog train` processes: on this machine, N at a time (the local
//! backend), or one per Slurm array task ([`run_one`]). Each attempt is recorded in
//! `_sweep/records/` and its output appended to `_sweep/logs/`; a failed run is reported and
//! the others go on.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::SweepError;
use crate::lock::DriverLock;
use crate::manifest::{Manifest, RunRecord, SweepDir, host_name, now};
use crate::spec::RunSpec;
use crate::state::{Action, RunState, action, archive_run, archived_state, run_state};

/// How runs are started.
#[derive(Debug, Clone)]
pub struct Launcher {
    /// The `tprog` binary.
    pub binary: PathBuf,
    /// Worker threads per run (`tprog train --threads`).
    pub threads: usize,
}

/// What happened to a run, as the runner reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Not started: done already, or running elsewhere.
    Skipped {
        /// The run.
        run: String,
        /// Its state.
        state: RunState,
    },
    /// Started.
    Started {
        /// The run.
        run: String,
        /// Fresh or resumed.
        action: Action,
    },
    /// Its process ended.
    Ended {
        /// The run.
        run: String,
        /// Its state afterwards.
        state: RunState,
        /// Seconds it took.
        seconds: u64,
        /// Its log.
        log: PathBuf,
    },
}

/// The outcome of a local sweep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalReport {
    /// Runs already done before this invocation.
    pub already_done: usize,
    /// Runs that finished now.
    pub finished: usize,
    /// Runs that failed now, with their logs.
    pub failed: Vec<(String, PathBuf)>,
    /// Runs left for later: interrupted by Ctrl-C, or not started because of it.
    pub left: usize,
    /// Runs another process was running.
    pub running_elsewhere: usize,
}

/// A run in progress.
struct Active {
    run: String,
    child: Child,
    started: Instant,
    record: RunRecord,
}

/// Runs every unfinished run of the sweep, `jobs` at a time, until all are done or `stop` is
/// raised (then running ones finish their epoch and stop, and no new one starts). `lock` is the
/// sweep directory's driver lock, taken by the caller before it writes the manifest. A run's
/// state is read again just before it starts: one finished or started meanwhile by someone
/// else (a hand-started `tprog train --resume`, a Slurm task) is skipped.
pub fn run_local(
    sweep: &SweepDir,
    _lock: &DriverLock,
    manifest: &Manifest,
    launcher: &Launcher,
    jobs: usize,
    stop: &AtomicBool,
    on_event: &mut dyn FnMut(&Event),
) -> Result<LocalReport, SweepError> {
    let mut report = LocalReport::default();
    let archive = manifest.sweep.archive.as_deref();
    let mut queue: Vec<&RunSpec> = Vec::new();
    for spec in &manifest.sweep.runs {
        if next_action(sweep, archive, spec, &mut report, on_event).is_some() {
            queue.push(spec);
        }
    }
    queue.reverse(); // popped from the end: manifest order
    let mut active: Vec<Active> = Vec::new();
    loop {
        while active.len() < jobs.max(1) && !stop.load(Ordering::Relaxed) {
            let Some(spec) = queue.pop() else {
                break;
            };
            // Read again: someone else may have finished or started it meanwhile.
            let Some(next) = next_action(sweep, archive, spec, &mut report, on_event) else {
                continue;
            };
            match start(sweep, spec, next, launcher, None) {
                Ok(started) => {
                    on_event(&Event::Started {
                        run: spec.dir.clone(),
                        action: next,
                    });
                    active.push(started);
                }
                Err(error) => {
                    let log = sweep.log(&spec.dir);
                    append_log(&log, &format!("could not start: {error}\n"));
                    report.failed.push((spec.dir.clone(), log));
                }
            }
        }
        if active.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        let mut i = 0;
        while i < active.len() {
            let status = active[i]
                .child
                .try_wait()
                .map_err(|e| SweepError::io(sweep.run_dir(&active[i].run), e))?;
            let Some(status) = status else {
                i += 1;
                continue;
            };
            let done = active.swap_remove(i);
            let event = end(sweep, archive, done, status)?;
            if let Event::Ended {
                run, state, log, ..
            } = &event
            {
                match state {
                    RunState::Done { .. } => report.finished += 1,
                    RunState::Interrupted { .. } | RunState::Pending => report.left += 1,
                    _ => report.failed.push((run.clone(), log.clone())),
                }
            }
            on_event(&event);
        }
    }
    report.left += queue.len();
    Ok(report)
}

/// What to do with a run now, or `None` (counted and reported) when it is to be skipped.
fn next_action(
    sweep: &SweepDir,
    archive: Option<&Path>,
    spec: &RunSpec,
    report: &mut LocalReport,
    on_event: &mut dyn FnMut(&Event),
) -> Option<Action> {
    let state = archived_state(sweep, archive, &spec.dir);
    let next = action(&state, &sweep.run_dir(&spec.dir));
    if next != Action::Skip {
        return Some(next);
    }
    match state {
        RunState::Running => report.running_elsewhere += 1,
        _ => report.already_done += 1,
    }
    on_event(&Event::Skipped {
        run: spec.dir.clone(),
        state,
    });
    None
}

/// Runs run number `index` of the manifest in this process's place (a Slurm array task):
/// skipped when done, resumed when interrupted. Returns its state afterwards.
pub fn run_one(
    sweep: &SweepDir,
    manifest: &Manifest,
    index: usize,
    launcher: &Launcher,
    slurm_job: Option<String>,
) -> Result<Event, SweepError> {
    let Some(spec) = manifest.sweep.runs.get(index) else {
        return Err(SweepError::Invalid {
            path: sweep.own(crate::manifest::MANIFEST),
            problems: vec![format!(
                "run index {index} is out of range: the sweep has {} runs (0..{})",
                manifest.sweep.runs.len(),
                manifest.sweep.runs.len().saturating_sub(1)
            )],
        });
    };
    let archive = manifest.sweep.archive.as_deref();
    let state = archived_state(sweep, archive, &spec.dir);
    let next = action(&state, &sweep.run_dir(&spec.dir));
    if next == Action::Skip {
        return Ok(Event::Skipped {
            run: spec.dir.clone(),
            state,
        });
    }
    let mut active = start(sweep, spec, next, launcher, slurm_job)?;
    let status = active
        .child
        .wait()
        .map_err(|e| SweepError::io(sweep.run_dir(&spec.dir), e))?;
    end(sweep, archive, active, status)
}

/// The `tprog train` command of a run.
pub fn command(sweep: &SweepDir, spec: &RunSpec, next: Action, launcher: &Launcher) -> Command {
    let dir = sweep.run_dir(&spec.dir);
    let mut command = Command::new(&launcher.binary);
    command.arg("train");
    match next {
        Action::Resume => {
            command.arg("--resume").arg(&dir);
        }
        Action::Fresh { overwrite } => {
            command.args(&spec.args).arg("--out").arg(&dir);
            if overwrite {
                command.arg("--overwrite");
            }
        }
        Action::Skip => {
            command.args(&spec.args).arg("--out").arg(&dir);
        }
    }
    command
        .arg("--quiet")
        .arg("--threads")
        .arg(launcher.threads.to_string());
    command
}

fn start(
    sweep: &SweepDir,
    spec: &RunSpec,
    next: Action,
    launcher: &Launcher,
    slurm_job: Option<String>,
) -> Result<Active, SweepError> {
    let log_path = sweep.log(&spec.dir);
    if let Some(parent) = log_path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| SweepError::io(parent, e))?;
    }
    let run_dir = sweep.run_dir(&spec.dir);
    if let Some(parent) = run_dir.parent() {
        std::fs::create_dir_all(parent).map_err(|e| SweepError::io(parent, e))?;
    }
    let mut command = command(sweep, spec, next, launcher);
    let attempt = sweep.read_record(&spec.dir).map_or(1, |r| r.attempt + 1);
    let how = if next == Action::Resume {
        "resume"
    } else {
        "fresh"
    };
    append_log(
        &log_path,
        &format!(
            "== attempt {attempt} ({how}) on {} at {} s: {command:?}\n",
            host_name(),
            now()
        ),
    );
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| SweepError::io(&log_path, e))?;
    let log_err = log.try_clone().map_err(|e| SweepError::io(&log_path, e))?;
    let child = command
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|e| SweepError::io(&launcher.binary, e))?;
    let record = RunRecord {
        running: true,
        action: how.to_owned(),
        pid: Some(child.id()),
        host: host_name(),
        slurm_job,
        started: now(),
        seconds: None,
        exit_code: None,
        attempt,
    };
    sweep.write_record(&spec.dir, &record)?;
    Ok(Active {
        run: spec.dir.clone(),
        child,
        started: Instant::now(),
        record,
    })
}

fn end(
    sweep: &SweepDir,
    archive: Option<&Path>,
    done: Active,
    status: ExitStatus,
) -> Result<Event, SweepError> {
    let seconds = done.started.elapsed().as_secs();
    let record = RunRecord {
        running: false,
        seconds: Some(seconds),
        exit_code: status.code(),
        ..done.record
    };
    sweep.write_record(&done.run, &record)?;
    let log = sweep.log(&done.run);
    append_log(&log, &format!("== ended after {seconds} s: {status}\n"));
    let state = run_state(sweep, &done.run);
    if let (RunState::Done { .. }, Some(archive)) = (&state, archive) {
        archive_run(sweep, archive, &done.run)?;
    }
    Ok(Event::Ended {
        state,
        run: done.run,
        seconds,
        log,
    })
}

fn append_log(path: &Path, line: &str) {
    if let Ok(mut file) = OpenOptions::new().create(true).append(true).open(path) {
        let _ = file.write_all(line.as_bytes());
    }
}

/// The last `n` lines of a log (for the failure report).
pub fn log_tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
