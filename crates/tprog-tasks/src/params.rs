//! Generator parameters (the reference's data flags) and their task-independent checks.

use serde::{Deserialize, Serialize};

/// Largest `dataset_size` accepted (keeps a typo from exhausting memory).
pub const MAX_DATASET_SIZE: usize = 10_000_000;
/// Largest `max_length` accepted.
pub const MAX_LENGTH: usize = 4096;

/// The parameters of a synthetic task's generator, named as the reference's flags.
///
/// `vocab_size` counts special tokens the way the reference does (e.g. sort with `vocab_size` 8
/// has 5 symbols plus `<pad>`, `<s>`, `</s>`); lengths are the reference's `min_length` and
/// `max_length`, whose meaning each task's module explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskParams {
    /// The reference's `--vocab_size` (see each task for what it counts).
    pub vocab_size: usize,
    /// The reference's `--min_length`.
    pub min_length: usize,
    /// The reference's `--max_length`.
    pub max_length: usize,
    /// Number of examples asked for (`--dataset_size`); fewer may be produced when `unique`.
    pub dataset_size: usize,
    /// Seed of the generator and of the split (numpy seeds are 32-bit).
    pub seed: u64,
    /// Keep only the first occurrence of each input (`--unique 1`, the paper's setting).
    pub unique: bool,
}

impl TaskParams {
    /// Problems that do not depend on the task, one sentence each.
    pub(crate) fn common_problems(&self, problems: &mut Vec<String>) {
        if self.dataset_size == 0 {
            problems.push("dataset_size must be at least 1, got 0".into());
        }
        if self.dataset_size > MAX_DATASET_SIZE {
            problems.push(format!(
                "dataset_size {} is larger than the supported {MAX_DATASET_SIZE}",
                self.dataset_size
            ));
        }
        if self.min_length > self.max_length {
            problems.push(format!(
                "min_length {} is greater than max_length {}",
                self.min_length, self.max_length
            ));
        }
        if self.max_length > MAX_LENGTH {
            problems.push(format!(
                "max_length {} is larger than the supported {MAX_LENGTH}",
                self.max_length
            ));
        }
        if self.seed > u64::from(u32::MAX) {
            problems.push(format!(
                "seed {} does not fit 32 bits (numpy's limit)",
                self.seed
            ));
        }
    }
}
