//! Simplification: the smallest program we can find with exactly the original's predictions on
//! the evidence (the task's whole input space when it is enumerable, otherwise every example).
//!
//! Passes, each checked against the original's predictions, repeated to a fixed point: forget
//! what the evidence never uses; drop modules no path reaches the classifier through; replace
//! modules by constants and heads by their BOS default; drop classifier features and rows, MLP
//! cells and predicate rows; merge predicate rows into the largest group; finally rename
//! variables after what they compute where recognisable.

mod check;
mod entries;
mod rename;
mod structure;
mod usage;

use std::time::Instant;

use crate::compile::Interpreter;
use crate::error::ProgramError;
use crate::ir::{Module, Program, Provenance};
use check::Checker;

/// The inputs on which "changes no prediction" is checked, and what they are.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// One line saying what the inputs are, e.g. `exhaustive: every input of the task's
    /// support`; recorded in the simplified program.
    pub description: String,
    /// The inputs as token indices of the program's input vocabulary.
    pub inputs: Vec<Vec<usize>>,
}

/// The size of a program as a reader meets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Size {
    /// Modules (heads and MLPs).
    pub modules: usize,
    /// Lines of the Python export.
    pub python_lines: usize,
    /// Lines of the Python export without the runtime library and `main` shared by every
    /// program (see [`crate::own_python_lines`]).
    pub own_python_lines: usize,
    /// Lines of the modules' code alone, the measure of the paper's Table 4 (see
    /// [`crate::module_python_lines`]).
    pub module_python_lines: usize,
    /// Table entries: matching predicate rows, MLP cells that differ from their table's
    /// default (runs for numerical MLPs), non-zero classifier rows.
    pub table_entries: usize,
}

impl Size {
    /// The size of `program`.
    pub fn of(program: &Program) -> Size {
        let mut entries = 0;
        for module in &program.modules {
            entries += match module {
                Module::CatHead(h) => h.predicate.key_of_query.iter().flatten().count(),
                Module::NumHead(h) => h.predicate.key_of_query.iter().flatten().count(),
                Module::CatMlp(m) => {
                    let default = structure::table_default(&m.table, &[]);
                    m.table.iter().filter(|&&v| v != default).count()
                }
                Module::NumMlp(m) => m.runs.len(),
            };
        }
        entries += program
            .classifier
            .features
            .iter()
            .flat_map(|f| &f.weights)
            .filter(|row| row.iter().any(|&w| w != 0.0))
            .count();
        Size {
            modules: program.modules.len(),
            python_lines: crate::python::to_python(program).lines().count(),
            own_python_lines: crate::python::own_python_lines(program),
            module_python_lines: crate::python::module_python_lines(program),
            table_entries: entries,
        }
    }
}

/// A simplified program with its sizes and how it was obtained.
#[derive(Debug, Clone)]
pub struct Simplified {
    /// The simplified program (its `provenance` names the evidence).
    pub program: Program,
    /// The original's size.
    pub before: Size,
    /// The simplified program's size.
    pub after: Size,
    /// Variables renamed after what they compute, old → new.
    pub renames: Vec<(String, String)>,
    /// Fixed-point rounds run.
    pub rounds: usize,
    /// Candidate programs checked against the original.
    pub checks: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Simplifies `program`: every accepted change leaves the prediction at every position of every
/// evidence input unchanged, and the result is checked once more as a whole.
pub fn simplify(program: &Program, evidence: &Evidence) -> Result<Simplified, ProgramError> {
    let started = Instant::now();
    let checker = Checker::new(program, &evidence.inputs)?;
    let mut current = program.clone();
    current.provenance = None;
    let mut rounds = 0;
    loop {
        rounds += 1;
        let before = current.clone();
        round(&mut current, &checker)?;
        if current == before || rounds >= 20 {
            break;
        }
    }
    let renames = rename::rename(&mut current);
    if !checker.same(&current) {
        return Err(ProgramError::Simplify(
            "the simplified program's predictions differ from the original's".into(),
        ));
    }
    current.provenance = Some(Provenance {
        derivation: format!(
            "simplified from {:?}: every prediction unchanged",
            program.name
        ),
        evidence: evidence.description.clone(),
        sequences: evidence.inputs.len(),
    });
    Ok(Simplified {
        before: Size::of(program),
        after: Size::of(&current),
        program: current,
        renames,
        rounds,
        checks: checker.checks(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// One round of every pass.
fn round(program: &mut Program, checker: &Checker<'_>) -> Result<(), ProgramError> {
    let usage_of = |program: &Program| -> Result<usage::Usage, ProgramError> {
        Ok(usage::collect(
            &Interpreter::new(program)?,
            checker.inputs(),
        ))
    };
    structure::forget_unused(program, &usage_of(program)?);
    structure::drop_dead(program);
    structure::constants(program, &usage_of(program)?, checker);
    while structure::fold_constants(program) {}
    structure::heads_to_bos(program, checker);
    structure::drop_dead(program);
    entries::drop_features(program, checker);
    structure::drop_dead(program);
    structure::forget_unused(program, &usage_of(program)?);
    entries::fold_constant_features(program, &usage_of(program)?, checker);
    structure::drop_dead(program);
    structure::forget_unused(program, &usage_of(program)?);
    entries::default_cells(program, &usage_of(program)?, checker);
    entries::predicate_rows(program, checker);
    entries::drop_classifier_rows(program, &usage_of(program)?, checker);
    structure::forget_unused(program, &usage_of(program)?);
    structure::drop_dead(program);
    Ok(())
}
