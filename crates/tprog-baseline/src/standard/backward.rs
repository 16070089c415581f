//! The loss of one chunk and its backward pass: parameter gradients of the dense part into the
//! chunk's own buffer, and the gradient w.r.t. the embeddings left in `ws.dx` (`[R, D]`) for
//! the caller to add into the rows of the batch's tokens.
//!
//! Shapes: E examples in the chunk, N positions, R = E·N rows, D model width, H heads,
//! `dh = D/H`, F MLP width, C classes. `grad` offsets are the global ones minus `dense_start`.

use super::forward::Net;
use super::linalg::{MatMut, MatRef, gemm, layer_norm_backward, sum_rows};
use super::workspace::{ChunkWs, LayerActs, apply_keep, fit};

/// Per-example loss (mean cross-entropy over the positions whose label is not 0) into
/// `ws.losses`, and its gradient, divided by `batch_size` (the batch mean), into `ws.dlogits`.
/// An example without scored positions has loss 0 and no gradient.
pub(crate) fn chunk_loss(net: &Net, labels: &[u32], batch_size: usize, ws: &mut ChunkWs) {
    let classes = net.config.n_classes;
    let n = ws.n;
    fit(&mut ws.dlogits, ws.n_ex * n * classes);
    ws.dlogits.fill(0.0);
    ws.losses.clear();
    for ex in 0..ws.n_ex {
        let labels = &labels[ex * n..(ex + 1) * n];
        let count = labels.iter().filter(|&&l| l != 0).count();
        if count == 0 {
            ws.losses.push(0.0);
            continue;
        }
        let scale = 1.0 / (count as f32 * batch_size as f32);
        let mut total = 0.0f32;
        for (i, &label) in labels.iter().enumerate() {
            if label == 0 {
                continue;
            }
            let r = ex * n + i;
            let row = &ws.logits[r * classes..(r + 1) * classes];
            let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            let lse = row.iter().map(|&v| (v - max).exp()).sum::<f32>().ln();
            total -= row[label as usize] - max - lse;
            let d = &mut ws.dlogits[r * classes..(r + 1) * classes];
            for ((dv, &v), &m) in d.iter_mut().zip(row).zip(&net.masked) {
                *dv = if m {
                    0.0
                } else {
                    (v - max - lse).exp() * scale
                };
            }
            d[label as usize] -= scale;
        }
        ws.losses.push(total / count as f32);
    }
}

/// Backward of the whole chunk from `ws.dlogits`; adds into `ws.grad` (zeroed by the caller).
pub(crate) fn chunk_backward(net: &Net, value: &[f32], ws: &mut ChunkWs) {
    let c = &net.config;
    let rows = ws.n_ex * ws.n;
    let d = c.d_model;
    for v in [&mut ws.dx, &mut ws.dh, &mut ws.dctx] {
        fit(v, rows * d);
    }
    fit(&mut ws.dqkv, rows * 3 * d);
    fit(&mut ws.dhidden, rows * c.d_mlp);
    classifier_backward(net, value, ws);
    for l in (0..c.n_layers).rev() {
        mlp_backward(net, value, l, ws);
        attention_block_backward(net, value, l, ws);
    }
    apply_keep(&mut ws.dx, &ws.keep_embed);
    let pos = net.offsets.position - net.offsets.dense_start;
    for (r, row) in ws.dx.chunks_exact(d).enumerate() {
        let i = r % ws.n;
        let g = &mut ws.grad[pos + i * d..pos + (i + 1) * d];
        g.iter_mut().zip(row).for_each(|(g, x)| *g += x);
    }
}

fn classifier_backward(net: &Net, value: &[f32], ws: &mut ChunkWs) {
    let c = &net.config;
    let (d, n, classes) = (c.d_model, ws.n, c.n_classes);
    let rows = ws.n_ex * n;
    let u = net.offsets.unembed;
    let gu = u - net.offsets.dense_start;
    let dlogits = MatRef::new(&ws.dlogits, rows, classes);
    gemm(
        1.0,
        MatRef::new(&ws.cls_in, rows, d).t(),
        dlogits,
        1.0,
        MatMut::new(&mut ws.grad[gu..gu + d * classes], d, classes),
    ); // [D, C]
    let w_u = MatRef::new(&value[u..u + d * classes], d, classes);
    gemm(1.0, dlogits, w_u.t(), 0.0, MatMut::new(&mut ws.dx, rows, d)); // [R, D]
    if c.pool_outputs {
        for ex in 0..ws.n_ex {
            let block = &mut ws.dx[ex * n * d..(ex + 1) * n * d];
            let valid = &ws.valid[ex * n..(ex + 1) * n];
            let pooled: Vec<f32> = block[..d].iter().map(|g| g / n as f32).collect();
            block[..d].fill(0.0);
            for (j, row) in block.chunks_exact_mut(d).enumerate() {
                if valid[j] {
                    row.iter_mut().zip(&pooled).for_each(|(g, p)| *g += p);
                }
            }
        }
    }
}

/// A linear layer `y = x·Wᵀ + b` of the parameters: `W` `[out, inp]` and `b` `[out]` at
/// these (global) offsets.
struct Linear {
    w: usize,
    b: usize,
    out: usize,
    inp: usize,
}

impl Linear {
    fn new(w: usize, b: usize, out: usize, inp: usize) -> Self {
        Self { w, b, out, inp }
    }

    /// From `dy` (`[R, out]`) and the layer's input `x` (`[R, inp]`), `R = rows`: adds `dyᵀ·x` and the
    /// column sums of `dy` to the gradients (`grad` starts at offset `base`) and writes the
    /// input's gradient `dy·W` into `dx` (`[R, inp]`).
    fn backward(
        &self,
        value: &[f32],
        base: usize,
        grad: &mut [f32],
        (dy, x, rows): (&[f32], &[f32], usize),
        dx: &mut [f32],
    ) {
        let (out, inp) = (self.out, self.inp);
        let dy = &dy[..rows * out];
        let dy_m = MatRef::new(dy, rows, out);
        let (w, b) = (self.w - base, self.b - base);
        gemm(
            1.0,
            dy_m.t(),
            MatRef::new(x, rows, inp),
            1.0,
            MatMut::new(&mut grad[w..w + out * inp], out, inp),
        );
        sum_rows(dy, &mut grad[b..b + out]);
        let weight = MatRef::new(&value[self.w..self.w + out * inp], out, inp);
        gemm(1.0, dy_m, weight, 0.0, MatMut::new(dx, rows, inp));
    }
}

/// `dx` enters as the gradient w.r.t. layer `l`'s output and leaves as the gradient w.r.t.
/// the point between its attention and MLP blocks.
fn mlp_backward(net: &Net, value: &[f32], l: usize, ws: &mut ChunkWs) {
    let c = &net.config;
    let (d, f) = (c.d_model, c.d_mlp);
    let rows = ws.n_ex * ws.n;
    let o = net.offsets.layers[l];
    let base = net.offsets.dense_start;
    let a: &LayerActs = &ws.layers[l];
    let grad = &mut ws.grad;
    let w = |off: usize, len: usize| &value[off..off + len];
    ws.dh.copy_from_slice(&ws.dx);
    apply_keep(&mut ws.dh, &a.keep_mlp);
    let lin2 = Linear::new(o.lin2_w, o.lin2_b, d, f);
    lin2.backward(
        value,
        base,
        grad,
        (&ws.dh, &a.hidden, rows),
        &mut ws.dhidden,
    ); // [R, F]
    apply_keep(&mut ws.dhidden, &a.keep_hidden);
    for (g, &p) in ws.dhidden.iter_mut().zip(&a.pre) {
        if p <= 0.0 {
            *g = 0.0;
        }
    }
    let lin1 = Linear::new(o.lin1_w, o.lin1_b, f, d);
    lin1.backward(value, base, grad, (&ws.dhidden, &a.h2, rows), &mut ws.dh); // [R, D]
    let (dg, db) = grad[o.norm2_w - base..o.norm2_b - base + d].split_at_mut(d);
    layer_norm_backward(
        &ws.dh,
        &a.xhat2,
        &a.rstd2,
        w(o.norm2_w, d),
        dg,
        db,
        &mut ws.dx,
        &mut ws.ln_scratch,
    );
}

/// `dx` enters as the gradient after the attention block and leaves as the gradient w.r.t.
/// layer `l`'s input.
fn attention_block_backward(net: &Net, value: &[f32], l: usize, ws: &mut ChunkWs) {
    let c = &net.config;
    let d = c.d_model;
    let rows = ws.n_ex * ws.n;
    let o = net.offsets.layers[l];
    let base = net.offsets.dense_start;
    let a: &LayerActs = &ws.layers[l];
    let grad = &mut ws.grad;
    let w = |off: usize, len: usize| &value[off..off + len];
    ws.dh.copy_from_slice(&ws.dx);
    apply_keep(&mut ws.dh, &a.keep_out);
    let out = Linear::new(o.out_w, o.out_b, d, d);
    out.backward(value, base, grad, (&ws.dh, &a.ctx, rows), &mut ws.dctx); // [R, D]
    heads_backward(
        net,
        a,
        &ws.dctx,
        &mut ws.dqkv,
        (&mut ws.att_a, &mut ws.att_b),
        ws.n,
        ws.n_ex,
    );
    let qkv = Linear::new(o.in_w, o.in_b, 3 * d, d);
    qkv.backward(value, base, grad, (&ws.dqkv, &a.h1, rows), &mut ws.dh); // [R, D]
    let (dg, db) = grad[o.norm1_w - base..o.norm1_b - base + d].split_at_mut(d);
    layer_norm_backward(
        &ws.dh,
        &a.xhat1,
        &a.rstd1,
        w(o.norm1_w, d),
        dg,
        db,
        &mut ws.dx,
        &mut ws.ln_scratch,
    );
}

/// Every head: from `dctx` (`[R, D]`) to `dqkv` (`[R, 3D]`, overwritten).
#[allow(clippy::too_many_arguments)]
fn heads_backward(
    net: &Net,
    a: &LayerActs,
    dctx: &[f32],
    dqkv: &mut [f32],
    (used, dp): (&mut Vec<f32>, &mut Vec<f32>),
    n: usize,
    e: usize,
) {
    let c = &net.config;
    let (d, h_count, dh) = (c.d_model, c.n_heads, c.d_head());
    let scale = 1.0 / (dh as f32).sqrt();
    fit(used, n * n);
    fit(dp, n * n);
    // Masked entries have P = 0, so their score gradient vanishes by itself.
    for ex in 0..e {
        let qkv = MatRef::new(&a.qkv[ex * n * 3 * d..(ex + 1) * n * 3 * d], n, 3 * d);
        let dctx_ex = MatRef::new(&dctx[ex * n * d..(ex + 1) * n * d], n, d);
        let dqkv_ex = &mut dqkv[ex * n * 3 * d..(ex + 1) * n * 3 * d];
        for h in 0..h_count {
            let at = (ex * h_count + h) * n * n;
            let probs = &a.probs[at..at + n * n]; // [N, N]
            if a.keep_attn.is_empty() {
                used.copy_from_slice(probs);
            } else {
                let keep = &a.keep_attn[at..at + n * n];
                for ((u, &p), &k) in used.iter_mut().zip(probs).zip(keep) {
                    *u = p * k;
                }
            }
            let q = qkv.cols(h * dh, dh);
            let k = qkv.cols(d + h * dh, dh);
            let v = qkv.cols(2 * d + h * dh, dh);
            let dctx_h = dctx_ex.cols(h * dh, dh); // [N, dh]
            gemm(1.0, dctx_h, v.t(), 0.0, MatMut::new(dp, n, n));
            let dv = MatMut::strided(&mut dqkv_ex[2 * d + h * dh..], n, dh, 3 * d);
            gemm(1.0, MatRef::new(used, n, n).t(), dctx_h, 0.0, dv);
            if !a.keep_attn.is_empty() {
                apply_keep(dp, &a.keep_attn[at..at + n * n]);
            }
            // Softmax backward, with the score scale folded in.
            for (p_row, d_row) in probs.chunks_exact(n).zip(dp.chunks_exact_mut(n)) {
                let s: f32 = p_row.iter().zip(d_row.iter()).map(|(p, g)| p * g).sum();
                for (g, &p) in d_row.iter_mut().zip(p_row) {
                    *g = p * (*g - s) * scale;
                }
            }
            let ds = MatRef::new(dp, n, n);
            let dq = MatMut::strided(&mut dqkv_ex[h * dh..], n, dh, 3 * d);
            gemm(1.0, ds, k, 0.0, dq);
            let dk = MatMut::strided(&mut dqkv_ex[d + h * dh..], n, dh, 3 * d);
            gemm(1.0, ds.t(), q, 0.0, dk);
        }
    }
}
