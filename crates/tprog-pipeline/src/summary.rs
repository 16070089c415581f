//! `summary.json`: the typed, versioned result of a run, read by people's scripts
//! (`scripts/results_table.py`), the sweep runner and `tprog` itself.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tprog_decompile::Agreement;
use tprog_train::{Accuracy, Architecture, RunConfig};

use crate::PipelineError;

/// The version written in `summary_version`. Version 1 (unversioned files) had the same fields
/// without `summary_version`, `stopped_early`, the per-split faithfulness and `null` accuracies;
/// version 2 had no `architecture` (every run was a Transformer Program).
pub const SUMMARY_VERSION: u32 = 3;

fn version_one() -> u32 {
    1
}

/// The results of one run: discrete accuracy per split, the epochs, the program's faithfulness
/// and size, the timings, and the whole configuration it was trained with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// [`SUMMARY_VERSION`] when written by this version.
    #[serde(default = "version_one")]
    pub summary_version: u32,
    /// The run's name (the task, or the data file's stem).
    pub name: String,
    /// Which model the run trained: a Transformer Program, or the standard Transformer
    /// baseline (which has no program: `faithful` and `program_error` are then absent).
    #[serde(default)]
    pub architecture: Architecture,
    /// The preset it started from.
    pub preset: Option<String>,
    /// Its seed.
    pub seed: u64,
    /// The discrete model on the training split.
    pub train: SplitResult,
    /// The discrete model on the validation split (model selection).
    pub val: SplitResult,
    /// The discrete model on the test split (reported).
    pub test: SplitResult,
    /// The reported epoch (1-based): the best by discrete validation accuracy.
    pub best_epoch: usize,
    /// Epochs trained.
    pub epochs: usize,
    /// Whether training was interrupted before its last epoch.
    pub interrupted: bool,
    /// Whether the patience rule stopped training.
    #[serde(default)]
    pub stopped_early: bool,
    /// Seconds spent training, summed over every session of a resumed run.
    pub train_seconds: f64,
    /// `train_seconds` per epoch.
    pub seconds_per_epoch: f64,
    /// Wall-clock seconds of the last invocation (training, evaluation, program stage).
    pub wall_seconds: f64,
    /// Worker threads.
    pub threads: usize,
    /// The CPU model and core count.
    pub machine: String,
    /// The whole configuration, so an archived summary says how the run was trained.
    pub config: RunConfig,
    /// The program: faithfulness and size (absent when the program stage failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faithful: Option<Faithful>,
    /// Why there is no program, when the program stage failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_error: Option<String>,
}

/// The discrete model's accuracy on one split. Accuracies are `None` (JSON `null`) when the
/// split is empty: an empty split has no accuracy, it is not 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitResult {
    /// Sequences.
    pub examples: usize,
    /// Scored positions predicted correctly / scored positions.
    pub token_acc: Option<f64>,
    /// Sequences with every scored position correct / sequences.
    pub sequence_acc: Option<f64>,
    /// For IOB2 tagging (CoNLL): entity precision, recall and F1, seqeval strict IOB2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<tprog_tasks::entity::EntityScores>,
}

impl From<&Accuracy> for SplitResult {
    fn from(accuracy: &Accuracy) -> Self {
        Self {
            examples: accuracy.sequences,
            token_acc: (accuracy.scored > 0).then(|| accuracy.token()),
            sequence_acc: (accuracy.sequences > 0).then(|| accuracy.sequence()),
            entity: accuracy.entity,
        }
    }
}

/// Whether the program equals the discrete model, and its size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Faithful {
    /// Program == model at every real position of every split.
    pub all_agree: bool,
    /// Real positions compared over all splits.
    pub positions: usize,
    /// Of which agreeing.
    pub positions_agreeing: usize,
    /// Modules (heads and MLPs) in the program.
    pub modules: usize,
    /// Lines of the Python export.
    pub python_lines: usize,
    /// Seconds to decompile, verify and export.
    pub decompile_seconds: f64,
    /// Per split.
    #[serde(default)]
    pub splits: Vec<SplitAgreement>,
}

/// Program against discrete model on one split (or file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitAgreement {
    /// The split's name, or the file compared on.
    pub split: String,
    /// Sequences compared.
    pub sequences: usize,
    /// Real positions compared.
    pub positions: usize,
    /// Positions where both predict the same class.
    pub positions_agreeing: usize,
    /// Scored positions (label other than `<pad>`).
    pub scored: usize,
    /// Scored positions the model gets right.
    pub model_correct: usize,
    /// Scored positions the program gets right.
    pub program_correct: usize,
    /// The first disagreements, as `sequence:position model→program` (0-based indices into
    /// the split, class indices).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub first_disagreements: Vec<String>,
}

impl SplitAgreement {
    /// From the verifier's agreement on split `split`.
    pub fn new(split: impl Into<String>, agreement: &Agreement) -> Self {
        Self {
            split: split.into(),
            sequences: agreement.sequences,
            positions: agreement.positions,
            positions_agreeing: agreement.positions_agreeing,
            scored: agreement.scored,
            model_correct: agreement.model_correct,
            program_correct: agreement.program_correct,
            first_disagreements: agreement
                .disagreements
                .iter()
                .map(|d| {
                    format!(
                        "example {} position {}: model {} program {}",
                        d.sequence, d.position, d.model, d.program
                    )
                })
                .collect(),
        }
    }

    /// Whether the program equals the model at every position.
    pub fn is_exact(&self) -> bool {
        self.positions == self.positions_agreeing
    }

    /// The model's token accuracy against the labels (`None` without scored positions).
    pub fn model_accuracy(&self) -> Option<f64> {
        (self.scored > 0).then(|| self.model_correct as f64 / self.scored as f64)
    }

    /// The program's token accuracy against the labels.
    pub fn program_accuracy(&self) -> Option<f64> {
        (self.scored > 0).then(|| self.program_correct as f64 / self.scored as f64)
    }
}

/// Fails with [`PipelineError::Unfaithful`] unless the program agrees everywhere.
pub fn require_exact(rows: &[SplitAgreement]) -> Result<(), PipelineError> {
    let positions = rows.iter().map(|r| r.positions).sum();
    let differing = rows
        .iter()
        .map(|r| r.positions - r.positions_agreeing)
        .sum();
    if differing == 0 {
        return Ok(());
    }
    let where_ = rows
        .iter()
        .filter(|r| !r.is_exact())
        .map(|r| {
            format!(
                "{}: {} positions, first: {}",
                r.split,
                r.positions - r.positions_agreeing,
                r.first_disagreements.first().map_or("", String::as_str)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Err(PipelineError::Unfaithful {
        positions,
        differing,
        where_,
    })
}

impl Summary {
    /// The summary file's name in a run directory.
    pub const FILE: &'static str = tprog_train::rundir::files::SUMMARY;

    /// Reads a run's `summary.json` (any version).
    pub fn read(run_dir: &Path) -> Result<Self, PipelineError> {
        let run = tprog_train::RunDir::open(run_dir)?;
        Ok(run.read_json(Self::FILE)?)
    }

    /// The run directory a summary file sits in is not part of the file; this pairs them.
    pub fn with_dir(self, dir: impl Into<PathBuf>) -> (PathBuf, Self) {
        (dir.into(), self)
    }
}
