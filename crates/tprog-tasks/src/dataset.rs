//! Datasets: labelled examples split into train/validation/test, the vocabularies built from
//! the training split, and the padded index matrices the model consumes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{TaskError, TaskParams, Vocab};

/// One sequence and its per-position labels (`<pad>` = not scored); same length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    /// Input tokens.
    pub tokens: Vec<String>,
    /// One label per token.
    pub labels: Vec<String>,
}

/// Which part of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Training examples (the vocabularies and `n_ctx` come from these).
    Train,
    /// Validation examples.
    Val,
    /// Test examples.
    Test,
}

impl Split {
    /// The three splits in order.
    pub const ALL: [Split; 3] = [Split::Train, Split::Val, Split::Test];

    /// `train`, `val` or `test`.
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Val => "val",
            Split::Test => "test",
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Split {
    type Err = TaskError;

    fn from_str(name: &str) -> Result<Self, TaskError> {
        Self::ALL
            .into_iter()
            .find(|split| split.as_str() == name)
            .ok_or_else(|| TaskError::UnknownSplit {
                name: name.to_string(),
            })
    }
}

/// A split as index matrices for the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedSplit {
    /// Number of examples.
    pub n: usize,
    /// Positions per example.
    pub n_ctx: usize,
    /// Input indices, right-padded with `<pad>` = 0; shape `[n, n_ctx]`.
    pub tokens: Vec<u32>,
    /// Label indices, `<pad>` = 0 = not scored; shape `[n, n_ctx]`.
    pub labels: Vec<u32>,
}

impl EncodedSplit {
    /// The input indices of example `index`, shape `[n_ctx]`.
    ///
    /// # Panics
    /// If `index >= n`.
    pub fn tokens_row(&self, index: usize) -> &[u32] {
        &self.tokens[index * self.n_ctx..(index + 1) * self.n_ctx]
    }

    /// The label indices of example `index`, shape `[n_ctx]`.
    ///
    /// # Panics
    /// If `index >= n`.
    pub fn labels_row(&self, index: usize) -> &[u32] {
        &self.labels[index * self.n_ctx..(index + 1) * self.n_ctx]
    }
}

/// A task's examples, split, with the vocabularies and context length built from training.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The task's name (or the data file's name).
    pub task: String,
    /// The generator's parameters (`None` for data read from a file).
    pub params: Option<TaskParams>,
    /// How many examples were asked for (`None` for a file); fewer may have been produced.
    pub requested: Option<usize>,
    /// Training examples.
    pub train: Vec<Example>,
    /// Validation examples.
    pub val: Vec<Example>,
    /// Test examples.
    pub test: Vec<Example>,
    /// `<pad>` (+ `<unk>`) then the training tokens in code-point order.
    pub input_vocab: Vocab,
    /// `<pad>` (+ `<unk>`) then the training labels in code-point order.
    pub output_vocab: Vocab,
    /// The longest training sequence (the reference's `X_train.shape[1]`).
    pub n_ctx: usize,
    /// Whether the task is autoregressive (causal attention mask).
    pub causal: bool,
    /// Lines of the data file skipped for being longer than the loader's maximum sequence
    /// length ([`crate::jsonl::LengthPolicy::Drop`]); 0 for generated data.
    pub dropped: usize,
}

impl Dataset {
    /// Builds the vocabularies (with `<unk>` when `unk`) and `n_ctx` from `train`.
    pub fn from_splits(
        task: impl Into<String>,
        train: Vec<Example>,
        val: Vec<Example>,
        test: Vec<Example>,
        causal: bool,
        unk: bool,
    ) -> Result<Self, TaskError> {
        let task = task.into();
        if train.is_empty() {
            return Err(TaskError::NoTrainingData { task });
        }
        let input_vocab = Vocab::from_sequences(train.iter().map(|e| e.tokens.as_slice()), unk);
        let output_vocab = Vocab::from_sequences(train.iter().map(|e| e.labels.as_slice()), unk);
        let n_ctx = train.iter().map(|e| e.tokens.len()).max().unwrap_or(0);
        Ok(Self {
            task,
            params: None,
            requested: None,
            train,
            val,
            test,
            input_vocab,
            output_vocab,
            n_ctx,
            causal,
            dropped: 0,
        })
    }

    /// The examples of `split`.
    pub fn split(&self, split: Split) -> &[Example] {
        match split {
            Split::Train => &self.train,
            Split::Val => &self.val,
            Split::Test => &self.test,
        }
    }

    /// Number of examples in the three splits together.
    pub fn produced(&self) -> usize {
        self.train.len() + self.val.len() + self.test.len()
    }

    /// `split` as index matrices of width `n_ctx`.
    pub fn encode(&self, split: Split) -> Result<EncodedSplit, TaskError> {
        encode_examples(
            self.split(split),
            split.as_str(),
            &self.input_vocab,
            &self.output_vocab,
            self.n_ctx,
        )
    }
}

/// Encodes `examples` (called `what` in errors) against the vocabularies, right-padding to
/// `n_ctx`; a longer example, an unknown token or an unknown label (without `<unk>`) is an
/// error naming the example by its 1-based number (for a file's examples, check them when
/// reading, as [`crate::jsonl::read_for_model`] does, so errors name the line instead).
pub fn encode_examples(
    examples: &[Example],
    what: &str,
    input_vocab: &Vocab,
    output_vocab: &Vocab,
    n_ctx: usize,
) -> Result<EncodedSplit, TaskError> {
    let n = examples.len();
    // Every vocabulary has `<pad>` at index 0.
    let mut tokens = vec![0u32; n * n_ctx]; // [n, n_ctx]
    let mut labels = vec![0u32; n * n_ctx]; // [n, n_ctx]
    let in_example = |index: usize, source: TaskError| TaskError::InExample {
        split: what.to_string(),
        number: index + 1,
        source: Box::new(source),
    };
    for (index, example) in examples.iter().enumerate() {
        let len = example.tokens.len();
        if len > n_ctx {
            return Err(TaskError::TooLong {
                split: what.to_string(),
                number: index + 1,
                len,
                n_ctx,
            });
        }
        if example.labels.len() != len {
            return Err(in_example(
                index,
                TaskError::LengthMismatch {
                    tokens: len,
                    labels: example.labels.len(),
                },
            ));
        }
        let row = index * n_ctx..index * n_ctx + len;
        let token_ids = input_vocab
            .encode(&example.tokens)
            .map_err(|e| in_example(index, e))?;
        let label_ids = output_vocab
            .encode(&example.labels)
            .map_err(|e| in_example(index, e))?;
        tokens[row.clone()].copy_from_slice(&token_ids);
        labels[row].copy_from_slice(&label_ids);
    }
    Ok(EncodedSplit {
        n,
        n_ctx,
        tokens,
        labels,
    })
}
