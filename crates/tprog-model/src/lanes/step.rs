//! One group's training step: [`group_step`] runs the forward of every module, the loss and
//! the backward, for [`L`] examples at once (one per lane). The three parts are separate
//! `#[inline(always)]` functions inlined into the one runtime-dispatched `group_step`, so the
//! whole step is compiled for each target as before.
//!
//! Shapes (dimension letters): L lanes, N positions, C classes, D_U classifier inputs
//! (`D_cat + D_num`); the streams `x_cat` `[N, D_cat]`, `x_num` `[N, D_num]`, the features
//! `[N, D_U]` and the logits `[N, C]` hold one [`V`] per entry.

use multiversion::multiversion;

use super::dropout::{self, Dropout, Site};
use super::mlp::MlpLanes;
use super::{Batch, L, LaneChunk, LayerLanes, V};
use crate::model::{Layer, Net};
use crate::modules::StreamShape;
use crate::modules::mlp::Mlp;
use crate::sampler::NoiseRng;

/// Forward, loss and backward of one loaded group; per-lane losses into `losses[..active]`,
/// parameter gradients added to `ws.lane_grad`. `eff` holds the sampled parameters, `wt` the
/// transposed weight matrices (see `transpose_weights`). Compiled for the baseline target and
/// for AVX2 + FMA, dispatched at run time.
#[multiversion(targets("x86_64+avx2+fma"))]
pub(super) fn group_step<'a>(
    net: &Net,
    eff: &[f32],
    wt: &[f32],
    batch: &Batch<'a>,
    rngs: &mut [NoiseRng; L],
    ws: &mut LaneChunk,
    losses: &mut [f32],
) {
    group_forward(net, eff, wt, batch, rngs, ws);
    group_loss(net, batch, ws, losses);
    group_backward(net, eff, wt, batch, ws);
}

/// Forward through every module into `ws.logits` (`[N, C]`), drawing each lane's noise.
#[inline(always)]
fn group_forward(
    net: &Net,
    eff: &[f32],
    wt: &[f32],
    batch: &Batch<'_>,
    rngs: &mut [NoiseRng; L],
    ws: &mut LaneChunk,
) {
    let (dc, dn) = (net.layout.d_cat(), net.layout.d_num());
    let (n, sampling) = (ws.n, batch.sampling);
    // The positions past the group's width draw no noise but for the MLP outputs', which the
    // MLPs skip (so every example's stream is the same as in the untrimmed batch).
    let skipped = batch.n - n;
    ws.x_cat[..n * dc].fill(V::ZERO);
    ws.x_num[..n * dn].fill(V::ZERO);
    net.embed.forward_lanes(
        eff,
        &ws.tokens,
        &mut ws.x_cat,
        &mut ws.x_num,
        StreamShape {
            d_cat: dc,
            d_num: dn,
            n,
        },
    );
    let k = net.layout.k;
    for (li, (layer, lws)) in net.layers.iter().zip(ws.layers.iter_mut()).enumerate() {
        if let Some(drop) = batch.dropout {
            fill_masks(drop, layer, lws, k, n, &ws.examples, li);
        }
        if let (Some(a), Some(aws)) = (&layer.cat_attn, lws.cat.as_mut()) {
            a.forward_lanes(eff, wt, sampling, &mut ws.x_cat, dc, n, &ws.mask, aws, rngs);
            let w = a.select.heads * k;
            dropout::apply(&mut ws.x_cat, dc, a.out_col, &lws.drop_cat, w, n);
        }
        if let (Some(a), Some(aws)) = (&layer.num_attn, lws.num.as_mut()) {
            a.forward_lanes(
                eff,
                wt,
                &ws.x_cat,
                &mut ws.x_num,
                &ws.mask,
                aws,
                StreamShape {
                    d_cat: dc,
                    d_num: dn,
                    n,
                },
            );
            let w = a.select.heads;
            dropout::apply(&mut ws.x_num, dn, a.out_col, &lws.drop_num, w, n);
        }
        for (m, mws) in layer.cat_mlps.iter().zip(lws.cat_mlps.iter_mut()) {
            m.forward_lanes(eff, sampling, None, &mut ws.x_cat, dc, n, mws, rngs);
            m.skip_noise(sampling, skipped, rngs);
        }
        for (m, mws) in layer.num_mlps.iter().zip(lws.num_mlps.iter_mut()) {
            let input = Some((&ws.x_num[..], dn));
            m.forward_lanes(eff, sampling, input, &mut ws.x_cat, dc, n, mws, rngs);
            m.skip_noise(sampling, skipped, rngs);
        }
    }
    if net.pool {
        ws.pooled_cat.fill(V::ZERO);
        ws.pooled_num.fill(V::ZERO);
        for j in 0..n {
            let m = ws.mask[j]; // row 0 of the mask
            for (p, &x) in ws
                .pooled_cat
                .iter_mut()
                .zip(&ws.x_cat[j * dc..(j + 1) * dc])
            {
                *p = p.add_mul(m, x);
            }
            for (p, &x) in ws
                .pooled_num
                .iter_mut()
                .zip(&ws.x_num[j * dn..(j + 1) * dn])
            {
                *p = p.add_mul(m, x);
            }
        }
        // The mean over the batch's padded width, as the reference's (not the group's).
        let inv = V::splat(batch.n as f32);
        for p in ws.pooled_cat.iter_mut().chain(ws.pooled_num.iter_mut()) {
            *p = *p / inv;
        }
    }
    let d_u = dc + dn;
    for i in 0..n {
        let (xc, xn) = if net.pool && i == 0 {
            (&ws.pooled_cat[..], &ws.pooled_num[..])
        } else {
            (
                &ws.x_cat[i * dc..(i + 1) * dc],
                &ws.x_num[i * dn..(i + 1) * dn],
            )
        };
        let f = &mut ws.feat[i * d_u..(i + 1) * d_u];
        f[..dc].copy_from_slice(xc);
        f[dc..].copy_from_slice(xn);
    }
    net.classifier
        .forward_lanes(wt, &ws.feat[..n * d_u], n, &mut ws.logits);
}

/// The loss into `losses` and its gradient into `ws.dlogits`.
#[inline(always)]
fn group_loss(net: &Net, batch: &Batch<'_>, ws: &mut LaneChunk, losses: &mut [f32]) {
    let n = ws.n;
    let c = net.classifier.n_classes;
    // Loss: per-sequence mean NLL over scored positions; its gradient divided by the batch size.
    let mut count = [0u32; L];
    for labels in &ws.labels[..n] {
        for l in 0..L {
            count[l] += u32::from(labels[l] != 0);
        }
    }
    let scale = V(std::array::from_fn(|l| {
        if count[l] == 0 {
            0.0
        } else {
            1.0 / (count[l] as f32 * batch.size as f32)
        }
    }));
    let mut total = V::ZERO;
    ws.dlogits[..n * c].fill(V::ZERO);
    for i in 0..n {
        let labels = ws.labels[i];
        let scored = V(std::array::from_fn(|l| f32::from(u8::from(labels[l] != 0))));
        if scored == V::ZERO {
            continue;
        }
        let row = &ws.logits[i * c..(i + 1) * c];
        let mut max = V::splat(f32::NEG_INFINITY);
        for &v in row {
            max = max.max(v);
        }
        let mut sum = V::ZERO;
        for &v in row {
            sum += (v - max).exp_std();
        }
        let lse = max + sum.ln_std();
        let picked = V(std::array::from_fn(|l| row[labels[l] as usize].0[l]));
        total -= V::select(scored, picked - lse, V::ZERO);
        let s = scale * scored;
        let d = &mut ws.dlogits[i * c..(i + 1) * c];
        for (dv, &v) in d.iter_mut().zip(row) {
            *dv = (v - lse).exp_std() * s;
        }
        for l in 0..L {
            d[labels[l] as usize].0[l] -= s.0[l];
        }
    }
    for (l, loss) in losses.iter_mut().enumerate() {
        *loss = if count[l] == 0 {
            0.0
        } else {
            total.0[l] / count[l] as f32
        };
    }
}

/// Backward from `ws.dlogits` through every module, in reverse, into `ws.lane_grad`.
#[inline(always)]
fn group_backward(net: &Net, eff: &[f32], wt: &[f32], batch: &Batch<'_>, ws: &mut LaneChunk) {
    let (dc, dn) = (net.layout.d_cat(), net.layout.d_num());
    let (n, sampling) = (ws.n, batch.sampling);
    let d_u = dc + dn;
    ws.dx_cat[..n * dc].fill(V::ZERO);
    ws.dx_num[..n * dn].fill(V::ZERO);
    let dv = &mut ws.lane_grad;
    net.classifier.backward_lanes(
        eff,
        &ws.feat[..n * d_u],
        n,
        &mut ws.dlogits,
        dv,
        &mut ws.dfeat,
    );
    for i in 0..n {
        let df = &ws.dfeat[i * d_u..(i + 1) * d_u];
        if net.pool && i == 0 {
            // Position 0's features are the mean over its unmasked keys.
            let inv = V::splat(1.0 / batch.n as f32);
            for j in 0..n {
                let m = ws.mask[j] * inv;
                for (d, &g) in ws.dx_cat[j * dc..(j + 1) * dc].iter_mut().zip(&df[..dc]) {
                    *d = d.add_mul(g, m);
                }
                for (d, &g) in ws.dx_num[j * dn..(j + 1) * dn].iter_mut().zip(&df[dc..]) {
                    *d = d.add_mul(g, m);
                }
            }
        } else {
            for (d, &g) in ws.dx_cat[i * dc..(i + 1) * dc].iter_mut().zip(&df[..dc]) {
                *d += g;
            }
            for (d, &g) in ws.dx_num[i * dn..(i + 1) * dn].iter_mut().zip(&df[dc..]) {
                *d += g;
            }
        }
    }
    for (layer, lws) in net.layers.iter().zip(ws.layers.iter_mut()).rev() {
        for (m, mws) in layer.num_mlps.iter().zip(lws.num_mlps.iter_mut()).rev() {
            let input = Some((&ws.x_num[..], &mut ws.dx_num[..], dn));
            m.backward_lanes(
                eff,
                wt,
                sampling,
                input,
                &ws.x_cat,
                &mut ws.dx_cat,
                dc,
                n,
                &ws.keep,
                mws,
                dv,
            );
        }
        for (m, mws) in layer.cat_mlps.iter().zip(lws.cat_mlps.iter_mut()).rev() {
            m.backward_lanes(
                eff,
                wt,
                sampling,
                None,
                &ws.x_cat,
                &mut ws.dx_cat,
                dc,
                n,
                &ws.keep,
                mws,
                dv,
            );
        }
        if let (Some(a), Some(aws)) = (&layer.num_attn, lws.num.as_mut()) {
            let w = a.select.heads;
            dropout::apply(&mut ws.dx_num, dn, a.out_col, &lws.drop_num, w, n);
            a.backward_lanes(
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
                dv,
            );
        }
        if let (Some(a), Some(aws)) = (&layer.cat_attn, lws.cat.as_mut()) {
            let w = a.select.heads * net.layout.k;
            dropout::apply(&mut ws.dx_cat, dc, a.out_col, &lws.drop_cat, w, n);
            a.backward_lanes(
                eff,
                sampling,
                &ws.x_cat,
                &mut ws.dx_cat,
                dc,
                n,
                &ws.mask,
                &ws.keep,
                aws,
                dv,
            );
        }
    }
    net.embed.backward_lanes(
        &ws.tokens,
        &ws.slots,
        &ws.dx_cat,
        &ws.dx_num,
        dv,
        &mut ws.row_grad,
        StreamShape {
            d_cat: dc,
            d_num: dn,
            n,
        },
    );
}

/// Fills the dropout masks of block `li` for the group of `examples` (one per lane).
#[inline(always)]
fn fill_masks(
    drop: Dropout,
    layer: &Layer,
    lws: &mut LayerLanes,
    k: usize,
    n: usize,
    examples: &[usize; L],
    li: usize,
) {
    if let Some(a) = &layer.cat_attn {
        let w = a.select.heads * k;
        drop.fill(&mut lws.drop_cat, (w, n), examples, li, Site::CatHeads);
    }
    if let Some(a) = &layer.num_attn {
        let w = a.select.heads;
        drop.fill(&mut lws.drop_num, (w, n), examples, li, Site::NumHeads);
    }
    // Both kinds of MLP have a hidden and an output mask; only their sites' names differ.
    type SiteOf = fn(usize) -> Site;
    let mlps: [(&[Mlp], &mut [MlpLanes], SiteOf, SiteOf); 2] = [
        (
            &layer.cat_mlps,
            &mut lws.cat_mlps,
            Site::CatMlpHidden,
            Site::CatMlpOut,
        ),
        (
            &layer.num_mlps,
            &mut lws.num_mlps,
            Site::NumMlpHidden,
            Site::NumMlpOut,
        ),
    ];
    for (kind, wss, hidden, out) in mlps {
        for (m, (mlp, mws)) in kind.iter().zip(wss.iter_mut()).enumerate() {
            drop.fill(&mut mws.drop_h, (mlp.d_mlp, n), examples, li, hidden(m));
            drop.fill(&mut mws.drop_out, (mlp.k, n), examples, li, out(m));
        }
    }
}
