//! The classifier: `logits = [x_cat, x_num] · W_U`, no bias, masked classes −1e30.
//!
//! Faithfulness: each logit is a plain left-to-right `f32` sum over the `D_U` features in stream
//! order, one multiply then one add per term (no FMA, no blocking), so a program interpreter
//! that sums the same weights in the same order reproduces the discrete model's logits exactly.
//!
//! Shapes (dimension letters): N positions, C classes, D_U classifier inputs (`D_cat + D_num`, the
//! two streams side by side); `W_U` is `[D_U, C]`.

#[cfg(any(test, feature = "testing"))]
use crate::kernels::{axpy, dot};

/// Logit given to masked classes.
pub const MASKED_LOGIT: f32 = -1e30;

/// `W_U` `[D_U, C]` and the class mask.
#[derive(Debug, Clone)]
pub(crate) struct Classifier {
    /// Offset of `W_U` in the flat buffers.
    pub w_u: usize,
    /// Number of classes `C`.
    pub n_classes: usize,
    /// `masked[c]`: class `c` gets −1e30.
    pub masked: Vec<bool>,
}

impl Classifier {
    /// Logits of one position from its categorical features `xc` then numerical features `xn`.
    #[inline(always)]
    pub fn forward_row(&self, eff: &[f32], xc: &[f32], xn: &[f32], out: &mut [f32]) {
        let c = self.n_classes;
        let w_u = &eff[self.w_u..self.w_u + (xc.len() + xn.len()) * c]; // [D_U, C]
        let (w_cat, w_num) = w_u.split_at(xc.len() * c);
        out.fill(0.0);
        // Strictly in stream order, one multiply then one add per term (vectorised across
        // classes only, which keeps every class's sum in order).
        for (&x, w) in xc.iter().zip(w_cat.chunks_exact(c)) {
            for (o, &wv) in out.iter_mut().zip(w) {
                let term = x * wv;
                *o += term;
            }
        }
        for (&x, w) in xn.iter().zip(w_num.chunks_exact(c)) {
            for (o, &wv) in out.iter_mut().zip(w) {
                let term = x * wv;
                *o += term;
            }
        }
        for (o, &m) in out.iter_mut().zip(&self.masked) {
            if m {
                *o = MASKED_LOGIT;
            }
        }
    }

    /// Backward of one position: `dW_U += x ⊗ dlogits`, `dx += W_U · dlogits` (masked classes
    /// carry no gradient).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    #[cfg(any(test, feature = "testing"))]
    pub fn backward_row(
        &self,
        eff: &[f32],
        xc: &[f32],
        xn: &[f32],
        dlogits: &[f32],
        d_eff: &mut [f32],
        dxc: &mut [f32],
        dxn: &mut [f32],
    ) {
        let c = self.n_classes;
        // Masked classes' gradients are dropped up front (at most 64 classes on the stack).
        let mut dl_buf = [0.0f32; 64];
        let mut dl_vec = Vec::new();
        let dl: &mut [f32] = if c <= dl_buf.len() {
            &mut dl_buf[..c]
        } else {
            dl_vec.resize(c, 0.0);
            &mut dl_vec
        };
        for ((d, &g), &m) in dl.iter_mut().zip(dlogits).zip(&self.masked) {
            *d = if m { 0.0 } else { g };
        }
        let d_u = xc.len() + xn.len();
        let w_u = &eff[self.w_u..self.w_u + d_u * c]; // [D_U, C]
        let dw_u = &mut d_eff[self.w_u..self.w_u + d_u * c]; // [D_U, C]
        let xs = xc.iter().chain(xn.iter());
        let dxs = dxc.iter_mut().chain(dxn.iter_mut());
        for (((&x, dx), w), dw) in xs
            .zip(dxs)
            .zip(w_u.chunks_exact(c))
            .zip(dw_u.chunks_exact_mut(c))
        {
            axpy(x, dl, dw);
            *dx += dot(w, dl);
        }
    }
}
