//! Evaluation of the discrete (argmax) model: token accuracy over scored positions, the
//! number the paper reports.

use serde::{Deserialize, Serialize};
use tprog_tasks::EncodedSplit;

use crate::TrainError;
use crate::trainable::Predictor;

/// Sequences per forward pass when evaluating.
pub const EVAL_BATCH: usize = 1024;

/// Token and sequence accuracy of a model on one split.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Accuracy {
    /// Scored positions predicted correctly.
    pub correct: usize,
    /// Scored positions (labels other than `<pad>`).
    pub scored: usize,
    /// Sequences whose every scored position is correct.
    pub sequences_correct: usize,
    /// Sequences.
    pub sequences: usize,
}

impl Accuracy {
    /// Token accuracy in [0, 1] (1 when nothing is scored).
    pub fn token(&self) -> f64 {
        if self.scored == 0 {
            1.0
        } else {
            self.correct as f64 / self.scored as f64
        }
    }

    /// Sequence accuracy in [0, 1].
    pub fn sequence(&self) -> f64 {
        if self.sequences == 0 {
            1.0
        } else {
            self.sequences_correct as f64 / self.sequences as f64
        }
    }
}

/// The discrete model's predicted class at every position of `split` (`[n, n_ctx]`).
pub fn predict_split<M: Predictor + ?Sized>(
    model: &mut M,
    split: &EncodedSplit,
) -> Result<Vec<u32>, TrainError> {
    let mut predictions = Vec::with_capacity(split.n * split.n_ctx);
    let mut start = 0;
    while start < split.n {
        let end = (start + EVAL_BATCH).min(split.n);
        let tokens = &split.tokens[start * split.n_ctx..end * split.n_ctx];
        model.predict_into(tokens, end - start, split.n_ctx, &mut predictions)?;
        start = end;
    }
    Ok(predictions)
}

/// Accuracy of `predictions` (`[n, n_ctx]`) against the split's labels.
pub fn score(split: &EncodedSplit, predictions: &[u32]) -> Accuracy {
    let mut accuracy = Accuracy {
        sequences: split.n,
        ..Accuracy::default()
    };
    for row in 0..split.n {
        let labels = split.labels_row(row);
        let predicted = &predictions[row * split.n_ctx..(row + 1) * split.n_ctx];
        let mut all_right = true;
        for (&label, &guess) in labels.iter().zip(predicted) {
            if label == 0 {
                continue;
            }
            accuracy.scored += 1;
            if label == guess {
                accuracy.correct += 1;
            } else {
                all_right = false;
            }
        }
        if all_right {
            accuracy.sequences_correct += 1;
        }
    }
    accuracy
}

/// Accuracy of the discrete model on `split`.
pub fn evaluate<M: Predictor + ?Sized>(
    model: &mut M,
    split: &EncodedSplit,
) -> Result<Accuracy, TrainError> {
    let predictions = predict_split(model, split)?;
    Ok(score(split, &predictions))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_counts_only_scored_positions() {
        let split = EncodedSplit {
            n: 2,
            n_ctx: 3,
            tokens: vec![1, 2, 3, 1, 2, 0],
            labels: vec![0, 4, 5, 0, 4, 0],
        };
        let accuracy = score(&split, &[9, 4, 1, 9, 4, 9]);
        assert_eq!((accuracy.correct, accuracy.scored), (2, 3));
        assert_eq!(accuracy.sequences_correct, 1);
        assert!((accuracy.token() - 2.0 / 3.0).abs() < 1e-12);
        assert!((accuracy.sequence() - 0.5).abs() < 1e-12);
    }
}
