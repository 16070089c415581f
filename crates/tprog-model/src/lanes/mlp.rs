//! [`Mlp`] (read, ReLU MLP, sampled output variable) over a group of examples held lane-wise;
//! the equations of `crate::modules::mlp`.
//!
//! Shapes (dimension letters): L lanes (examples of a group, one per SIMD lane, inside every
//! [`V`]), N positions, K values per variable, H heads, D hidden width of an MLP, U MLP inputs,
//! C classes, D_U classifier inputs. Parameters are shared by the lanes (`eff`, scalars); their
//! gradients are accumulated per lane into `dv` and summed over the lanes once per chunk.

use super::grad::LaneGrad;
use super::linalg::{lin, outer_acc};
use super::v::{L, V, gumbel, sample_backward, sample_forward};
use crate::modules::mlp::Mlp;
use crate::sampler::{NoiseRng, Sampling};

/// Lane-wise activations of an [`Mlp`].
#[derive(Debug, Clone, Default)]
pub(crate) struct MlpLanes {
    /// `[N, U]`, `[N, D]`, `[N, K]` ×3.
    pub u: Vec<V>,
    pub h: Vec<V>,
    pub logp: Vec<V>,
    pub probs: Vec<V>,
    pub soft: Vec<V>,
    /// Scratch `[K]`; backward: `g` `[N, K]`, `dh` `[N, D]`, `du` `[N, U]`.
    pub x: Vec<V>,
    pub g: Vec<V>,
    pub dh: Vec<V>,
    pub du: Vec<V>,
    /// Dropout masks of the hidden layer `[N, D]` and of the output `[N, K]` (empty without
    /// dropout).
    pub drop_h: Vec<V>,
    pub drop_out: Vec<V>,
}

impl MlpLanes {
    pub fn new(mlp: &Mlp, n: usize, dropout: bool) -> Self {
        let (u, d, k) = (mlp.d_u(), mlp.d_mlp, mlp.k);
        let mask = |w: usize| vec![V::ZERO; if dropout { n * w } else { 0 }];
        Self {
            u: vec![V::ZERO; n * u],
            h: vec![V::ZERO; n * d],
            logp: vec![V::ZERO; n * k],
            probs: vec![V::ZERO; n * k],
            soft: vec![V::ZERO; n * k],
            x: vec![V::ZERO; k],
            g: vec![V::ZERO; n * k],
            dh: vec![V::ZERO; n * d],
            du: vec![V::ZERO; n * u],
            drop_h: mask(d),
            drop_out: mask(k),
        }
    }
}

impl Mlp {
    /// Forward for a group: gathers the inputs from `input` (stride `di`; `None` = `x_cat`),
    /// computes every position and writes the outputs into `x_cat` at `out_col`; the hidden
    /// layer and the output are multiplied by `ws.drop_h` and `ws.drop_out` when those are
    /// filled (dropout).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn forward_lanes(
        &self,
        eff: &[f32],
        sampling: Sampling,
        input: Option<(&[V], usize)>,
        x_cat: &mut [V],
        dc: usize,
        n: usize,
        ws: &mut MlpLanes,
        rngs: &mut [NoiseRng; L],
    ) {
        let (du, d, k) = (self.d_u(), self.d_mlp, self.k);
        let w = self.read.width;
        for i in 0..n {
            let (src, stride): (&[V], usize) = match input {
                Some((s, st)) => (s, st),
                None => (&*x_cat, dc),
            };
            let u = &mut ws.u[i * du..(i + 1) * du];
            for r in 0..self.read.heads {
                let row = &src[i * stride..(i + 1) * stride];
                let out = &mut u[r * w..(r + 1) * w];
                self.read.forward_lanes(eff, row, stride, 1, r, out);
            }
        }
        // h = relu(W_in u + b_in), o = W_out h + b_out, for all positions.
        let w_in = &eff[self.w_in..self.w_in + d * du]; // [D, U]
        let b_in = &eff[self.b_in..self.b_in + d];
        lin(w_in, (d, du), Some(b_in), &ws.u, du, n, &mut ws.h, d, false);
        for h in ws.h[..n * d].iter_mut() {
            *h = h.max(V::ZERO);
        }
        if !ws.drop_h.is_empty() {
            for (h, &m) in ws.h[..n * d].iter_mut().zip(&ws.drop_h) {
                *h = *h * m;
            }
        }
        let w_out = &eff[self.w_out..self.w_out + k * d]; // [K, D]
        let b_out = &eff[self.b_out..self.b_out + k];
        lin(
            w_out,
            (k, d),
            Some(b_out),
            &ws.h,
            d,
            n,
            &mut ws.logp,
            k,
            false,
        );
        for i in 0..n {
            let logp = &mut ws.logp[i * k..(i + 1) * k];
            let mut max = V::splat(f32::NEG_INFINITY);
            for &o in logp.iter() {
                max = max.max(o);
            }
            let mut sum = V::ZERO;
            for &o in logp.iter() {
                sum += (o - max).exp();
            }
            let shift = max + sum.ln();
            for o in logp.iter_mut() {
                *o -= shift;
            }
            let x = &mut ws.x[..k];
            if sampling.uses_noise() {
                for (xc, &o) in x.iter_mut().zip(logp.iter()) {
                    *xc = o + gumbel(rngs, V::ONE);
                }
            } else {
                x.copy_from_slice(logp);
            }
            let (y, soft) = (
                &mut ws.probs[i * k..(i + 1) * k],
                &mut ws.soft[i * k..(i + 1) * k],
            );
            sample_forward(sampling, x, y, soft);
            let out = &mut x_cat[i * dc + self.out_col..i * dc + self.out_col + k];
            if ws.drop_out.is_empty() {
                out.copy_from_slice(y);
            } else {
                for ((o, &v), &m) in out.iter_mut().zip(&*y).zip(&ws.drop_out[i * k..]) {
                    *o = v * m;
                }
            }
        }
    }

    /// Advances every lane's noise stream past the draws of `positions` more positions (what
    /// [`Mlp::forward_lanes`] would draw there), for a group trimmed below the batch's width.
    #[inline(always)]
    pub(crate) fn skip_noise(
        &self,
        sampling: Sampling,
        positions: usize,
        rngs: &mut [NoiseRng; L],
    ) {
        if sampling.uses_noise() && positions > 0 {
            for rng in rngs.iter_mut() {
                rng.skip((positions * self.k) as u64);
            }
        }
    }

    /// Backward of [`Mlp::forward_lanes`]: the outputs' gradients are read from `dx_cat`, the
    /// inputs' gradients go to `d_input` (`None` = `dx_cat`; stride `di`).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn backward_lanes(
        &self,
        eff: &[f32],
        wt: &[f32],
        sampling: Sampling,
        input: Option<(&[V], &mut [V], usize)>,
        x_cat: &[V],
        dx_cat: &mut [V],
        dc: usize,
        n: usize,
        keep: &[V],
        ws: &mut MlpLanes,
        dv: &mut LaneGrad,
    ) {
        let (du, d, k) = (self.d_u(), self.d_mlp, self.k);
        let w = self.read.width;
        // g = gradient of the logits o, through the sampler and the log-softmax.
        for i in 0..n {
            let dy = &mut ws.x[..k];
            for (g, &x) in dy
                .iter_mut()
                .zip(&dx_cat[i * dc + self.out_col..i * dc + self.out_col + k])
            {
                *g = x * keep[i];
            }
            if !ws.drop_out.is_empty() {
                for (g, &m) in dy.iter_mut().zip(&ws.drop_out[i * k..]) {
                    *g = *g * m;
                }
            }
            let g = &mut ws.g[i * k..(i + 1) * k];
            sample_backward(sampling, &ws.soft[i * k..(i + 1) * k], dy, g);
            let mut total = V::ZERO;
            for &gc in g.iter() {
                total += gc;
            }
            for (gc, &lp) in g.iter_mut().zip(&ws.logp[i * k..(i + 1) * k]) {
                *gc -= lp.exp() * total;
            }
        }
        // db_out += Σ_i g_i ; dW_out += Σ_i g_i ⊗ h_i ; dh_i = W_outᵀ g_i (then the ReLU).
        for c in 0..k {
            let mut acc = dv[self.b_out + c];
            for i in 0..n {
                acc += ws.g[i * k + c];
            }
            dv[self.b_out + c] = acc;
        }
        let dw_out = &mut dv[self.w_out..self.w_out + k * d];
        outer_acc(dw_out, (k, d), &ws.g, k, &ws.h, d, n);
        let w_out_t = &wt[self.w_out..self.w_out + k * d]; // [D, K]
        lin(w_out_t, (d, k), None, &ws.g, k, n, &mut ws.dh, d, false);
        // Through the dropout (`h` holds the dropped values: positive only where kept) and
        // the ReLU.
        if !ws.drop_h.is_empty() {
            for (g, &m) in ws.dh[..n * d].iter_mut().zip(&ws.drop_h) {
                *g = *g * m;
            }
        }
        for (g, &h) in ws.dh[..n * d].iter_mut().zip(&ws.h) {
            *g = V::select(h.gt(V::ZERO), *g, V::ZERO);
        }
        // db_in += Σ_i dh_i ; dW_in += Σ_i dh_i ⊗ u_i ; du_i = W_inᵀ dh_i.
        for m in 0..d {
            let mut acc = dv[self.b_in + m];
            for i in 0..n {
                acc += ws.dh[i * d + m];
            }
            dv[self.b_in + m] = acc;
        }
        let dw_in = &mut dv[self.w_in..self.w_in + d * du];
        outer_acc(dw_in, (d, du), &ws.dh, d, &ws.u, du, n);
        let w_in_t = &wt[self.w_in..self.w_in + d * du]; // [U, D]
        lin(w_in_t, (du, d), None, &ws.dh, d, n, &mut ws.du, du, false);
        let mut input = input;
        for i in 0..n {
            let (src, dsrc, stride): (&[V], &mut [V], usize) = match &mut input {
                Some((s, ds, st)) => (*s, &mut **ds, *st),
                None => (x_cat, &mut *dx_cat, dc),
            };
            let (row, drow) = (
                &src[i * stride..(i + 1) * stride],
                &mut dsrc[i * stride..(i + 1) * stride],
            );
            let dui = &ws.du[i * du..(i + 1) * du];
            for r in 0..self.read.heads {
                let dout = &dui[r * w..(r + 1) * w];
                self.read
                    .backward_lanes(eff, row, stride, 1, r, dout, dv, drow);
            }
        }
    }
}
