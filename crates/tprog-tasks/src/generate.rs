//! Seeded generation of a task's dataset, reproducing the reference's `get_dataset`: draw,
//! keep first occurrences (when `unique`), split 81/9/10, build the vocabularies.

use std::collections::HashSet;

use crate::rng::RandomState;
use crate::split::split_three;
use crate::{Dataset, Example, Task, TaskError, TaskName};

/// How many times `dataset_size` the reference draws at most when `unique` (its loop over
/// 2, 3, 4, 5 times the size, each restarted from the same seed, keeps a prefix of the last).
const MAX_DRAW_FACTOR: usize = 5;

impl Task {
    /// The inputs the reference keeps, in generation order, labelled.
    ///
    /// Without `unique`, the first `dataset_size` draws (induction still rejects repeats, as its
    /// reference generator does). With `unique`, the first `dataset_size` distinct inputs
    /// (compared as concatenated strings) among at most 5 × `dataset_size` draws; induction
    /// stops instead after more than 2 × 5 × `dataset_size` rejected repeats.
    pub fn draw(&self) -> Result<Vec<Example>, TaskError> {
        let params = self.params();
        let size = params.dataset_size;
        // Validated by Task::new: seeds fit 32 bits.
        let mut rng = RandomState::new(u32::try_from(params.seed).unwrap_or(u32::MAX));
        let mut seen: HashSet<String> = HashSet::new();
        let mut kept: Vec<Vec<String>> = Vec::new();
        if self.name() == TaskName::Induction {
            let factor = if params.unique { MAX_DRAW_FACTOR } else { 1 };
            let max_rejections = 2 * factor * size;
            let mut rejections = 0;
            while kept.len() < size {
                let tokens = self.sample(&mut rng);
                if seen.insert(tokens.concat()) {
                    kept.push(tokens);
                } else {
                    rejections += 1;
                    if rejections > max_rejections {
                        break;
                    }
                }
            }
        } else if params.unique {
            for _ in 0..MAX_DRAW_FACTOR * size {
                let tokens = self.sample(&mut rng);
                if seen.insert(tokens.concat()) {
                    kept.push(tokens);
                    if kept.len() == size {
                        break;
                    }
                }
            }
        } else {
            kept = (0..size).map(|_| self.sample(&mut rng)).collect();
        }
        kept.into_iter()
            .map(|tokens| self.example(tokens))
            .collect()
    }

    /// The task's dataset: [`Task::draw`], the reference's 81/9/10 split with the same seed,
    /// vocabularies and `n_ctx` from the training split.
    pub fn generate(&self) -> Result<Dataset, TaskError> {
        let params = self.params();
        let examples = self.draw()?;
        let seed = u32::try_from(params.seed).unwrap_or(u32::MAX);
        let (train, val, test) = split_three(examples, seed);
        let mut dataset =
            Dataset::from_splits(self.name().as_str(), train, val, test, self.causal(), false)?;
        dataset.params = Some(*params);
        dataset.requested = Some(params.dataset_size);
        Ok(dataset)
    }
}
