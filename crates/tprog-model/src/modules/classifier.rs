//! The classifier (spec §7): `logits = [x_cat, x_num] · W_U`, no bias, masked classes −1e30.
//!
//! Faithfulness: each logit is a plain left-to-right `f32` sum over the `D_U` features in stream
//! order, one multiply then one add per term (no FMA, no blocking), so a program interpreter
//! that sums the same weights in the same order reproduces the discrete model's logits exactly.

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
    pub fn forward_row(&self, eff: &[f32], xc: &[f32], xn: &[f32], out: &mut [f32]) {
        let c = self.n_classes;
        out.fill(0.0);
        for (d, &x) in xc.iter().chain(xn).enumerate() {
            let w = &eff[self.w_u + d * c..self.w_u + (d + 1) * c];
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
        let dc = xc.len();
        for d in 0..dc + xn.len() {
            let x = if d < dc { xc[d] } else { xn[d - dc] };
            let o = self.w_u + d * c;
            let mut acc = 0.0f32;
            for cl in 0..c {
                if self.masked[cl] {
                    continue;
                }
                d_eff[o + cl] += x * dlogits[cl];
                acc += eff[o + cl] * dlogits[cl];
            }
            if d < dc {
                dxc[d] += acc;
            } else {
                dxn[d - dc] += acc;
            }
        }
    }
}
