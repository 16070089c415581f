//! Categorical attention: select with a one-to-one predicate, default to BOS when
//! nothing matches, prefer the closest match through a fixed relative-position bias in log
//! space, sample over keys, and copy the chosen value variable.
//!
//! Dimension letters: H heads, N positions, K values per variable.

use super::read::Read;
use super::selector::{Selector, SelectorWs};
use crate::config::BosDefault;
use crate::kernels::axpy;
#[cfg(any(test, feature = "testing"))]
use crate::kernels::dot;
#[cfg(any(test, feature = "testing"))]
use crate::sampler::sample_backward;
use crate::sampler::{NoiseRng, Sampling, sample_forward};

/// Masked attention logits.
pub(crate) const MASKED: f32 = -1e30;

/// Added to a score before its logarithm, so that a zero score has a finite log (`ln 1e-20 ≈
/// −46`, far below any matching key).
pub(crate) const LOG_EPS: f32 = 1e-20;

/// The gradient of an attention score from the gradient `d` of its logit `ln(s + ε) / T`
/// (`inv_temp = 1/T`): the exact `d / T / (s + ε)`, except that under straight-through
/// sampling (`cut_below_floor`) a score below `ε` gets 0.
///
/// Straight-through (`GumbelHard`) samples are one-hot, so most scores are exactly 0, where
/// the exact slope is `1/ε` = 1e20: two layers of such slopes multiply past `f32::MAX`, and the
/// gradients became ∞ and NaN. That backward is a surrogate anyway (the soft gradient of a hard
/// sample); in it, a score below `ε` has its log pinned at the floor `ln ε` (the key matches
/// nothing), so it is treated like a masked key and gets no gradient. From `ε` up the slope is
/// the exact one. The soft samplers keep the exact slope everywhere, as the reference computes
/// it (a trained model's scores do go below `ε`, and its gradients are pinned by fixtures).
#[inline(always)]
#[cfg(any(test, feature = "testing"))]
pub(crate) fn score_grad(d: f32, inv_temp: f32, s: f32, cut_below_floor: bool) -> f32 {
    if cut_below_floor && s < LOG_EPS {
        0.0
    } else {
        d * inv_temp / (s + LOG_EPS)
    }
}

/// All categorical heads of one layer.
#[derive(Debug, Clone)]
pub(crate) struct CatAttention {
    /// Key/query reads and predicates.
    pub select: Selector,
    /// `W_V`.
    pub value: Read,
    /// First column of the heads' outputs in `x_cat`.
    pub out_col: usize,
    /// Attention temperature (`sqrt(k)` by default).
    pub att_temp: f32,
    /// Fixed relative-position bias `b`, length `2·n_ctx`, indexed by `j − i` with wrap-around.
    pub rel_bias: Vec<f32>,
    /// How the BOS default is relaxed.
    pub bos: BosDefault,
}

/// Activations of a [`CatAttention`] for one example.
#[derive(Debug, Clone, Default)]
pub(crate) struct CatAttnWs {
    /// Key/query/scores.
    pub sel: SelectorWs,
    /// `val_j`: `[H, N, K]`.
    pub val: Vec<f32>,
    /// `S'` = scores with the BOS default added at key 0: `[H, N, N]`.
    pub scores_with_default: Vec<f32>,
    /// `s_i` = sum of unmasked scores per query: `[H, N]`.
    pub ssum: Vec<f32>,
    /// Attention used downstream: `[H, N, N]`.
    pub probs: Vec<f32>,
    /// Soft attention (for the backward): `[H, N, N]`.
    pub soft: Vec<f32>,
    /// Scratch rows `[N]` and backward buffers.
    pub row: Vec<f32>,
    #[cfg(any(test, feature = "testing"))]
    pub dval: Vec<f32>,
    #[cfg(any(test, feature = "testing"))]
    pub ds: Vec<f32>,
}

impl CatAttnWs {
    pub fn new(heads: usize, n_ctx: usize, k: usize) -> Self {
        let hnn = heads * n_ctx * n_ctx;
        Self {
            sel: SelectorWs::new(heads, n_ctx, k),
            val: vec![0.0; heads * n_ctx * k],
            scores_with_default: vec![0.0; hnn],
            ssum: vec![0.0; heads * n_ctx],
            probs: vec![0.0; hnn],
            soft: vec![0.0; hnn],
            row: vec![0.0; n_ctx],
            #[cfg(any(test, feature = "testing"))]
            dval: vec![0.0; heads * n_ctx * k],
            #[cfg(any(test, feature = "testing"))]
            ds: vec![0.0; hnn],
        }
    }
}

impl CatAttention {
    /// The bias of query `i` and key `j`: `b[(j − i) mod 2·n_ctx]`.
    #[inline(always)]
    pub(crate) fn bias(&self, i: usize, j: usize) -> f32 {
        let m2 = self.rel_bias.len();
        let idx = if j >= i { j - i } else { j + m2 - i };
        self.rel_bias.get(idx).copied().unwrap_or(0.0)
    }

    /// Forward for one example: reads `x_cat` (stride `dc`), writes the heads' outputs into
    /// their columns. `mask` is `[N, N]`; noise is drawn only for unmasked entries.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn forward(
        &self,
        eff: &[f32],
        sampling: Sampling,
        x_cat: &mut [f32],
        dc: usize,
        n: usize,
        mask: &[bool],
        ws: &mut CatAttnWs,
        rng: &mut NoiseRng,
    ) {
        let k = self.select.k;
        let heads = self.select.heads;
        let noise = sampling.uses_noise();
        self.select.forward(eff, x_cat, dc, n, &mut ws.sel);
        for h in 0..heads {
            let val = &mut ws.val[h * n * k..(h + 1) * n * k]; // [N, K]
            self.value.forward_rows(eff, x_cat, dc, n, h, val);
        }
        let x = &mut ws.row[..n];
        for h in 0..heads {
            for i in 0..n {
                let r = (h * n + i) * n;
                let s = &ws.sel.s[r..r + n];
                let mrow = &mask[i * n..(i + 1) * n];
                let mut sum = 0.0f32;
                for (&v, &m) in s.iter().zip(mrow) {
                    if m {
                        sum += v;
                    }
                }
                ws.ssum[h * n + i] = sum;
                let sp = &mut ws.scores_with_default[r..r + n];
                sp.copy_from_slice(s);
                sp[0] += self.bos.value_and_slope(sum).0;
                for (j, ((xj, &spj), &m)) in x.iter_mut().zip(sp.iter()).zip(mrow).enumerate() {
                    *xj = if m {
                        ((spj + LOG_EPS).ln() + self.bias(i, j)) / self.att_temp
                    } else {
                        MASKED / self.att_temp
                    };
                    if m && noise {
                        *xj += rng.gumbel();
                    }
                }
                sample_forward(sampling, x, &mut ws.probs[r..r + n], &mut ws.soft[r..r + n]);
            }
        }
        // z_i = Σ_j A[i,j] val_j, written into the stream.
        for i in 0..n {
            let out = &mut x_cat[i * dc + self.out_col..i * dc + self.out_col + heads * k];
            out.fill(0.0);
            for (h, z) in out.chunks_exact_mut(k).enumerate() {
                let a = &ws.probs[(h * n + i) * n..(h * n + i + 1) * n];
                let val = &ws.val[h * n * k..(h + 1) * n * k]; // [N, K]
                for (&aij, vj) in a.iter().zip(val.chunks_exact(k)) {
                    if aij != 0.0 {
                        axpy(aij, vj, z);
                    }
                }
            }
        }
    }

    /// Backward for one example: reads the outputs' gradients from `dx_cat`, accumulates
    /// parameter gradients into `d_eff` and input gradients into `dx_cat`. Rows of padded
    /// queries (`keep[i]` false) carry no gradient and are skipped.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    #[cfg(any(test, feature = "testing"))]
    pub fn backward(
        &self,
        eff: &[f32],
        sampling: Sampling,
        x_cat: &[f32],
        dx_cat: &mut [f32],
        dc: usize,
        n: usize,
        mask: &[bool],
        keep: &[bool],
        ws: &mut CatAttnWs,
        d_eff: &mut [f32],
    ) {
        let k = self.select.k;
        let heads = self.select.heads;
        let hnn = heads * n * n;
        ws.dval[..heads * n * k].fill(0.0);
        ws.ds[..hnn].fill(0.0);
        let inv_temp = 1.0 / self.att_temp;
        let straight_through = matches!(sampling, Sampling::GumbelHard { .. });
        for h in 0..heads {
            let val = &ws.val[h * n * k..(h + 1) * n * k]; // [N, K]
            let dval = &mut ws.dval[h * n * k..(h + 1) * n * k]; // [N, K]
            for i in 0..n {
                if !keep[i] {
                    continue;
                }
                let dz =
                    &dx_cat[i * dc + self.out_col + h * k..i * dc + self.out_col + (h + 1) * k];
                let r = (h * n + i) * n;
                // dA[i,j] = ⟨dz_i, val_j⟩ ; dval_j += A[i,j] dz_i
                let da = &mut ws.row[..n];
                let probs = &ws.probs[r..r + n];
                for (((daj, vj), dvj), &aij) in da
                    .iter_mut()
                    .zip(val.chunks_exact(k))
                    .zip(dval.chunks_exact_mut(k))
                    .zip(probs)
                {
                    *daj = dot(dz, vj);
                    if aij != 0.0 {
                        axpy(aij, dz, dvj);
                    }
                }
                // Through the sampler, the temperature, the mask, the log and the BOS default.
                let dsrow = &mut ws.ds[r..r + n];
                sample_backward(sampling, &ws.soft[r..r + n], da, dsrow);
                let mrow = &mask[i * n..(i + 1) * n];
                for ((d, &m), &spj) in dsrow
                    .iter_mut()
                    .zip(mrow)
                    .zip(&ws.scores_with_default[r..r + n])
                {
                    *d = if m {
                        score_grad(*d, inv_temp, spj, straight_through)
                    } else {
                        0.0
                    };
                }
                let slope = self.bos.value_and_slope(ws.ssum[h * n + i]).1;
                if slope != 0.0 {
                    let dsum = dsrow[0] * slope;
                    for (d, &m) in dsrow.iter_mut().zip(mrow) {
                        if m {
                            *d += dsum;
                        }
                    }
                }
            }
        }
        for h in 0..heads {
            let dval = &ws.dval[h * n * k..(h + 1) * n * k]; // [N, K]
            self.value
                .backward_rows(eff, x_cat, dc, n, h, dval, d_eff, dx_cat);
        }
        self.select
            .backward(eff, x_cat, dc, n, &mut ws.sel, &ws.ds, d_eff, dx_cat);
    }
}

/// The fixed relative-position bias buffer of length `2·m` (indexed by `j − i`
/// with wrap-around; in log space it makes a query prefer the closest matching key), computed in `f32` the way
/// the reference's `torch.linspace` does on CPU (fused multiply-add in the scalar path, a
/// separate multiply and add inside 2×8-wide vector chunks), so it equals the reference's
/// buffer bit for bit: `[−2, linspace(0, −m, m−1)/m, linspace(−m, 0, m)/m]`.
pub fn fixed_rel_pos_bias(m: usize) -> Vec<f32> {
    let mf = m as f32;
    let mut out = vec![-2.0f32];
    out.extend(
        torch_linspace(0.0, -mf, m.saturating_sub(1))
            .into_iter()
            .map(|v| v / mf),
    );
    out.extend(torch_linspace(-mf, 0.0, m).into_iter().map(|v| v / mf));
    out
}

fn torch_linspace(start: f32, end: f32, steps: usize) -> Vec<f32> {
    match steps {
        0 => return Vec::new(),
        1 => return vec![start],
        _ => {}
    }
    let step = (end - start) / (steps - 1) as f32;
    let half = steps / 2;
    let scalar = |i: usize| {
        if i < half {
            step.mul_add(i as f32, start)
        } else {
            (-step).mul_add((steps - i - 1) as f32, end)
        }
    };
    let mut out = Vec::with_capacity(steps);
    let mut i = 0;
    while i + 16 <= steps {
        for base_i in [i, i + 8] {
            let base = scalar(base_i);
            for j in 0..8 {
                out.push(base + j as f32 * step);
            }
        }
        i += 16;
    }
    while i < steps {
        out.push(scalar(i));
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bias_matches_the_reference_buffer() {
        let b = fixed_rel_pos_bias(8);
        let m2 = b.len();
        let row3: Vec<f32> = (0..8).map(|j| b[(j + m2 - 3) % m2]).collect();
        let want = [-0.286, -0.143, 0.0, -2.0, 0.0, -0.167, -0.333, -0.5];
        for (a, w) in row3.iter().zip(want) {
            assert!((a - w).abs() < 1e-3, "{row3:?}");
        }
    }

    #[test]
    fn score_gradient_is_finite_at_zero_and_exact_above_the_floor() {
        // Straight-through: a zero (or sub-floor) score gets no gradient, however large the
        // incoming one; soft samplers keep the exact slope there.
        for s in [0.0, 1e-30, LOG_EPS / 2.0] {
            for d in [1.0, -3.5, f32::MAX] {
                assert_eq!(score_grad(d, 0.5, s, true), 0.0, "s {s}, d {d}");
            }
            assert_eq!(score_grad(1.0, 0.5, s, false), 0.5 / (s + LOG_EPS));
        }
        // From the floor up: d / T / (s + ε), the derivative of ln(s + ε) / T, for both.
        for s in [LOG_EPS, 1e-12, 1e-3, 0.5, 1.0, 3.0] {
            let want = 2.0 * 0.5 / (s + LOG_EPS);
            for cut in [true, false] {
                assert_eq!(score_grad(2.0, 0.5, s, cut), want, "s {s}");
            }
            assert!(want.is_finite());
        }
    }

    #[test]
    fn bos_default_is_one_only_when_nothing_matches() {
        for mode in [BosDefault::Reference, BosDefault::Soft] {
            assert_eq!(mode.value_and_slope(0.0).0, 1.0, "{mode:?}");
            assert_eq!(mode.value_and_slope(1.0), (0.0, 0.0), "{mode:?}");
            assert_eq!(mode.value_and_slope(2.0), (0.0, 0.0), "{mode:?}");
        }
        // Soft scores: the reference's default vanishes, the soft one stays and has a slope.
        assert_eq!(BosDefault::Reference.value_and_slope(0.3), (0.0, 0.0));
        let (v, slope) = BosDefault::Soft.value_and_slope(0.25);
        assert!((v - 0.75).abs() < 1e-7 && slope == -1.0);
    }
}
