//! What `collect` reads of a `summary.json`: the fields of [`tprog_pipeline::Summary`] a
//! results table needs, with the configuration optional, so that version 1 files (the oldest
//! in `results/paper/`, written before summaries held the run's configuration) are collected too.

use std::path::Path;

use serde::Deserialize;
use tprog_pipeline::{Faithful, SplitResult};
use tprog_train::{Architecture, RunConfig};

use crate::SweepError;

/// One run's results.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RunResult {
    /// The run's name (the task).
    pub name: String,
    /// Which model it trained.
    #[serde(default)]
    pub architecture: Architecture,
    /// Its preset.
    #[serde(default)]
    pub preset: Option<String>,
    /// Its seed.
    pub seed: u64,
    /// The discrete model on each split.
    pub train: SplitResult,
    /// Validation (model selection).
    pub val: SplitResult,
    /// Test (reported).
    pub test: SplitResult,
    /// The reported epoch.
    pub best_epoch: usize,
    /// Epochs trained.
    pub epochs: usize,
    /// Whether training was interrupted.
    pub interrupted: bool,
    /// Seconds spent training.
    pub train_seconds: f64,
    /// The program's faithfulness and size.
    #[serde(default)]
    pub faithful: Option<Faithful>,
    /// Why there is no program.
    #[serde(default)]
    pub program_error: Option<String>,
    /// The whole configuration (absent in version 1 files).
    #[serde(default)]
    pub config: Option<RunConfig>,
}

impl RunResult {
    /// Reads `dir/summary.json`; it needs no `config.json` beside it, so archived results
    /// (summary and report only) read too.
    pub fn read(dir: &Path) -> Result<Self, SweepError> {
        let path = dir.join(tprog_train::rundir::files::SUMMARY);
        let text = std::fs::read_to_string(&path).map_err(|e| SweepError::io(&path, e))?;
        serde_json::from_str(&text).map_err(|e| SweepError::json(&path, e))
    }

    /// The validation metric that picks the best run: entity F1 for a tagging run that
    /// reports it (CoNLL, as the paper selects), else the discrete model's token accuracy on
    /// the validation split; `None` when the split was empty or the run was interrupted.
    pub fn selection_metric(&self) -> Option<f64> {
        if self.interrupted {
            return None;
        }
        headline(&self.val)
    }

    /// The reported test figure: entity F1 where the run reports it, else token accuracy.
    pub fn test_metric(&self) -> Option<f64> {
        headline(&self.test)
    }
}

/// A split's headline figure: entity F1 (tagging) or token accuracy.
pub fn headline(split: &SplitResult) -> Option<f64> {
    split.entity.map(|e| e.f1).or(split.token_acc)
}
