//! `tprog plot`: several runs' training curves overlaid in one picture
//! (`tprog_pipeline::curves::draw_overlay`), one colour and one legend line per run.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use tprog_train::{EpochRecord, RunDir};

use crate::Status;

/// Arguments of `tprog plot`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run directories (each with its metrics.jsonl).
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,
    /// The picture to write (.svg). PNG is not drawn by tprog: convert the SVG, e.g. with
    /// `rsvg-convert -o F.png F.svg`.
    #[arg(long, default_value = "curves.svg")]
    pub out: PathBuf,
    /// Title (default: "training curves").
    #[arg(long)]
    pub title: Option<String>,
    /// Replace the --out file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Runs `tprog plot`.
pub fn run(args: Args) -> anyhow::Result<Status> {
    match args.out.extension().and_then(|e| e.to_str()) {
        Some("svg") => {}
        Some("png") => bail!(
            "tprog draws SVG only (PNG would need a font rasteriser and system libraries); write \
             --out {} and convert it, e.g. rsvg-convert -o {} {}",
            args.out.with_extension("svg").display(),
            args.out.display(),
            args.out.with_extension("svg").display()
        ),
        _ => bail!("--out {}: give a .svg file", args.out.display()),
    }
    let names = run_names(&args.runs);
    let mut runs = Vec::new();
    for (dir, name) in args.runs.iter().zip(names) {
        let run = RunDir::open(dir)?;
        let records: Vec<EpochRecord> = run
            .read_metrics()
            .with_context(|| format!("reading the metrics of {}", dir.display()))?;
        if records.is_empty() {
            note!("{}: no epoch recorded yet, left out", dir.display());
        }
        runs.push((name, records));
    }
    let title = args.title.as_deref().unwrap_or("training curves");
    let svg = tprog_pipeline::curves::draw_overlay(&runs, title)
        .map_err(|e| anyhow::anyhow!("drawing the curves: {e}"))?;
    let Some(svg) = svg else {
        bail!("none of the runs has a recorded epoch");
    };
    crate::cmd::output::write_file(&args.out, svg.as_bytes(), args.force)?;
    note!("wrote {}", args.out.display());
    Ok(Status::Done)
}

/// Each run's legend name: its path without the prefix all share (`runs/sweep/a`,
/// `runs/sweep/b` → `a`, `b`), the whole path when that would leave nothing.
fn run_names(dirs: &[PathBuf]) -> Vec<String> {
    let parts: Vec<Vec<String>> = dirs
        .iter()
        .map(|d| {
            d.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .collect();
    let shortest = parts.iter().map(Vec::len).min().unwrap_or(0);
    let mut common = 0;
    while common + 1 < shortest && parts.iter().all(|p| p[common] == parts[0][common]) {
        common += 1;
    }
    if dirs.len() < 2 {
        common = 0;
    }
    parts
        .iter()
        .zip(dirs)
        .map(|(p, d)| {
            let name = p[common..].join("/");
            if name.is_empty() {
                Path::new(d).display().to_string()
            } else {
                name
            }
        })
        .collect()
}
