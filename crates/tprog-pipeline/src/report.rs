//! The run's report: `summary.json` (typed, for tools) and `report.md` (for people), written
//! at the end of every run, also when the program stage failed.

use std::fmt::Write as _;
use std::time::Instant;

use tprog_baseline::standard::StandardTransformer;
use tprog_train::rundir::files;
use tprog_train::{Architecture, RunConfig, RunDir};

use crate::PipelineError;
use crate::stages::{Discrete, Emitted};
use crate::summary::{Faithful, SUMMARY_VERSION, SplitResult, Summary};

/// Writes `summary.json` and `report.md` for a run (of this invocation, since `started`)
/// whose program stages ended with `program`, and returns the summary. When the program stages
/// failed, the files are still written (with the reason) and the error is returned, saying
/// what is kept.
pub fn write(
    run: &RunDir,
    config: &RunConfig,
    discrete: &Discrete,
    program: Result<&Emitted, &PipelineError>,
    started: Instant,
) -> Result<Summary, PipelineError> {
    let program_seconds = discrete.evaluated_at.elapsed().as_secs_f64();
    let mut summary = summary(config, discrete, started.elapsed().as_secs_f64());
    match program {
        Ok(emitted) => {
            let rows = &emitted.verified.splits;
            summary.faithful = Some(Faithful {
                all_agree: rows.iter().all(|r| r.is_exact()),
                positions: rows.iter().map(|r| r.positions).sum(),
                positions_agreeing: rows.iter().map(|r| r.positions_agreeing).sum(),
                modules: emitted.verified.program.modules.len(),
                python_lines: emitted.python_lines,
                decompile_seconds: program_seconds,
                splits: rows.clone(),
            });
        }
        Err(error) => summary.program_error = Some(PipelineError::chain(error)),
    }
    run.write_json(Summary::FILE, &summary)?;
    run.write_atomic(files::REPORT, with_curves(run, &summary).as_bytes())?;
    match &summary.program_error {
        None => Ok(summary),
        Some(message) => Err(PipelineError::ProgramStage {
            dir: run.root().to_path_buf(),
            message: message.clone(),
        }),
    }
}

/// Writes `summary.json` and `report.md` for a run of the standard Transformer baseline: the
/// accuracy table and timings; there is no program to decompile, and the report says so.
pub fn write_baseline(
    run: &RunDir,
    config: &RunConfig,
    discrete: &Discrete<StandardTransformer>,
    started: Instant,
) -> Result<Summary, PipelineError> {
    let summary = summary(config, discrete, started.elapsed().as_secs_f64());
    run.write_json(Summary::FILE, &summary)?;
    run.write_atomic(files::REPORT, with_curves(run, &summary).as_bytes())?;
    Ok(summary)
}

/// The report's Markdown, with a link to `curves.svg` (drawn now from `metrics.jsonl`) or the
/// reason there is none.
fn with_curves(run: &RunDir, summary: &Summary) -> String {
    let mut text = markdown(summary);
    let title = format!(
        "{} · preset {} · seed {}",
        summary.name,
        summary.preset.as_deref().unwrap_or("custom"),
        summary.seed
    );
    match crate::curves::write(run, &title) {
        Ok(true) => text.push_str(
            "\nTraining curves (loss, temperature, validation accuracy per epoch): \
             [curves.svg](curves.svg).\n",
        ),
        Ok(false) => {}
        Err(reason) => {
            let _ = writeln!(text, "\nNo training curves: {reason}.");
        }
    }
    text
}

/// The summary of a run without its program part.
fn summary<M>(config: &RunConfig, discrete: &Discrete<M>, wall_seconds: f64) -> Summary {
    let state = &discrete.state;
    let [train, val, test] = &discrete.accuracy;
    Summary {
        summary_version: SUMMARY_VERSION,
        name: config.name.clone(),
        architecture: if config.standard.is_some() {
            Architecture::Standard
        } else {
            Architecture::Program
        },
        preset: config.preset.clone(),
        seed: config.train.seed,
        train: train.into(),
        val: val.into(),
        test: test.into(),
        best_epoch: state.best_epoch,
        epochs: state.epochs_completed,
        interrupted: discrete.interrupted,
        stopped_early: discrete.stopped_early,
        train_seconds: state.seconds,
        seconds_per_epoch: state.seconds / state.epochs_completed.max(1) as f64,
        wall_seconds,
        threads: rayon::current_num_threads(),
        machine: machine(),
        config: config.clone(),
        faithful: None,
        program_error: None,
    }
}

/// The CPU model and core count, for result tables.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores")
}

/// A percentage with two decimals, or "—" for an empty split.
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{:.2}", 100.0 * v))
}

/// `report.md`: title, settings, the accuracy table, and the program's faithfulness or why
/// there is no program.
pub fn markdown(summary: &Summary) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "# Run `{}`\n", summary.name);
    let selection = if summary.val.examples == 0 {
        "the last epoch: there is no validation split"
    } else {
        "best discrete validation accuracy"
    };
    let _ = writeln!(
        text,
        "Preset `{}`, seed {}, {} epochs trained{}, reported epoch {} ({selection}), {:.1} s.\n",
        summary.preset.as_deref().unwrap_or("custom"),
        summary.seed,
        summary.epochs,
        if summary.interrupted {
            " (interrupted)"
        } else {
            ""
        },
        summary.best_epoch,
        summary.wall_seconds
    );
    let entities = summary.test.entity.is_some();
    let _ = writeln!(
        text,
        "| split | examples | token acc. (%) | sequence acc. (%) |{}",
        if entities {
            " entity P / R / F1 (%, strict IOB2) |"
        } else {
            ""
        }
    );
    let _ = writeln!(
        text,
        "|---|---|---|---|{}",
        if entities { "---|" } else { "" }
    );
    for (name, split) in [
        ("train", &summary.train),
        ("val", &summary.val),
        ("test", &summary.test),
    ] {
        let mut row = table_row(name, split);
        if let Some(e) = &split.entity {
            row.push_str(&format!(
                " {:.2} / {:.2} / {:.2} |",
                100.0 * e.precision,
                100.0 * e.recall,
                100.0 * e.f1
            ));
        }
        let _ = writeln!(text, "{row}");
    }
    match (&summary.faithful, &summary.program_error) {
        (Some(faithful), _) => {
            let _ = writeln!(
                text,
                "\nFaithfulness: the program {} the discrete model on {}/{} real positions of \
                 the three splits. Program: {} modules, {} lines of Python (`program.py`), \
                 decompiled and verified in {:.2} s. The circuit: [program.svg](program.svg).",
                if faithful.all_agree {
                    "equals"
                } else {
                    "DIFFERS FROM"
                },
                faithful.positions_agreeing,
                faithful.positions,
                faithful.modules,
                faithful.python_lines,
                faithful.decompile_seconds
            );
        }
        (None, Some(error)) => {
            let _ = writeln!(text, "\nNo program: {error}.");
        }
        (None, None) if summary.architecture == Architecture::Standard => {
            let _ = writeln!(
                text,
                "\nNo program: this run trained the standard Transformer baseline, which has no \
                 program to decompile."
            );
        }
        (None, None) => {}
    }
    text
}

fn table_row(name: &str, split: &SplitResult) -> String {
    format!(
        "| {name} | {} | {} | {} |",
        split.examples,
        percent(split.token_acc),
        percent(split.sequence_acc)
    )
}
