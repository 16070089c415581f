//! `tprog sweep status` and `tprog sweep collect`: where a sweep's runs stand, and their
//! results in one table and one plot (`tprog_sweep::status`, `tprog_sweep::collect`).

use std::path::{Path, PathBuf};

use anyhow::bail;
use tprog_sweep::manifest::SweepDir;
use tprog_sweep::state::RunState;
use tprog_sweep::{collect, grid_plot, status};

use crate::Status;

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The sweep directory (or any directory of run directories).
    dir: PathBuf,
    /// List only the runs that are not done.
    #[arg(long)]
    unfinished: bool,
}

#[derive(Debug, clap::Args)]
pub struct CollectArgs {
    /// The directory to read summary.json files from (a sweep directory, or archived results).
    dir: PathBuf,
    /// Write every run as CSV to this file.
    #[arg(long, value_name = "FILE")]
    out_csv: Option<PathBuf>,
    /// Write the Markdown tables to this file (default: print them).
    #[arg(long, value_name = "FILE")]
    out_md: Option<PathBuf>,
    /// Draw the grid plot (SVG): test accuracy by configuration, every seed a point.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
    /// Copy each finished run's summary.json, report.md and curves.svg to the same place
    /// under this directory (results to commit).
    #[arg(long, value_name = "DIR")]
    archive: Option<PathBuf>,
    /// Title of the table and plot (default: the directory's name).
    #[arg(long)]
    title: Option<String>,
    /// Replace output files that exist.
    #[arg(long)]
    force: bool,
}

pub fn print_status(args: StatusArgs) -> anyhow::Result<Status> {
    let dir = SweepDir::new(&args.dir);
    let runs = status::status(&dir)?;
    let driver = tprog_sweep::lock::current_driver(&dir)
        .map(|driver| format!("driven by `tprog sweep run`: {driver}"));
    if runs.is_empty() {
        note!("no runs in {}", args.dir.display());
        if let Some(line) = driver {
            outln!("{line}");
        }
        return Ok(Status::Done);
    }
    let with_slurm = runs.iter().any(|r| r.slurm.is_some());
    let width = runs.iter().map(|r| r.dir.len()).max().unwrap_or(3).max(3);
    if with_slurm {
        outln!("{:<width$}  {:<10}  state", "run", "slurm");
    } else {
        outln!("{:<width$}  state", "run");
    }
    for run in &runs {
        if args.unfinished && matches!(run.state, RunState::Done { .. }) {
            continue;
        }
        let mut state = run.state.to_string();
        if matches!(run.state, RunState::Interrupted { .. } | RunState::Running)
            && let Some(age) = checkpoint_age(&dir.run_dir(&run.dir))
        {
            state.push_str(&format!(" (last checkpoint {age} ago)"));
        }
        if with_slurm {
            let slurm = run.slurm.as_deref().unwrap_or("-");
            outln!("{:<width$}  {slurm:<10}  {state}", run.dir);
        } else {
            outln!("{:<width$}  {state}", run.dir);
        }
    }
    let counts: Vec<String> = status::counts(&runs)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(word, n)| format!("{n} {word}"))
        .collect();
    outln!("{} runs: {}", runs.len(), counts.join(", "));
    if let Some(line) = driver {
        outln!("{line}");
    }
    Ok(Status::Done)
}

/// How long ago a run's last checkpoint was written, in words.
fn checkpoint_age(run: &Path) -> Option<String> {
    let seconds = tprog_sweep::state::checkpoint_age(run)?.as_secs();
    Some(match seconds {
        0..120 => format!("{seconds} s"),
        120..7200 => format!("{} min", seconds / 60),
        _ => format!("{} h", seconds / 3600),
    })
}

pub fn collect_results(args: CollectArgs) -> anyhow::Result<Status> {
    let collection = collect::collect(&args.dir)?;
    for (path, why) in &collection.unreadable {
        note!("skipped {}: {why}", path.display());
    }
    if collection.rows.is_empty() {
        bail!("no summary.json below {}", args.dir.display());
    }
    let title = args.title.clone().unwrap_or_else(|| {
        std::path::absolute(&args.dir)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "sweep".into())
    });
    let markdown = collect::to_markdown(&collection, &title);
    if let Some(path) = &args.out_csv {
        let csv = collect::to_csv(&collection);
        crate::cmd::output::write_file(path, csv.as_bytes(), args.force)?;
        note!("wrote {}", path.display());
    }
    if let Some(path) = &args.plot {
        match grid_plot::draw(&collection, &title)? {
            Some(svg) => {
                crate::cmd::output::write_file(path, svg.as_bytes(), args.force)?;
                note!("wrote {}", path.display());
            }
            None => note!("no plot: no run has a test accuracy"),
        }
    }
    if let Some(dest) = &args.archive {
        let copied = collect::archive(&args.dir, &collection, dest)?;
        note!("archived {copied} runs in {}", dest.display());
    }
    match &args.out_md {
        Some(path) => {
            crate::cmd::output::write_file(path, markdown.as_bytes(), args.force)?;
            note!("wrote {}", path.display());
        }
        None => crate::cmd::output::write_all(&markdown)?,
    }
    Ok(Status::Done)
}
