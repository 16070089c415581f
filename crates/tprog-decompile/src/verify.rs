//! Faithfulness: the discrete model and the program run side by side on examples, compared at
//! every real (non-pad) position; and exhaustive scoring of a program over a task's support.

use std::fmt;

use tprog_model::Model;
use tprog_program::{Interpreter, Program, VerifyReport};
use tprog_tasks::{EncodedSplit, SUPPORT_LIMIT, Task};

use crate::DecompileError;

/// Disagreements kept in an [`Agreement`].
const KEPT_DISAGREEMENTS: usize = 20;
/// Sequences the model predicts per call (bounds its activation buffers).
const CHUNK: usize = 1024;

/// Examples as a right-padded `[n, width]` index matrix, with optional labels of the same shape
/// (label `<pad>` = not scored).
#[derive(Debug, Clone, Copy)]
pub struct Examples<'a> {
    /// Token indices `[n, width]`, right-padded with the model's pad token.
    pub tokens: &'a [u32],
    /// Label indices `[n, width]`, if known.
    pub labels: Option<&'a [u32]>,
    /// Positions per example (at most the model's `n_ctx`).
    pub width: usize,
}

impl<'a> Examples<'a> {
    /// Examples without labels.
    pub fn unlabelled(tokens: &'a [u32], width: usize) -> Self {
        Self {
            tokens,
            labels: None,
            width,
        }
    }

    /// A dataset split, with its labels.
    pub fn from_split(split: &'a EncodedSplit) -> Self {
        Self {
            tokens: &split.tokens,
            labels: Some(&split.labels),
            width: split.n_ctx,
        }
    }
}

/// A position where the model and the program predict different classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disagreement {
    /// Index of the example.
    pub sequence: usize,
    /// Position in it.
    pub position: usize,
    /// The discrete model's class index.
    pub model: usize,
    /// The program's class index.
    pub program: usize,
}

/// How far the program agrees with the discrete model (and both with the labels).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Agreement {
    /// Examples compared.
    pub sequences: usize,
    /// Examples where every real position agrees.
    pub sequences_agreeing: usize,
    /// Real (non-pad) positions compared.
    pub positions: usize,
    /// Real positions where both predict the same class.
    pub positions_agreeing: usize,
    /// The first disagreements, in example then position order.
    pub disagreements: Vec<Disagreement>,
    /// Positions with a label other than `<pad>` (0 without labels).
    pub scored: usize,
    /// Scored positions the model predicts correctly.
    pub model_correct: usize,
    /// Scored positions the program predicts correctly.
    pub program_correct: usize,
}

impl Agreement {
    /// Whether the program agrees with the model everywhere.
    pub fn is_exact(&self) -> bool {
        self.positions == self.positions_agreeing && self.sequences == self.sequences_agreeing
    }

    /// Fraction of real positions that agree (1 when there are none).
    pub fn position_rate(&self) -> f64 {
        ratio(self.positions_agreeing, self.positions)
    }

    /// The model's accuracy on scored positions (`None` without labels).
    pub fn model_accuracy(&self) -> Option<f64> {
        (self.scored > 0).then(|| ratio(self.model_correct, self.scored))
    }

    /// The program's accuracy on scored positions (`None` without labels).
    pub fn program_accuracy(&self) -> Option<f64> {
        (self.scored > 0).then(|| ratio(self.program_correct, self.scored))
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

impl fmt::Display for Agreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "positions {}/{} ({:.3}%), sequences {}/{} agree",
            self.positions_agreeing,
            self.positions,
            100.0 * self.position_rate(),
            self.sequences_agreeing,
            self.sequences
        )?;
        if let (Some(model), Some(program)) = (self.model_accuracy(), self.program_accuracy()) {
            write!(
                f,
                "; accuracy model {:.2}%, program {:.2}% ({} scored)",
                100.0 * model,
                100.0 * program,
                self.scored
            )?;
        }
        for d in &self.disagreements {
            write!(
                f,
                "\n  sequence {} position {}: model {} program {}",
                d.sequence, d.position, d.model, d.program
            )?;
        }
        Ok(())
    }
}

/// The real length of a padded row: positions before the first pad (none may follow it).
fn real_length(row: &[u32], pad: u32, sequence: usize) -> Result<usize, DecompileError> {
    let length = row.iter().position(|&t| t == pad).unwrap_or(row.len());
    if row[length..].iter().any(|&t| t != pad) {
        return Err(DecompileError::Examples(format!(
            "example {sequence} has a token after padding (position {length} is padding)"
        )));
    }
    Ok(length)
}

/// Runs the discrete model (`model.predict`) and the program on every example and compares the
/// predicted class at every real position (and both with the labels, when given).
pub fn verify(
    model: &mut Model,
    program: &Program,
    examples: &Examples<'_>,
) -> Result<Agreement, DecompileError> {
    let width = examples.width;
    if width == 0 || examples.tokens.len() % width != 0 {
        return Err(DecompileError::Examples(format!(
            "{} token indices do not form rows of width {width}",
            examples.tokens.len()
        )));
    }
    if let Some(labels) = examples.labels {
        if labels.len() != examples.tokens.len() {
            return Err(DecompileError::Examples(format!(
                "{} labels for {} tokens",
                labels.len(),
                examples.tokens.len()
            )));
        }
    }
    if program.classifier.pooled && width != program.n_ctx {
        return Err(DecompileError::Examples(format!(
            "a sequence classifier (pooled) divides by its padded width n_ctx = {}, so the \
             model must see the examples padded to that width, not {width}",
            program.n_ctx
        )));
    }
    let interpreter = Interpreter::new(program)?;
    let pad = model.config().pad_token;
    let unscored = program.class_index("<pad>");
    let n = examples.tokens.len() / width;
    let mut agreement = Agreement::default();
    for start in (0..n).step_by(CHUNK) {
        let batch = CHUNK.min(n - start);
        let tokens = &examples.tokens[start * width..(start + batch) * width]; // [B, W]
        let model_predictions = model.predict(tokens, batch, width)?; // [B, W]
        let rows: Vec<Vec<usize>> = tokens
            .chunks(width)
            .enumerate()
            .map(|(b, row)| {
                let length = real_length(row, pad, start + b)?;
                Ok(row[..length].iter().map(|&t| t as usize).collect())
            })
            .collect::<Result<_, DecompileError>>()?;
        let program_predictions = interpreter.run_batch(&rows)?; // [B][length]
        for (b, predicted) in program_predictions.iter().enumerate() {
            let sequence = start + b;
            let mut all_agree = true;
            for (position, &by_program) in predicted.iter().enumerate() {
                let by_model = model_predictions[b * width + position] as usize;
                agreement.positions += 1;
                if by_model == by_program {
                    agreement.positions_agreeing += 1;
                } else {
                    all_agree = false;
                    if agreement.disagreements.len() < KEPT_DISAGREEMENTS {
                        agreement.disagreements.push(Disagreement {
                            sequence,
                            position,
                            model: by_model,
                            program: by_program,
                        });
                    }
                }
                if let Some(labels) = examples.labels {
                    let label = labels[sequence * width + position] as usize;
                    if Some(label) != unscored {
                        agreement.scored += 1;
                        agreement.model_correct += usize::from(by_model == label);
                        agreement.program_correct += usize::from(by_program == label);
                    }
                }
            }
            agreement.sequences += 1;
            agreement.sequences_agreeing += usize::from(all_agree);
        }
    }
    Ok(agreement)
}

/// Scores `program` on every input of `task`'s support against the task's labels (exact
/// accuracy over the whole input space), keeping the first `max_counterexamples` failures.
pub fn verify_exhaustive(
    program: &Program,
    task: &Task,
    max_counterexamples: usize,
) -> Result<VerifyReport, DecompileError> {
    let support = task
        .support()
        .ok_or_else(|| DecompileError::SupportTooLarge {
            task: task.name().as_str().to_string(),
            size: task.support_size(),
            limit: SUPPORT_LIMIT,
        })?;
    let inputs: Vec<Vec<String>> = support.collect();
    let interpreter = Interpreter::new(program)?;
    Ok(tprog_program::verify(
        &interpreter,
        &inputs,
        |tokens| task.label(tokens),
        max_counterexamples,
    )?)
}
