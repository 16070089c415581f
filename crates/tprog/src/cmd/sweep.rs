//! `tprog sweep`: run a grid of runs from a TOML file on this machine or as a Slurm array job
//! (`run`), say where each run stands (`status`), gather every result into one table and one
//! plot (`collect`, in `sweep_results.rs`). The work is `tprog_sweep`'s; this file turns flags
//! into its calls.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use anyhow::{Context, bail};
use tprog_sweep::local::{Event, Launcher, log_tail, run_local, run_one};
use tprog_sweep::lock::DriverLock;
use tprog_sweep::manifest::{Manifest, SweepDir};
use tprog_sweep::state::{Action, RunState, action, archived_state};
use tprog_sweep::{SlurmSettings, Sweep, slurm};

use crate::Status;

/// Arguments of `tprog sweep`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SweepCommand,
}

#[derive(Debug, clap::Subcommand)]
enum SweepCommand {
    /// Run the sweep a TOML file describes (docs/sweeps.md): here, N runs at a time, or as a
    /// Slurm array job. Rerunning it skips finished runs and resumes interrupted ones.
    Run(RunArgs),
    /// Every run's state: done, running, failed, interrupted or pending (with Slurm's view of
    /// submitted jobs).
    Status(crate::cmd::sweep_results::StatusArgs),
    /// Every summary.json below a directory in one CSV and one Markdown table, with the best
    /// seed of each configuration by validation accuracy, and the grid plot.
    Collect(crate::cmd::sweep_results::CollectArgs),
    /// Run one run of a sweep by its index in the manifest (what a Slurm array task calls).
    #[command(hide = true)]
    Task(TaskArgs),
}

/// Where the runs go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Backend {
    /// Child processes on this machine.
    Local,
    /// One Slurm array job, submitted with sbatch.
    Slurm,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The sweep file (TOML; see the files in sweeps/).
    file: PathBuf,
    /// Where the runs go.
    #[arg(long, value_enum, default_value = "local")]
    backend: Backend,
    /// Local backend: runs at a time (threads are shared out among them).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Threads per run (default: the sweep file's `threads`, else the cores divided by --jobs;
    /// Slurm: --cpus-per-task).
    #[arg(long)]
    threads: Option<usize>,
    /// The sweep directory (default: runs/<name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print what would run (local) or write the job script without submitting it (Slurm).
    #[arg(long)]
    dry_run: bool,
    /// Copy each run's summary.json, report.md and curves.svg here once it finishes; runs
    /// found here count as done (default: the sweep file's `archive`).
    #[arg(long, value_name = "DIR")]
    archive: Option<PathBuf>,
    /// The tprog binary the runs use (default: this one). On a cluster it must be reachable
    /// from every node.
    #[arg(long, value_name = "PATH")]
    tprog: Option<PathBuf>,
    /// Slurm: partition (overrides the file's [slurm] settings, as the other Slurm flags do).
    #[arg(long)]
    partition: Option<String>,
    /// Slurm: account.
    #[arg(long)]
    account: Option<String>,
    /// Slurm: time limit of each run, e.g. 04:00:00.
    #[arg(long)]
    time: Option<String>,
    /// Slurm: CPUs of each run (its threads).
    #[arg(long)]
    cpus_per_task: Option<usize>,
    /// Slurm: memory of each run, e.g. 4G.
    #[arg(long)]
    mem: Option<String>,
    /// Slurm: at most this many runs at once.
    #[arg(long)]
    max_parallel: Option<usize>,
}

#[derive(Debug, clap::Args)]
struct TaskArgs {
    /// The sweep directory.
    dir: PathBuf,
    /// The run's index in _sweep/manifest.json ($SLURM_ARRAY_TASK_ID).
    index: usize,
}

/// Runs `tprog sweep`.
pub fn run(args: Args) -> anyhow::Result<Status> {
    match args.command {
        SweepCommand::Run(args) => run_sweep(args),
        SweepCommand::Status(args) => crate::cmd::sweep_results::print_status(args),
        SweepCommand::Collect(args) => crate::cmd::sweep_results::collect_results(args),
        SweepCommand::Task(args) => run_task(args),
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn run_sweep(args: RunArgs) -> anyhow::Result<Status> {
    if args.jobs == 0 || args.threads == Some(0) {
        bail!("--jobs and --threads must be at least 1");
    }
    let mut sweep = Sweep::read(&args.file)?;
    if let Some(archive) = &args.archive {
        sweep.archive = Some(std::path::absolute(archive)?);
    }
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("runs").join(&sweep.name));
    let dir = SweepDir::new(&out);
    if dir.has_manifest() {
        let earlier = dir.read_manifest()?;
        if earlier.sweep.name != sweep.name {
            bail!(
                "{} holds the sweep '{}', not '{}'; give another --out",
                out.display(),
                earlier.sweep.name,
                sweep.name
            );
        }
        // Queued array tasks run the manifest's run of their index: it may not move under them.
        let same_runs = earlier.sweep.runs.len() == sweep.runs.len()
            && earlier
                .sweep
                .runs
                .iter()
                .zip(&sweep.runs)
                .all(|(a, b)| a == b);
        if !same_runs {
            let queued = slurm::task_states(&slurm::submitted_jobs(&dir))
                .unwrap_or_default()
                .into_values()
                .filter(|state| state != "NOT_QUEUED" && !is_final(state))
                .count();
            if queued > 0 {
                bail!(
                    "the sweep file changed the runs of {}, and {queued} of its Slurm array tasks are \
                     still queued or running (their indices point into the current manifest); wait \
                     for them or cancel them (scancel) first",
                    out.display()
                );
            }
        }
    }
    let binary = match &args.tprog {
        Some(path) => std::path::absolute(path)?,
        None => std::env::current_exe().context("cannot find the tprog binary")?,
    };
    let manifest = Manifest {
        file: std::path::absolute(&args.file)?,
        binary,
        sweep,
    };
    let plan: Vec<(usize, RunState, Action)> = manifest
        .sweep
        .runs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let state = archived_state(&dir, manifest.sweep.archive.as_deref(), &spec.dir);
            let next = action(&state, &dir.run_dir(&spec.dir));
            (i, state, next)
        })
        .collect();
    let count = |f: &dyn Fn(&Action) -> bool| plan.iter().filter(|p| f(&p.2)).count();
    note!(
        "sweep '{}': {} runs in {}: {} done or running, {} to resume, {} to start",
        manifest.sweep.name,
        plan.len(),
        out.display(),
        count(&|a| *a == Action::Skip),
        count(&|a| *a == Action::Resume),
        count(&|a| matches!(a, Action::Fresh { .. })),
    );
    match args.backend {
        Backend::Local => local(&args, &dir, &manifest, &text),
        Backend::Slurm => submit(&args, &dir, &manifest, &text, &plan),
    }
}

fn local(
    args: &RunArgs,
    dir: &SweepDir,
    manifest: &Manifest,
    text: &str,
) -> anyhow::Result<Status> {
    let threads = args
        .threads
        .or(manifest.sweep.threads)
        .unwrap_or_else(|| (cores() / args.jobs).max(1));
    let launcher = Launcher {
        binary: manifest.binary.clone(),
        threads,
    };
    if args.dry_run {
        for spec in &manifest.sweep.runs {
            let state = archived_state(dir, manifest.sweep.archive.as_deref(), &spec.dir);
            let next = action(&state, &dir.run_dir(&spec.dir));
            if next == Action::Skip {
                outln!("# {}: {state}", spec.dir);
            } else {
                let command = tprog_sweep::local::command(dir, spec, next, &launcher);
                outln!("{}", shell_line(&command));
            }
        }
        return Ok(Status::Done);
    }
    let lock = DriverLock::acquire(dir)?;
    dir.write_manifest(manifest, text)?;
    note!(
        "{} at a time, {threads} thread{} each; logs in {}",
        args.jobs,
        if threads == 1 { "" } else { "s" },
        dir.own("logs").display()
    );
    let stop = crate::cmd::train::interrupt_flag();
    let mut on_event = |event: &Event| match event {
        Event::Skipped {
            run,
            state: RunState::Running,
        } => note!("{run}: running elsewhere, skipped"),
        Event::Skipped { .. } => {}
        Event::Started { run, action } => {
            let how = if *action == Action::Resume {
                "resuming"
            } else {
                "starting"
            };
            note!("{how} {run}");
        }
        Event::Ended {
            run,
            state,
            seconds,
            ..
        } => note!("{run}: {state} ({seconds} s)"),
    };
    let report = run_local(
        dir,
        &lock,
        manifest,
        &launcher,
        args.jobs,
        &stop,
        &mut on_event,
    )?;
    note!(
        "done now {}, done before {}, failed {}, left {}{}",
        report.finished,
        report.already_done,
        report.failed.len(),
        report.left,
        if report.running_elsewhere > 0 {
            format!(", running elsewhere {}", report.running_elsewhere)
        } else {
            String::new()
        }
    );
    for (run, log) in &report.failed {
        note!("failed: {run} (log {}):", log.display());
        for line in log_tail(log, 6).lines() {
            note!("    {line}");
        }
    }
    if stop.load(Ordering::Relaxed) {
        note!(
            "interrupted; continue with: tprog sweep run {} --out {}",
            args.file.display(),
            dir.root().display()
        );
        return Ok(Status::Interrupted);
    }
    if !report.failed.is_empty() {
        bail!(
            "{} of {} runs failed (rerun the same command to retry them)",
            report.failed.len(),
            manifest.sweep.runs.len()
        );
    }
    Ok(Status::Done)
}

fn submit(
    args: &RunArgs,
    dir: &SweepDir,
    manifest: &Manifest,
    text: &str,
    plan: &[(usize, RunState, Action)],
) -> anyhow::Result<Status> {
    let flags = SlurmSettings {
        partition: args.partition.clone(),
        account: args.account.clone(),
        time: args.time.clone(),
        cpus_per_task: args.cpus_per_task.or(args.threads),
        mem: args.mem.clone(),
        max_parallel: args.max_parallel,
        extra: Vec::new(),
    };
    let mut settings = slurm::merge(&manifest.sweep.slurm, &flags);
    if settings.cpus_per_task.is_none() {
        settings.cpus_per_task = manifest.sweep.threads;
    }
    let indices: Vec<usize> = plan
        .iter()
        .filter(|p| p.2 != Action::Skip)
        .map(|p| p.0)
        .collect();
    if indices.is_empty() {
        note!("nothing to submit: every run is done or running");
        return Ok(Status::Done);
    }
    dir.write_manifest(manifest, text)?;
    let script = slurm::job_script(dir, manifest, &indices, &settings);
    let path = slurm::write_job(dir, &script)?;
    if args.dry_run {
        note!(
            "wrote {} ({} array tasks); submit it with: sbatch {}",
            path.display(),
            indices.len(),
            path.display()
        );
        return Ok(Status::Done);
    }
    let id = slurm::submit(dir, &path, &indices)?;
    outln!("{id}");
    note!(
        "submitted job {id} ({} array tasks); follow it with: tprog sweep status {}",
        indices.len(),
        dir.root().display()
    );
    Ok(Status::Done)
}

/// Slurm job states after which a task does nothing more.
fn is_final(state: &str) -> bool {
    matches!(
        state,
        "COMPLETED"
            | "FAILED"
            | "CANCELLED"
            | "TIMEOUT"
            | "OUT_OF_MEMORY"
            | "NODE_FAIL"
            | "PREEMPTED"
            | "BOOT_FAIL"
            | "DEADLINE"
    )
}

fn shell_line(command: &std::process::Command) -> String {
    let quote = |s: &str| {
        if !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=,:+".contains(c))
        {
            s.to_owned()
        } else {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
    };
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|s| quote(&s.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn run_task(args: TaskArgs) -> anyhow::Result<Status> {
    let dir = SweepDir::new(&args.dir);
    let manifest = dir.read_manifest()?;
    let threads = std::env::var("SLURM_CPUS_PER_TASK")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(cores);
    let launcher = Launcher {
        binary: std::env::current_exe().context("cannot find the tprog binary")?,
        threads,
    };
    let job = match (
        std::env::var("SLURM_ARRAY_JOB_ID"),
        std::env::var("SLURM_ARRAY_TASK_ID"),
    ) {
        (Ok(job), Ok(task)) => Some(format!("{job}_{task}")),
        _ => std::env::var("SLURM_JOB_ID").ok(),
    };
    match run_one(&dir, &manifest, args.index, &launcher, job)? {
        Event::Skipped { run, state } => note!("{run}: {state}, nothing to do"),
        Event::Ended {
            run,
            state,
            seconds,
            log,
        } => {
            note!("{run}: {state} ({seconds} s; log {})", log.display());
            match state {
                RunState::Done { .. } => {}
                RunState::Interrupted { .. } => return Ok(Status::Interrupted),
                _ => bail!("{run} failed; its log: {}", log.display()),
            }
        }
        Event::Started { .. } => {}
    }
    Ok(Status::Done)
}
