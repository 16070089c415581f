//! One MLP (spec §6): read `ℓ` variables, `h = ReLU(W_in u + b_in)`,
//! `o = log_softmax(W_out h + b_out)`, output `sample(o)`, a categorical variable of width `k`.
//! Categorical MLPs read `k`-blocks of `x_cat`; numerical MLPs read scalars of `x_num`.
//!
//! [`Mlp::forward_position`] evaluates one position; the batched forward and the decompiler's
//! single evaluations both go through it, so they agree bit for bit.
//!
//! Dimension letters: N positions, K output values, D hidden width (`d_mlp`), U = `ℓ·w` inputs.

use super::read::Read;
use crate::sampler::{NoiseRng, Sampling, sample_backward, sample_forward, sample_in_place};

/// One MLP and where its parameters live in the flat buffers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mlp {
    /// `W_read`: `ℓ` reads of width `w`.
    pub read: Read,
    /// Offsets of `W_in` `[D, U]`, `b_in` `[D]`, `W_out` `[K, D]`, `b_out` `[K]`.
    pub w_in: usize,
    pub b_in: usize,
    pub w_out: usize,
    pub b_out: usize,
    /// Hidden width `D`.
    pub d_mlp: usize,
    /// Output cardinality `K`.
    pub k: usize,
    /// First column of the output in `x_cat`.
    pub out_col: usize,
}

/// Activations of an [`Mlp`] for one example.
#[derive(Debug, Clone, Default)]
pub(crate) struct MlpWs {
    /// Inputs `u`: `[N, U]`.
    pub u: Vec<f32>,
    /// Hidden activations after ReLU: `[N, D]`.
    pub h: Vec<f32>,
    /// `log_softmax` outputs: `[N, K]`.
    pub logp: Vec<f32>,
    /// Values used downstream and soft probabilities: `[N, K]` each.
    pub probs: Vec<f32>,
    pub soft: Vec<f32>,
    /// Gradient of the outputs `[N, K]` (filled by the caller).
    pub dy: Vec<f32>,
    /// Backward scratch: `[K]`, `[D]`, `[U]`.
    pub dlogp: Vec<f32>,
    pub dh: Vec<f32>,
    pub du: Vec<f32>,
}

impl MlpWs {
    pub fn new(mlp: &Mlp, n_ctx: usize) -> Self {
        let u = mlp.read.heads * mlp.read.width;
        Self {
            u: vec![0.0; n_ctx * u],
            h: vec![0.0; n_ctx * mlp.d_mlp],
            logp: vec![0.0; n_ctx * mlp.k],
            probs: vec![0.0; n_ctx * mlp.k],
            soft: vec![0.0; n_ctx * mlp.k],
            dy: vec![0.0; n_ctx * mlp.k],
            dlogp: vec![0.0; mlp.k],
            dh: vec![0.0; mlp.d_mlp],
            du: vec![0.0; u],
        }
    }
}

impl Mlp {
    /// Input width `U = ℓ·w`.
    pub fn d_u(&self) -> usize {
        self.read.heads * self.read.width
    }

    /// Gathers `u` from one stream row.
    #[inline]
    pub fn gather(&self, eff: &[f32], row: &[f32], u: &mut [f32]) {
        let w = self.read.width;
        for r in 0..self.read.heads {
            self.read.forward(eff, row, r, &mut u[r * w..(r + 1) * w]);
        }
    }

    /// One position: from `u` to the hidden layer `h`, `logp`, and the sampled output `y`
    /// (with `soft`). `noise` is used only by Gumbel samplers.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_position(
        &self,
        eff: &[f32],
        sampling: Sampling,
        u: &[f32],
        h: &mut [f32],
        logp: &mut [f32],
        y: &mut [f32],
        soft: &mut [f32],
        noise: Option<&mut NoiseRng>,
    ) {
        let du = self.d_u();
        let (d, k) = (self.d_mlp, self.k);
        let w_in = &eff[self.w_in..self.w_in + d * du];
        let b_in = &eff[self.b_in..self.b_in + d];
        for m in 0..d {
            let mut acc = 0.0f32;
            for (wv, uv) in w_in[m * du..(m + 1) * du].iter().zip(u) {
                acc += wv * uv;
            }
            h[m] = (acc + b_in[m]).max(0.0);
        }
        let w_out = &eff[self.w_out..self.w_out + k * d];
        let b_out = &eff[self.b_out..self.b_out + k];
        let mut max = f32::NEG_INFINITY;
        for c in 0..k {
            let mut acc = 0.0f32;
            for (wv, hv) in w_out[c * d..(c + 1) * d].iter().zip(&*h) {
                acc += wv * hv;
            }
            logp[c] = acc + b_out[c];
            max = max.max(logp[c]);
        }
        let mut sum = 0.0f32;
        for &o in logp.iter() {
            sum += (o - max).exp();
        }
        let lse = sum.ln();
        for o in logp.iter_mut() {
            *o = *o - max - lse;
        }
        match noise {
            Some(rng) if sampling.uses_noise() => {
                // y holds the noisy logits, then the sample.
                for (yc, &o) in y.iter_mut().zip(logp.iter()) {
                    *yc = o + rng.gumbel();
                }
                sample_in_place(sampling, y, soft);
            }
            _ => sample_forward(sampling, logp, y, soft),
        }
    }

    /// Batched forward for one example: gathers inputs from `input` (stride `di`), computes
    /// every position, and writes the outputs into `x_cat` (stride `dc`) at `out_col`.
    #[allow(clippy::too_many_arguments)]
    pub fn forward(
        &self,
        eff: &[f32],
        sampling: Sampling,
        input: Option<(&[f32], usize)>,
        x_cat: &mut [f32],
        dc: usize,
        n: usize,
        ws: &mut MlpWs,
        rng: &mut NoiseRng,
    ) {
        let (du, d, k) = (self.d_u(), self.d_mlp, self.k);
        for i in 0..n {
            {
                let (src, stride): (&[f32], usize) = match input {
                    Some((s, st)) => (s, st),
                    None => (&*x_cat, dc),
                };
                self.gather(
                    eff,
                    &src[i * stride..(i + 1) * stride],
                    &mut ws.u[i * du..(i + 1) * du],
                );
            }
            self.forward_position(
                eff,
                sampling,
                &ws.u[i * du..(i + 1) * du],
                &mut ws.h[i * d..(i + 1) * d],
                &mut ws.logp[i * k..(i + 1) * k],
                &mut ws.probs[i * k..(i + 1) * k],
                &mut ws.soft[i * k..(i + 1) * k],
                Some(rng),
            );
            x_cat[i * dc + self.out_col..i * dc + self.out_col + k]
                .copy_from_slice(&ws.probs[i * k..(i + 1) * k]);
        }
    }

    /// Backward for one example. `dy` (`[N, K]`) is the gradient of the outputs; the input
    /// gradient goes to `d_input` (the stream the MLP reads, same stride as `input`).
    #[allow(clippy::too_many_arguments)]
    pub fn backward(
        &self,
        eff: &[f32],
        sampling: Sampling,
        dy: &[f32],
        input: &[f32],
        d_input: &mut [f32],
        di: usize,
        n: usize,
        keep: &[bool],
        ws: &mut MlpWs,
        d_eff: &mut [f32],
    ) {
        let (du, d, k) = (self.d_u(), self.d_mlp, self.k);
        for i in 0..n {
            if !keep[i] {
                continue;
            }
            let dy = &dy[i * k..(i + 1) * k];
            // Through the sampler, then log_softmax: do = dlogp − softmax(o)·Σ dlogp.
            let dlogp = &mut ws.dlogp;
            dlogp.fill(0.0);
            sample_backward(sampling, &ws.soft[i * k..(i + 1) * k], dy, dlogp);
            let total: f32 = dlogp.iter().sum();
            let logp = &ws.logp[i * k..(i + 1) * k];
            for (g, &lp) in dlogp.iter_mut().zip(logp) {
                *g -= lp.exp() * total;
            }
            let h = &ws.h[i * d..(i + 1) * d];
            let dh = &mut ws.dh;
            dh.fill(0.0);
            for c in 0..k {
                let g = dlogp[c];
                d_eff[self.b_out + c] += g;
                let wrow = self.w_out + c * d;
                for m in 0..d {
                    d_eff[wrow + m] += g * h[m];
                    dh[m] += g * eff[wrow + m];
                }
            }
            let u = &ws.u[i * du..(i + 1) * du];
            let dui = &mut ws.du;
            dui.fill(0.0);
            for m in 0..d {
                if h[m] <= 0.0 {
                    continue;
                }
                let g = dh[m];
                d_eff[self.b_in + m] += g;
                let wrow = self.w_in + m * du;
                for e in 0..du {
                    d_eff[wrow + e] += g * u[e];
                    dui[e] += g * eff[wrow + e];
                }
            }
            let w = self.read.width;
            let (row, drow) = (
                &input[i * di..(i + 1) * di],
                &mut d_input[i * di..(i + 1) * di],
            );
            for r in 0..self.read.heads {
                self.read
                    .backward(eff, row, r, &dui[r * w..(r + 1) * w], d_eff, drow);
            }
        }
    }
}
