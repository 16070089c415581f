//! What a run is made of: the task, the model and the training settings, saved as
//! `config.json` before training starts (the run directory: see `rundir`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tprog_baseline::standard::{StandardConfig, StandardShape};
use tprog_model::{DEFAULT_STEP_CHUNKS, MAX_STEP_CHUNKS, ModelConfig};
use tprog_tasks::text::{NlpOptions, NlpTask};
use tprog_tasks::{TaskName, TaskParams};

use crate::TrainError;
use crate::schedule::TauSchedule;

/// The sampler used while training (the discrete model always uses argmax).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TrainSampler {
    /// Gumbel-softmax, soft samples (the paper's setting).
    #[default]
    GumbelSoft,
    /// Gumbel-softmax with straight-through one-hot samples.
    GumbelHard,
    /// Plain softmax at temperature τ (no noise).
    Softmax,
}

/// Optimisation settings, named as the reference's flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Adam learning rate (constant).
    pub lr: f32,
    /// Sequences per optimiser step.
    pub batch_size: usize,
    /// Epochs over the training split.
    pub n_epochs: usize,
    /// Temperature at the first step.
    pub tau_init: f64,
    /// Temperature at the last epoch.
    pub tau_end: f64,
    /// Spacing of the per-epoch temperatures.
    #[serde(default)]
    pub tau_schedule: TauSchedule,
    /// Sampler used in training.
    #[serde(default)]
    pub sample_fn: TrainSampler,
    /// Independent samples per step, losses averaged (the reference's `--gumbel_samples`).
    #[serde(default = "one")]
    pub gumbel_samples: usize,
    /// Clip the global gradient norm to this value.
    #[serde(default)]
    pub max_grad_norm: Option<f32>,
    /// Seed of initialisation, shuffling and noise.
    pub seed: u64,
    /// Stop after this many epochs without a better discrete validation accuracy.
    #[serde(default)]
    pub patience: Option<usize>,
    /// Epochs the temperature anneals over (default: `n_epochs`). A run extended on resume
    /// keeps its original schedule; its extra epochs run at `tau_end`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_epochs: Option<usize>,
    /// Chunks a batch is cut into for parallel work (`Model::set_step_chunks`): the gradients
    /// depend on it, never on the thread count; at most this many threads share a step.
    /// Written to config.json only when it differs from the default, 8.
    #[serde(
        default = "default_step_chunks",
        skip_serializing_if = "is_default_step_chunks"
    )]
    pub step_chunks: usize,
    /// A GloVe text file whose vectors, projected (`glove`), initialise the learned word
    /// embedding (the reference's `--do_glove 1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glove: Option<PathBuf>,
}

/// The largest number of epochs a run may ask for.
pub const MAX_EPOCHS: usize = 1_000_000;
/// The largest batch size.
pub const MAX_BATCH_SIZE: usize = 1 << 20;
/// The largest number of Gumbel samples per step.
pub const MAX_GUMBEL_SAMPLES: usize = 1024;

fn one() -> usize {
    1
}

fn default_step_chunks() -> usize {
    DEFAULT_STEP_CHUNKS
}

fn is_default_step_chunks(n: &usize) -> bool {
    *n == DEFAULT_STEP_CHUNKS
}

impl Default for TrainConfig {
    /// The reference scripts' settings: Adam 5e-2, batch 512, 250 epochs, τ 3.0 → 0.01.
    fn default() -> Self {
        Self {
            lr: 5e-2,
            batch_size: 512,
            n_epochs: 250,
            tau_init: 3.0,
            tau_end: 0.01,
            tau_schedule: TauSchedule::Geomspace,
            sample_fn: TrainSampler::GumbelSoft,
            gumbel_samples: 1,
            max_grad_norm: None,
            seed: 0,
            patience: None,
            schedule_epochs: None,
            step_chunks: DEFAULT_STEP_CHUNKS,
            glove: None,
        }
    }
}

impl TrainConfig {
    /// Every problem with the settings, at once.
    pub fn validate(&self) -> Result<(), TrainError> {
        self.check()
            .map_err(|problems| TrainError::InvalidConfig { problems })
    }

    /// The epochs the temperature anneals over.
    pub fn schedule_epochs(&self) -> usize {
        self.schedule_epochs.unwrap_or(self.n_epochs)
    }

    /// Every problem with the settings, as lines.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if !(self.lr.is_finite() && self.lr > 0.0) {
            problems.push(format!("lr must be a positive number, got {}", self.lr));
        }
        if !(1..=MAX_BATCH_SIZE).contains(&self.batch_size) {
            problems.push(format!(
                "batch_size (--batch-size) must be between 1 and {MAX_BATCH_SIZE}, got {}",
                self.batch_size
            ));
        }
        if !(1..=MAX_EPOCHS).contains(&self.n_epochs) {
            problems.push(format!(
                "n_epochs (--epochs) must be between 1 and {MAX_EPOCHS}, got {}",
                self.n_epochs
            ));
        }
        if let Some(span) = self.schedule_epochs
            && !(1..=self.n_epochs).contains(&span)
        {
            problems.push(format!(
                "schedule_epochs must be between 1 and n_epochs ({}), got {span}",
                self.n_epochs
            ));
        }
        for (name, tau) in [("tau_init", self.tau_init), ("tau_end", self.tau_end)] {
            if !(tau.is_finite() && tau > 0.0) {
                problems.push(format!("{name} must be a positive number, got {tau}"));
            }
        }
        if !(1..=MAX_STEP_CHUNKS).contains(&self.step_chunks) {
            problems.push(format!(
                "step_chunks (--step-chunks) must be between 1 and {MAX_STEP_CHUNKS}, got {}",
                self.step_chunks
            ));
        }
        if !(1..=MAX_GUMBEL_SAMPLES).contains(&self.gumbel_samples) {
            problems.push(format!(
                "gumbel_samples must be between 1 and {MAX_GUMBEL_SAMPLES}, got {}",
                self.gumbel_samples
            ));
        }
        if let Some(norm) = self.max_grad_norm
            && !(norm.is_finite() && norm > 0.0)
        {
            problems.push(format!(
                "max_grad_norm must be a positive number, got {norm}"
            ));
        }
        if self.patience == Some(0) {
            problems.push("patience must be at least 1 epoch".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Where a run's data comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum TaskSource {
    /// A built-in generator with its parameters (regenerated exactly from them).
    Generated {
        /// The task.
        task: TaskName,
        /// Its generator parameters (seed included).
        params: TaskParams,
    },
    /// A user JSONL file.
    File {
        /// The file (`.jsonl` or `.jsonl.gz`).
        path: PathBuf,
        /// Seed of the 81/9/10 split when the file has no `split` field.
        seed: u64,
        /// Whether attention is causal.
        causal: bool,
        /// Most tokens a line may have (the largest possible `n_ctx`).
        #[serde(default = "default_max_length")]
        max_length: usize,
        /// Lines over `max_length` are skipped and counted instead of being an error.
        #[serde(default)]
        drop_long: bool,
        /// The model's context when it is longer than every training line (validation and
        /// test lines up to it are allowed: length generalisation); `None`: the longest
        /// training line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        n_ctx: Option<usize>,
        /// The output vocabulary holds every split's labels, not only the training ones
        /// (a held-out label no training line has is a class never trained to).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        all_labels: bool,
    },
    /// One of the paper's NLP data sets read from a directory and preprocessed as the
    /// reference does (`tprog_tasks::text`).
    Nlp {
        /// The task.
        task: NlpTask,
        /// The directory holding its files.
        data_dir: PathBuf,
        /// Lengths, vocabulary size, digit replacement, lower-casing, encoding, split seed.
        options: NlpOptions,
    },
}

fn default_max_length() -> usize {
    tprog_tasks::jsonl::DEFAULT_MAX_LEN
}

/// The vocabularies and context length a trained model is tied to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataShape {
    /// Input vocabulary in index order.
    pub input_vocab: Vec<String>,
    /// Output vocabulary in index order.
    pub output_vocab: Vec<String>,
    /// Longest training sequence.
    pub n_ctx: usize,
    /// Causal attention.
    pub causal: bool,
}

/// Everything `config.json` holds: enough to rebuild the data and the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// A short name for the run (task name by default).
    pub name: String,
    /// The preset the run started from, if any.
    #[serde(default)]
    pub preset: Option<String>,
    /// The data.
    pub data: TaskSource,
    /// Vocabularies and context length of the data.
    pub shape: DataShape,
    /// The model (its task facts filled in from the data). For a standard-Transformer run it
    /// supplies only the task facts (context length, vocabularies, masked classes, `<pad>`,
    /// causality, pooling).
    pub model: ModelConfig,
    /// Optimisation.
    pub train: TrainConfig,
    /// Set when the run trains the standard Transformer baseline (`--model standard`) instead
    /// of a Transformer Program: its architecture. Absent in Transformer Program runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<StandardShape>,
}

impl RunConfig {
    /// The standard Transformer this run trains (its architecture with the task facts of
    /// `model`), or `None` for a Transformer Program run.
    pub fn standard_config(&self) -> Option<StandardConfig> {
        let shape = self.standard?;
        let m = &self.model;
        Some(StandardConfig {
            d_model: shape.d_model,
            n_layers: shape.n_layers,
            n_heads: shape.n_heads,
            d_mlp: shape.d_mlp,
            dropout: shape.dropout,
            n_ctx: m.n_ctx,
            vocab_size: m.vocab_size,
            n_classes: m.n_classes,
            masked_classes: if m.unembed_mask {
                m.masked_classes.clone()
            } else {
                Vec::new()
            },
            pad_token: m.pad_token,
            autoregressive: m.autoregressive,
            pool_outputs: m.pool_outputs,
        })
    }

    /// Checks the model part: the Transformer Program's config, or the standard Transformer's.
    pub fn validate_model(&self) -> Result<(), TrainError> {
        match self.standard_config() {
            Some(standard) => Ok(standard.validate()?),
            None => Ok(self.model.validate()?),
        }
    }
}
