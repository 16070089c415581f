//! The "select" part shared by categorical and numerical attention (spec §4 steps 1–3): key and
//! query reads from `x_cat`, the predicate `P = sample(ψ_h)` and the score matrix
//! `S[i,j] = qvar_iᵀ P key_j`, forward and backward.
//!
//! Dimension letters: H heads, N positions, K values per variable (`k = d_var`).

use super::read::Read;

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
    pub dkey: Vec<f32>,
    pub dq: Vec<f32>,
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
            dkey: vec![0.0; hnk],
            dq: vec![0.0; hnk],
            dqvar: vec![0.0; hnk],
        }
    }
}

impl Selector {
    /// Computes `key`, `qvar`, `q` and the raw scores `S` for `n` positions of `x_cat`
    /// (row stride `dc`).
    pub fn forward(&self, eff: &[f32], x_cat: &[f32], dc: usize, n: usize, ws: &mut SelectorWs) {
        let k = self.k;
        for h in 0..self.heads {
            let p = &eff[self.pred + h * k * k..self.pred + (h + 1) * k * k]; // [K, K]
            for i in 0..n {
                let row = &x_cat[i * dc..(i + 1) * dc];
                let at = (h * n + i) * k;
                self.key.forward(eff, row, h, &mut ws.key[at..at + k]);
                self.query.forward(eff, row, h, &mut ws.qvar[at..at + k]);
                // q[c] = Σ_a qvar[a] P[a, c]
                let q = &mut ws.q[at..at + k];
                q.fill(0.0);
                for (a, &qa) in ws.qvar[at..at + k].iter().enumerate() {
                    if qa == 0.0 {
                        continue;
                    }
                    for (qc, &pac) in q.iter_mut().zip(&p[a * k..(a + 1) * k]) {
                        *qc += qa * pac;
                    }
                }
            }
            for i in 0..n {
                let q = &ws.q[(h * n + i) * k..(h * n + i + 1) * k];
                for j in 0..n {
                    let key = &ws.key[(h * n + j) * k..(h * n + j + 1) * k];
                    let mut acc = 0.0f32;
                    for (a, b) in q.iter().zip(key) {
                        acc += a * b;
                    }
                    ws.s[(h * n + i) * n + j] = acc;
                }
            }
        }
    }

    /// Backward from `ds` (`[H, N, N]`, gradient of the raw scores): accumulates `dψ` (as the
    /// gradient of the sampled `P`), the read weights' gradients, and `dx_cat`.
    #[allow(clippy::too_many_arguments)]
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
        let hnk = self.heads * n * k;
        ws.dkey[..hnk].fill(0.0);
        ws.dq[..hnk].fill(0.0);
        for h in 0..self.heads {
            for i in 0..n {
                let dsi = &ds[(h * n + i) * n..(h * n + i + 1) * n];
                let q = &ws.q[(h * n + i) * k..(h * n + i + 1) * k];
                for (j, &g) in dsi.iter().enumerate() {
                    if g == 0.0 {
                        continue;
                    }
                    let key = &ws.key[(h * n + j) * k..(h * n + j + 1) * k];
                    let dq = &mut ws.dq[(h * n + i) * k..(h * n + i + 1) * k];
                    for (d, &kv) in dq.iter_mut().zip(key) {
                        *d += g * kv;
                    }
                    let dkey = &mut ws.dkey[(h * n + j) * k..(h * n + j + 1) * k];
                    for (d, &qv) in dkey.iter_mut().zip(q) {
                        *d += g * qv;
                    }
                }
            }
            // q = Pᵀ qvar  ⇒  dqvar[a] = Σ_c P[a,c] dq[c],  dP[a,c] += qvar[a] dq[c].
            let po = self.pred + h * k * k;
            for i in 0..n {
                let at = (h * n + i) * k;
                let dq = &ws.dq[at..at + k];
                let qvar = &ws.qvar[at..at + k];
                let p = &eff[po..po + k * k];
                for a in 0..k {
                    let mut acc = 0.0f32;
                    for (pac, d) in p[a * k..(a + 1) * k].iter().zip(dq) {
                        acc += pac * d;
                    }
                    ws.dqvar[at + a] = acc;
                }
                let dp = &mut d_eff[po..po + k * k];
                for (a, &qa) in qvar.iter().enumerate() {
                    for (d, &g) in dp[a * k..(a + 1) * k].iter_mut().zip(dq) {
                        *d += qa * g;
                    }
                }
            }
            for i in 0..n {
                let at = (h * n + i) * k;
                let row = &x_cat[i * dc..(i + 1) * dc];
                let drow = &mut dx_cat[i * dc..(i + 1) * dc];
                self.key
                    .backward(eff, row, h, &ws.dkey[at..at + k], d_eff, drow);
                self.query
                    .backward(eff, row, h, &ws.dqvar[at..at + k], d_eff, drow);
            }
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
