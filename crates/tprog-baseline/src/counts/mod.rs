//! Count baselines of the paper's NLP tables, trained on a dataset's training split and
//! scored on every split: the unigram tagger for NER ([`unigram`], Table 2, entity P/R/F1 as
//! seqeval) and multinomial naive Bayes for text classification ([`bayes`], Table 6,
//! accuracy). Both are deterministic: no seed, the same figures every run.

pub mod bayes;
pub mod unigram;

use serde::Serialize;
use tprog_tasks::entity::{EntityError, EntityMode, EntityScores, entity_scores};
use tprog_tasks::{Dataset, Split};

pub use bayes::NaiveBayes;
pub use unigram::UnigramTagger;

/// The unigram tagger's scores on one split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaggingScores {
    /// The split.
    pub split: Split,
    /// Entity scores, seqeval strict IOB2 (what the paper reports).
    pub strict: EntityScores,
    /// Entity scores, seqeval's default mode.
    pub default: EntityScores,
    /// Share of scored tokens tagged correctly.
    pub token_accuracy: f64,
    /// Scored tokens.
    pub tokens: usize,
}

/// Naive Bayes' accuracy on one split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassificationScores {
    /// The split.
    pub split: Split,
    /// Share of examples classified correctly.
    pub accuracy: f64,
    /// Examples.
    pub examples: usize,
}

/// Fits the unigram tagger on `dataset`'s training split and scores every split.
pub fn unigram_baseline(dataset: &Dataset) -> Result<Vec<TaggingScores>, EntityError> {
    let tagger = UnigramTagger::fit(&dataset.train);
    Split::ALL
        .into_iter()
        .map(|split| {
            let (gold, pred) = tagger.predict(dataset.split(split));
            let tokens: usize = gold.iter().map(Vec::len).sum();
            let correct = gold
                .iter()
                .flatten()
                .zip(pred.iter().flatten())
                .filter(|(g, p)| g == p)
                .count();
            Ok(TaggingScores {
                split,
                strict: entity_scores(&gold, &pred, EntityMode::StrictIob2)?,
                default: entity_scores(&gold, &pred, EntityMode::Default)?,
                token_accuracy: if tokens == 0 {
                    0.0
                } else {
                    correct as f64 / tokens as f64
                },
                tokens,
            })
        })
        .collect()
}

/// Fits naive Bayes on `dataset`'s training split and scores every split.
pub fn naive_bayes_baseline(dataset: &Dataset) -> Vec<ClassificationScores> {
    let model = NaiveBayes::fit(&dataset.train);
    Split::ALL
        .into_iter()
        .map(|split| {
            let (accuracy, examples) = model.accuracy(dataset.split(split));
            ClassificationScores {
                split,
                accuracy,
                examples,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tprog_tasks::Example;

    fn example(tokens: &str, labels: &str) -> Example {
        Example {
            tokens: tokens.split(' ').map(String::from).collect(),
            labels: labels.split(' ').map(String::from).collect(),
        }
    }

    fn dataset(train: Vec<Example>, test: Vec<Example>) -> Dataset {
        Dataset::from_splits("t", train, Vec::new(), test, false, true).unwrap()
    }

    #[test]
    fn unigram_scores_entities_strictly() {
        let train = vec![example(
            "<s> Peter Blackburn visited Paris </s>",
            "<pad> B-PER I-PER O B-LOC <pad>",
        )];
        // "Blackburn" alone is tagged I-PER: no entity in strict IOB2; in default mode it opens a
        // PER entity, the gold one.
        let test = vec![example(
            "<s> Blackburn visited Paris </s>",
            "<pad> B-PER O B-LOC <pad>",
        )];
        let scores = unigram_baseline(&dataset(train, test)).unwrap();
        let test = &scores[2];
        assert_eq!(test.split, Split::Test);
        assert_eq!((test.strict.correct, test.strict.predicted), (1, 1));
        assert_eq!((test.default.correct, test.default.predicted), (2, 2));
        assert_eq!(test.tokens, 3);
        assert!((test.token_accuracy - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(scores[1].tokens, 0);
    }

    #[test]
    fn naive_bayes_accuracy_per_split() {
        let train = vec![
            example("<s> great fun </s>", "pos <pad> <pad> <pad>"),
            example("<s> dull mess </s>", "neg <pad> <pad> <pad>"),
        ];
        let test = vec![
            example("<s> fun </s>", "pos <pad> <pad>"),
            example("<s> great mess mess </s>", "pos <pad> <pad> <pad> <pad>"),
        ];
        let scores = naive_bayes_baseline(&dataset(train, test));
        assert_eq!((scores[0].accuracy, scores[0].examples), (1.0, 2));
        assert_eq!((scores[2].accuracy, scores[2].examples), (0.5, 2));
    }
}
