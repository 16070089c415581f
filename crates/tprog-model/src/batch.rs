//! `Model`'s batch entry points: input checks, per-forward parameter sampling, one task per
//! example on rayon for the forward and the loss (each example draws its noise from its own
//! stream, see `per_example.rs`), and the training step, which runs on `lanes`.
//!
//! Shapes (dimension letters): B batch, N positions, C classes; tokens, labels `[B, N]`,
//! logits `[B, N, C]`.

use rayon::prelude::*;

use crate::ModelError;
use crate::model::Model;
use crate::params::batch_words;
use crate::per_example::{example_forward, example_loss};
use crate::sampler::{NoiseRng, Sampling, argmax_index};
use crate::workspace::ExampleWs;

impl Model {
    fn check_batch(
        &self,
        tokens: &[u32],
        labels: Option<&[u32]>,
        batch_size: usize,
        n_positions: usize,
    ) -> Result<(), ModelError> {
        let expected = batch_size * n_positions;
        if n_positions > self.net.n_ctx {
            return Err(ModelError::TooManyPositions {
                n_positions,
                n_ctx: self.net.n_ctx,
            });
        }
        if tokens.len() != expected {
            return Err(ModelError::BatchShape {
                what: "tokens",
                got: tokens.len(),
                expected,
                batch_size,
                n_positions,
            });
        }
        if let Some((index, &value)) = tokens
            .iter()
            .enumerate()
            .find(|&(_, &t)| t as usize >= self.net.vocab)
        {
            return Err(ModelError::OutOfVocab {
                what: "token",
                value,
                index,
                limit: self.net.vocab,
            });
        }
        if let Some(labels) = labels {
            if labels.len() != expected {
                return Err(ModelError::BatchShape {
                    what: "labels",
                    got: labels.len(),
                    expected,
                    batch_size,
                    n_positions,
                });
            }
            let limit = self.net.classifier.n_classes;
            if let Some((index, &value)) = labels
                .iter()
                .enumerate()
                .find(|&(_, &l)| l as usize >= limit)
            {
                return Err(ModelError::OutOfVocab {
                    what: "label",
                    value,
                    index,
                    limit,
                });
            }
        }
        Ok(())
    }

    /// Samples the parameters and runs every example of the batch (in parallel).
    fn run_forward(
        &mut self,
        tokens: &[u32],
        batch_size: usize,
        n: usize,
        sampling: Sampling,
        seed: u64,
    ) {
        batch_words(&tokens[..batch_size * n], self.net.pad, &mut self.words);
        self.params.sample(sampling, seed, &self.words);
        self.last_sampling = sampling;
        while self.example_ws.len() < batch_size {
            self.example_ws.push(ExampleWs::new(&self.net));
        }
        let (net, eff) = (&self.net, &self.params.effective);
        // The discrete model's categorical MLPs are lookup tables (their inputs are one-hot).
        let tables: Vec<Vec<Option<Vec<u32>>>> = if matches!(sampling, Sampling::Argmax) {
            net.layers
                .iter()
                .map(|l| l.cat_mlps.iter().map(|m| m.argmax_table(eff)).collect())
                .collect()
        } else {
            Vec::new()
        };
        self.example_ws[..batch_size]
            .par_iter_mut()
            .enumerate()
            .for_each(|(b, ws)| {
                let rng = NoiseRng::new(seed, b as u64);
                let x = &tokens[b * n..(b + 1) * n];
                example_forward(net, eff, x, n, sampling, rng, ws, &tables);
            });
    }

    /// Logits of a batch: `tokens` is `[B, N]` row-major (`B = batch_size`, `N = n_positions ≤
    /// n_ctx`, padded with `pad_token`); returns `[B, N, C]`. Gumbel noise is drawn from `seed`.
    pub fn forward(
        &mut self,
        tokens: &[u32],
        batch_size: usize,
        n_positions: usize,
        sampling: Sampling,
        seed: u64,
    ) -> Result<&[f32], ModelError> {
        self.check_batch(tokens, None, batch_size, n_positions)?;
        self.run_forward(tokens, batch_size, n_positions, sampling, seed);
        let c = self.net.classifier.n_classes;
        let row = n_positions * c;
        self.logits.resize(batch_size * row, 0.0);
        for (out, ws) in self
            .logits
            .chunks_mut(row.max(1))
            .zip(&self.example_ws[..batch_size])
        {
            out.copy_from_slice(&ws.logits[..row]);
        }
        Ok(&self.logits[..batch_size * row])
    }

    /// The training loss of a batch without a backward pass (labels `[B, N]`, 0 = unscored).
    pub fn loss(
        &mut self,
        tokens: &[u32],
        labels: &[u32],
        batch_size: usize,
        n_positions: usize,
        sampling: Sampling,
        seed: u64,
    ) -> Result<f32, ModelError> {
        self.check_batch(tokens, Some(labels), batch_size, n_positions)?;
        self.run_forward(tokens, batch_size, n_positions, sampling, seed);
        let (net, n) = (&self.net, n_positions);
        self.example_ws[..batch_size]
            .par_iter_mut()
            .enumerate()
            .for_each(|(b, ws)| {
                example_loss(net, &labels[b * n..(b + 1) * n], n, batch_size, ws);
            });
        Ok(self.example_ws[..batch_size]
            .iter()
            .map(|w| w.loss)
            .sum::<f32>()
            / batch_size as f32)
    }

    /// Forward, loss (per-sequence mean NLL over scored positions, then the batch mean) and
    /// backward; gradients are **added** to the parameters' gradients (call
    /// [`Model::zero_grad`] between steps). Returns the loss.
    pub fn loss_and_backward(
        &mut self,
        tokens: &[u32],
        labels: &[u32],
        batch_size: usize,
        n_positions: usize,
        sampling: Sampling,
        seed: u64,
    ) -> Result<f32, ModelError> {
        if matches!(sampling, Sampling::Argmax) {
            return Err(ModelError::NoGradient);
        }
        self.check_batch(tokens, Some(labels), batch_size, n_positions)?;
        Ok(self.loss_and_backward_lanes(tokens, labels, batch_size, n_positions, sampling, seed))
    }

    /// Predictions of the discrete (argmax) model: `[B, N]` class indices.
    pub fn predict(
        &mut self,
        tokens: &[u32],
        batch_size: usize,
        n_positions: usize,
    ) -> Result<Vec<u32>, ModelError> {
        let c = self.net.classifier.n_classes;
        let logits = self.forward(tokens, batch_size, n_positions, Sampling::Argmax, 0)?;
        Ok(logits
            .chunks(c.max(1))
            .map(|row| argmax_index(row) as u32)
            .collect())
    }
}
