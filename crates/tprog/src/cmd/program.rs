//! The program stages shared by `train`, `verify` and `export`: decompile a run's discrete
//! model, check that the program equals it on every example, and write the exports.

use std::time::Instant;

use anyhow::{Context, bail};
use tprog_decompile::{Agreement, Examples, Vocabularies, decompile, verify};
use tprog_model::Model;
use tprog_program::{Program, to_python};
use tprog_train::rundir::files;
use tprog_train::session::OpenRun;

/// The vocabularies and name of a run, for the decompiler.
pub fn vocabularies(run: &OpenRun) -> Vocabularies {
    Vocabularies {
        input: run.config.shape.input_vocab.clone(),
        output: run.config.shape.output_vocab.clone(),
        name: run.config.name.clone(),
    }
}

/// Decompiles the run's model.
pub fn decompile_run(run: &OpenRun, model: &Model) -> anyhow::Result<Program> {
    decompile(model, &vocabularies(run))
        .with_context(|| format!("decompiling the model of {}", run.dir.root().display()))
}

/// Agreement of program and model per named split.
pub type SplitAgreement = Vec<(&'static str, Agreement)>;

/// Program versus discrete model on the train, val and test splits.
pub fn verify_splits(
    run: &OpenRun,
    model: &mut Model,
    program: &Program,
) -> anyhow::Result<SplitAgreement> {
    let mut rows = Vec::new();
    for (name, split) in [
        ("train", &run.splits.train),
        ("val", &run.splits.val),
        ("test", &run.splits.test),
    ] {
        rows.push((name, verify(model, program, &Examples::from_split(split))?));
    }
    Ok(rows)
}

/// Prints the agreement table; fails loudly if the program differs from the model anywhere.
pub fn report_agreement(rows: &[(impl AsRef<str>, Agreement)]) -> anyhow::Result<()> {
    println!(
        "\nfaithfulness (program vs discrete model, every real position):\n{:<10} {:>10} {:>10} {:>9} {:>9} {:>10} {:>10}",
        "split", "positions", "agree", "agree %", "seqs", "model %", "program %"
    );
    let mut exact = true;
    for (name, agreement) in rows {
        exact &= agreement.is_exact();
        println!(
            "{:<10} {:>10} {:>10} {:>9.3} {:>9} {:>10} {:>10}",
            name.as_ref(),
            agreement.positions,
            agreement.positions_agreeing,
            100.0 * agreement.position_rate(),
            agreement.sequences,
            agreement
                .model_accuracy()
                .map_or("–".into(), |a| format!("{:.2}", 100.0 * a)),
            agreement
                .program_accuracy()
                .map_or("–".into(), |a| format!("{:.2}", 100.0 * a)),
        );
    }
    if !exact {
        for (name, agreement) in rows {
            if !agreement.is_exact() {
                eprintln!("{}: {agreement}", name.as_ref());
            }
        }
        bail!("FAITHFULNESS FAILURE: the program differs from the discrete model (see above)");
    }
    println!("the program equals the discrete model on 100.000% of positions");
    Ok(())
}

/// Writes `program.json` and `program.py` into the run directory.
pub fn write_exports(run: &OpenRun, program: &Program) -> anyhow::Result<()> {
    run.dir
        .write_atomic(files::PROGRAM_JSON, (program.to_json() + "\n").as_bytes())?;
    run.dir
        .write_atomic(files::PROGRAM_PY, to_python(program).as_bytes())?;
    Ok(())
}

/// Decompiles, verifies on every split, writes the exports; returns the program, the agreement
/// rows and the seconds spent.
pub fn program_stage(
    run: &OpenRun,
    model: &mut Model,
) -> anyhow::Result<(Program, SplitAgreement, f64)> {
    let started = Instant::now();
    let program = decompile_run(run, model)?;
    let rows = verify_splits(run, model, &program)?;
    write_exports(run, &program)?;
    Ok((program, rows, started.elapsed().as_secs_f64()))
}
