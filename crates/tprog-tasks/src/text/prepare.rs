//! The reference's preprocessing of NLP data (spec §10.2–10.3): the length filter on every
//! split, optional lower-casing, digit runs replaced by `@`, `<s> … </s>`, per-token tags or a
//! class label at position 0, and a vocabulary of the most frequent training words.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::text::encoding::Encoding;
use crate::{BOS, Dataset, EOS, Example, PAD, Split, TaskError, UNK, Vocab};

/// How NLP data is read and preprocessed. Field names follow the reference's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NlpOptions {
    /// Shortest sentence kept, in words.
    pub min_length: usize,
    /// Sentences are kept when they have fewer than `max_length - 1` words, so that with
    /// `<s>` and `</s>` they fit `max_length` positions.
    pub max_length: usize,
    /// Words in the input vocabulary besides `<pad>` and `<unk>`: the most frequent in
    /// training.
    pub vocab_size: usize,
    /// Replace every maximal run of digits by `@` (`19.99` → `@.@`).
    pub replace_numbers: bool,
    /// Lower-case every word.
    pub do_lower: bool,
    /// The files' encoding; `None`: the task's own (latin-1 for MR, UTF-8 otherwise).
    #[serde(default)]
    pub encoding: Option<Encoding>,
    /// CoNLL: the tags are IOB1; rewrite them as IOB2.
    #[serde(default)]
    pub iob1: bool,
    /// CoNLL: the tag's column, from 0 (`None`: the last).
    #[serde(default)]
    pub tag_column: Option<usize>,
    /// Seed of the 10 % validation split taken from training where a data set has none.
    #[serde(default)]
    pub split_seed: u32,
}

impl NlpOptions {
    /// Every problem with the settings, as lines.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.min_length == 0 {
            problems.push("min_length must be at least 1".to_owned());
        }
        if self.max_length < self.min_length + 2 {
            problems.push(format!(
                "max_length ({}) must be at least min_length + 2 ({}): sentences keep fewer \
                 than max_length - 1 words",
                self.max_length,
                self.min_length + 2
            ));
        }
        if self.max_length > crate::jsonl::DEFAULT_MAX_LEN {
            problems.push(format!(
                "max_length must be at most {}, got {}",
                crate::jsonl::DEFAULT_MAX_LEN,
                self.max_length
            ));
        }
        if !(1..=10_000_000).contains(&self.vocab_size) {
            problems.push(format!(
                "vocab_size must be between 1 and 10000000, got {}",
                self.vocab_size
            ));
        }
        problems
    }

    /// Whether a sentence of `words` words passes the length filter.
    pub fn keeps(&self, words: usize) -> bool {
        self.min_length <= words && words + 1 < self.max_length
    }

    /// `word` lower-cased and with digit runs replaced, as set.
    pub fn transform(&self, word: &str) -> String {
        static DIGITS: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"\d+").expect("constant pattern"));
        let word = if self.do_lower {
            word.to_lowercase()
        } else {
            word.to_owned()
        };
        if self.replace_numbers {
            DIGITS.replace_all(&word, "@").into_owned()
        } else {
            word
        }
    }
}

/// A sentence before preprocessing: its words and either one tag per word or one class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawExample {
    /// Per-word tags (NER).
    Tagged {
        /// The words.
        words: Vec<String>,
        /// One tag per word.
        tags: Vec<String>,
    },
    /// One class for the sentence.
    Classified {
        /// The words (already tokenized).
        words: Vec<String>,
        /// The class name.
        label: String,
    },
}

impl RawExample {
    fn words(&self) -> &[String] {
        match self {
            RawExample::Tagged { words, .. } | RawExample::Classified { words, .. } => words,
        }
    }
}

/// What preprocessing kept of each split.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SplitCounts {
    /// Sentences read (after the validation split, when one was made).
    pub read: usize,
    /// Sentences kept by the length filter.
    pub kept: usize,
}

/// The train/validation/test sentences before preprocessing.
#[derive(Debug, Clone, Default)]
pub struct RawSplits {
    /// Training sentences, in order.
    pub train: Vec<RawExample>,
    /// Validation sentences.
    pub val: Vec<RawExample>,
    /// Test sentences.
    pub test: Vec<RawExample>,
}

/// The example of one kept sentence: `<s> words </s>` with `<pad> tags <pad>`, or with the
/// class at position 0 and `<pad>` elsewhere.
fn to_example(raw: &RawExample, options: &NlpOptions) -> Example {
    let words = raw.words();
    let mut tokens = Vec::with_capacity(words.len() + 2);
    tokens.push(BOS.to_owned());
    tokens.extend(words.iter().map(|w| options.transform(w)));
    tokens.push(EOS.to_owned());
    let labels = match raw {
        RawExample::Tagged { tags, .. } => std::iter::once(PAD.to_owned())
            .chain(tags.iter().cloned())
            .chain(std::iter::once(PAD.to_owned()))
            .collect(),
        RawExample::Classified { label, .. } => std::iter::once(label.clone())
            .chain(std::iter::repeat_n(PAD.to_owned(), tokens.len() - 1))
            .collect(),
    };
    Example { tokens, labels }
}

/// The input vocabulary: `<pad>`, `<unk>`, then the `vocab_size` most frequent training
/// tokens (`<s>` and `</s>` count like words). Ties keep the order in which the tokens first
/// occur in training, as Python's `Counter.most_common`.
pub fn frequent_vocab(train: &[Example], vocab_size: usize) -> Result<Vocab, TaskError> {
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for token in train.iter().flat_map(|e| e.tokens.iter()) {
        if token == PAD || token == UNK {
            continue;
        }
        let first = counts.len();
        counts.entry(token).or_insert((0, first)).0 += 1;
    }
    let mut ranked: Vec<(&str, usize, usize)> = counts
        .into_iter()
        .map(|(token, (count, first))| (token, count, first))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    let tokens = [PAD, UNK]
        .into_iter()
        .chain(ranked.into_iter().take(vocab_size).map(|(t, _, _)| t))
        .map(str::to_owned)
        .collect();
    Vocab::new(tokens)
}

/// Preprocesses `raw` into a [`Dataset`] named `task` (not causal, vocabularies with
/// `<unk>`), with how many sentences of each split were read and kept. `n_ctx` is the longest
/// training example, raised to the longest validation or test example if one is longer (the
/// reference pads each split to its own length).
pub fn build_dataset(
    task: &str,
    raw: &RawSplits,
    options: &NlpOptions,
) -> Result<(Dataset, [SplitCounts; 3]), TaskError> {
    let problems = options.check();
    if !problems.is_empty() {
        return Err(TaskError::InvalidParams {
            task: task.to_owned(),
            problems,
        });
    }
    let mut counts: [SplitCounts; 3] = Default::default();
    let mut splits: [Vec<Example>; 3] = Default::default();
    for (index, sentences) in [&raw.train, &raw.val, &raw.test].into_iter().enumerate() {
        counts[index].read = sentences.len();
        splits[index] = sentences
            .iter()
            .filter(|s| options.keeps(s.words().len()))
            .map(|s| to_example(s, options))
            .collect();
        counts[index].kept = splits[index].len();
    }
    let [train, val, test] = splits;
    if train.is_empty() {
        return Err(TaskError::NoTrainingData {
            task: task.to_owned(),
        });
    }
    let input_vocab = frequent_vocab(&train, options.vocab_size)?;
    let output_vocab = Vocab::from_sequences(train.iter().map(|e| e.labels.as_slice()), true);
    let n_ctx = [&train, &val, &test]
        .into_iter()
        .flatten()
        .map(|e| e.tokens.len())
        .max()
        .unwrap_or(0);
    let dropped = counts.iter().map(|c| c.read - c.kept).sum();
    let dataset = Dataset {
        task: task.to_owned(),
        params: None,
        requested: None,
        train,
        val,
        test,
        input_vocab,
        output_vocab,
        n_ctx,
        causal: false,
        dropped,
    };
    Ok((dataset, counts))
}

/// Counts of a split's scored labels and how many of its words (not `<s>`/`</s>`) the input
/// vocabulary knows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SplitStats {
    /// Words (tokens other than `<s>`, `</s>`).
    pub words: usize,
    /// Words in the input vocabulary (the rest become `<unk>`).
    pub known: usize,
    /// Each scored label (not `<pad>`) and how often it occurs, in output-vocabulary order.
    pub labels: Vec<(String, usize)>,
}

/// [`SplitStats`] of `split` of `dataset`.
pub fn split_stats(dataset: &Dataset, split: Split) -> SplitStats {
    let mut stats = SplitStats::default();
    let mut label_counts: HashMap<&str, usize> = HashMap::new();
    for example in dataset.split(split) {
        for token in &example.tokens {
            if token != BOS && token != EOS {
                stats.words += 1;
                stats.known += usize::from(dataset.input_vocab.contains(token));
            }
        }
        for label in example.labels.iter().filter(|l| *l != PAD) {
            *label_counts.entry(label).or_default() += 1;
        }
    }
    let mut labels: Vec<(String, usize)> = dataset
        .output_vocab
        .tokens()
        .iter()
        .filter_map(|t| label_counts.remove(t.as_str()).map(|n| (t.clone(), n)))
        .collect();
    let mut unseen: Vec<(String, usize)> = label_counts
        .into_iter()
        .map(|(t, n)| (t.to_owned(), n))
        .collect();
    unseen.sort();
    labels.extend(unseen);
    stats.labels = labels;
    stats
}
