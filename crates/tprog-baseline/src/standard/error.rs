//! Errors of the standard Transformer: bad configs, batches that do not fit the model, and
//! parameter files that do not match it.

use std::path::PathBuf;

/// What can go wrong building, running or loading a standard Transformer.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The config has problems (all of them listed).
    #[error("invalid standard Transformer config: {}", problems.join("; "))]
    InvalidConfig {
        /// One line per problem.
        problems: Vec<String>,
    },
    /// A batch buffer has the wrong length.
    #[error(
        "{what} has {got} values, expected {expected} ({batch_size} sequences of {n_positions} positions)"
    )]
    BatchShape {
        /// `tokens` or `labels`.
        what: &'static str,
        /// Values given.
        got: usize,
        /// Values expected.
        expected: usize,
        /// Sequences in the batch.
        batch_size: usize,
        /// Positions per sequence.
        n_positions: usize,
    },
    /// More positions than the model has position embeddings.
    #[error("a batch of {n_positions} positions does not fit the model's n_ctx {n_ctx}")]
    TooManyPositions {
        /// Positions asked for.
        n_positions: usize,
        /// The model's context length.
        n_ctx: usize,
    },
    /// A token or label index outside its vocabulary.
    #[error("{what} {value} at index {index} is outside 0..{limit}")]
    OutOfVocab {
        /// `token` or `label`.
        what: &'static str,
        /// The value.
        value: u32,
        /// Its flat index in the batch.
        index: usize,
        /// The vocabulary size.
        limit: usize,
    },
    /// A parameter file could not be read or written.
    #[error("{}: {reason}", path.display())]
    Safetensors {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A parameter is missing from a file.
    #[error("{}: no tensor {name}", path.display())]
    MissingTensor {
        /// The file.
        path: PathBuf,
        /// The parameter.
        name: String,
    },
    /// A tensor has the wrong shape or type.
    #[error("{}: tensor {name} is {dtype} {got:?}, the model expects F32 {expected:?}", path.display())]
    TensorMismatch {
        /// The file.
        path: PathBuf,
        /// The parameter.
        name: String,
        /// Its shape in the file.
        got: Vec<usize>,
        /// Its type in the file.
        dtype: String,
        /// The shape the model has.
        expected: Vec<usize>,
    },
    /// Reading a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}
