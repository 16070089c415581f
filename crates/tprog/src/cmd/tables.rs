//! The tables several commands print: runs' accuracy, a program's agreement with its model,
//! a dataset's sizes.

use std::path::PathBuf;

use tprog_pipeline::report::percent;
use tprog_pipeline::{SplitAgreement, Summary};
use tprog_tasks::Dataset;

use crate::cmd::output::StdoutError;

/// Prints the split sizes actually produced (standard error: it is progress, not a result).
pub fn note_data(dataset: &Dataset) {
    let requested = dataset
        .requested
        .map_or_else(String::new, |asked| format!(" ({asked} asked)"));
    note!(
        "data: {} — train {} / val {} / test {}{requested}; n_ctx {}; {} input tokens, {} classes",
        dataset.task,
        dataset.train.len(),
        dataset.val.len(),
        dataset.test.len(),
        dataset.n_ctx,
        dataset.input_vocab.len(),
        dataset.output_vocab.len()
    );
    if dataset.dropped > 0 && dataset.task.parse::<tprog_tasks::text::NlpTask>().is_ok() {
        note!(
            "data: {} sentences outside the length limits were left out (on every split, as \
             the reference)",
            dataset.dropped
        );
    } else if dataset.dropped > 0 {
        note!(
            "data: {} lines longer than --max-length were skipped (--drop-long)",
            dataset.dropped
        );
    }
}

/// One row per run and, with several, the best by validation accuracy.
pub fn print_runs(runs: &[(PathBuf, Summary)]) -> Result<(), StdoutError> {
    outln!(
        "\n{:<6} {:>9} {:>9} {:>9} {:>6} {:>9}  run",
        "seed",
        "train %",
        "val %",
        "test %",
        "epoch",
        "seconds"
    );
    for (dir, s) in runs {
        outln!(
            "{:<6} {:>9} {:>9} {:>9} {:>6} {:>9.1}  {}{}",
            s.seed,
            percent(s.train.token_acc),
            percent(s.val.token_acc),
            percent(s.test.token_acc),
            s.best_epoch,
            s.wall_seconds,
            dir.display(),
            if s.interrupted { " (interrupted)" } else { "" }
        );
    }
    if runs.len() > 1
        && let Some((dir, best)) = runs.iter().max_by(|a, b| {
            let key = |s: &Summary| s.val.token_acc.unwrap_or(f64::NEG_INFINITY);
            key(&a.1).total_cmp(&key(&b.1))
        })
    {
        outln!(
            "best by validation: seed {} — test accuracy {}% ({})",
            best.seed,
            percent(best.test.token_acc),
            dir.display()
        );
    }
    Ok(())
}

/// The agreement of a program with its discrete model, split by split.
pub fn print_agreement(rows: &[SplitAgreement]) -> Result<(), StdoutError> {
    outln!(
        "\nfaithfulness (program vs discrete model, every real position):\n{:<10} {:>10} {:>10} {:>9} {:>9} {:>10} {:>10}",
        "split",
        "positions",
        "agree",
        "agree %",
        "seqs",
        "model %",
        "program %"
    );
    for row in rows {
        let rate =
            (row.positions > 0).then(|| row.positions_agreeing as f64 / row.positions as f64);
        outln!(
            "{:<10} {:>10} {:>10} {:>9} {:>9} {:>10} {:>10}",
            row.split,
            row.positions,
            row.positions_agreeing,
            rate.map_or_else(|| "—".to_owned(), |r| format!("{:.3}", 100.0 * r)),
            row.sequences,
            percent(row.model_accuracy()),
            percent(row.program_accuracy()),
        );
    }
    if rows.iter().all(SplitAgreement::is_exact) {
        outln!("the program equals the discrete model at every position");
    }
    Ok(())
}

/// What a finished run wrote, on standard error.
pub fn note_program(dir: &std::path::Path, summary: &Summary) {
    if summary.architecture == tprog_train::Architecture::Standard {
        note!(
            "standard Transformer baseline: no program to decompile; its parameters are in {}",
            dir.join("model.safetensors").display()
        );
    }
    if let Some(faithful) = &summary.faithful {
        note!(
            "program: {} modules, {} lines of Python, equal to the discrete model on {}/{} \
             positions → {} and {} (`--print-program` prints it)",
            faithful.modules,
            faithful.python_lines,
            faithful.positions_agreeing,
            faithful.positions,
            dir.join("program.json").display(),
            dir.join("program.py").display()
        );
    }
}
