//! Evaluation of the discrete (argmax) model: token accuracy over scored positions, the
//! number the paper reports.

use serde::{Deserialize, Serialize};
use tprog_tasks::EncodedSplit;
use tprog_tasks::entity::{EntityMode, EntityScores, entity_scores};

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
    /// For IOB2 tagging (the labels include `O`): entity precision, recall and F1 in seqeval's
    /// strict IOB2 mode, over the scored positions of each sequence (what the reference
    /// reports for CoNLL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<EntityScores>,
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

/// Accuracy of the discrete model on `split`, with entity scores when `output_vocab` (the
/// class names) is an IOB2 tag set (it holds `O`).
pub fn evaluate_labelled<M: Predictor + ?Sized>(
    model: &mut M,
    split: &EncodedSplit,
    output_vocab: &[String],
) -> Result<Accuracy, TrainError> {
    let predictions = predict_split(model, split)?;
    let mut accuracy = score(split, &predictions);
    accuracy.entity = entities(split, &predictions, output_vocab);
    Ok(accuracy)
}

/// Strict-IOB2 entity scores of `predictions` on `split` when the classes are IOB2 tags: each
/// sequence's tags are its scored positions' (label not `<pad>`), in order.
pub fn entities(
    split: &EncodedSplit,
    predictions: &[u32],
    output_vocab: &[String],
) -> Option<EntityScores> {
    if !output_vocab.iter().any(|c| c == "O") {
        return None;
    }
    let name =
        |class: u32| -> &str { output_vocab.get(class as usize).map_or("O", String::as_str) };
    let mut gold = Vec::with_capacity(split.n);
    let mut predicted = Vec::with_capacity(split.n);
    for s in 0..split.n {
        let row = s * split.n_ctx..(s + 1) * split.n_ctx;
        let (labels, guesses) = (&split.labels[row.clone()], &predictions[row]);
        let scored = labels.iter().zip(guesses).filter(|(label, _)| **label != 0);
        let (g, p): (Vec<&str>, Vec<&str>) = scored.map(|(&l, &g)| (name(l), name(g))).unzip();
        gold.push(g);
        predicted.push(p);
    }
    entity_scores(&gold, &predicted, EntityMode::StrictIob2).ok()
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
    fn entities_score_the_scored_positions_as_iob2_tags() {
        let vocab: Vec<String> = ["<pad>", "<unk>", "B-PER", "I-PER", "O"]
            .map(String::from)
            .to_vec();
        // <s> John Smith runs </s> | <s> Ann </s> <pad> <pad>
        let split = EncodedSplit {
            n: 2,
            n_ctx: 5,
            tokens: vec![9; 10],
            labels: vec![0, 2, 3, 4, 0, 0, 2, 0, 0, 0],
        };
        // First sentence: "John" alone is B-PER, "Smith" I-PER → one entity, right. Second:
        // "Ann" predicted O → missed. The unscored positions' predictions do not count.
        let predictions = [2, 2, 3, 4, 2, 3, 4, 2, 2, 2];
        let scores = entities(&split, &predictions, &vocab).unwrap();
        assert_eq!((scores.gold, scores.predicted, scores.correct), (2, 1, 1));
        assert!((scores.f1 - 2.0 / 3.0).abs() < 1e-12);
        // Without an `O` class the labels are not tags.
        let classes: Vec<String> = ["<pad>", "a", "b"].map(String::from).to_vec();
        assert_eq!(entities(&split, &[1; 10], &classes), None);
    }

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
