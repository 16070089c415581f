//! The crate's error type: every problem names the tensor, file or value at fault.

use std::path::PathBuf;

/// Why a model could not be built, run, saved or loaded.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The configuration is inconsistent; every problem found is listed.
    #[error("invalid model config: {}", .0.join("; "))]
    InvalidConfig(Vec<String>),
    /// A batch's tensors do not have the sizes its arguments announce.
    #[error(
        "{what} has {got} elements, expected {expected} (batch {batch_size} x {n_positions} positions)"
    )]
    BatchShape {
        /// Which argument (`tokens`, `labels`).
        what: &'static str,
        /// Its length.
        got: usize,
        /// The length implied by `batch_size * n_positions`.
        expected: usize,
        /// The batch size passed.
        batch_size: usize,
        /// The number of positions passed.
        n_positions: usize,
    },
    /// More positions than the model's context (`n_ctx`).
    #[error("{n_positions} positions exceed the model's n_ctx = {n_ctx}")]
    TooManyPositions {
        /// Positions requested.
        n_positions: usize,
        /// The model's context length.
        n_ctx: usize,
    },
    /// A token or label index outside its vocabulary.
    #[error("{what} {value} at flat index {index} is outside 0..{limit}")]
    OutOfVocab {
        /// `token` or `label`.
        what: &'static str,
        /// The offending value.
        value: u32,
        /// Its position in the flat batch.
        index: usize,
        /// The vocabulary size.
        limit: usize,
    },
    /// A checkpoint lacks a parameter.
    #[error("{path}: missing tensor {name}")]
    MissingTensor {
        /// The checkpoint.
        path: PathBuf,
        /// The parameter name.
        name: String,
    },
    /// A checkpoint tensor has the wrong shape or dtype.
    #[error("{path}: tensor {name} has shape {got:?} ({dtype}), expected {expected:?} (F32)")]
    TensorMismatch {
        /// The checkpoint.
        path: PathBuf,
        /// The parameter name.
        name: String,
        /// Shape found.
        got: Vec<usize>,
        /// Dtype found.
        dtype: String,
        /// Shape expected.
        expected: Vec<usize>,
    },
    /// A checkpoint file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A checkpoint is not valid safetensors.
    #[error("{path}: not a valid safetensors file: {reason}")]
    Safetensors {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
    /// A query about a module that does not exist (layer, head or MLP index out of range).
    #[error("no {what} with index {index} (the model has {count})")]
    NoSuchModule {
        /// The kind of module asked for.
        what: &'static str,
        /// The index asked for.
        index: usize,
        /// How many there are.
        count: usize,
    },
    /// A gradient was asked of the discrete (argmax) model.
    #[error(
        "the discrete (argmax) model has no useful gradient: train with a relaxed sampler \
         (Gumbel-softmax or softmax)"
    )]
    NoGradient,
    /// Inputs given to a single-MLP evaluation do not fit the MLP.
    #[error("MLP input: {0}")]
    MlpInput(String),
}
