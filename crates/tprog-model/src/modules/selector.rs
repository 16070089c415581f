//! The "select" part shared by categorical and numerical attention (everything before the BOS
//! default and the sampling over keys): key and query reads from `x_cat`, the predicate
//! `P = sample(ψ_h)` and the score matrix `S[i,j] = qvar_iᵀ P key_j`, forward and backward.
//!
//! Dimension letters: H heads, N positions, K values per variable (`k = d_var`).

use super::read::Read;
use crate::kernels::{axpy, dot};

/// Key read, query read and predicate of all heads of one attention module.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Selector {
    /// Heads `H`.
    pub heads: usize,
    /// Variable cardinality `k`.
    pub k: usize,
    /// `W_K`.
    pub key: Read,
    /// `W_Q`.
    pub query: Read,
    /// Offset of `ψ` (`[H, K, K]`) in the flat parameter buffers.
    pub pred: usize,
}

/// Activations of a [`Selector`] for one example (buffers sized for `n_ctx`).
#[derive(Debug, Clone, Default)]
pub(crate) struct SelectorWs {
    /// `key_j` per head: `[H, N, K]`.
    pub key: Vec<f32>,
    /// `qvar_i` per head: `[H, N, K]`.
    pub qvar: Vec<f32>,
    /// `q_i = Pᵀ qvar_i`: `[H, N, K]`.
    pub q: Vec<f32>,
    /// Scores `S[i,j] = ⟨q_i, key_j⟩`: `[H, N, N]`.
    pub s: Vec<f32>,
    /// Backward scratch: `dkey`, `dq` (then `dqvar`): `[H, N, K]` each.
    #[cfg(any(test, feature = "testing"))]
    pub dkey: Vec<f32>,
    #[cfg(any(test, feature = "testing"))]
    pub dq: Vec<f32>,
    #[cfg(any(test, feature = "testing"))]
    pub dqvar: Vec<f32>,
}

impl SelectorWs {
    pub fn new(heads: usize, n_ctx: usize, k: usize) -> Self {
        let hnk = heads * n_ctx * k;
        Self {
            key: vec![0.0; hnk],
            qvar: vec![0.0; hnk],
            q: vec![0.0; hnk],
            s: vec![0.0; heads * n_ctx * n_ctx],
            #[cfg(any(test, feature = "testing"))]
            dkey: vec![0.0; hnk],
            #[cfg(any(test, feature = "testing"))]
            dq: vec![0.0; hnk],
            #[cfg(any(test, feature = "testing"))]
            dqvar: vec![0.0; hnk],
        }
    }
}

impl Selector {
    /// Computes `key`, `qvar`, `q` and the raw scores `S` for `n` positions of `x_cat`
    /// (row stride `dc`).
    #[inline(always)]
    pub fn forward(&self, eff: &[f32], x_cat: &[f32], dc: usize, n: usize, ws: &mut SelectorWs) {
        let k = self.k;
        let nk = n * k;
        for h in 0..self.heads {
            let p = &eff[self.pred + h * k * k..self.pred + (h + 1) * k * k]; // [K, K]
            let key = &mut ws.key[h * nk..(h + 1) * nk]; // [N, K]
            let qvar = &mut ws.qvar[h * nk..(h + 1) * nk]; // [N, K]
            let q = &mut ws.q[h * nk..(h + 1) * nk]; // [N, K]
            self.key.forward_rows(eff, x_cat, dc, n, h, key);
            self.query.forward_rows(eff, x_cat, dc, n, h, qvar);
            for (qvar_i, q_i) in qvar.chunks_exact(k).zip(q.chunks_exact_mut(k)).take(n) {
                // q[c] = Σ_a qvar[a] P[a, c]
                q_i.fill(0.0);
                for (&qa, p_a) in qvar_i.iter().zip(p.chunks_exact(k)) {
                    if qa != 0.0 {
                        axpy(qa, p_a, q_i);
                    }
                }
            }
            let s = &mut ws.s[h * n * n..(h + 1) * n * n]; // [N, N]
            for (q_i, s_i) in q.chunks_exact(k).zip(s.chunks_exact_mut(n)) {
                for (key_j, s_ij) in key.chunks_exact(k).zip(s_i.iter_mut()) {
                    *s_ij = dot(q_i, key_j);
                }
            }
        }
    }

    /// Backward from `ds` (`[H, N, N]`, gradient of the raw scores): accumulates `dψ` (as the
    /// gradient of the sampled `P`), the read weights' gradients, and `dx_cat`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    #[cfg(any(test, feature = "testing"))]
    pub fn backward(
        &self,
        eff: &[f32],
        x_cat: &[f32],
        dc: usize,
        n: usize,
        ws: &mut SelectorWs,
        ds: &[f32],
        d_eff: &mut [f32],
        dx_cat: &mut [f32],
    ) {
        let k = self.k;
        let nk = n * k;
        for h in 0..self.heads {
            let key = &ws.key[h * nk..(h + 1) * nk]; // [N, K]
            let q = &ws.q[h * nk..(h + 1) * nk]; // [N, K]
            let qvar = &ws.qvar[h * nk..(h + 1) * nk]; // [N, K]
            let dkey = &mut ws.dkey[h * nk..(h + 1) * nk]; // [N, K]
            let dq = &mut ws.dq[h * nk..(h + 1) * nk]; // [N, K]
            let dqvar = &mut ws.dqvar[h * nk..(h + 1) * nk]; // [N, K]
            dkey.fill(0.0);
            dq.fill(0.0);
            let ds_h = &ds[h * n * n..(h + 1) * n * n]; // [N, N]
            for ((ds_i, q_i), dq_i) in ds_h
                .chunks_exact(n)
                .zip(q.chunks_exact(k))
                .zip(dq.chunks_exact_mut(k))
            {
                for ((&g, key_j), dkey_j) in ds_i
                    .iter()
                    .zip(key.chunks_exact(k))
                    .zip(dkey.chunks_exact_mut(k))
                {
                    if g != 0.0 {
                        axpy(g, key_j, dq_i);
                        axpy(g, q_i, dkey_j);
                    }
                }
            }
            // q = Pᵀ qvar  ⇒  dqvar[a] = Σ_c P[a,c] dq[c],  dP[a,c] += qvar[a] dq[c].
            let po = self.pred + h * k * k;
            let p = &eff[po..po + k * k]; // [K, K]
            for (dq_i, dqvar_i) in dq.chunks_exact(k).zip(dqvar.chunks_exact_mut(k)) {
                for (p_a, dqv) in p.chunks_exact(k).zip(dqvar_i.iter_mut()) {
                    *dqv = dot(p_a, dq_i);
                }
            }
            let dp = &mut d_eff[po..po + k * k]; // [K, K]
            for (qvar_i, dq_i) in qvar.chunks_exact(k).zip(dq.chunks_exact(k)) {
                for (&qa, dp_a) in qvar_i.iter().zip(dp.chunks_exact_mut(k)) {
                    axpy(qa, dq_i, dp_a);
                }
            }
            self.key
                .backward_rows(eff, x_cat, dc, n, h, dkey, d_eff, dx_cat);
            self.query
                .backward_rows(eff, x_cat, dc, n, h, dqvar, d_eff, dx_cat);
        }
    }

    /// The discrete predicate of head `h`: for each query value, the key value it matches
    /// (argmax of the row of `ψ_h`, ties → lowest).
    pub fn predicate_table(&self, value: &[f32], h: usize) -> Vec<usize> {
        let k = self.k;
        let p = &value[self.pred + h * k * k..self.pred + (h + 1) * k * k];
        (0..k)
            .map(|a| crate::sampler::argmax_index(&p[a * k..(a + 1) * k]))
            .collect()
    }
}
