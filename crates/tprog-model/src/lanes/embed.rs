//! [`Embed`] (token variables, positions and numerical inputs) over a group of examples held
//! lane-wise; the equations of `crate::modules::embed`.
//!
//! Shapes (dimension letters): L lanes (examples of a group, one per SIMD lane, inside every
//! [`V`]), N positions, K values per variable, H heads, D hidden width of an MLP, U MLP inputs,
//! C classes, D_U classifier inputs. Parameters are shared by the lanes (`eff`, scalars); their
//! gradients are accumulated per lane into `dv` and summed over the lanes once per chunk, but
//! for the word embedding's, kept as one row per word of the chunk.

use super::grad::LaneGrad;
use super::v::{L, V};
use crate::modules::StreamShape;
use crate::modules::embed::Embed;

impl Embed {
    /// Token variables, positions and numerical inputs of a group; `tokens` is `[N][L]`.
    #[inline(always)]
    pub(crate) fn forward_lanes(
        &self,
        eff: &[f32],
        tokens: &[[u32; L]],
        x_cat: &mut [V],
        x_num: &mut [V],
        shape: StreamShape,
    ) {
        let StreamShape {
            d_cat: dc,
            d_num: dn,
            n,
        } = shape;
        let (k, v) = (self.k, self.vocab);
        let d_model = self.n_vars_cat * k;
        for (i, t) in tokens.iter().enumerate().take(n) {
            let row = &mut x_cat[i * dc..(i + 1) * dc];
            for (c, x) in row[..d_model].iter_mut().enumerate() {
                for l in 0..L {
                    x.0[l] = eff[self.w_e + c * v + t[l] as usize];
                }
            }
            row[d_model..d_model + k].fill(V::ZERO);
            row[d_model + i] = V::ONE;
            for u in 0..self.n_vars_num {
                let x = &mut x_num[i * dn + u];
                for l in 0..L {
                    x.0[l] = eff[self.w_num + t[l] as usize * self.n_vars_num + u];
                }
            }
        }
    }

    /// Gradients of the learned embeddings: the word embedding's into `row_grad`, one row per
    /// word (`slots[i][l]`: the row of lane `l`'s token at position `i`), added position by
    /// position, lane by lane; the numerical embedding's per lane into `dv`. Nothing when
    /// both are frozen.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn backward_lanes(
        &self,
        tokens: &[[u32; L]],
        slots: &[[u32; L]],
        dx_cat: &[V],
        dx_num: &[V],
        dv: &mut LaneGrad,
        row_grad: &mut [f32],
        shape: StreamShape,
    ) {
        let StreamShape {
            d_cat: dc,
            d_num: dn,
            n,
        } = shape;
        let width = self.n_vars_cat * self.k;
        for i in 0..n {
            for l in 0..L {
                if self.w_e_trainable {
                    let r = slots[i][l] as usize * width;
                    let dx = &dx_cat[i * dc..i * dc + width];
                    for (g, d) in row_grad[r..r + width].iter_mut().zip(dx) {
                        *g += d.0[l];
                    }
                }
                if self.w_num_trainable {
                    let t = tokens[i][l] as usize;
                    for u in 0..self.n_vars_num {
                        dv[self.w_num + t * self.n_vars_num + u].0[l] += dx_num[i * dn + u].0[l];
                    }
                }
            }
        }
    }
}
