//! Numerical attention: the same select as categorical heads, but no BOS default,
//! no position bias and no softmax: `out_i = Σ_{j unmasked} S[i,j] · v_j`, a sum (with the
//! value `ones` it counts the matching keys). `v_j` reads one scalar of `x_num`.
//!
//! Dimension letters: H heads, N positions, K values per variable.

use super::StreamShape;
use super::read::Read;
use super::selector::{Selector, SelectorWs};

/// All numerical heads of one layer.
#[derive(Debug, Clone)]
pub(crate) struct NumAttention {
    /// Key/query reads (from `x_cat`) and predicates.
    pub select: Selector,
    /// `W_V`: reads one scalar of `x_num` per head (width 1).
    pub value: Read,
    /// Index of head 0's output in `x_num`.
    pub out_col: usize,
}

/// Activations of a [`NumAttention`] for one example.
#[derive(Debug, Clone, Default)]
pub(crate) struct NumAttnWs {
    /// Key/query/scores (scores unmasked; the mask is applied when summing).
    pub sel: SelectorWs,
    /// `v_j`: `[H, N]`.
    pub val: Vec<f32>,
    /// Backward buffers: `dv` `[H, N]`, `dS` `[H, N, N]`.
    #[cfg(any(test, feature = "testing"))]
    pub dval: Vec<f32>,
    #[cfg(any(test, feature = "testing"))]
    pub ds: Vec<f32>,
}

impl NumAttnWs {
    pub fn new(heads: usize, n_ctx: usize, k: usize) -> Self {
        Self {
            sel: SelectorWs::new(heads, n_ctx, k),
            val: vec![0.0; heads * n_ctx],
            #[cfg(any(test, feature = "testing"))]
            dval: vec![0.0; heads * n_ctx],
            #[cfg(any(test, feature = "testing"))]
            ds: vec![0.0; heads * n_ctx * n_ctx],
        }
    }
}

impl NumAttention {
    /// Forward for one example: reads `x_cat` (stride `dc`) and `x_num` (stride `dn`), writes
    /// the heads' outputs into their columns of `x_num`.
    pub fn forward(
        &self,
        eff: &[f32],
        x_cat: &[f32],
        x_num: &mut [f32],
        mask: &[bool],
        ws: &mut NumAttnWs,
        shape: StreamShape,
    ) {
        let StreamShape {
            d_cat: dc,
            d_num: dn,
            n,
        } = shape;
        let heads = self.select.heads;
        self.select.forward(eff, x_cat, dc, n, &mut ws.sel);
        for h in 0..heads {
            for j in 0..n {
                let mut v = [0.0f32];
                self.value
                    .forward(eff, &x_num[j * dn..(j + 1) * dn], h, &mut v);
                ws.val[h * n + j] = v[0];
            }
        }
        for h in 0..heads {
            for i in 0..n {
                let s = &ws.sel.s[(h * n + i) * n..(h * n + i + 1) * n];
                let mut acc = 0.0f32;
                for j in 0..n {
                    if mask[i * n + j] {
                        acc += s[j] * ws.val[h * n + j];
                    }
                }
                x_num[i * dn + self.out_col + h] = acc;
            }
        }
    }

    /// Backward for one example (padded query rows skipped: they carry no gradient).
    #[allow(clippy::too_many_arguments)]
    #[cfg(any(test, feature = "testing"))]
    pub fn backward(
        &self,
        eff: &[f32],
        x_cat: &[f32],
        dx_cat: &mut [f32],
        dc: usize,
        x_num: &[f32],
        dx_num: &mut [f32],
        dn: usize,
        n: usize,
        mask: &[bool],
        keep: &[bool],
        ws: &mut NumAttnWs,
        d_eff: &mut [f32],
    ) {
        let heads = self.select.heads;
        ws.dval[..heads * n].fill(0.0);
        ws.ds[..heads * n * n].fill(0.0);
        for h in 0..heads {
            for i in 0..n {
                let g = dx_num[i * dn + self.out_col + h];
                if !keep[i] || g == 0.0 {
                    continue;
                }
                let r = (h * n + i) * n;
                for j in 0..n {
                    if mask[i * n + j] {
                        ws.ds[r + j] = g * ws.val[h * n + j];
                        ws.dval[h * n + j] += g * ws.sel.s[r + j];
                    }
                }
            }
        }
        for h in 0..heads {
            for j in 0..n {
                let dv = [ws.dval[h * n + j]];
                let (row, drow) = (
                    &x_num[j * dn..(j + 1) * dn],
                    &mut dx_num[j * dn..(j + 1) * dn],
                );
                self.value.backward(eff, row, h, &dv, d_eff, drow);
            }
        }
        self.select
            .backward(eff, x_cat, dc, n, &mut ws.sel, &ws.ds, d_eff, dx_cat);
    }
}
