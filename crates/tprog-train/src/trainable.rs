//! What the training loop, evaluation and checkpoints need of a model, so the same loop drives
//! the Transformer Program ([`tprog_model::Model`]) and the standard Transformer baseline
//! ([`StandardTransformer`]). Each implementation forwards to its model's own methods.

use std::path::Path;

use tprog_baseline::standard::{StandardParams, StandardTransformer};
use tprog_model::{Adam, Model, Params, Sampling};

use crate::TrainError;

/// A model that predicts a class at every position (evaluation).
pub trait Predictor {
    /// Appends the predicted class at every position of the `[B, N]` batch to `out`.
    fn predict_into(
        &mut self,
        tokens: &[u32],
        batch_size: usize,
        n_positions: usize,
        out: &mut Vec<u32>,
    ) -> Result<(), TrainError>;
}

/// The three flat buffers a checkpoint stores for every parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The values.
    Value,
    /// Adam's first moments.
    AdamM,
    /// Adam's second moments.
    AdamV,
}

/// A parameter store a checkpoint can be written from and restored into.
pub trait CheckpointParams {
    /// `(name, shape, offset, len)` of every tensor, in the flat buffers.
    fn tensor_list(&self) -> Vec<(String, Vec<usize>, usize, usize)>;
    /// One flat buffer.
    fn part(&self, part: Part) -> &[f32];
    /// One flat buffer, mutably.
    fn part_mut(&mut self, part: Part) -> &mut [f32];
}

/// A model the training loop can train.
pub trait Trainable: Predictor {
    /// Whether the temperature and the sampler mean anything to the model.
    fn uses_temperature(&self) -> bool;
    /// Sets every gradient to 0.
    fn zero_grad(&mut self);
    /// Cuts every batch into at most `chunks` chunks of parallel work (`TrainConfig::step_chunks`).
    fn set_step_chunks(&mut self, chunks: usize);
    /// One training pass over a batch: returns its loss, adds its gradient.
    fn step_loss(
        &mut self,
        tokens: &[u32],
        labels: &[u32],
        shape: (usize, usize),
        sampling: Sampling,
        seed: u64,
    ) -> Result<f32, TrainError>;
    /// The first parameter whose gradient is NaN or infinite.
    fn first_non_finite_grad(&self) -> Option<String>;
    /// Divides every gradient by `divisor` (the mean over Gumbel samples).
    fn divide_grad(&mut self, divisor: f32);
    /// Clips the global gradient norm to `max_norm`.
    fn clip_grad_norm(&mut self, max_norm: f32);
    /// One Adam update (advances `adam.t`).
    fn adam_step(&mut self, adam: &mut Adam);
    /// The parameters as `model.safetensors` bytes.
    fn to_model_bytes(&self) -> Result<Vec<u8>, TrainError>;
    /// Reads the parameters from a `model.safetensors` file.
    fn load_model_file(&mut self, path: &Path) -> Result<(), TrainError>;
    /// All parameter values, flat.
    fn values(&self) -> &[f32];
    /// All parameter values, flat and mutable.
    fn values_mut(&mut self) -> &mut [f32];
    /// The parameter store, for checkpoints.
    fn checkpoint_params(&self) -> &dyn CheckpointParams;
}

/// `Predictor` and `CheckpointParams` for a model type and its parameter store, and the
/// `Trainable` methods both models implement the same way (each forwards to the model's own
/// method of the same meaning); `step_loss` and `uses_temperature` are written per model.
macro_rules! forward_to_model {
    (predictor: $model:ty, params: $params:ty) => {
        impl Predictor for $model {
            fn predict_into(
                &mut self,
                tokens: &[u32],
                batch_size: usize,
                n_positions: usize,
                out: &mut Vec<u32>,
            ) -> Result<(), TrainError> {
                out.extend_from_slice(&self.predict(tokens, batch_size, n_positions)?);
                Ok(())
            }
        }

        impl CheckpointParams for $params {
            fn tensor_list(&self) -> Vec<(String, Vec<usize>, usize, usize)> {
                self.specs()
                    .iter()
                    .map(|s| (s.name.clone(), s.shape.clone(), s.offset, s.len))
                    .collect()
            }

            fn part(&self, part: Part) -> &[f32] {
                match part {
                    Part::Value => &self.value,
                    Part::AdamM => &self.adam_m,
                    Part::AdamV => &self.adam_v,
                }
            }

            fn part_mut(&mut self, part: Part) -> &mut [f32] {
                match part {
                    Part::Value => &mut self.value,
                    Part::AdamM => &mut self.adam_m,
                    Part::AdamV => &mut self.adam_v,
                }
            }
        }
    };
    (trainable: $model:ty) => {
        fn zero_grad(&mut self) {
            <$model>::zero_grad(self);
        }

        fn set_step_chunks(&mut self, chunks: usize) {
            <$model>::set_step_chunks(self, chunks);
        }

        fn first_non_finite_grad(&self) -> Option<String> {
            self.params().first_non_finite_grad().map(str::to_owned)
        }

        fn divide_grad(&mut self, divisor: f32) {
            self.params_mut()
                .grad
                .iter_mut()
                .for_each(|g| *g /= divisor);
        }

        fn clip_grad_norm(&mut self, max_norm: f32) {
            <$model>::clip_grad_norm(self, max_norm);
        }

        fn to_model_bytes(&self) -> Result<Vec<u8>, TrainError> {
            Ok(self.to_safetensors_bytes()?)
        }

        fn load_model_file(&mut self, path: &Path) -> Result<(), TrainError> {
            Ok(self.load_safetensors(path)?)
        }

        fn values(&self) -> &[f32] {
            &self.params().value
        }

        fn values_mut(&mut self) -> &mut [f32] {
            &mut self.params_mut().value
        }

        fn checkpoint_params(&self) -> &dyn CheckpointParams {
            self.params()
        }
    };
}

forward_to_model!(predictor: Model, params: Params);
forward_to_model!(predictor: StandardTransformer, params: StandardParams);

impl Trainable for Model {
    forward_to_model!(trainable: Model);

    fn uses_temperature(&self) -> bool {
        true
    }

    fn step_loss(
        &mut self,
        tokens: &[u32],
        labels: &[u32],
        (batch_size, n_positions): (usize, usize),
        sampling: Sampling,
        seed: u64,
    ) -> Result<f32, TrainError> {
        Ok(self.loss_and_backward(tokens, labels, batch_size, n_positions, sampling, seed)?)
    }

    fn adam_step(&mut self, adam: &mut Adam) {
        adam.step(self);
    }
}

impl Trainable for StandardTransformer {
    forward_to_model!(trainable: StandardTransformer);

    fn uses_temperature(&self) -> bool {
        false
    }

    /// Dropout is drawn from `seed`; the sampler does not apply.
    fn step_loss(
        &mut self,
        tokens: &[u32],
        labels: &[u32],
        (batch_size, n_positions): (usize, usize),
        _sampling: Sampling,
        seed: u64,
    ) -> Result<f32, TrainError> {
        Ok(self.loss_and_backward(tokens, labels, batch_size, n_positions, seed)?)
    }

    fn adam_step(&mut self, adam: &mut Adam) {
        StandardTransformer::adam_step(self, adam);
    }
}
