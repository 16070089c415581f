//! The per-example forward and loss: one example through every module, kernel by kernel, with
//! its own noise stream. The discrete model (prediction, the decompiler, verification) runs
//! here: its classifier sums are the program's, bit for bit. The batch entry points that run
//! it on rayon are in `batch.rs`; training runs the lane-parallel `lanes` instead, and the
//! per-example backward is a test oracle for it (`oracle.rs`).
//!
//! Shapes (dimension letters): N positions, C classes, K values per variable; the streams
//! `x_cat` `[N, D_cat]` and `x_num` `[N, D_num]` hold the categorical and numerical variables.

use multiversion::multiversion;

use crate::model::Net;
use crate::modules::StreamShape;
use crate::sampler::{NoiseRng, Sampling};
use crate::workspace::ExampleWs;

/// Forward of one example through every module; fills `ws.logits` (`[N, C]`). Compiled twice,
/// for the baseline target and for AVX2, and dispatched at run time (the kernels are inlined).
/// `tables` holds the argmax lookup tables of the categorical MLPs (`[layer][mlp]`, empty for
/// the relaxed samplers).
#[allow(clippy::too_many_arguments)]
#[multiversion(targets("x86_64+avx2+fma"))]
pub(crate) fn example_forward(
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
    net.embed.forward(
        eff,
        tokens,
        &mut ws.x_cat,
        &mut ws.x_num,
        StreamShape {
            d_cat: dc,
            d_num: dn,
            n,
        },
    );
    for (l, (layer, lws)) in net.layers.iter().zip(ws.layers.iter_mut()).enumerate() {
        if let (Some(a), Some(aws)) = (&layer.cat_attn, lws.cat.as_mut()) {
            a.forward(eff, sampling, &mut ws.x_cat, dc, n, &ws.mask, aws, &mut rng);
        }
        if let (Some(a), Some(aws)) = (&layer.num_attn, lws.num.as_mut()) {
            a.forward(
                eff,
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
pub(crate) fn example_loss(
    net: &Net,
    labels: &[u32],
    n: usize,
    batch_size: usize,
    ws: &mut ExampleWs,
) {
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
