//! The forward pass of one chunk of examples, keeping what the backward pass needs:
//! `x = sqrt(D)·E[token] + P[position]`, then per layer (pre-LayerNorm)
//! `x += MHA(LN1(x))`, `x += W2·relu(W1·LN2(x) + b1) + b2`; no final LayerNorm; then the
//! classifier `logits = x·W_U` (position 0 pooled when pooling, masked classes −1e30).
//!
//! Shapes: E examples in the chunk, N positions, R = E·N rows, D model width, H heads,
//! `dh = D/H`, F MLP width, C classes.

use tprog_model::MASKED_LOGIT;

use super::config::StandardConfig;
use super::linalg::{MatMut, MatRef, add_bias, gemm, layer_norm, masked_softmax};
use super::params::Offsets;
use super::workspace::{ChunkWs, LayerActs, apply_keep, draw_keep, fit};

/// The immutable structure of a model, shared by every worker.
#[derive(Debug, Clone)]
pub(crate) struct Net {
    pub config: StandardConfig,
    pub offsets: Offsets,
    /// `masked[c]`: class `c`'s logit is fixed at −1e30.
    pub masked: Vec<bool>,
}

/// Dropout sites of an example: the embeddings, then four per layer.
pub(crate) mod site {
    pub const EMBED: usize = 0;
    pub fn attn(l: usize) -> usize {
        1 + 4 * l
    }
    pub fn out(l: usize) -> usize {
        2 + 4 * l
    }
    pub fn hidden(l: usize) -> usize {
        3 + 4 * l
    }
    pub fn mlp(l: usize) -> usize {
        4 + 4 * l
    }
}

/// Whether query `q` may attend to key `k` of an example whose rows are `valid`: key 0
/// always (the reference forces it, so no row is empty and a `<pad>` query sees only key 0);
/// otherwise both positions are real, and `k ≤ q` when causal. Every head of the example uses
/// this same mask (the reference's `torch.cat` mixed examples up; see docs/baseline.md).
#[inline(always)]
pub(crate) fn allowed(valid: &[bool], causal: bool, q: usize, k: usize) -> bool {
    k == 0 || (valid[q] && valid[k] && (!causal || k <= q))
}

/// Runs the chunk: `tokens` are its `[E, N]` tokens; `seed` is `Some` while training (dropout
/// on), `None` when evaluating.
pub(crate) fn chunk_forward(
    net: &Net,
    value: &[f32],
    tokens: &[u32],
    ws: &mut ChunkWs,
    seed: Option<u64>,
) {
    let c = &net.config;
    let (d, n, e) = (c.d_model, ws.n, ws.n_ex);
    let rows = e * n;
    ws.valid.clear();
    ws.valid.extend(tokens.iter().map(|&t| t != c.pad_token));
    ws.x.resize_with(c.n_layers + 1, Vec::new);
    ws.layers.resize_with(c.n_layers, LayerActs::default);
    for x in &mut ws.x {
        fit(x, rows * d);
    }
    // Embeddings. [R, D]
    let scale = (d as f32).sqrt();
    let (tok, pos) = (net.offsets.token, net.offsets.position);
    for (r, row) in ws.x[0].chunks_exact_mut(d).enumerate() {
        let t = tokens[r] as usize;
        let e_row = &value[tok + t * d..tok + (t + 1) * d];
        let p_row = &value[pos + (r % n) * d..pos + (r % n + 1) * d];
        for ((o, &ev), &pv) in row.iter_mut().zip(e_row).zip(p_row) {
            *o = scale * ev + pv;
        }
    }
    draw_keep(
        &mut ws.keep_embed,
        c.dropout,
        seed,
        ws.first,
        e,
        n * d,
        site::EMBED,
    );
    apply_keep(&mut ws.x[0], &ws.keep_embed);
    for l in 0..c.n_layers {
        layer_forward(net, value, l, ws, seed);
    }
    classifier_forward(net, value, ws);
}

/// Sizes one layer's activation buffers for `e` examples of `n` positions.
fn fit_layer(a: &mut LayerActs, c: &StandardConfig, e: usize, n: usize) {
    let (d, f, rows) = (c.d_model, c.d_mlp, e * n);
    for (v, len) in [
        (&mut a.xhat1, rows * d),
        (&mut a.rstd1, rows),
        (&mut a.h1, rows * d),
        (&mut a.qkv, rows * 3 * d),
        (&mut a.probs, e * c.n_heads * n * n),
        (&mut a.ctx, rows * d),
        (&mut a.xhat2, rows * d),
        (&mut a.rstd2, rows),
        (&mut a.h2, rows * d),
        (&mut a.pre, rows * f),
        (&mut a.hidden, rows * f),
    ] {
        fit(v, len);
    }
}

/// One encoder layer: `x[l+1] = x[l] + attention + MLP`.
fn layer_forward(net: &Net, value: &[f32], l: usize, ws: &mut ChunkWs, seed: Option<u64>) {
    let c = &net.config;
    let o = net.offsets.layers[l];
    let (d, f, n, e) = (c.d_model, c.d_mlp, ws.n, ws.n_ex);
    let rows = e * n;
    let (before, after) = ws.x.split_at_mut(l + 1);
    let (x_in, x_out) = (&before[l], &mut after[0]);
    x_out.copy_from_slice(x_in);
    let a = &mut ws.layers[l];
    fit_layer(a, c, e, n);
    fit(&mut ws.dh, rows * d);
    let w = |off: usize, len: usize| &value[off..off + len];
    // Attention block.
    layer_norm(
        x_in,
        w(o.norm1_w, d),
        w(o.norm1_b, d),
        &mut a.xhat1,
        &mut a.rstd1,
        &mut a.h1,
    );
    let in_w = MatRef::new(w(o.in_w, 3 * d * d), 3 * d, d);
    gemm(
        1.0,
        MatRef::new(&a.h1, rows, d),
        in_w.t(),
        0.0,
        MatMut::new(&mut a.qkv, rows, 3 * d),
    ); // [R, 3D]
    add_bias(&mut a.qkv, w(o.in_b, 3 * d));
    draw_keep(
        &mut a.keep_attn,
        c.dropout,
        seed,
        ws.first,
        e,
        c.n_heads * n * n,
        site::attn(l),
    );
    attention_forward(c, &ws.valid, a, &mut ws.att_a, n, e);
    let out_w = MatRef::new(w(o.out_w, d * d), d, d);
    gemm(
        1.0,
        MatRef::new(&a.ctx, rows, d),
        out_w.t(),
        0.0,
        MatMut::new(&mut ws.dh, rows, d),
    ); // [R, D]
    add_bias(&mut ws.dh, w(o.out_b, d));
    draw_keep(
        &mut a.keep_out,
        c.dropout,
        seed,
        ws.first,
        e,
        n * d,
        site::out(l),
    );
    apply_keep(&mut ws.dh, &a.keep_out);
    x_out.iter_mut().zip(&ws.dh).for_each(|(x, v)| *x += v);
    // MLP block.
    layer_norm(
        x_out,
        w(o.norm2_w, d),
        w(o.norm2_b, d),
        &mut a.xhat2,
        &mut a.rstd2,
        &mut a.h2,
    );
    let lin1 = MatRef::new(w(o.lin1_w, f * d), f, d);
    gemm(
        1.0,
        MatRef::new(&a.h2, rows, d),
        lin1.t(),
        0.0,
        MatMut::new(&mut a.pre, rows, f),
    ); // [R, F]
    add_bias(&mut a.pre, w(o.lin1_b, f));
    draw_keep(
        &mut a.keep_hidden,
        c.dropout,
        seed,
        ws.first,
        e,
        n * f,
        site::hidden(l),
    );
    for (h, &p) in a.hidden.iter_mut().zip(&a.pre) {
        *h = p.max(0.0);
    }
    apply_keep(&mut a.hidden, &a.keep_hidden);
    let lin2 = MatRef::new(w(o.lin2_w, d * f), d, f);
    gemm(
        1.0,
        MatRef::new(&a.hidden, rows, f),
        lin2.t(),
        0.0,
        MatMut::new(&mut ws.dh, rows, d),
    ); // [R, D]
    add_bias(&mut ws.dh, w(o.lin2_b, d));
    draw_keep(
        &mut a.keep_mlp,
        c.dropout,
        seed,
        ws.first,
        e,
        n * d,
        site::mlp(l),
    );
    apply_keep(&mut ws.dh, &a.keep_mlp);
    x_out.iter_mut().zip(&ws.dh).for_each(|(x, v)| *x += v);
}

/// Every head of every example: `P = softmax(q·kᵀ/sqrt(dh))` under the mask, `ctx = P̃·v`
/// (`P̃` = P after dropout).
fn attention_forward(
    c: &StandardConfig,
    valid: &[bool],
    a: &mut LayerActs,
    scratch: &mut Vec<f32>,
    n: usize,
    e: usize,
) {
    let (d, h_count) = (c.d_model, c.n_heads);
    let dh = c.d_head();
    let scale = 1.0 / (dh as f32).sqrt();
    fit(scratch, n * n);
    for ex in 0..e {
        let qkv = &a.qkv[ex * n * 3 * d..(ex + 1) * n * 3 * d]; // [N, 3D]
        let valid = &valid[ex * n..(ex + 1) * n];
        let ctx = &mut a.ctx[ex * n * d..(ex + 1) * n * d]; // [N, D]
        for h in 0..h_count {
            let at = (ex * h_count + h) * n * n;
            let probs = &mut a.probs[at..at + n * n]; // [N, N]
            let view = MatRef::new(qkv, n, 3 * d);
            let q = view.cols(h * dh, dh);
            let k = view.cols(d + h * dh, dh);
            let v = view.cols(2 * d + h * dh, dh);
            gemm(scale, q, k.t(), 0.0, MatMut::new(probs, n, n));
            masked_softmax(probs, n, |qi, ki| allowed(valid, c.autoregressive, qi, ki));
            let used: &[f32] = if a.keep_attn.is_empty() {
                probs
            } else {
                let keep = &a.keep_attn[at..at + n * n];
                for ((s, &p), &k) in scratch.iter_mut().zip(probs.iter()).zip(keep) {
                    *s = p * k;
                }
                scratch
            };
            let out = MatMut::strided(&mut ctx[h * dh..], n, dh, d);
            gemm(1.0, MatRef::new(used, n, n), v, 0.0, out);
        }
    }
}

/// Classifier input (pooled row 0 when pooling) and logits.
fn classifier_forward(net: &Net, value: &[f32], ws: &mut ChunkWs) {
    let c = &net.config;
    let (d, n, e, classes) = (c.d_model, ws.n, ws.n_ex, c.n_classes);
    let rows = e * n;
    fit(&mut ws.cls_in, rows * d);
    fit(&mut ws.logits, rows * classes);
    ws.cls_in.copy_from_slice(&ws.x[c.n_layers]);
    if c.pool_outputs {
        // Row 0 of each example is Σ_{real j} x_j / N, N the padded width (the reference's).
        for ex in 0..e {
            let block = &mut ws.cls_in[ex * n * d..(ex + 1) * n * d];
            let (first, rest) = block.split_at_mut(d);
            let valid = &ws.valid[ex * n..(ex + 1) * n];
            if !valid[0] {
                first.fill(0.0);
            }
            for (j, row) in rest.chunks_exact(d).enumerate() {
                if valid[j + 1] {
                    first.iter_mut().zip(row).for_each(|(p, x)| *p += x);
                }
            }
            first.iter_mut().for_each(|p| *p /= n as f32);
        }
    }
    let w_u = MatRef::new(
        &value[net.offsets.unembed..net.offsets.unembed + d * classes],
        d,
        classes,
    );
    gemm(
        1.0,
        MatRef::new(&ws.cls_in, rows, d),
        w_u,
        0.0,
        MatMut::new(&mut ws.logits, rows, classes),
    ); // [R, C]
    for row in ws.logits.chunks_exact_mut(classes) {
        for (v, &m) in row.iter_mut().zip(&net.masked) {
            if m {
                *v = MASKED_LOGIT;
            }
        }
    }
}
