//! Input embeddings: the token embedding (frozen one-hot, or `n_vars_cat` learned
//! variables, both sampled column-wise), the one-hot positions, and the numerical embedding.
//!
//! Shapes (dimension letters): N positions, V vocabulary, K values per variable; `x_cat` `[N,
//! D_cat]`, `x_num` `[N, D_num]`.

use super::StreamShape;

/// Token, position and numerical embeddings; offsets locate the tensors in the flat buffers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Embed {
    /// Offset of the (sampled) token embedding `W_E` `[n_vars_cat·k, V]`.
    pub w_e: usize,
    /// Whether `W_E` is learned.
    pub w_e_trainable: bool,
    /// Offset of the numerical embedding `[V, n_vars_num]`.
    pub w_num: usize,
    /// Whether it is learned (not `count_only`).
    pub w_num_trainable: bool,
    /// Embedding variables and their width.
    pub n_vars_cat: usize,
    pub k: usize,
    /// Numerical inputs.
    pub n_vars_num: usize,
    /// Input vocabulary size `V`.
    pub vocab: usize,
}

impl Embed {
    /// Writes the token variables, positions (`x_cat`, stride `dc`) and numerical inputs
    /// (`x_num`, stride `dn`) of `n` positions.
    pub fn forward(
        &self,
        eff: &[f32],
        tokens: &[u32],
        x_cat: &mut [f32],
        x_num: &mut [f32],
        shape: StreamShape,
    ) {
        let StreamShape {
            d_cat: dc,
            d_num: dn,
            n,
        } = shape;
        let (k, v) = (self.k, self.vocab);
        let d_model = self.n_vars_cat * k;
        for (i, &t) in tokens.iter().enumerate().take(n) {
            let t = t as usize;
            let row = &mut x_cat[i * dc..(i + 1) * dc];
            for (c, x) in row[..d_model].iter_mut().enumerate() {
                *x = eff[self.w_e + c * v + t];
            }
            row[d_model..d_model + k].fill(0.0);
            row[d_model + i] = 1.0;
            for u in 0..self.n_vars_num {
                x_num[i * dn + u] = eff[self.w_num + t * self.n_vars_num + u];
            }
        }
    }

    /// Accumulates the gradients of the learned embeddings (nothing when both are frozen).
    #[cfg(any(test, feature = "testing"))]
    pub fn backward(
        &self,
        tokens: &[u32],
        dx_cat: &[f32],
        dx_num: &[f32],
        d_eff: &mut [f32],
        shape: StreamShape,
    ) {
        let StreamShape {
            d_cat: dc,
            d_num: dn,
            n,
        } = shape;
        let (k, v) = (self.k, self.vocab);
        for (i, &t) in tokens.iter().enumerate().take(n) {
            let t = t as usize;
            if self.w_e_trainable {
                for c in 0..self.n_vars_cat * k {
                    d_eff[self.w_e + c * v + t] += dx_cat[i * dc + c];
                }
            }
            if self.w_num_trainable {
                for u in 0..self.n_vars_num {
                    d_eff[self.w_num + t * self.n_vars_num + u] += dx_num[i * dn + u];
                }
            }
        }
    }
}
