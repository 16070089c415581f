//! [`CatAttention`] (categorical heads: select, BOS default, relative-position bias, sample
//! over keys, copy the value) over a group of examples held lane-wise; the equations of
//! `crate::modules::cat_attention`. Where the per-example kernel skips padded query rows, this
//! one multiplies by the `keep` lane mask (the lanes of a group have different lengths).
//!
//! Shapes (dimension letters): L lanes (examples of a group, one per SIMD lane, inside every
//! [`V`]), N positions, K values per variable, H heads, D hidden width of an MLP, U MLP inputs,
//! C classes, D_U classifier inputs. Parameters are shared by the lanes (`eff`, scalars); their
//! gradients are accumulated per lane into `dv` and summed over the lanes once per chunk.

use super::grad::LaneGrad;
use super::selector::SelLanes;
use super::v::{L, V, gumbel, sample_backward, sample_forward};
use crate::config::BosDefault;
use crate::modules::cat_attention::{CatAttention, LOG_EPS, MASKED};
use crate::sampler::{NoiseRng, Sampling};

/// Lane-wise activations of a [`CatAttention`].
#[derive(Debug, Clone, Default)]
pub(crate) struct CatAttnLanes {
    pub sel: SelLanes,
    /// `[H, N, K]`.
    pub val: Vec<V>,
    pub dval: Vec<V>,
    /// `[H, N, N]`.
    pub scores_with_default: Vec<V>,
    pub probs: Vec<V>,
    pub soft: Vec<V>,
    pub ds: Vec<V>,
    /// `[H, N]`.
    pub ssum: Vec<V>,
    /// Scratch: a row `[N]` and an output gradient `[K]`.
    pub row: Vec<V>,
    pub dz: Vec<V>,
}

impl CatAttnLanes {
    pub fn new(heads: usize, n: usize, k: usize) -> Self {
        let hnn = vec![V::ZERO; heads * n * n];
        Self {
            sel: SelLanes::new(heads, n, k),
            val: vec![V::ZERO; heads * n * k],
            dval: vec![V::ZERO; heads * n * k],
            scores_with_default: hnn.clone(),
            probs: hnn.clone(),
            soft: hnn.clone(),
            ds: hnn,
            ssum: vec![V::ZERO; heads * n],
            row: vec![V::ZERO; n],
            dz: vec![V::ZERO; k],
        }
    }
}

/// The BOS default per lane (0 where the ReLU is off), its slope, and where it is active (a
/// lane mask): see [`BosDefault::value_and_slope`].
#[inline(always)]
fn bos_default(mode: BosDefault, s: V) -> (V, V, V) {
    let (v, slope) = match mode {
        BosDefault::Reference => {
            let e = s + V::splat(1e-10);
            (V::ONE - s / e, -(V::ONE / e - s / (e * e)))
        }
        BosDefault::Soft => (V::ONE - s, V::splat(-1.0)),
    };
    let active = v.gt(V::ZERO);
    (V::select(active, v, V::ZERO), slope, active)
}

impl CatAttention {
    /// Forward of every head for a group: see [`CatAttention::forward`].
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn forward_lanes(
        &self,
        eff: &[f32],
        wt: &[f32],
        sampling: Sampling,
        x_cat: &mut [V],
        dc: usize,
        n: usize,
        mask: &[V],
        ws: &mut CatAttnLanes,
        rngs: &mut [NoiseRng; L],
    ) {
        let k = self.select.k;
        let heads = self.select.heads;
        let noise = sampling.uses_noise();
        self.select
            .forward_lanes(eff, wt, x_cat, dc, n, &mut ws.sel);
        for h in 0..heads {
            let val = &mut ws.val[h * n * k..(h + 1) * n * k];
            self.value.forward_lanes(eff, x_cat, dc, n, h, val);
        }
        let inv_temp = V::splat(1.0 / self.att_temp);
        let masked = V::splat(MASKED / self.att_temp);
        let x = &mut ws.row[..n];
        for h in 0..heads {
            for i in 0..n {
                let r = (h * n + i) * n;
                let s = &ws.sel.s[r..r + n];
                let mrow = &mask[i * n..(i + 1) * n];
                let mut sum = V::ZERO;
                for (&v, &m) in s.iter().zip(mrow) {
                    sum = sum.add_mul(v, m);
                }
                ws.ssum[h * n + i] = sum;
                let sp = &mut ws.scores_with_default[r..r + n];
                sp.copy_from_slice(s);
                sp[0] += bos_default(self.bos, sum).0;
                for (j, ((xj, &spj), &m)) in x.iter_mut().zip(sp.iter()).zip(mrow).enumerate() {
                    let logit =
                        ((spj + V::splat(LOG_EPS)).ln() + V::splat(self.bias(i, j))) * inv_temp;
                    let logit = if noise {
                        logit + gumbel(rngs, m)
                    } else {
                        logit
                    };
                    *xj = V::select(m, logit, masked);
                }
                sample_forward(sampling, x, &mut ws.probs[r..r + n], &mut ws.soft[r..r + n]);
            }
        }
        for i in 0..n {
            let out = &mut x_cat[i * dc + self.out_col..i * dc + self.out_col + heads * k];
            for (h, z) in out.chunks_exact_mut(k).enumerate() {
                z.fill(V::ZERO);
                let a = &ws.probs[(h * n + i) * n..(h * n + i + 1) * n];
                let val = &ws.val[h * n * k..(h + 1) * n * k];
                for (&aij, vj) in a.iter().zip(val.chunks_exact(k)) {
                    for (zc, &vc) in z.iter_mut().zip(vj) {
                        *zc = zc.add_mul(aij, vc);
                    }
                }
            }
        }
    }

    /// Backward of [`CatAttention::forward_lanes`].
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn backward_lanes(
        &self,
        eff: &[f32],
        sampling: Sampling,
        x_cat: &[V],
        dx_cat: &mut [V],
        dc: usize,
        n: usize,
        mask: &[V],
        keep: &[V],
        ws: &mut CatAttnLanes,
        dv: &mut LaneGrad,
    ) {
        let k = self.select.k;
        let heads = self.select.heads;
        ws.dval[..heads * n * k].fill(V::ZERO);
        let inv_temp = V::splat(1.0 / self.att_temp);
        let straight_through = matches!(sampling, Sampling::GumbelHard { .. });
        for h in 0..heads {
            let val = &ws.val[h * n * k..(h + 1) * n * k];
            let dval = &mut ws.dval[h * n * k..(h + 1) * n * k];
            for i in 0..n {
                let at = i * dc + self.out_col + h * k;
                let dz = &mut ws.dz[..k];
                for (d, &g) in dz.iter_mut().zip(&dx_cat[at..at + k]) {
                    *d = g * keep[i];
                }
                let r = (h * n + i) * n;
                let da = &mut ws.row[..n];
                let probs = &ws.probs[r..r + n];
                for (((daj, vj), dvj), &aij) in da
                    .iter_mut()
                    .zip(val.chunks_exact(k))
                    .zip(dval.chunks_exact_mut(k))
                    .zip(probs)
                {
                    let mut acc = V::ZERO;
                    for ((&g, &v), dvc) in dz.iter().zip(vj).zip(dvj.iter_mut()) {
                        acc = acc.add_mul(g, v);
                        *dvc = dvc.add_mul(aij, g);
                    }
                    *daj = acc;
                }
                let dsrow = &mut ws.ds[r..r + n];
                sample_backward(sampling, &ws.soft[r..r + n], da, dsrow);
                let mrow = &mask[i * n..(i + 1) * n];
                // crate::modules::cat_attention::score_grad, lane by lane.
                let eps = V::splat(LOG_EPS);
                for ((d, &m), &spj) in dsrow
                    .iter_mut()
                    .zip(mrow)
                    .zip(&ws.scores_with_default[r..r + n])
                {
                    let live = if straight_through { m * spj.ge(eps) } else { m };
                    *d = V::select(live, *d * inv_temp / (spj + eps), V::ZERO);
                }
                let (_, slope, active) = bos_default(self.bos, ws.ssum[h * n + i]);
                // Selected after the product, so that an unbounded dsrow[0] (straight-through
                // one-hot scores) cannot leak a NaN from an inactive lane.
                let dsum = V::select(active, dsrow[0] * slope, V::ZERO);
                for (d, &m) in dsrow.iter_mut().zip(mrow) {
                    *d = d.add_mul(dsum, m);
                }
            }
        }
        for h in 0..heads {
            let dval = &ws.dval[h * n * k..(h + 1) * n * k];
            self.value
                .backward_lanes(eff, x_cat, dc, n, h, dval, dv, dx_cat);
        }
        self.select
            .backward_lanes(eff, x_cat, dc, n, &mut ws.sel, &ws.ds, dv, dx_cat);
    }
}
