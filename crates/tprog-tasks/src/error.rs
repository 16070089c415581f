//! The crate's typed error: every variant names the problem and the value (and file) involved.

use std::path::PathBuf;

/// Everything that can go wrong when building tasks, vocabularies and datasets.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// A task name that is not one of the built-in tasks.
    #[error("unknown task `{name}`; valid tasks are: {valid}")]
    UnknownTask {
        /// The name asked for.
        name: String,
        /// The valid names, comma separated.
        valid: String,
    },
    /// A split name that is not `train`, `val` or `test`.
    #[error("unknown split `{name}`; valid splits are: train, val, test")]
    UnknownSplit {
        /// The name asked for.
        name: String,
    },
    /// Task parameters that cannot be used; lists every problem found.
    #[error("invalid parameters for task `{task}`:\n  - {}", problems.join("\n  - "))]
    InvalidParams {
        /// The task name.
        task: String,
        /// One sentence per problem.
        problems: Vec<String>,
    },
    /// A token missing from a vocabulary that has no `<unk>`.
    #[error(
        "unknown token `{token}` at position {position} (vocabulary of {vocab_len} tokens has no `<unk>`)"
    )]
    UnknownToken {
        /// The token.
        token: String,
        /// Its 0-based position in the sequence.
        position: usize,
        /// The size of the vocabulary.
        vocab_len: usize,
    },
    /// An index outside a vocabulary.
    #[error("token index {index} is outside the vocabulary of {vocab_len} tokens")]
    IndexOutOfRange {
        /// The index.
        index: u32,
        /// The size of the vocabulary.
        vocab_len: usize,
    },
    /// A vocabulary that does not start with `<pad>` or repeats a token.
    #[error("invalid vocabulary: {reason}")]
    InvalidVocab {
        /// What is wrong.
        reason: String,
    },
    /// An input sequence a task cannot label.
    #[error("task `{task}` cannot label this sequence: {reason}")]
    BadSequence {
        /// The task name.
        task: String,
        /// What is wrong (naming the token and its position).
        reason: String,
    },
    /// A sequence longer than the model's context.
    #[error("{split} example #{number} has {len} tokens, more than n_ctx = {n_ctx}")]
    TooLong {
        /// Which examples (a split name or a file).
        split: String,
        /// 1-based example number.
        number: usize,
        /// Its length.
        len: usize,
        /// The context length.
        n_ctx: usize,
    },
    /// An example whose tokens and labels differ in length.
    #[error("{tokens} tokens but {labels} labels")]
    LengthMismatch {
        /// Number of tokens.
        tokens: usize,
        /// Number of labels.
        labels: usize,
    },
    /// A problem with one example of a split or file.
    #[error("{split} example #{number}: {source}")]
    InExample {
        /// Which examples (a split name or a file).
        split: String,
        /// 1-based example number.
        number: usize,
        /// The problem.
        source: Box<TaskError>,
    },
    /// A dataset with no training example (nothing to build a vocabulary from).
    #[error("dataset `{task}` has no training examples")]
    NoTrainingData {
        /// The task or file name.
        task: String,
    },
    /// A file that cannot be read.
    #[error("cannot read {}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A problem on one line of a JSONL file.
    #[error("{}:{line}: {problem}", file.display())]
    Jsonl {
        /// The file.
        file: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// A JSONL file whose every line is longer than the length limit (all were dropped).
    #[error("{}: all {dropped} lines are longer than the maximum sequence length {max_len}", file.display())]
    AllTooLong {
        /// The file.
        file: PathBuf,
        /// How many lines were dropped.
        dropped: usize,
        /// The limit.
        max_len: usize,
    },
    /// A JSONL file without a single example.
    #[error("{}: the file contains no examples", file.display())]
    EmptyFile {
        /// The file.
        file: PathBuf,
    },
    /// A problem on one line of a text data file (CoNLL, TREC, one sentence a line, CSV).
    #[error("{}:{line}: {problem}", file.display())]
    TextFile {
        /// The file.
        file: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// A data file an NLP task needs that is not in the data directory.
    #[error("task `{task}`: cannot find {} ({hint})", file.display())]
    MissingFile {
        /// The NLP task.
        task: String,
        /// The file looked for.
        file: PathBuf,
        /// What the file is and where it is looked for.
        hint: String,
    },
    /// A text data file without a single example.
    #[error("{}: no {what} in the file", file.display())]
    NoExamples {
        /// The file.
        file: PathBuf,
        /// What was expected (sentences, rows, questions).
        what: String,
    },
}
