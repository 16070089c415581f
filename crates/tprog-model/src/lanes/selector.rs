//! [`Selector`] (key and query reads, predicate, scores) over a group of examples held
//! lane-wise; the equations of `crate::modules::selector`.
//!
//! Shapes (dimension letters): L lanes (examples of a group, one per SIMD lane, inside every
//! [`V`]), N positions, K values per variable, H heads, D hidden width of an MLP, U MLP inputs,
//! C classes, D_U classifier inputs. Parameters are shared by the lanes (`eff`, scalars); their
//! gradients are accumulated per lane into `dv` and summed over the lanes once per chunk.

use super::grad::LaneGrad;
use super::linalg::{lin, outer_acc};
use super::v::V;
use crate::modules::selector::Selector;

/// Lane-wise activations of a [`Selector`] (sized for `n_ctx`).
#[derive(Debug, Clone, Default)]
pub(crate) struct SelLanes {
    /// `key`, `qvar`, `q`: `[H, N, K]`; scores `s`: `[H, N, N]`.
    pub key: Vec<V>,
    pub qvar: Vec<V>,
    pub q: Vec<V>,
    pub s: Vec<V>,
    /// Backward scratch `[H, N, K]` each.
    pub dkey: Vec<V>,
    pub dq: Vec<V>,
    pub dqvar: Vec<V>,
}

impl SelLanes {
    pub fn new(heads: usize, n: usize, k: usize) -> Self {
        let hnk = vec![V::ZERO; heads * n * k];
        Self {
            key: hnk.clone(),
            qvar: hnk.clone(),
            q: hnk.clone(),
            s: vec![V::ZERO; heads * n * n],
            dkey: hnk.clone(),
            dq: hnk.clone(),
            dqvar: hnk,
        }
    }
}

impl Selector {
    /// Keys, query variables, `q = Pᵀ qvar` and scores `S[i,j] = ⟨q_i, key_j⟩` of every head.
    #[inline(always)]
    pub(crate) fn forward_lanes(
        &self,
        eff: &[f32],
        wt: &[f32],
        x_cat: &[V],
        dc: usize,
        n: usize,
        ws: &mut SelLanes,
    ) {
        let k = self.k;
        let nk = n * k;
        for h in 0..self.heads {
            let key = &mut ws.key[h * nk..(h + 1) * nk];
            let qvar = &mut ws.qvar[h * nk..(h + 1) * nk];
            let q = &mut ws.q[h * nk..(h + 1) * nk];
            self.key.forward_lanes(eff, x_cat, dc, n, h, key);
            self.query.forward_lanes(eff, x_cat, dc, n, h, qvar);
            // q_i[c] = Σ_a P[a, c] · qvar_i[a]
            let pt = &wt[self.pred + h * k * k..self.pred + (h + 1) * k * k]; // Pᵀ
            lin(pt, (k, k), None, qvar, k, n, q, k, false);
            let s = &mut ws.s[h * n * n..(h + 1) * n * n];
            for (q_i, s_i) in q.chunks_exact(k).zip(s.chunks_exact_mut(n)) {
                for (key_j, s_ij) in key.chunks_exact(k).zip(s_i.iter_mut()) {
                    let mut acc = V::ZERO;
                    for (&a, &b) in q_i.iter().zip(key_j) {
                        acc = acc.add_mul(a, b);
                    }
                    *s_ij = acc;
                }
            }
        }
    }

    /// Backward from `ds` (`[H, N, N]`): predicate and read gradients into `dv`, input
    /// gradients into `dx_cat`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn backward_lanes(
        &self,
        eff: &[f32],
        x_cat: &[V],
        dc: usize,
        n: usize,
        ws: &mut SelLanes,
        ds: &[V],
        dv: &mut LaneGrad,
        dx_cat: &mut [V],
    ) {
        let k = self.k;
        let nk = n * k;
        for h in 0..self.heads {
            let key = &ws.key[h * nk..(h + 1) * nk];
            let q = &ws.q[h * nk..(h + 1) * nk];
            let qvar = &ws.qvar[h * nk..(h + 1) * nk];
            let dkey = &mut ws.dkey[h * nk..(h + 1) * nk];
            let dq = &mut ws.dq[h * nk..(h + 1) * nk];
            let dqvar = &mut ws.dqvar[h * nk..(h + 1) * nk];
            dkey.fill(V::ZERO);
            let ds_h = &ds[h * n * n..(h + 1) * n * n];
            for ((ds_i, q_i), dq_i) in ds_h
                .chunks_exact(n)
                .zip(q.chunks_exact(k))
                .zip(dq.chunks_exact_mut(k))
            {
                dq_i.fill(V::ZERO);
                for ((&g, key_j), dkey_j) in ds_i
                    .iter()
                    .zip(key.chunks_exact(k))
                    .zip(dkey.chunks_exact_mut(k))
                {
                    for ((d, &kv), (dk, &qv)) in
                        dq_i.iter_mut().zip(key_j).zip(dkey_j.iter_mut().zip(q_i))
                    {
                        *d = d.add_mul(g, kv);
                        *dk = dk.add_mul(g, qv);
                    }
                }
            }
            let po = self.pred + h * k * k;
            let p = &eff[po..po + k * k]; // [K, K]
            // dqvar_i[a] = Σ_c P[a, c] · dq_i[c] ; dP[a, c] += Σ_i qvar_i[a] · dq_i[c].
            lin(p, (k, k), None, dq, k, n, dqvar, k, false);
            outer_acc(&mut dv[po..po + k * k], (k, k), qvar, k, dq, k, n);
            self.key
                .backward_lanes(eff, x_cat, dc, n, h, dkey, dv, dx_cat);
            self.query
                .backward_lanes(eff, x_cat, dc, n, h, dqvar, dv, dx_cat);
        }
    }
}
