//! The one test every simplification must pass: the candidate predicts exactly what the
//! original predicts at every position of every evidence input.

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::compile::Interpreter;
use crate::error::ProgramError;
use crate::interpret::Scratch;
use crate::ir::Program;

/// The original program's predictions on the evidence, and a counter of checks made.
#[derive(Debug)]
pub(crate) struct Checker<'a> {
    inputs: &'a [Vec<usize>],
    expected: Vec<Vec<usize>>,
    checks: AtomicUsize,
}

impl<'a> Checker<'a> {
    /// Runs `original` on every input once; those predictions are what candidates must match.
    pub(crate) fn new(original: &Program, inputs: &'a [Vec<usize>]) -> Result<Self, ProgramError> {
        let expected = Interpreter::new(original)?.run_batch(inputs)?;
        Ok(Checker {
            inputs,
            expected,
            checks: AtomicUsize::new(0),
        })
    }

    /// Whether `candidate` is valid and predicts the original's class at every position of
    /// every input (it stops at the first difference).
    pub(crate) fn same(&self, candidate: &Program) -> bool {
        self.checks.fetch_add(1, Ordering::Relaxed);
        let Ok(interpreter) = Interpreter::new(candidate) else {
            return false;
        };
        self.inputs
            .par_iter()
            .zip(&self.expected)
            .map_init(
                || (Scratch::default(), Vec::new()),
                |(scratch, predictions), (tokens, expected)| {
                    interpreter.run_into(tokens, scratch, predictions).is_ok()
                        && predictions == expected
                },
            )
            .all(|same| same)
    }

    /// The evidence inputs.
    pub(crate) fn inputs(&self) -> &'a [Vec<usize>] {
        self.inputs
    }

    /// The number of candidates checked so far.
    pub(crate) fn checks(&self) -> usize {
        self.checks.load(Ordering::Relaxed)
    }
}

/// Applies the changes `items` to `program` where the checker accepts them: all at once if that
/// passes, otherwise each half in turn (recursively), so that a batch of harmless changes costs
/// one check. Returns how many changes were kept.
pub(crate) fn keep_harmless<T: Clone>(
    checker: &Checker<'_>,
    program: &mut Program,
    items: &[T],
    apply: &dyn Fn(&mut Program, &[T]),
) -> usize {
    if items.is_empty() {
        return 0;
    }
    let mut candidate = program.clone();
    apply(&mut candidate, items);
    if candidate != *program && checker.same(&candidate) {
        *program = candidate;
        return items.len();
    }
    if items.len() == 1 {
        return 0;
    }
    let (left, right) = items.split_at(items.len() / 2);
    keep_harmless(checker, program, left, apply) + keep_harmless(checker, program, right, apply)
}
