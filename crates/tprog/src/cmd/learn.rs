//! The stages after training, shared by `train` and `train --resume`: the discrete model's
//! accuracy, decompiling, verifying the program against the model, exporting, the report.

use std::fmt::Write as _;
use std::path::PathBuf;

use tprog_tasks::Dataset;
use tprog_train::rundir::files;
use tprog_train::session::OpenRun;
use tprog_train::{Accuracy, Outcome, trainer};

use crate::cmd::program;

/// What one finished run reports.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The run directory.
    pub dir: PathBuf,
    /// Its seed.
    pub seed: u64,
    /// Discrete accuracy on train, val, test.
    pub accuracy: [Accuracy; 3],
    /// Epoch (1-based) whose parameters are reported.
    pub best_epoch: usize,
    /// Epochs trained.
    pub epochs: usize,
    /// Wall-clock seconds of this invocation (training, evaluation, decompiling).
    pub seconds: f64,
    /// Whether the run was interrupted before its last epoch.
    pub interrupted: bool,
}

/// Prints the split sizes actually produced.
pub fn print_data_summary(dataset: &Dataset) {
    let requested = dataset
        .requested
        .map_or_else(String::new, |asked| format!(" ({asked} asked)"));
    eprintln!(
        "data: {} — train {} / val {} / test {}{requested}; n_ctx {}; {} input tokens, {} classes",
        dataset.task,
        dataset.train.len(),
        dataset.val.len(),
        dataset.test.len(),
        dataset.n_ctx,
        dataset.input_vocab.len(),
        dataset.output_vocab.len()
    );
}

/// Evaluates the reported model, decompiles and verifies it, writes the program and the report.
pub fn finish(
    run: &OpenRun,
    outcome: Outcome,
    seconds: f64,
    print_program: bool,
) -> anyhow::Result<RunSummary> {
    let mut model = outcome.model;
    let accuracy = trainer::final_accuracy(&mut model, &run.splits)?;
    let summary = RunSummary {
        dir: run.dir.root().to_path_buf(),
        seed: run.config.train.seed,
        accuracy,
        best_epoch: outcome.state.best_epoch,
        epochs: outcome.state.epochs_completed,
        seconds,
        interrupted: outcome.interrupted,
    };
    if outcome.interrupted {
        eprintln!(
            "stopped after epoch {}; continue with: tprog train --resume {}",
            outcome.state.epochs_completed,
            run.dir.root().display()
        );
    }
    let (program, agreement, program_seconds) = match program::program_stage(run, &mut model) {
        Ok(stage) => stage,
        Err(error) => {
            return Err(keep_results_without_program(
                run,
                &summary,
                &outcome.state,
                error,
            ));
        }
    };
    let faithful = Faithful {
        all_agree: agreement.iter().all(|(_, a)| a.is_exact()),
        positions: agreement.iter().map(|(_, a)| a.positions).sum(),
        positions_agreeing: agreement.iter().map(|(_, a)| a.positions_agreeing).sum(),
        modules: program.modules.len(),
        python_lines: std::fs::read_to_string(run.dir.path(files::PROGRAM_PY))
            .map_or(0, |text| text.lines().count()),
        decompile_seconds: program_seconds,
    };
    let report = report_markdown(run, &summary, &faithful);
    run.dir.write_atomic(files::REPORT, report.as_bytes())?;
    let mut json = summary_json(run, &summary, &outcome.state);
    json["faithful"] = serde_json::to_value(&faithful)?;
    run.dir.write_json(SUMMARY, &json)?;
    if print_program && let Ok(text) = std::fs::read_to_string(run.dir.path(files::PROGRAM_PY)) {
        println!("{text}");
    }
    program::report_agreement(&agreement)?;
    eprintln!(
        "program: {} modules, {} lines of Python → {} and {}",
        faithful.modules,
        faithful.python_lines,
        run.dir.path(files::PROGRAM_JSON).display(),
        run.dir.path(files::PROGRAM_PY).display()
    );
    Ok(summary)
}

/// When the program stage fails after training, keeps what is finished: the summary and the
/// report (with the accuracy of the saved model, and why there is no program), then returns
/// the error with how to retry.
fn keep_results_without_program(
    run: &OpenRun,
    summary: &RunSummary,
    state: &tprog_train::checkpoint::LoopState,
    error: anyhow::Error,
) -> anyhow::Error {
    let root = run.dir.root().display();
    let retry = format!("`tprog train --resume {root}` retries the program stage");
    let mut json = summary_json(run, summary, state);
    json["program_error"] = format!("{error:#}").into();
    let mut report = report_head(run, summary);
    let _ = writeln!(report, "\nNo program: {error:#}\n\n{retry}.");
    let saved = run
        .dir
        .write_json(SUMMARY, &json)
        .and_then(|()| run.dir.write_atomic(files::REPORT, report.as_bytes()));
    match saved {
        Ok(()) => error.context(format!(
            "no program for {root}; the trained model (model.safetensors) and its accuracy \
             (summary.json, report.md) are saved; {retry}"
        )),
        Err(also) => error.context(format!(
            "no program for {root}, and its summary could not be written either ({also}); the \
             trained model is in model.safetensors; {retry}"
        )),
    }
}

/// Machine-readable results of a run (read by `scripts/results_table.py`).
pub const SUMMARY: &str = "summary.json";

fn summary_json(
    run: &OpenRun,
    summary: &RunSummary,
    state: &tprog_train::checkpoint::LoopState,
) -> serde_json::Value {
    let split = |acc: &Accuracy| {
        serde_json::json!({
            "examples": acc.sequences,
            "token_acc": acc.token(),
            "sequence_acc": acc.sequence(),
        })
    };
    serde_json::json!({
        "name": run.config.name,
        "preset": run.config.preset,
        "seed": summary.seed,
        "train": split(&summary.accuracy[0]),
        "val": split(&summary.accuracy[1]),
        "test": split(&summary.accuracy[2]),
        "best_epoch": summary.best_epoch,
        "epochs": summary.epochs,
        "interrupted": summary.interrupted,
        "train_seconds": state.seconds,
        "seconds_per_epoch": state.seconds / state.epochs_completed.max(1) as f64,
        "wall_seconds": summary.seconds,
        "threads": rayon::current_num_threads(),
        "machine": machine(),
        // The whole configuration, so that an archived summary says how it was trained.
        "config": run.config,
    })
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

fn pct(value: f64) -> String {
    format!("{:.2}", 100.0 * value)
}

/// Whether the decompiled program equals the discrete model, and its size.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Faithful {
    /// Program == model at every real position of every split.
    pub all_agree: bool,
    /// Real positions compared over train, val and test.
    pub positions: usize,
    /// Of which agreeing.
    pub positions_agreeing: usize,
    /// Modules (heads and MLPs) in the program.
    pub modules: usize,
    /// Lines of the Python export.
    pub python_lines: usize,
    /// Seconds to decompile, verify and export.
    pub decompile_seconds: f64,
}

/// The report: [`report_head`] and the faithfulness of the program.
fn report_markdown(run: &OpenRun, summary: &RunSummary, faithful: &Faithful) -> String {
    let mut text = report_head(run, summary);
    let _ = writeln!(
        text,
        "\nFaithfulness: the program {} the discrete model on {}/{} real positions of the three \
         splits. Program: {} modules, {} lines of Python (`program.py`), decompiled and verified \
         in {:.2} s.",
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
    text
}

/// The report's title, settings and accuracy table.
fn report_head(run: &OpenRun, summary: &RunSummary) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "# Run `{}`\n", run.config.name);
    let _ = writeln!(
        text,
        "Preset `{}`, seed {}, {} epochs trained, reported epoch {} (best discrete validation \
         accuracy), {:.1} s.\n",
        run.config.preset.as_deref().unwrap_or("custom"),
        summary.seed,
        summary.epochs,
        summary.best_epoch,
        summary.seconds
    );
    let _ = writeln!(
        text,
        "| split | examples | token acc. (%) | sequence acc. (%) |"
    );
    let _ = writeln!(text, "|---|---|---|---|");
    for (name, acc) in ["train", "val", "test"].iter().zip(&summary.accuracy) {
        let _ = writeln!(
            text,
            "| {name} | {} | {} | {} |",
            acc.sequences,
            pct(acc.token()),
            pct(acc.sequence())
        );
    }
    text
}

/// Prints one row per run and, with several, the best by validation accuracy.
pub fn print_summary_table(summaries: &[RunSummary]) {
    println!(
        "\n{:<6} {:>9} {:>9} {:>9} {:>6} {:>9}  run",
        "seed", "train %", "val %", "test %", "epoch", "seconds"
    );
    for s in summaries {
        println!(
            "{:<6} {:>9} {:>9} {:>9} {:>6} {:>9.1}  {}{}",
            s.seed,
            pct(s.accuracy[0].token()),
            pct(s.accuracy[1].token()),
            pct(s.accuracy[2].token()),
            s.best_epoch,
            s.seconds,
            s.dir.display(),
            if s.interrupted { " (interrupted)" } else { "" }
        );
    }
    if summaries.len() > 1
        && let Some(best) = summaries
            .iter()
            .max_by(|a, b| a.accuracy[1].token().total_cmp(&b.accuracy[1].token()))
    {
        println!(
            "best by validation: seed {} — test accuracy {}% ({})",
            best.seed,
            pct(best.accuracy[2].token()),
            best.dir.display()
        );
    }
}
