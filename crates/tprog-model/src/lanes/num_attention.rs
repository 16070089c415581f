//! [`NumAttention`] (numerical heads: select, then average a numerical variable) over a group
//! of examples held lane-wise; the equations of `crate::modules::num_attention`.
//!
//! Shapes (dimension letters): L lanes (examples of a group, one per SIMD lane, inside every
//! [`V`]), N positions, K values per variable, H heads, D hidden width of an MLP, U MLP inputs,
//! C classes, D_U classifier inputs. Parameters are shared by the lanes (`eff`, scalars); their
//! gradients are accumulated per lane into `dv` and summed over the lanes once per chunk.

use super::grad::LaneGrad;
use super::selector::SelLanes;
use super::v::V;
use crate::modules::StreamShape;
use crate::modules::num_attention::NumAttention;

/// Lane-wise activations of a [`NumAttention`].
#[derive(Debug, Clone, Default)]
pub(crate) struct NumAttnLanes {
    pub sel: SelLanes,
    /// `[H, N]`.
    pub val: Vec<V>,
    pub dval: Vec<V>,
    /// `[H, N, N]`.
    pub ds: Vec<V>,
}

impl NumAttnLanes {
    pub fn new(heads: usize, n: usize, k: usize) -> Self {
        Self {
            sel: SelLanes::new(heads, n, k),
            val: vec![V::ZERO; heads * n],
            dval: vec![V::ZERO; heads * n],
            ds: vec![V::ZERO; heads * n * n],
        }
    }
}

impl NumAttention {
    /// Forward for a group: see [`NumAttention::forward`].
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn forward_lanes(
        &self,
        eff: &[f32],
        wt: &[f32],
        x_cat: &[V],
        x_num: &mut [V],
        mask: &[V],
        ws: &mut NumAttnLanes,
        shape: StreamShape,
    ) {
        let StreamShape {
            d_cat: dc,
            d_num: dn,
            n,
        } = shape;
        let heads = self.select.heads;
        self.select
            .forward_lanes(eff, wt, x_cat, dc, n, &mut ws.sel);
        for h in 0..heads {
            self.value
                .forward_lanes(eff, x_num, dn, n, h, &mut ws.val[h * n..(h + 1) * n]);
        }
        for h in 0..heads {
            let val = &ws.val[h * n..(h + 1) * n];
            for i in 0..n {
                let s = &ws.sel.s[(h * n + i) * n..(h * n + i + 1) * n];
                let mut acc = V::ZERO;
                for ((&sj, &vj), &m) in s.iter().zip(val).zip(&mask[i * n..(i + 1) * n]) {
                    acc = acc.add_mul(sj * m, vj);
                }
                x_num[i * dn + self.out_col + h] = acc;
            }
        }
    }

    /// Backward of [`NumAttention::forward_lanes`].
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn backward_lanes(
        &self,
        eff: &[f32],
        x_cat: &[V],
        dx_cat: &mut [V],
        dc: usize,
        x_num: &[V],
        dx_num: &mut [V],
        dn: usize,
        n: usize,
        mask: &[V],
        keep: &[V],
        ws: &mut NumAttnLanes,
        dv: &mut LaneGrad,
    ) {
        let heads = self.select.heads;
        ws.dval[..heads * n].fill(V::ZERO);
        for h in 0..heads {
            let val = &ws.val[h * n..(h + 1) * n];
            let dval = &mut ws.dval[h * n..(h + 1) * n];
            for i in 0..n {
                let g = dx_num[i * dn + self.out_col + h] * keep[i];
                let r = (h * n + i) * n;
                let s = &ws.sel.s[r..r + n];
                let mrow = &mask[i * n..(i + 1) * n];
                for j in 0..n {
                    let gm = g * mrow[j];
                    ws.ds[r + j] = gm * val[j];
                    dval[j] = dval[j].add_mul(gm, s[j]);
                }
            }
        }
        for h in 0..heads {
            let dval = &ws.dval[h * n..(h + 1) * n];
            self.value
                .backward_lanes(eff, x_num, dn, n, h, dval, dv, dx_num);
        }
        self.select
            .backward_lanes(eff, x_cat, dc, n, &mut ws.sel, &ws.ds, dv, dx_cat);
    }
}
