//! The unigram tagger of the paper's Table 2: each word gets the tag it has most often in
//! training; a word never seen in training gets `O`.

use std::collections::HashMap;

use tprog_tasks::{BOS, EOS, Example, PAD};

/// The tag given to words never seen in training.
pub const UNSEEN_TAG: &str = "O";

/// A word → most frequent training tag table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnigramTagger {
    tags: HashMap<String, String>,
}

impl UnigramTagger {
    /// Counts, for every word of `train` at a scored position (label not `<pad>`; `<s>` and
    /// `</s>` never are), how often it has each tag, and keeps the most frequent. Ties go to
    /// the tag the word had first in training.
    pub fn fit(train: &[Example]) -> Self {
        // word -> [(tag, count, first seen)]
        let mut counts: HashMap<&str, Vec<(&str, usize, usize)>> = HashMap::new();
        for (seen, (word, tag)) in scored(train).enumerate() {
            let entry = counts.entry(word).or_default();
            match entry.iter_mut().find(|(t, _, _)| *t == tag) {
                Some(slot) => slot.1 += 1,
                None => entry.push((tag, 1, seen)),
            }
        }
        let tags = counts
            .into_iter()
            .filter_map(|(word, options)| {
                options
                    .into_iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)))
                    .map(|(tag, _, _)| (word.to_owned(), tag.to_owned()))
            })
            .collect();
        Self { tags }
    }

    /// The tag of `word`.
    pub fn tag(&self, word: &str) -> &str {
        self.tags.get(word).map_or(UNSEEN_TAG, String::as_str)
    }

    /// Number of words with a tag.
    pub fn len(&self) -> usize {
        self.tags.len()
    }

    /// Whether no word has a tag.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// `(gold, predicted)` tag sequences of `examples`, one per example, over the scored
    /// positions.
    pub fn predict(&self, examples: &[Example]) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
        examples
            .iter()
            .map(|example| {
                scored(std::slice::from_ref(example))
                    .map(|(word, tag)| (tag.to_owned(), self.tag(word).to_owned()))
                    .unzip()
            })
            .unzip()
    }
}

/// `(word, tag)` at every scored position of `examples`.
fn scored(examples: &[Example]) -> impl Iterator<Item = (&str, &str)> {
    examples.iter().flat_map(|e| {
        e.tokens
            .iter()
            .zip(&e.labels)
            .filter(|(token, label)| *label != PAD && *token != BOS && *token != EOS)
            .map(|(token, label)| (token.as_str(), label.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(tokens: &str, labels: &str) -> Example {
        Example {
            tokens: tokens.split(' ').map(String::from).collect(),
            labels: labels.split(' ').map(String::from).collect(),
        }
    }

    #[test]
    fn most_frequent_tag_ties_to_first_seen() {
        let train = [
            example(
                "<s> Jordan Jordan Paris </s>",
                "<pad> B-LOC B-PER B-LOC <pad>",
            ),
            example("<s> Jordan Paris </s>", "<pad> B-PER B-PER <pad>"),
        ];
        let tagger = UnigramTagger::fit(&train);
        assert_eq!(tagger.tag("Jordan"), "B-PER");
        assert_eq!(tagger.tag("Paris"), "B-LOC");
        assert_eq!(tagger.tag("London"), "O");
        assert_eq!(tagger.len(), 2);
        let (gold, pred) = tagger.predict(&[example("<s> Paris x </s>", "<pad> B-LOC O <pad>")]);
        assert_eq!(gold, [["B-LOC", "O"]]);
        assert_eq!(pred, [["B-LOC", "O"]]);
    }
}
