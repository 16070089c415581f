//! The crate's error type: why a model could not be decompiled or verified; every variant names
//! the module, the value or the limit at fault.

use tprog_model::ModelError;
use tprog_program::ProgramError;
use tprog_tasks::TaskError;

/// Why decompilation or verification failed.
#[derive(Debug, thiserror::Error)]
pub enum DecompileError {
    /// The model uses a feature the program IR cannot express exactly.
    #[error("cannot decompile: {0}")]
    Unsupported(String),
    /// The vocabularies given do not fit the model.
    #[error("vocabulary mismatch: {what} has {got} entries but the model has {expected}")]
    VocabularyMismatch {
        /// `input vocabulary` or `output vocabulary`.
        what: &'static str,
        /// Entries given.
        got: usize,
        /// Entries the model's config announces.
        expected: usize,
    },
    /// A numerical MLP's input grid has more cells than can be tabulated.
    #[error(
        "numerical MLP {module}: its input grid {domains} has {cells} cells, more than the limit of {limit}"
    )]
    TableTooLarge {
        /// The MLP's output variable.
        module: String,
        /// The domains, e.g. `num_attn_1_0_outputs in 0..=64 x ones in 1..=1`.
        domains: String,
        /// Number of cells (saturating).
        cells: u128,
        /// The largest grid tabulated.
        limit: u64,
    },
    /// A numerical variable can exceed the range where the model's f32 arithmetic is exact.
    #[error(
        "numerical variable {variable} can reach {min}..={max}, beyond ±2^24 where the model's f32 sums are exact"
    )]
    ValueTooLarge {
        /// The variable.
        variable: String,
        /// Its smallest reachable value.
        min: i128,
        /// Its largest reachable value.
        max: i128,
    },
    /// The model could not be queried or run.
    #[error("model: {0}")]
    Model(#[from] ModelError),
    /// The program is invalid or could not be run.
    #[error("program: {0}")]
    Program(#[from] ProgramError),
    /// The task could not label an input.
    #[error("task: {0}")]
    Task(#[from] TaskError),
    /// The task's input space is too large to enumerate.
    #[error(
        "support too large: task {task} has {size} inputs, more than the {limit} an exhaustive check enumerates"
    )]
    SupportTooLarge {
        /// The task.
        task: String,
        /// Its support size (saturating).
        size: u128,
        /// The enumeration limit.
        limit: u128,
    },
    /// The examples given to [`crate::verify`] are malformed.
    #[error("examples: {0}")]
    Examples(String),
}
