//! Exhaustive verification: run the program on every given input in parallel and score it
//! against a labelling function (exact accuracy and counterexamples).

use rayon::prelude::*;

use crate::compile::Interpreter;
use crate::error::ProgramError;
use crate::interpret::Scratch;

/// Label of unscored positions.
const PAD_LABEL: &str = "<pad>";

/// An input on which the program disagrees with the labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counterexample {
    /// Index of the input in the given slice.
    pub index: usize,
    /// The input tokens.
    pub tokens: Vec<String>,
    /// The expected labels.
    pub expected: Vec<String>,
    /// The program's labels.
    pub predicted: Vec<String>,
}

/// Exact scores of a program over a set of inputs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    /// Number of input sequences.
    pub sequences: usize,
    /// Sequences whose every scored position is correct.
    pub sequences_correct: usize,
    /// Scored positions (label not `<pad>`).
    pub positions: usize,
    /// Correct scored positions.
    pub positions_correct: usize,
    /// The first counterexamples, in input order.
    pub counterexamples: Vec<Counterexample>,
}

impl VerifyReport {
    /// Fraction of scored positions predicted correctly (1 when nothing is scored).
    pub fn accuracy(&self) -> f64 {
        ratio(self.positions_correct, self.positions)
    }

    /// Fraction of sequences predicted entirely correctly (1 when there are none).
    pub fn sequence_accuracy(&self) -> f64 {
        ratio(self.sequences_correct, self.sequences)
    }

    fn merge(mut self, other: VerifyReport, keep: usize) -> VerifyReport {
        self.sequences += other.sequences;
        self.sequences_correct += other.sequences_correct;
        self.positions += other.positions;
        self.positions_correct += other.positions_correct;
        self.counterexamples.extend(other.counterexamples);
        self.counterexamples.sort_by_key(|c| c.index);
        self.counterexamples.truncate(keep);
        self
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// Per-worker state: scratch buffers and reusable index/prediction vectors.
#[derive(Default)]
struct Worker {
    scratch: Scratch,
    indices: Vec<usize>,
    predictions: Vec<usize>,
}

/// Runs `interpreter` on every input (in parallel) and compares with `label(tokens)`.
///
/// Positions labelled `<pad>` are not scored. Keeps the first `max_counterexamples`
/// disagreeing inputs (lowest indices). Fails on the first input the program cannot run or the
/// labelling function cannot label.
pub fn verify<S, F, E>(
    interpreter: &Interpreter,
    inputs: &[S],
    label: F,
    max_counterexamples: usize,
) -> Result<VerifyReport, ProgramError>
where
    S: AsRef<[String]> + Sync,
    F: Fn(&[String]) -> Result<Vec<String>, E> + Sync,
    E: std::fmt::Display,
{
    let classes = &interpreter.program().output_vocab;
    inputs
        .par_iter()
        .enumerate()
        .try_fold(
            || (Worker::default(), VerifyReport::default()),
            |(mut worker, mut report), (index, tokens)| {
                let tokens = tokens.as_ref();
                let expected = label(tokens).map_err(|error| ProgramError::Label {
                    index,
                    message: error.to_string(),
                })?;
                if expected.len() != tokens.len() {
                    return Err(ProgramError::LabelLength {
                        index,
                        tokens: tokens.len(),
                        labels: expected.len(),
                    });
                }
                worker.indices.clear();
                for (position, token) in tokens.iter().enumerate() {
                    worker
                        .indices
                        .push(interpreter.token_index(token, position)?);
                }
                let Worker {
                    scratch,
                    indices,
                    predictions,
                } = &mut worker;
                interpreter.run_into(indices, scratch, predictions)?;
                let mut all_correct = true;
                for (want, &got) in expected.iter().zip(predictions.iter()) {
                    if want == PAD_LABEL {
                        continue;
                    }
                    report.positions += 1;
                    if *want == classes[got] {
                        report.positions_correct += 1;
                    } else {
                        all_correct = false;
                    }
                }
                report.sequences += 1;
                if all_correct {
                    report.sequences_correct += 1;
                } else if report.counterexamples.len() < max_counterexamples {
                    report.counterexamples.push(Counterexample {
                        index,
                        tokens: tokens.to_vec(),
                        expected,
                        predicted: predictions.iter().map(|&c| classes[c].clone()).collect(),
                    });
                }
                Ok((worker, report))
            },
        )
        .map(|result| result.map(|(_, report)| report))
        .try_reduce(VerifyReport::default, |a, b| {
            Ok(a.merge(b, max_counterexamples))
        })
}
