//! `Model`'s batch entry points: input checks, per-forward parameter sampling, one task per
//! example on rayon (each example draws its noise from its own stream, see
//! `forward_backward.rs`), and gradients reduced over a fixed number of chunks in a fixed
//! order, so a run is deterministic for a seed whatever the thread count.
//!
//! Shapes (dimension letters): B batch, N positions, C classes; tokens, labels `[B, N]`,
//! logits `[B, N, C]`.

use rayon::prelude::*;

use crate::ModelError;
use crate::forward_backward::{example_backward, example_forward, example_loss};
use crate::model::Model;
use crate::sampler::{NoiseRng, Sampling, argmax_index};
use crate::workspace::ExampleWs;

/// Gradients are accumulated in at most this many per-chunk buffers.
const MAX_CHUNKS: usize = 16;

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
        self.params.sample(sampling, seed);
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
            return self.loss_and_backward_per_example(
                tokens,
                labels,
                batch_size,
                n_positions,
                sampling,
                seed,
            );
        }
        self.check_batch(tokens, Some(labels), batch_size, n_positions)?;
        Ok(self.loss_and_backward_lanes(tokens, labels, batch_size, n_positions, sampling, seed))
    }

    /// [`Model::loss_and_backward`] computed one example at a time with the per-example kernels
    /// (the path `forward` and `predict` use). Training uses the lane-parallel path; this one
    /// is kept to check it against.
    #[doc(hidden)]
    pub fn loss_and_backward_per_example(
        &mut self,
        tokens: &[u32],
        labels: &[u32],
        batch_size: usize,
        n_positions: usize,
        sampling: Sampling,
        seed: u64,
    ) -> Result<f32, ModelError> {
        let loss = self.loss(tokens, labels, batch_size, n_positions, sampling, seed)?;
        if batch_size == 0 {
            return Ok(loss);
        }
        let n_chunks = batch_size.min(MAX_CHUNKS);
        let chunk = batch_size.div_ceil(n_chunks);
        let total = self.params.total_len();
        while self.grad_chunks.len() < n_chunks {
            self.grad_chunks.push(vec![0.0; total]);
        }
        let (net, eff) = (&self.net, &self.params.effective);
        let n = n_positions;
        self.example_ws[..batch_size]
            .par_chunks_mut(chunk)
            .zip(self.grad_chunks.par_iter_mut())
            .enumerate()
            .for_each(|(ci, (wss, d_eff))| {
                d_eff.fill(0.0);
                for (o, ws) in wss.iter_mut().enumerate() {
                    let b = ci * chunk + o;
                    example_backward(
                        net,
                        eff,
                        &tokens[b * n..(b + 1) * n],
                        n,
                        sampling,
                        ws,
                        d_eff,
                    );
                }
            });
        let used = batch_size.div_ceil(chunk);
        let (first, rest) = self.grad_chunks.split_at_mut(1);
        for other in &rest[..used - 1] {
            for (a, b) in first[0].iter_mut().zip(other) {
                *a += b;
            }
        }
        self.params.backprop_samplers(sampling, &first[0]);
        Ok(loss)
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
