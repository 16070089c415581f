//! `StandardTransformer`: the batch entry points. A batch is cut into at most
//! [`StandardTransformer::set_step_chunks`] chunks of consecutive examples (8 unless set; how
//! many depends on that and the batch size only, never the thread count); rayon runs the
//! chunks, each with its own activations and gradient buffer, and the gradients are reduced
//! in chunk order, so a step gives the same bits whatever the thread count. The token
//! embedding's gradient is sparse: only the rows of the batch's tokens are added to, after the
//! parallel part, in chunk order.
//!
//! Shapes: B batch, N positions, C classes; tokens and labels `[B, N]`, logits `[B, N, C]`.

use rayon::prelude::*;
use tprog_model::{DEFAULT_STEP_CHUNKS, MAX_STEP_CHUNKS};

use super::backward::{chunk_backward, chunk_loss};
use super::config::StandardConfig;
use super::error::BaselineError;
use super::forward::{Net, chunk_forward};
use super::params::{StandardParams, init_params};
use super::workspace::{ChunkWs, fit};

/// A batch is split into at most this many chunks unless [`StandardTransformer::set_step_chunks`]
/// says otherwise (the program model's default).
pub const MAX_CHUNKS: usize = DEFAULT_STEP_CHUNKS;
/// Sequences per forward pass when predicting (bounds the activation memory).
pub const PREDICT_BATCH: usize = 128;

/// The standard Transformer: parameters, structure and reusable buffers.
///
/// Built with [`StandardConfig::init`]; trained with [`StandardTransformer::loss_and_backward`]
/// and [`StandardTransformer::adam_step`]; evaluated with [`StandardTransformer::predict`].
#[derive(Debug, Clone)]
pub struct StandardTransformer {
    pub(crate) net: Net,
    pub(crate) params: StandardParams,
    chunks: Vec<ChunkWs>,
    /// Chunks used by the last batch.
    used: usize,
    /// Most chunks a batch is cut into.
    step_chunks: usize,
    logits: Vec<f32>,
}

impl StandardConfig {
    /// Validates the config and builds the model with PyTorch's initialisations (see
    /// `params.rs`), drawn from a ChaCha8 stream seeded with `seed`.
    pub fn init(&self, seed: u64) -> Result<StandardTransformer, BaselineError> {
        self.validate()?;
        let (params, offsets) = init_params(self, seed);
        let mut masked = vec![false; self.n_classes];
        for &c in &self.masked_classes {
            masked[c] = true;
        }
        Ok(StandardTransformer {
            net: Net {
                config: self.clone(),
                offsets,
                masked,
            },
            params,
            chunks: Vec::new(),
            used: 0,
            step_chunks: DEFAULT_STEP_CHUNKS,
            logits: Vec::new(),
        })
    }
}

/// How the batch runs: evaluation, or training with dropout drawn from a seed.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Eval,
    Train { seed: u64 },
}

impl StandardTransformer {
    /// Cuts every batch into at most `chunks` chunks (clamped to `1..=`[`MAX_STEP_CHUNKS`];
    /// default [`MAX_CHUNKS`]): at most that many threads share a step, and the gradients
    /// depend on it (sums in another order), never on the thread count.
    pub fn set_step_chunks(&mut self, chunks: usize) {
        self.step_chunks = chunks.clamp(1, MAX_STEP_CHUNKS);
    }

    /// The model's config.
    pub fn config(&self) -> &StandardConfig {
        &self.net.config
    }

    /// The parameters.
    pub fn params(&self) -> &StandardParams {
        &self.params
    }

    /// The parameters, mutably (loading, optimisers).
    pub fn params_mut(&mut self) -> &mut StandardParams {
        &mut self.params
    }

    /// Sets every gradient to 0.
    pub fn zero_grad(&mut self) {
        self.params.grad.fill(0.0);
    }

    fn check_batch(
        &self,
        tokens: &[u32],
        labels: Option<&[u32]>,
        batch_size: usize,
        n_positions: usize,
    ) -> Result<(), BaselineError> {
        let c = &self.net.config;
        if n_positions > c.n_ctx {
            return Err(BaselineError::TooManyPositions {
                n_positions,
                n_ctx: c.n_ctx,
            });
        }
        let expected = batch_size * n_positions;
        let checks = [
            ("tokens", Some(tokens), c.vocab_size),
            ("labels", labels, c.n_classes),
        ];
        for (what, values, limit) in checks {
            let Some(values) = values else { continue };
            if values.len() != expected {
                return Err(BaselineError::BatchShape {
                    what,
                    got: values.len(),
                    expected,
                    batch_size,
                    n_positions,
                });
            }
            if let Some((index, &value)) = values
                .iter()
                .enumerate()
                .find(|&(_, &v)| v as usize >= limit)
            {
                return Err(BaselineError::OutOfVocab {
                    what: if what == "tokens" { "token" } else { "label" },
                    value,
                    index,
                    limit,
                });
            }
        }
        Ok(())
    }

    /// Runs a checked batch; with labels, returns the batch-mean loss, and with `backward`,
    /// adds the loss's gradient into `params.grad`.
    fn run(
        &mut self,
        tokens: &[u32],
        labels: Option<&[u32]>,
        (batch_size, n): (usize, usize),
        mode: Mode,
        backward: bool,
    ) -> f32 {
        let n_chunks = batch_size.clamp(1, self.step_chunks);
        let per_chunk = batch_size.div_ceil(n_chunks);
        if self.chunks.len() < n_chunks {
            self.chunks.resize_with(n_chunks, ChunkWs::default);
        }
        let mut first = 0;
        let mut used = 0;
        for ws in &mut self.chunks {
            let n_ex = per_chunk.min(batch_size - first);
            if n_ex == 0 {
                break;
            }
            (ws.first, ws.n_ex, ws.n) = (first, n_ex, n);
            first += n_ex;
            used += 1;
        }
        let net = &self.net;
        let value = &self.params.value;
        let dense_len = value.len() - net.offsets.dense_start;
        let seed = match mode {
            Mode::Eval => None,
            Mode::Train { seed } => Some(seed),
        };
        self.chunks[..used].par_iter_mut().for_each(|ws| {
            let rows = ws.first * n..(ws.first + ws.n_ex) * n;
            chunk_forward(net, value, &tokens[rows.clone()], ws, seed);
            if let Some(labels) = labels {
                chunk_loss(net, &labels[rows], batch_size, ws);
                if backward {
                    fit(&mut ws.grad, dense_len);
                    ws.grad.fill(0.0);
                    chunk_backward(net, value, ws);
                }
            }
        });
        self.used = used;
        let chunks = &self.chunks[..used];
        if labels.is_some() && backward {
            reduce_grads(&mut self.params.grad, net, chunks, tokens);
        }
        let total: f32 = chunks.iter().flat_map(|ws| ws.losses.iter()).sum();
        total / batch_size as f32
    }

    /// Logits of a batch in evaluation mode (no dropout): `tokens` is `[B, N]` row-major
    /// (`N ≤ n_ctx`, padded with `pad_token`); returns `[B, N, C]`.
    pub fn forward(
        &mut self,
        tokens: &[u32],
        batch_size: usize,
        n_positions: usize,
    ) -> Result<&[f32], BaselineError> {
        self.check_batch(tokens, None, batch_size, n_positions)?;
        self.run(tokens, None, (batch_size, n_positions), Mode::Eval, false);
        self.logits.clear();
        for ws in &self.chunks[..self.used] {
            self.logits.extend_from_slice(&ws.logits);
        }
        Ok(&self.logits)
    }

    /// The loss of a batch in evaluation mode (no dropout, no gradient): the per-sequence mean
    /// cross-entropy over positions whose label is not 0, averaged over the batch.
    pub fn loss(
        &mut self,
        tokens: &[u32],
        labels: &[u32],
        batch_size: usize,
        n_positions: usize,
    ) -> Result<f32, BaselineError> {
        self.check_batch(tokens, Some(labels), batch_size, n_positions)?;
        Ok(self.run(
            tokens,
            Some(labels),
            (batch_size, n_positions),
            Mode::Eval,
            false,
        ))
    }

    /// One training step's loss and gradient (added into `params().grad`), dropout on and
    /// drawn from `seed`.
    pub fn loss_and_backward(
        &mut self,
        tokens: &[u32],
        labels: &[u32],
        batch_size: usize,
        n_positions: usize,
        seed: u64,
    ) -> Result<f32, BaselineError> {
        self.check_batch(tokens, Some(labels), batch_size, n_positions)?;
        let mode = Mode::Train { seed };
        Ok(self.run(tokens, Some(labels), (batch_size, n_positions), mode, true))
    }

    /// The predicted class (argmax of the logits, first on ties) at every position of a batch
    /// (`[B, N]`), in evaluation mode, [`PREDICT_BATCH`] sequences at a time.
    pub fn predict(
        &mut self,
        tokens: &[u32],
        batch_size: usize,
        n_positions: usize,
    ) -> Result<Vec<u32>, BaselineError> {
        self.check_batch(tokens, None, batch_size, n_positions)?;
        let classes = self.net.config.n_classes;
        let mut out = Vec::with_capacity(batch_size * n_positions);
        let mut start = 0;
        while start < batch_size {
            let end = (start + PREDICT_BATCH).min(batch_size);
            let part = &tokens[start * n_positions..end * n_positions];
            let logits = self.forward(part, end - start, n_positions)?;
            out.extend(logits.chunks_exact(classes).map(|row| {
                let mut best = 0;
                for (i, &v) in row.iter().enumerate() {
                    if v > row[best] {
                        best = i;
                    }
                }
                best as u32
            }));
            start = end;
        }
        Ok(out)
    }
}

/// Adds the chunks' gradients into `grad`: the dense part summed in chunk order (in parallel
/// over disjoint blocks of parameters), then the token-embedding rows of the batch, in order.
fn reduce_grads(grad: &mut [f32], net: &Net, chunks: &[ChunkWs], tokens: &[u32]) {
    let (dense_start, d) = (net.offsets.dense_start, net.config.d_model);
    let (sparse, dense) = grad.split_at_mut(dense_start);
    const BLOCK: usize = 4096;
    dense
        .par_chunks_mut(BLOCK)
        .enumerate()
        .for_each(|(i, out)| {
            for ws in chunks {
                let part = &ws.grad[i * BLOCK..i * BLOCK + out.len()];
                out.iter_mut().zip(part).for_each(|(g, c)| *g += c);
            }
        });
    let scale = (d as f32).sqrt();
    let token = net.offsets.token;
    for ws in chunks {
        let toks = &tokens[ws.first * ws.n..(ws.first + ws.n_ex) * ws.n];
        for (&t, row) in toks.iter().zip(ws.dx.chunks_exact(d)) {
            let at = token + t as usize * d;
            let g = &mut sparse[at..at + d];
            g.iter_mut().zip(row).for_each(|(g, x)| *g += scale * x);
        }
    }
}
