//! The batched forward and backward passes: checks, per-forward parameter sampling, one task
//! per example on rayon (each example draws its noise from its own stream), the loss (spec
//! §8.1), and gradients reduced over a fixed number of chunks in a fixed order, so a run is
//! deterministic for a seed whatever the thread count.

use multiversion::multiversion;
use rayon::prelude::*;

use crate::ModelError;
use crate::model::{Model, Net};
use crate::sampler::{NoiseRng, Sampling, argmax_index};
use crate::workspace::ExampleWs;

/// Gradients are accumulated in at most this many per-chunk buffers.
const MAX_CHUNKS: usize = 16;

/// Forward of one example through every module; fills `ws.logits` (`[N, C]`). Compiled twice,
/// for the baseline target and for AVX2, and dispatched at run time (the kernels are inlined).
/// `tables` holds the argmax lookup tables of the categorical MLPs (`[layer][mlp]`, empty for
/// the relaxed samplers).
#[allow(clippy::too_many_arguments)]
#[multiversion(targets("x86_64+avx2+fma"))]
fn example_forward(
    net: &Net,
    eff: &[f32],
    tokens: &[u32],
    n: usize,
    sampling: Sampling,
    mut rng: NoiseRng,
    ws: &mut ExampleWs,
    tables: &[Vec<Option<Vec<u32>>>],
) {
    let (dc, dn) = (net.layout.d_cat(), net.layout.d_num());
    ws.set_mask(tokens, n, net.pad, net.autoregressive);
    ws.x_cat[..n * dc].fill(0.0);
    ws.x_num[..n * dn].fill(0.0);
    net.embed
        .forward(eff, tokens, &mut ws.x_cat, dc, &mut ws.x_num, dn, n);
    for (l, (layer, lws)) in net.layers.iter().zip(ws.layers.iter_mut()).enumerate() {
        if let (Some(a), Some(aws)) = (&layer.cat_attn, lws.cat.as_mut()) {
            a.forward(eff, sampling, &mut ws.x_cat, dc, n, &ws.mask, aws, &mut rng);
        }
        if let (Some(a), Some(aws)) = (&layer.num_attn, lws.num.as_mut()) {
            a.forward(eff, &ws.x_cat, dc, &mut ws.x_num, dn, n, &ws.mask, aws);
        }
        let layer_tables = tables.get(l).map_or(&[][..], |t| &t[..]);
        for (mi, (m, mws)) in layer
            .cat_mlps
            .iter()
            .zip(lws.cat_mlps.iter_mut())
            .enumerate()
        {
            let table = layer_tables.get(mi).and_then(|t| t.as_deref());
            m.forward(
                eff,
                sampling,
                None,
                &mut ws.x_cat,
                dc,
                n,
                mws,
                &mut rng,
                table,
            );
        }
        for (m, mws) in layer.num_mlps.iter().zip(lws.num_mlps.iter_mut()) {
            m.forward(
                eff,
                sampling,
                Some((&ws.x_num, dn)),
                &mut ws.x_cat,
                dc,
                n,
                mws,
                &mut rng,
                None,
            );
        }
    }
    let c = net.classifier.n_classes;
    if net.pool {
        // Position 0 sees Σ_j mask[0,j]·x_j / N (the reference divides by the padded length).
        ws.pooled_cat.fill(0.0);
        ws.pooled_num.fill(0.0);
        for j in (0..n).filter(|&j| ws.mask[j]) {
            for (p, x) in ws
                .pooled_cat
                .iter_mut()
                .zip(&ws.x_cat[j * dc..(j + 1) * dc])
            {
                *p += x;
            }
            for (p, x) in ws
                .pooled_num
                .iter_mut()
                .zip(&ws.x_num[j * dn..(j + 1) * dn])
            {
                *p += x;
            }
        }
        let inv = n as f32;
        ws.pooled_cat
            .iter_mut()
            .chain(ws.pooled_num.iter_mut())
            .for_each(|p| *p /= inv);
    }
    for i in 0..n {
        let (xc, xn) = if net.pool && i == 0 {
            (&ws.pooled_cat[..], &ws.pooled_num[..])
        } else {
            (
                &ws.x_cat[i * dc..(i + 1) * dc],
                &ws.x_num[i * dn..(i + 1) * dn],
            )
        };
        net.classifier
            .forward_row(eff, xc, xn, &mut ws.logits[i * c..(i + 1) * c]);
    }
}

/// Per-sequence mean NLL over scored positions (label ≠ 0) into `ws.loss`, and its gradient
/// (already divided by the batch size) into `ws.dlogits`. A sequence without scored
/// positions contributes 0 (the reference would produce NaN).
fn example_loss(net: &Net, labels: &[u32], n: usize, batch_size: usize, ws: &mut ExampleWs) {
    let c = net.classifier.n_classes;
    let count = labels.iter().take(n).filter(|&&l| l != 0).count();
    ws.dlogits[..n * c].fill(0.0);
    ws.loss = 0.0;
    if count == 0 {
        return;
    }
    let scale = 1.0 / (count as f32 * batch_size as f32);
    let mut total = 0.0f32;
    for (i, &label) in labels.iter().enumerate().take(n) {
        if label == 0 {
            continue;
        }
        let row = &ws.logits[i * c..(i + 1) * c];
        let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let sum: f32 = row.iter().map(|&v| (v - max).exp()).sum();
        let lse = sum.ln();
        total -= row[label as usize] - max - lse;
        let d = &mut ws.dlogits[i * c..(i + 1) * c];
        for (dv, &v) in d.iter_mut().zip(row) {
            *dv = (v - max - lse).exp() * scale;
        }
        d[label as usize] -= scale;
    }
    ws.loss = total / count as f32;
}

/// Backward of one example from `ws.dlogits`; parameter gradients (w.r.t. the effective
/// values) are added to `d_eff`. Dispatched at run time like [`example_forward`].
#[multiversion(targets("x86_64+avx2+fma"))]
fn example_backward(
    net: &Net,
    eff: &[f32],
    tokens: &[u32],
    n: usize,
    sampling: Sampling,
    ws: &mut ExampleWs,
    d_eff: &mut [f32],
) {
    let (dc, dn) = (net.layout.d_cat(), net.layout.d_num());
    let c = net.classifier.n_classes;
    ws.dx_cat[..n * dc].fill(0.0);
    ws.dx_num[..n * dn].fill(0.0);
    for i in 0..n {
        let dl = &ws.dlogits[i * c..(i + 1) * c];
        if dl.iter().all(|&g| g == 0.0) {
            continue;
        }
        if net.pool && i == 0 {
            ws.dpooled_cat.fill(0.0);
            ws.dpooled_num.fill(0.0);
            net.classifier.backward_row(
                eff,
                &ws.pooled_cat,
                &ws.pooled_num,
                dl,
                d_eff,
                &mut ws.dpooled_cat,
                &mut ws.dpooled_num,
            );
            let inv = 1.0 / n as f32;
            for j in (0..n).filter(|&j| ws.mask[j]) {
                for (d, g) in ws.dx_cat[j * dc..(j + 1) * dc]
                    .iter_mut()
                    .zip(&ws.dpooled_cat)
                {
                    *d += g * inv;
                }
                for (d, g) in ws.dx_num[j * dn..(j + 1) * dn]
                    .iter_mut()
                    .zip(&ws.dpooled_num)
                {
                    *d += g * inv;
                }
            }
        } else {
            let (xc, xn) = (
                &ws.x_cat[i * dc..(i + 1) * dc],
                &ws.x_num[i * dn..(i + 1) * dn],
            );
            let (dxc, dxn) = (
                &mut ws.dx_cat[i * dc..(i + 1) * dc],
                &mut ws.dx_num[i * dn..(i + 1) * dn],
            );
            net.classifier
                .backward_row(eff, xc, xn, dl, d_eff, dxc, dxn);
        }
    }
    for (layer, lws) in net.layers.iter().zip(ws.layers.iter_mut()).rev() {
        for (m, mws) in layer.num_mlps.iter().zip(lws.num_mlps.iter_mut()).rev() {
            let mut dy = std::mem::take(&mut mws.dy);
            for i in 0..n {
                dy[i * m.k..(i + 1) * m.k]
                    .copy_from_slice(&ws.dx_cat[i * dc + m.out_col..i * dc + m.out_col + m.k]);
            }
            m.backward(
                eff,
                sampling,
                &dy,
                &ws.x_num,
                &mut ws.dx_num,
                dn,
                n,
                &ws.keep,
                mws,
                d_eff,
            );
            mws.dy = dy;
        }
        for (m, mws) in layer.cat_mlps.iter().zip(lws.cat_mlps.iter_mut()).rev() {
            let mut dy = std::mem::take(&mut mws.dy);
            for i in 0..n {
                dy[i * m.k..(i + 1) * m.k]
                    .copy_from_slice(&ws.dx_cat[i * dc + m.out_col..i * dc + m.out_col + m.k]);
            }
            m.backward(
                eff,
                sampling,
                &dy,
                &ws.x_cat,
                &mut ws.dx_cat,
                dc,
                n,
                &ws.keep,
                mws,
                d_eff,
            );
            mws.dy = dy;
        }
        if let (Some(a), Some(aws)) = (&layer.num_attn, lws.num.as_mut()) {
            a.backward(
                eff,
                &ws.x_cat,
                &mut ws.dx_cat,
                dc,
                &ws.x_num,
                &mut ws.dx_num,
                dn,
                n,
                &ws.mask,
                &ws.keep,
                aws,
                d_eff,
            );
        }
        if let (Some(a), Some(aws)) = (&layer.cat_attn, lws.cat.as_mut()) {
            a.backward(
                eff,
                sampling,
                &ws.x_cat,
                &mut ws.dx_cat,
                dc,
                n,
                &ws.mask,
                &ws.keep,
                aws,
                d_eff,
            );
        }
    }
    net.embed
        .backward(tokens, &ws.dx_cat, dc, &ws.dx_num, dn, n, d_eff);
}

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
        while self.ws.len() < batch_size {
            self.ws.push(ExampleWs::new(&self.net));
        }
        let (net, eff) = (&self.net, &self.params.eff);
        // The discrete model's categorical MLPs are lookup tables (their inputs are one-hot).
        let tables: Vec<Vec<Option<Vec<u32>>>> = if matches!(sampling, Sampling::Argmax) {
            net.layers
                .iter()
                .map(|l| l.cat_mlps.iter().map(|m| m.argmax_table(eff)).collect())
                .collect()
        } else {
            Vec::new()
        };
        self.ws[..batch_size]
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
            .zip(&self.ws[..batch_size])
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
        self.ws[..batch_size]
            .par_iter_mut()
            .enumerate()
            .for_each(|(b, ws)| {
                example_loss(net, &labels[b * n..(b + 1) * n], n, batch_size, ws);
            });
        Ok(self.ws[..batch_size].iter().map(|w| w.loss).sum::<f32>() / batch_size as f32)
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
        let (net, eff) = (&self.net, &self.params.eff);
        let n = n_positions;
        self.ws[..batch_size]
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
