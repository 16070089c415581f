//! One MLP: read `ℓ` variables, `h = ReLU(W_in u + b_in)`,
//! `o = log_softmax(W_out h + b_out)`, output `sample(o)`, a categorical variable of width `k`.
//! Categorical MLPs read `k`-blocks of `x_cat`; numerical MLPs read scalars of `x_num`.
//!
//! [`Mlp::forward_position`] evaluates one position; the batched forward and the decompiler's
//! single evaluations both go through it, so they agree bit for bit.
//!
//! Dimension letters: N positions, K output values, D hidden width (`d_mlp`), U = `ℓ·w` inputs.

use super::read::Read;
use crate::kernels::{axpy, dot, transpose};
#[cfg(any(test, feature = "testing"))]
use crate::sampler::sample_backward;
use crate::sampler::{NoiseRng, Sampling, sample_forward, sample_in_place};

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
    #[cfg(any(test, feature = "testing"))]
    pub dy: Vec<f32>,
    /// Backward scratch: `[K]`, `[D]`, `[U]`.
    #[cfg(any(test, feature = "testing"))]
    pub dlogp: Vec<f32>,
    #[cfg(any(test, feature = "testing"))]
    pub dh: Vec<f32>,
    #[cfg(any(test, feature = "testing"))]
    pub du: Vec<f32>,
    /// `W_inᵀ` `[U, D]`, copied once per forward of an example (relaxed samplers only).
    pub w_in_t: Vec<f32>,
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
            #[cfg(any(test, feature = "testing"))]
            dy: vec![0.0; n_ctx * mlp.k],
            #[cfg(any(test, feature = "testing"))]
            dlogp: vec![0.0; mlp.k],
            #[cfg(any(test, feature = "testing"))]
            dh: vec![0.0; mlp.d_mlp],
            #[cfg(any(test, feature = "testing"))]
            du: vec![0.0; u],
            w_in_t: vec![0.0; u * mlp.d_mlp],
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
    /// (with `soft`). `noise` is used only by Gumbel samplers. Inlined into the dispatched
    /// passes; its sums are plain multiplies and adds in a fixed order, so the AVX2 copy and
    /// the baseline copy the decompiler calls give the same bits.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
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
        // `dot` sums in a fixed order (8 partial sums), so every caller gets the same bits.
        for ((hm, w_m), &b) in h.iter_mut().zip(w_in.chunks_exact(du)).zip(b_in) {
            *hm = (dot(w_m, u) + b).max(0.0);
        }
        let w_out = &eff[self.w_out..self.w_out + k * d];
        let b_out = &eff[self.b_out..self.b_out + k];
        let mut max = f32::NEG_INFINITY;
        for ((o, w_c), &b) in logp.iter_mut().zip(w_out.chunks_exact(d)).zip(b_out) {
            *o = dot(w_c, h) + b;
            max = max.max(*o);
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

    /// Hidden layer, `log_softmax` and sample of one position for the relaxed samplers, with
    /// vectorised (reassociated) sums. The argmax model goes through
    /// [`Mlp::forward_position`] instead, so it matches the decompiler's tables bit for bit.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn forward_position_fast(
        &self,
        eff: &[f32],
        sampling: Sampling,
        w_in_t: &[f32],
        u: &[f32],
        h: &mut [f32],
        logp: &mut [f32],
        y: &mut [f32],
        soft: &mut [f32],
        rng: &mut NoiseRng,
    ) {
        let (d, k) = (self.d_mlp, self.k);
        // h = relu(b_in + Σ_e u[e]·W_inᵀ[e, :])
        h.copy_from_slice(&eff[self.b_in..self.b_in + d]);
        for (&ue, w_e) in u.iter().zip(w_in_t.chunks_exact(d)) {
            if ue != 0.0 {
                axpy(ue, w_e, h);
            }
        }
        for hm in h.iter_mut() {
            *hm = hm.max(0.0);
        }
        let w_out = &eff[self.w_out..self.w_out + k * d]; // [K, D]
        let b_out = &eff[self.b_out..self.b_out + k];
        let mut max = f32::NEG_INFINITY;
        for ((o, w_c), &b) in logp.iter_mut().zip(w_out.chunks_exact(d)).zip(b_out) {
            *o = dot(w_c, h) + b;
            max = max.max(*o);
        }
        let sum: f32 = logp.iter().map(|&o| (o - max).exp()).sum();
        let shift = max + sum.ln();
        for o in logp.iter_mut() {
            *o -= shift;
        }
        if sampling.uses_noise() {
            for (yc, &o) in y.iter_mut().zip(logp.iter()) {
                *yc = o + rng.gumbel();
            }
            sample_in_place(sampling, y, soft);
        } else {
            sample_forward(sampling, logp, y, soft);
        }
    }

    /// Batched forward for one example: gathers inputs from `input` (stride `di`), computes
    /// every position, and writes the outputs into `x_cat` (stride `dc`) at `out_col`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
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
        table: Option<&[u32]>,
    ) {
        let (du, d, k) = (self.d_u(), self.d_mlp, self.k);
        let fast = !matches!(sampling, Sampling::Argmax);
        if fast {
            transpose(&eff[self.w_in..self.w_in + d * du], d, du, &mut ws.w_in_t);
        }
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
            let (u, h) = (&ws.u[i * du..(i + 1) * du], &mut ws.h[i * d..(i + 1) * d]);
            // The discrete model: one-hot inputs index the table of forward_position's outputs.
            if let Some(c) = table.and_then(|t| self.one_hot_index(u).and_then(|at| t.get(at))) {
                let y = &mut x_cat[i * dc + self.out_col..i * dc + self.out_col + k];
                y.fill(0.0);
                y[*c as usize] = 1.0;
                continue;
            }
            let (logp, y, soft) = (
                &mut ws.logp[i * k..(i + 1) * k],
                &mut ws.probs[i * k..(i + 1) * k],
                &mut ws.soft[i * k..(i + 1) * k],
            );
            if fast {
                let w_in_t = &ws.w_in_t;
                self.forward_position_fast(eff, sampling, w_in_t, u, h, logp, y, soft, rng);
            } else {
                self.forward_position(eff, sampling, u, h, logp, y, soft, Some(rng));
            }
            x_cat[i * dc + self.out_col..i * dc + self.out_col + k].copy_from_slice(y);
        }
    }

    /// The argmax output of every combination of one-hot inputs, computed with
    /// [`Mlp::forward_position`] (so a lookup gives exactly its result), indexed like
    /// [`Mlp::one_hot_index`]; `None` past 2^16 combinations.
    pub(crate) fn argmax_table(&self, eff: &[f32]) -> Option<Vec<u32>> {
        let (w, heads) = (self.read.width, self.read.heads);
        let combos = u32::try_from(heads)
            .ok()
            .and_then(|hd| w.checked_pow(hd))
            .filter(|&c| c <= 1 << 16)?;
        let (du, d, k) = (self.d_u(), self.d_mlp, self.k);
        let mut u = vec![0.0f32; du];
        let (mut h, mut logp, mut y, mut soft) =
            (vec![0.0; d], vec![0.0; k], vec![0.0; k], vec![0.0; k]);
        let mut table = Vec::with_capacity(combos);
        for at in 0..combos {
            u.fill(0.0);
            let mut rest = at;
            for r in (0..heads).rev() {
                u[r * w + rest % w] = 1.0;
                rest /= w;
            }
            let s = Sampling::Argmax;
            self.forward_position(eff, s, &u, &mut h, &mut logp, &mut y, &mut soft, None);
            table.push(y.iter().position(|&v| v == 1.0).unwrap_or(0) as u32);
        }
        Some(table)
    }

    /// `Σ_r a_r · w^(ℓ−1−r)` when every input block of `u` is exactly one-hot at `a_r`.
    #[inline(always)]
    pub(crate) fn one_hot_index(&self, u: &[f32]) -> Option<usize> {
        let w = self.read.width;
        let mut at = 0;
        for block in u.chunks_exact(w) {
            let mut hot = None;
            for (c, &v) in block.iter().enumerate() {
                if v == 1.0 && hot.is_none() {
                    hot = Some(c);
                } else if v != 0.0 {
                    return None;
                }
            }
            at = at * w + hot?;
        }
        Some(at)
    }

    /// Backward for one example. `dy` (`[N, K]`) is the gradient of the outputs; the input
    /// gradient goes to `d_input` (the stream the MLP reads, same stride as `input`).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    #[cfg(any(test, feature = "testing"))]
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
        let w_in = &eff[self.w_in..self.w_in + d * du]; // [D, U]
        let w_out = &eff[self.w_out..self.w_out + k * d]; // [K, D]
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
            // dW_out[c,:] += g_c·h ; db_out += g ; dh = Σ_c g_c·W_out[c,:].
            let h = &ws.h[i * d..(i + 1) * d];
            let dh = &mut ws.dh;
            dh.fill(0.0);
            for (&g, (w_c, c)) in dlogp.iter().zip(w_out.chunks_exact(d).zip(0..k)) {
                d_eff[self.b_out + c] += g;
                let at = self.w_out + c * d;
                axpy(g, h, &mut d_eff[at..at + d]);
                axpy(g, w_c, dh);
            }
            // Through the ReLU: dW_in[m,:] += dh_m·u ; db_in += dh ; du = Σ_m dh_m·W_in[m,:].
            let u = &ws.u[i * du..(i + 1) * du];
            let dui = &mut ws.du;
            dui.fill(0.0);
            for (m, ((&hm, &g), w_m)) in h
                .iter()
                .zip(dh.iter())
                .zip(w_in.chunks_exact(du))
                .enumerate()
            {
                if hm <= 0.0 {
                    continue;
                }
                d_eff[self.b_in + m] += g;
                let at = self.w_in + m * du;
                axpy(g, u, &mut d_eff[at..at + du]);
                axpy(g, w_m, dui);
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
