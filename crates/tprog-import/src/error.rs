//! [`TorchImportError`]: every way reading a checkpoint or an `args.json` can fail, each naming
//! the file (and the entry, tensor or field) at fault.

use std::path::PathBuf;

use crate::ArgsProblem;

/// Why a checkpoint or an `args.json` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TorchImportError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not a zip archive (or its directory is damaged).
    #[error("{path} is not a PyTorch zip checkpoint: {source}")]
    NotZip {
        /// The file.
        path: PathBuf,
        /// What the zip reader said.
        source: zip::result::ZipError,
    },
    /// The archive has no `<prefix>/data.pkl`.
    #[error("{path} has no data.pkl entry (not a torch.save archive)")]
    NoDataPkl {
        /// The file.
        path: PathBuf,
    },
    /// An archive entry could not be decompressed or failed its checksum.
    #[error("entry {entry} of {path} is corrupted: {source}")]
    CorruptEntry {
        /// The file.
        path: PathBuf,
        /// The archive entry.
        entry: String,
        /// What went wrong while reading it.
        source: std::io::Error,
    },
    /// The pickle could not be run (damaged, or uses something a state dict never does).
    #[error("malformed pickle in {path} at byte {offset}: {reason}")]
    MalformedPickle {
        /// The file.
        path: PathBuf,
        /// Offset of the failing opcode in `data.pkl`.
        offset: usize,
        /// What was wrong.
        reason: String,
    },
    /// The pickle ran but did not produce a name → tensor dict.
    #[error("{path} does not hold a state dict: {reason}")]
    NotAStateDict {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// A tensor names a storage that the archive does not contain.
    #[error("{path} lacks storage entry {entry} (used by tensor {tensor})")]
    MissingStorage {
        /// The file.
        path: PathBuf,
        /// The missing archive entry.
        entry: String,
        /// The first tensor that uses it.
        tensor: String,
    },
    /// A storage entry does not hold the number of bytes its pickle declares.
    #[error("storage {entry} in {path} holds {actual_bytes} bytes, expected {expected_bytes}")]
    TruncatedStorage {
        /// The file.
        path: PathBuf,
        /// The archive entry.
        entry: String,
        /// `numel × element size` from the pickle.
        expected_bytes: u64,
        /// What the entry holds.
        actual_bytes: u64,
    },
    /// A storage type other than float32, int64 or bool.
    #[error("tensor {tensor} in {path} has unsupported storage type {storage_type}")]
    UnsupportedDtype {
        /// The file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// The storage class, e.g. `DoubleStorage`.
        storage_type: String,
    },
    /// A tensor whose strides are not row-major.
    #[error("tensor {tensor} in {path} is not contiguous (shape {shape:?}, stride {stride:?})")]
    NotContiguous {
        /// The file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// Its shape.
        shape: Vec<usize>,
        /// Its strides.
        stride: Vec<usize>,
    },
    /// A tensor that reaches past the end of its storage.
    #[error("tensor {tensor} in {path} needs elements {offset}..{end} of a storage of {numel}")]
    OutOfBounds {
        /// The file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// Its first element in the storage.
        offset: usize,
        /// One past its last element (saturated on overflow).
        end: usize,
        /// The storage's element count.
        numel: usize,
    },
    /// An `args.json` that is not a JSON object.
    #[error("malformed reference args file {path}: {source}")]
    MalformedArgs {
        /// The file.
        path: PathBuf,
        /// What serde_json said.
        source: serde_json::Error,
    },
    /// An `args.json` that lacks required fields or holds fields of the wrong type (every
    /// problem listed, sorted by field name).
    #[error("invalid reference args file {path}:{}", bullets(problems))]
    InvalidArgs {
        /// The file.
        path: PathBuf,
        /// What is wrong, one entry per field.
        problems: Vec<ArgsProblem>,
    },
}

/// `problems` as an indented list, one per line.
fn bullets(problems: &[ArgsProblem]) -> String {
    problems.iter().map(|p| format!("\n  - {p}")).collect()
}
