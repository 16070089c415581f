//! The per-example backward: the gradient of one example at a time, through the per-example
//! kernels of `modules` (the equations, written out for one example). Training never runs it:
//! it runs the lane-parallel `lanes`, which compute the same equations for eight examples at a
//! time. This is the oracle the lanes are checked against (tests `lanes`, `parity`,
//! `gradcheck`), compiled only for tests and with the `testing` feature.
//!
//! Why not one kernel generic over the lane type, serving both: the per-example forward runs
//! the discrete model, whose sums must be the program's bit for bit, and the lanes' layout
//! (one example per SIMD lane, no horizontal sums) is what makes training fast; a training
//! step on the per-example backward is several times slower (docs/results.md, "Two
//! implementations"). Kept apart, each is simple; this one is small and checked.
//!
//! Shapes (dimension letters): N positions, C classes; the streams `x_cat` `[N, D_cat]` and
//! `x_num` `[N, D_num]` and their gradients `dx_cat`, `dx_num`.

use multiversion::multiversion;
use rayon::prelude::*;

use crate::ModelError;
use crate::model::{Model, Net};
use crate::modules::StreamShape;
use crate::params::EffGrad;
use crate::sampler::Sampling;
use crate::workspace::ExampleWs;

/// Gradients are accumulated in at most this many per-chunk buffers.
const MAX_CHUNKS: usize = 16;

impl Model {
    /// [`Model::loss_and_backward`] computed one example at a time with the per-example kernels
    /// (the path `forward` and `predict` use). Training uses the lane-parallel path; this one
    /// is kept to check it against.
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
        let mut grad_chunks = vec![vec![0.0; total]; n_chunks];
        let (net, eff) = (&self.net, &self.params.effective);
        let n = n_positions;
        self.example_ws[..batch_size]
            .par_chunks_mut(chunk)
            .zip(grad_chunks.par_iter_mut())
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
        let (first, rest) = grad_chunks.split_at_mut(1);
        for other in &rest[..used - 1] {
            for (a, b) in first[0].iter_mut().zip(other) {
                *a += b;
            }
        }
        let d = EffGrad {
            dense: &first[0],
            base: 0,
            words: &self.words,
            word_rows: None,
        };
        self.params.backprop_samplers(sampling, d);
        Ok(loss)
    }
}

/// Backward of one example from `ws.dlogits`; parameter gradients (w.r.t. the effective
/// values) are added to `d_eff`. Dispatched at run time like the forward.
#[multiversion(targets("x86_64+avx2+fma"))]
pub(crate) fn example_backward(
    net: &Net,
    eff: &[f32],
    tokens: &[u32],
    n: usize,
    sampling: Sampling,
    ws: &mut ExampleWs,
    d_eff: &mut [f32],
) {
    let (dc, dn) = (net.layout.d_cat(), net.layout.d_num());
    ws.dx_cat[..n * dc].fill(0.0);
    ws.dx_num[..n * dn].fill(0.0);
    classifier_backward(net, eff, n, ws, d_eff);
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
    net.embed.backward(
        tokens,
        &ws.dx_cat,
        &ws.dx_num,
        d_eff,
        StreamShape {
            d_cat: dc,
            d_num: dn,
            n,
        },
    );
}

/// The classifier's backward from `ws.dlogits` into `ws.dx_cat` / `ws.dx_num` (through the
/// mean over keys at position 0 when pooling); part of [`example_backward`], inlined into it.
#[inline(always)]
fn classifier_backward(net: &Net, eff: &[f32], n: usize, ws: &mut ExampleWs, d_eff: &mut [f32]) {
    let (dc, dn) = (net.layout.d_cat(), net.layout.d_num());
    let c = net.classifier.n_classes;
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
}
