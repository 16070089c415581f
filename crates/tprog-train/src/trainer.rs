//! The explicit training loop (docs/model.md §8): shuffled batches, τ annealed per step, Adam, the
//! discrete model evaluated on validation after every epoch, best-by-validation parameters kept,
//! a resumable checkpoint after every epoch, NaN detection and clean interruption.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tprog_model::{Adam, Model, Sampling};

use crate::trainable::Trainable;
use tprog_tasks::EncodedSplit;

use crate::TrainError;
use crate::checkpoint::{self, LoopState};
use crate::config::{RunConfig, TrainSampler};
use crate::eval::{self, Accuracy};
use crate::rundir::{RunDir, files};
use crate::schedule::Temperatures;

/// The encoded splits a run trains and evaluates on.
#[derive(Debug, Clone)]
pub struct Splits {
    /// Training split.
    pub train: EncodedSplit,
    /// Validation split (model selection).
    pub val: EncodedSplit,
    /// Test split (reported).
    pub test: EncodedSplit,
}

/// One line of `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss of the epoch's steps (relaxed model).
    pub loss: f64,
    /// τ at the epoch's last step.
    pub tau: f64,
    /// Discrete model's validation token accuracy.
    pub val_acc: f64,
    /// Discrete model's validation sequence accuracy.
    pub val_seq_acc: f64,
    /// Whether this epoch is the best so far (its parameters are in `model.safetensors`).
    pub best: bool,
    /// Seconds spent in this epoch (training and evaluation).
    pub seconds: f64,
}

/// Progress callbacks (the CLI draws its progress bar with them).
pub trait Observer {
    /// Before the first step: the epochs in all, the steps per epoch, and the first epoch
    /// (0-based; later than 0 when resuming).
    fn on_start(&mut self, _n_epochs: usize, _steps_per_epoch: usize, _first_epoch: usize) {}
    /// After every optimiser step.
    fn on_step(
        &mut self,
        _epoch: usize,
        _step: usize,
        _steps_per_epoch: usize,
        _loss: f32,
        _tau: f64,
    ) {
    }
    /// After every epoch.
    fn on_epoch(&mut self, _record: &EpochRecord) {}
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}

/// How a training run ended (for a Transformer Program by default, or another
/// [`Trainable`] model such as the standard Transformer baseline).
#[derive(Debug)]
pub struct Outcome<M = Model> {
    /// The best-by-validation model (what the run reports).
    pub model: M,
    /// The loop's final state.
    pub state: LoopState,
    /// Interrupted by the stop flag (Ctrl-C); the last completed epoch is checkpointed.
    pub interrupted: bool,
    /// Stopped by the patience rule.
    pub stopped_early: bool,
}

/// Per-step noise seed, distinct for every (seed, epoch, step, sample).
fn step_seed(seed: u64, epoch: usize, step: usize, sample: usize) -> u64 {
    let mut x = seed ^ 0x9E37_79B9_7F4A_7C15;
    for part in [epoch as u64, step as u64, sample as u64] {
        x = (x ^ part).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^= x >> 31;
    }
    x
}

fn sampling(sampler: TrainSampler, tau: f64) -> Sampling {
    let tau = tau as f32;
    match sampler {
        TrainSampler::GumbelSoft => Sampling::GumbelSoft { tau },
        TrainSampler::GumbelHard => Sampling::GumbelHard { tau },
        TrainSampler::Softmax => Sampling::Softmax { tau },
    }
}

/// Copies rows `indices` of `split` into the batch buffers, trimmed to the longest real row.
/// Returns the number of positions kept.
fn gather(
    split: &EncodedSplit,
    indices: &[usize],
    tokens: &mut Vec<u32>,
    labels: &mut Vec<u32>,
) -> usize {
    let n_ctx = split.n_ctx;
    let longest = indices
        .iter()
        .map(|&row| {
            let r = split.tokens_row(row);
            r.iter().rposition(|&t| t != 0).map_or(1, |last| last + 1)
        })
        .max()
        .unwrap_or(1);
    tokens.clear();
    labels.clear();
    for &row in indices {
        tokens.extend_from_slice(&split.tokens[row * n_ctx..row * n_ctx + longest]);
        labels.extend_from_slice(&split.labels[row * n_ctx..row * n_ctx + longest]);
    }
    longest
}

/// Trains `model` (fresh or restored) as `config` says, writing metrics, the best model and
/// checkpoints into `run`. `state` is `None` for a new run, or the state to resume from.
pub fn train<M: Trainable>(
    run: &RunDir,
    config: &RunConfig,
    splits: &Splits,
    mut model: M,
    state: Option<LoopState>,
    observer: &mut dyn Observer,
    stop: &AtomicBool,
) -> Result<Outcome<M>, TrainError> {
    let cfg = &config.train;
    cfg.validate()?;
    model.set_step_chunks(cfg.step_chunks);
    let mut state = state.unwrap_or(LoopState {
        epochs_completed: 0,
        adam_steps: 0,
        best_val: -1.0,
        best_epoch: 0,
        epochs_since_best: 0,
        seconds: 0.0,
    });
    let mut steps = Steps::new(config, &splits.train, state.adam_steps);
    run.truncate_metrics(state.epochs_completed)?;
    if state.epochs_completed == 0 {
        checkpoint::save(run, model.checkpoint_params(), &state)?;
    }
    observer.on_start(cfg.n_epochs, steps.per_epoch, state.epochs_completed);
    let (mut interrupted, mut stopped_early) = (false, false);
    // The best epoch's parameters, kept in memory (they are on disk too, in model.safetensors).
    let mut best_values: Option<Vec<f32>> = None;
    for epoch in state.epochs_completed..cfg.n_epochs {
        let started = Instant::now();
        let Some((loss, tau)) = steps.epoch(&mut model, epoch, observer, stop)? else {
            interrupted = true;
            break;
        };
        let val = eval::evaluate(&mut model, &splits.val)?;
        // Without a validation split every epoch counts as the best: the last one is reported.
        let improved = splits.val.n == 0 || val.token() >= state.best_val;
        if improved {
            state.best_val = val.token();
            state.best_epoch = epoch + 1;
            state.epochs_since_best = 0;
            run.write_atomic(files::MODEL, &model.to_model_bytes()?)?;
            best_values = Some(model.values().to_vec());
        } else {
            state.epochs_since_best += 1;
        }
        let seconds = started.elapsed().as_secs_f64();
        state.seconds += seconds;
        state.epochs_completed = epoch + 1;
        state.adam_steps = steps.adam.t;
        let record = EpochRecord {
            epoch: epoch + 1,
            loss,
            tau,
            val_acc: val.token(),
            val_seq_acc: val.sequence(),
            best: improved,
            seconds,
        };
        run.append_metrics(&record)?;
        checkpoint::save(run, model.checkpoint_params(), &state)?;
        observer.on_epoch(&record);
        if cfg.patience.is_some_and(|p| state.epochs_since_best >= p) {
            stopped_early = true;
            break;
        }
    }
    // Report the best-by-validation parameters: from memory when this session found them,
    // from model.safetensors when an earlier session did.
    if let Some(values) = best_values {
        model.values_mut().copy_from_slice(&values);
    } else if state.best_epoch > 0 {
        model.load_model_file(&run.path(files::MODEL))?;
    }
    Ok(Outcome {
        model,
        state,
        interrupted,
        stopped_early,
    })
}

/// The optimiser steps of one epoch after another: batches in a seeded shuffled order, τ from
/// the schedule, Adam, with the batch buffers reused.
struct Steps<'a> {
    config: &'a crate::config::TrainConfig,
    train: &'a EncodedSplit,
    temperatures: Temperatures,
    adam: Adam,
    per_epoch: usize,
    order: Vec<usize>,
    tokens: Vec<u32>,
    labels: Vec<u32>,
}

impl<'a> Steps<'a> {
    fn new(config: &'a RunConfig, train: &'a EncodedSplit, adam_steps: u64) -> Self {
        let cfg = &config.train;
        let per_epoch = train.n.div_ceil(cfg.batch_size).max(1);
        let mut adam = Adam::new(cfg.lr);
        adam.t = adam_steps;
        Self {
            config: cfg,
            train,
            temperatures: Temperatures::new(
                cfg.tau_init,
                cfg.tau_end,
                cfg.schedule_epochs(),
                per_epoch,
                cfg.tau_schedule,
            ),
            adam,
            per_epoch,
            order: (0..train.n).collect(),
            tokens: Vec::new(),
            labels: Vec::new(),
        }
    }

    /// Every step of `epoch`; returns the mean loss and the last τ, or `None` when `stop` was
    /// raised before the epoch's end. A non-finite loss or gradient stops training before the
    /// update is applied.
    fn epoch<M: Trainable>(
        &mut self,
        model: &mut M,
        epoch: usize,
        observer: &mut dyn Observer,
        stop: &AtomicBool,
    ) -> Result<Option<(f64, f64)>, TrainError> {
        let cfg = self.config;
        self.order.sort_unstable();
        let shuffle_seed = step_seed(cfg.seed, epoch, usize::MAX, 0);
        self.order
            .shuffle(&mut ChaCha8Rng::seed_from_u64(shuffle_seed));
        let mut loss_sum = 0.0f64;
        // A model without a temperature (the standard Transformer) records τ as 0.
        let annealed = model.uses_temperature();
        let tau_at = |step| {
            if annealed {
                self.temperatures.at(epoch, step)
            } else {
                0.0
            }
        };
        let mut tau = tau_at(0);
        for (step, batch) in self.order.chunks(cfg.batch_size).enumerate() {
            if stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
            tau = tau_at(step);
            let n_positions = gather(self.train, batch, &mut self.tokens, &mut self.labels);
            model.zero_grad();
            let mut loss = 0.0f32;
            for sample in 0..cfg.gumbel_samples {
                let seed = step_seed(cfg.seed, epoch, step, sample);
                let sampling = sampling(cfg.sample_fn, tau);
                let (tokens, labels) = (&self.tokens, &self.labels);
                loss +=
                    model.step_loss(tokens, labels, (batch.len(), n_positions), sampling, seed)?;
            }
            let samples = cfg.gumbel_samples as f32;
            loss /= samples;
            if !loss.is_finite() {
                return Err(TrainError::NonFiniteLoss {
                    epoch,
                    step,
                    loss,
                    tau,
                });
            }
            if let Some(parameter) = model.first_non_finite_grad() {
                return Err(TrainError::NonFiniteGradient {
                    epoch,
                    step,
                    parameter,
                    tau,
                });
            }
            if cfg.gumbel_samples > 1 {
                model.divide_grad(samples);
            }
            if let Some(max_norm) = cfg.max_grad_norm {
                model.clip_grad_norm(max_norm);
            }
            model.adam_step(&mut self.adam);
            loss_sum += f64::from(loss);
            observer.on_step(epoch, step, self.per_epoch, loss, tau);
        }
        Ok(Some((loss_sum / self.per_epoch as f64, tau)))
    }
}

/// The discrete model's accuracy on every split.
pub fn final_accuracy<M: Trainable>(
    model: &mut M,
    splits: &Splits,
    output_vocab: &[String],
) -> Result<[Accuracy; 3], TrainError> {
    Ok([
        eval::evaluate_labelled(model, &splits.train, output_vocab)?,
        eval::evaluate_labelled(model, &splits.val, output_vocab)?,
        eval::evaluate_labelled(model, &splits.test, output_vocab)?,
    ])
}
