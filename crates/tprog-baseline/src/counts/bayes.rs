//! Multinomial naive Bayes on unigram counts, the bag-of-words baseline of the paper's Table 6.
//!
//! Features are the words of the example (its tokens without `<s>`, `</s>` and `<pad>`), as
//! tokenized and preprocessed for the model but not cut to its vocabulary: every training word
//! is a feature. Add-one (Laplace) smoothing, `α = 1` (scikit-learn's `MultinomialNB`
//! default): `P(w | c) = (n(w, c) + α) / (n(c) + α·V)` with `V` the number of distinct
//! training words; class priors are the training frequencies. Words never seen in training
//! are ignored (as `CountVectorizer` drops them). Ties go to the class first in sorted order.

use std::collections::HashMap;

use tprog_tasks::{BOS, EOS, Example, PAD};

/// Smoothing added to every word count.
pub const ALPHA: f64 = 1.0;

/// A trained multinomial naive Bayes classifier.
#[derive(Debug, Clone, PartialEq)]
pub struct NaiveBayes {
    /// Class names, sorted.
    classes: Vec<String>,
    /// `ln P(c)`, one per class.
    log_prior: Vec<f64>,
    /// `ln P(w | c)` per word, one per class.
    log_likelihood: HashMap<String, Vec<f64>>,
}

/// The class (label at position 0) and the words of an example.
fn class_and_words(example: &Example) -> Option<(&str, impl Iterator<Item = &str>)> {
    let class = example.labels.first().filter(|l| *l != PAD)?;
    let words = example
        .tokens
        .iter()
        .filter(|t| *t != BOS && *t != EOS && *t != PAD)
        .map(String::as_str);
    Some((class.as_str(), words))
}

impl NaiveBayes {
    /// Fits the classifier on `train` (examples without a class at position 0 are skipped).
    pub fn fit(train: &[Example]) -> Self {
        let mut classes: Vec<String> = train
            .iter()
            .filter_map(|e| class_and_words(e).map(|(c, _)| c.to_owned()))
            .collect();
        classes.sort();
        classes.dedup();
        let index: HashMap<&str, usize> = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let k = classes.len();
        let mut documents = vec![0usize; k];
        let mut totals = vec![0usize; k];
        let mut counts: HashMap<&str, Vec<usize>> = HashMap::new();
        for example in train {
            let Some((class, words)) = class_and_words(example) else {
                continue;
            };
            let c = index[class];
            documents[c] += 1;
            for word in words {
                counts.entry(word).or_insert_with(|| vec![0; k])[c] += 1;
                totals[c] += 1;
            }
        }
        let n: usize = documents.iter().sum();
        let v = counts.len() as f64;
        let log_prior = documents
            .iter()
            .map(|&d| (d as f64 / n as f64).ln())
            .collect();
        let log_likelihood = counts
            .into_iter()
            .map(|(word, per_class)| {
                let logs = per_class
                    .iter()
                    .zip(&totals)
                    .map(|(&count, &total)| {
                        ((count as f64 + ALPHA) / (total as f64 + ALPHA * v)).ln()
                    })
                    .collect();
                (word.to_owned(), logs)
            })
            .collect();
        Self {
            classes,
            log_prior,
            log_likelihood,
        }
    }

    /// The class names, sorted.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The most probable class of `words` (unknown words ignored).
    pub fn classify<'a>(&self, words: impl IntoIterator<Item = &'a str>) -> &str {
        let mut scores = self.log_prior.clone();
        for word in words {
            if let Some(logs) = self.log_likelihood.get(word) {
                for (score, log) in scores.iter_mut().zip(logs) {
                    *score += log;
                }
            }
        }
        let mut best = 0;
        for (c, &score) in scores.iter().enumerate() {
            if score > scores[best] {
                best = c;
            }
        }
        self.classes.get(best).map_or("", String::as_str)
    }

    /// Share of `examples` (those with a class) classified correctly, and how many there are.
    pub fn accuracy(&self, examples: &[Example]) -> (f64, usize) {
        let mut total = 0usize;
        let mut correct = 0usize;
        for example in examples {
            if let Some((class, words)) = class_and_words(example) {
                total += 1;
                correct += usize::from(self.classify(words) == class);
            }
        }
        let accuracy = if total == 0 {
            0.0
        } else {
            correct as f64 / total as f64
        };
        (accuracy, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(class: &str, text: &str) -> Example {
        let tokens: Vec<String> = std::iter::once("<s>")
            .chain(text.split(' '))
            .chain(std::iter::once("</s>"))
            .map(String::from)
            .collect();
        let mut labels = vec![PAD.to_owned(); tokens.len()];
        labels[0] = class.to_owned();
        Example { tokens, labels }
    }

    #[test]
    fn laplace_smoothed_counts() {
        let train = [
            example("pos", "good good fun"),
            example("neg", "bad dull"),
            example("neg", "bad"),
        ];
        let model = NaiveBayes::fit(&train);
        assert_eq!(model.classes(), ["neg", "pos"]);
        // V = 4; n(neg) = 3, n(pos) = 3. P(good | pos) = 3 / 7, P(good | neg) = 1 / 7.
        let logs = &model.log_likelihood["good"];
        assert!((logs[1] - (3.0f64 / 7.0).ln()).abs() < 1e-12);
        assert!((logs[0] - (1.0f64 / 7.0).ln()).abs() < 1e-12);
        assert_eq!(model.classify(["good", "unseen"]), "pos");
        assert_eq!(model.classify(["bad"]), "neg");
        // No evidence: the prior decides (2 neg of 3).
        assert_eq!(model.classify(["unseen"]), "neg");
        let (accuracy, n) = model.accuracy(&train);
        assert_eq!((accuracy, n), (1.0, 3));
    }
}
