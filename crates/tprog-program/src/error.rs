//! Typed errors of the program crate: loading, validation and execution.

use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong while loading, validating or running a program.
#[derive(Debug, thiserror::Error)]
pub enum ProgramError {
    /// The program file could not be read.
    #[error("cannot read program file {file}")]
    Read {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The program file could not be written.
    #[error("cannot write program file {file}")]
    Write {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The JSON text is not a program (truncated, wrong field, wrong type...); the message
    /// starts with `file:line:column:` (1-based) when the text came from a file.
    #[error("{}", describe_parse(.file.as_deref(), .error))]
    Parse {
        /// The file, if the text came from one.
        file: Option<PathBuf>,
        /// The JSON error, with line and column (part of the message, not a separate cause).
        error: serde_json::Error,
    },
    /// The file declares a format version this crate does not read.
    #[error("{} has format_version {found}; this tprog reads version {}", describe_file(.file), crate::ir::FORMAT_VERSION)]
    Version {
        /// The file, if the text came from one.
        file: Option<PathBuf>,
        /// The version found.
        found: u32,
    },
    /// Validation found problems (all of them are listed).
    #[error("invalid program: {0}")]
    Invalid(Problems),
    /// Validation of a file found problems (all of them are listed).
    #[error("invalid program file {file}: {problems}")]
    InvalidFile {
        /// The file.
        file: PathBuf,
        /// The problems.
        problems: Problems,
    },
    /// Simplification could not keep the original's predictions (a bug, reported not hidden).
    #[error("simplification failed: {0}")]
    Simplify(String),
    /// Words were given to a program that reads tokens (it was not learned on text).
    #[error(
        "this program was not learned on text: it has no word-to-token rules, give its input as tokens"
    )]
    NotText,
    /// An input token is not in the input vocabulary.
    #[error("token {token:?} at position {position} is not in the input vocabulary")]
    UnknownToken {
        /// The token.
        token: String,
        /// Its position.
        position: usize,
    },
    /// An input token index is outside the input vocabulary.
    #[error(
        "token index {index} at position {position} is outside the input vocabulary of {vocab_size} tokens"
    )]
    TokenIndexOutOfRange {
        /// The index.
        index: usize,
        /// Its position.
        position: usize,
        /// Size of the input vocabulary.
        vocab_size: usize,
    },
    /// The input contains the padding token, which the model never reads.
    #[error(
        "the padding token {token:?} at position {position} cannot be an input (sequences are unpadded)"
    )]
    PadToken {
        /// The padding token.
        token: String,
        /// Its position.
        position: usize,
    },
    /// The input is longer than the model's context.
    #[error("the input has {length} tokens but the program's context n_ctx is {n_ctx}")]
    TooLong {
        /// Input length.
        length: usize,
        /// The program's context length.
        n_ctx: usize,
    },
    /// The input is empty (a program runs on at least one token, e.g. `<s>`).
    #[error("the input is empty: a program runs on at least one token")]
    Empty,
    /// A numerical MLP read a value outside the domain its table covers.
    #[error(
        "{module} read {variable} = {value} at position {position}, outside its tabulated domain {min}..={max}"
    )]
    OutsideDomain {
        /// The numerical MLP.
        module: String,
        /// The input variable.
        variable: String,
        /// The value read.
        value: i64,
        /// The position.
        position: usize,
        /// Smallest tabulated value.
        min: i64,
        /// Largest tabulated value.
        max: i64,
    },
    /// A numerical value does not fit in 64 bits.
    #[error("{module} overflowed at position {position}")]
    Overflow {
        /// The module.
        module: String,
        /// The position.
        position: usize,
    },
    /// The labelling function given to verification failed.
    #[error("labelling function failed on input {index}: {message}")]
    Label {
        /// Index of the input sequence.
        index: usize,
        /// The labelling function's error.
        message: String,
    },
    /// The labelling function returned a different number of labels than tokens.
    #[error(
        "input {index} has {tokens} tokens but the labelling function returned {labels} labels"
    )]
    LabelLength {
        /// Index of the input sequence.
        index: usize,
        /// Number of tokens.
        tokens: usize,
        /// Number of labels.
        labels: usize,
    },
}

/// `file:line:column: not a valid program: problem`, or, for text without a file,
/// `the text is not a valid program: problem at line L column C` (serde_json's wording).
fn describe_parse(file: Option<&std::path::Path>, error: &serde_json::Error) -> String {
    let (line, column) = (error.line(), error.column());
    match file {
        Some(file) if line > 0 => {
            let full = error.to_string();
            let suffix = format!(" at line {line} column {column}");
            let problem = full.strip_suffix(&suffix).unwrap_or(&full);
            format!(
                "{}:{line}:{column}: not a valid program: {problem}",
                file.display()
            )
        }
        Some(file) => format!("{} is not a valid program: {error}", file.display()),
        None => format!("the text is not a valid program: {error}"),
    }
}

fn describe_file(file: &Option<PathBuf>) -> String {
    match file {
        Some(file) => file.display().to_string(),
        None => "the text".to_string(),
    }
}

/// One problem found by validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where: `inputs[2]`, `modules[3] (attn_0_1_outputs)`, `classifier.features[5]`, ...
    pub location: String,
    /// What is wrong, naming the offending value.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Every problem found by one validation pass (never empty inside an error).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} problem(s)", self.0.len())?;
        for problem in &self.0 {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}
