//! [`Classifier`] (the linear unembedding to class logits) over a group of examples held
//! lane-wise; the equations of `crate::modules::classifier`.
//!
//! Shapes (dimension letters): L lanes (examples of a group, one per SIMD lane, inside every
//! [`V`]), N positions, K values per variable, H heads, D hidden width of an MLP, U MLP inputs,
//! C classes, D_U classifier inputs. Parameters are shared by the lanes (`eff`, scalars); their
//! gradients are accumulated per lane into `dv` and summed over the lanes once per chunk.

use super::grad::LaneGrad;
use super::linalg::{lin, outer_acc};
use super::v::V;
use crate::modules::classifier::{Classifier, MASKED_LOGIT};

impl Classifier {
    /// Logits `[N, C]` of a group from its features `feat` (`[N, D_U]`: categorical then
    /// numerical).
    #[inline(always)]
    pub(crate) fn forward_lanes(&self, wt: &[f32], feat: &[V], n: usize, logits: &mut [V]) {
        let c = self.n_classes;
        let d_u = feat.len() / n.max(1);
        let w_u_t = &wt[self.w_u..self.w_u + d_u * c]; // [C, D_U]
        lin(w_u_t, (c, d_u), None, feat, d_u, n, logits, c, false);
        for row in logits[..n * c].chunks_exact_mut(c) {
            for (o, &m) in row.iter_mut().zip(&self.masked) {
                if m {
                    *o = V::splat(MASKED_LOGIT);
                }
            }
        }
    }

    /// Backward: `dW_U += Σ_i feat_i ⊗ dl_i`, `dfeat_i = W_U dl_i` (masked classes carry no
    /// gradient; `dl` is modified).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn backward_lanes(
        &self,
        eff: &[f32],
        feat: &[V],
        n: usize,
        dl: &mut [V],
        dv: &mut LaneGrad,
        dfeat: &mut [V],
    ) {
        let c = self.n_classes;
        let d_u = feat.len() / n.max(1);
        for row in dl[..n * c].chunks_exact_mut(c) {
            for (d, &m) in row.iter_mut().zip(&self.masked) {
                if m {
                    *d = V::ZERO;
                }
            }
        }
        let w_u = &eff[self.w_u..self.w_u + d_u * c];
        outer_acc(
            &mut dv[self.w_u..self.w_u + d_u * c],
            (d_u, c),
            feat,
            d_u,
            dl,
            c,
            n,
        );
        lin(w_u, (d_u, c), None, dl, c, n, dfeat, d_u, false);
    }
}
