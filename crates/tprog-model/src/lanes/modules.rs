//! Every module's forward and backward over a group of [`L`] examples held lane-wise: the same
//! equations as the per-example kernels in `crate::modules`, each scalar of those becoming one
//! [`V`]. Parameters are shared by the lanes (`eff`, scalars); their gradients are accumulated
//! per lane into `dv` and summed over the lanes once per chunk of groups.
//!
//! Where the per-example kernels skip padded query rows, these multiply by the `keep` lane
//! mask instead (the lanes of a group have different lengths).
//!
//! Dimension letters: H heads, N positions, K values per variable, D hidden width, U MLP inputs.

use super::linalg::{lin, outer_acc};
use super::v::{L, V, gumbel, sample_backward, sample_forward};
use crate::config::BosDefault;
use crate::modules::cat_attention::{CatAttention, LOG_EPS, MASKED};
use crate::modules::classifier::{Classifier, MASKED_LOGIT};
use crate::modules::embed::Embed;
use crate::modules::mlp::Mlp;
use crate::modules::num_attention::NumAttention;
use crate::modules::read::Read;
use crate::modules::selector::Selector;
use crate::sampler::{NoiseRng, Sampling};

/// Lane-wise activations of a [`Selector`] (sized for `n_ctx`).
#[derive(Debug, Clone, Default)]
pub(crate) struct SelLanes {
    /// `key`, `qvar`, `q`: `[H, N, K]`; scores `s`: `[H, N, N]`.
    pub key: Vec<V>,
    pub qvar: Vec<V>,
    pub q: Vec<V>,
    pub s: Vec<V>,
    /// Backward scratch `[H, N, K]` each.
    pub dkey: Vec<V>,
    pub dq: Vec<V>,
    pub dqvar: Vec<V>,
}

impl SelLanes {
    pub fn new(heads: usize, n: usize, k: usize) -> Self {
        let hnk = vec![V::ZERO; heads * n * k];
        Self {
            key: hnk.clone(),
            qvar: hnk.clone(),
            q: hnk.clone(),
            s: vec![V::ZERO; heads * n * n],
            dkey: hnk.clone(),
            dq: hnk.clone(),
            dqvar: hnk,
        }
    }
}

/// Lane-wise activations of a [`CatAttention`].
#[derive(Debug, Clone, Default)]
pub(crate) struct CatAttnLanes {
    pub sel: SelLanes,
    /// `[H, N, K]`.
    pub val: Vec<V>,
    pub dval: Vec<V>,
    /// `[H, N, N]`.
    pub sp: Vec<V>,
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
            sp: hnn.clone(),
            probs: hnn.clone(),
            soft: hnn.clone(),
            ds: hnn,
            ssum: vec![V::ZERO; heads * n],
            row: vec![V::ZERO; n],
            dz: vec![V::ZERO; k],
        }
    }
}

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

/// Lane-wise activations of an [`Mlp`].
#[derive(Debug, Clone, Default)]
pub(crate) struct MlpLanes {
    /// `[N, U]`, `[N, D]`, `[N, K]` ×3.
    pub u: Vec<V>,
    pub h: Vec<V>,
    pub logp: Vec<V>,
    pub probs: Vec<V>,
    pub soft: Vec<V>,
    /// Scratch `[K]`; backward: `g` `[N, K]`, `dh` `[N, D]`, `du` `[N, U]`.
    pub x: Vec<V>,
    pub g: Vec<V>,
    pub dh: Vec<V>,
    pub du: Vec<V>,
}

impl MlpLanes {
    pub fn new(mlp: &Mlp, n: usize) -> Self {
        let (u, d, k) = (mlp.d_u(), mlp.d_mlp, mlp.k);
        Self {
            u: vec![V::ZERO; n * u],
            h: vec![V::ZERO; n * d],
            logp: vec![V::ZERO; n * k],
            probs: vec![V::ZERO; n * k],
            soft: vec![V::ZERO; n * k],
            x: vec![V::ZERO; k],
            g: vec![V::ZERO; n * k],
            dh: vec![V::ZERO; n * d],
            du: vec![V::ZERO; n * u],
        }
    }
}

impl Read {
    /// `out[i, c] = Σ_b π[r,b] · rows[i, b·w + c]` for `n` rows (stride `stride`).
    #[inline(always)]
    pub(crate) fn forward_lanes(
        &self,
        eff: &[f32],
        rows: &[V],
        stride: usize,
        n: usize,
        r: usize,
        outs: &mut [V],
    ) {
        match self.width {
            1 => self.forward_lanes_w::<1>(eff, rows, stride, n, r, outs),
            8 => self.forward_lanes_w::<8>(eff, rows, stride, n, r, outs),
            16 => self.forward_lanes_w::<16>(eff, rows, stride, n, r, outs),
            w => {
                let pi = self.pi(eff, r);
                for i in 0..n {
                    let row = &rows[i * stride..i * stride + self.n_vars * w];
                    let out = &mut outs[i * w..(i + 1) * w];
                    out.fill(V::ZERO);
                    for (&p, block) in pi.iter().zip(row.chunks_exact(w)) {
                        if p != 0.0 {
                            for (o, &x) in out.iter_mut().zip(block) {
                                *o = o.mul_add_s(p, x);
                            }
                        }
                    }
                }
            }
        }
    }

    /// [`Read::forward_lanes`] for a block width `W` known at compile time.
    #[inline(always)]
    fn forward_lanes_w<const W: usize>(
        &self,
        eff: &[f32],
        rows: &[V],
        stride: usize,
        n: usize,
        r: usize,
        outs: &mut [V],
    ) {
        let pi = self.pi(eff, r);
        for i in 0..n {
            let row = &rows[i * stride..i * stride + self.n_vars * W];
            let mut acc = [V::ZERO; W];
            for (&p, block) in pi.iter().zip(row.chunks_exact(W)) {
                if p != 0.0 {
                    let p = V::splat(p);
                    for c in 0..W {
                        acc[c] = acc[c].mul_add(p, block[c]);
                    }
                }
            }
            outs[i * W..(i + 1) * W].copy_from_slice(&acc);
        }
    }

    /// Backward of [`Read::forward_lanes`]: `dπ[r,b] += Σ_i ⟨dout_i, rows_i[b]⟩` (per lane into
    /// `dv`) and `drows_i[b] += π[r,b] · dout_i`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn backward_lanes(
        &self,
        eff: &[f32],
        rows: &[V],
        stride: usize,
        n: usize,
        r: usize,
        douts: &[V],
        dv: &mut [V],
        drows: &mut [V],
    ) {
        match self.width {
            1 => self.backward_lanes_w::<1>(eff, rows, stride, n, r, douts, dv, drows),
            8 => self.backward_lanes_w::<8>(eff, rows, stride, n, r, douts, dv, drows),
            16 => self.backward_lanes_w::<16>(eff, rows, stride, n, r, douts, dv, drows),
            w => {
                let o = self.offset + r * self.n_vars;
                for b in 0..self.n_vars {
                    let p = eff[o + b];
                    let mut acc = V::ZERO;
                    for i in 0..n {
                        let at = i * stride + b * w;
                        let dout = &douts[i * w..(i + 1) * w];
                        for (&g, &x) in dout.iter().zip(&rows[at..at + w]) {
                            acc = acc.mul_add(g, x);
                        }
                        if p != 0.0 {
                            for (dx, &g) in drows[at..at + w].iter_mut().zip(dout) {
                                *dx = dx.mul_add_s(p, g);
                            }
                        }
                    }
                    dv[o + b] += acc;
                }
            }
        }
    }

    /// [`Read::backward_lanes`] for a block width `W` known at compile time (the `dπ` sums run
    /// in `W` independent accumulators).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn backward_lanes_w<const W: usize>(
        &self,
        eff: &[f32],
        rows: &[V],
        stride: usize,
        n: usize,
        r: usize,
        douts: &[V],
        dv: &mut [V],
        drows: &mut [V],
    ) {
        let o = self.offset + r * self.n_vars;
        for b in 0..self.n_vars {
            let p = eff[o + b];
            let mut acc = [V::ZERO; W];
            for i in 0..n {
                let at = i * stride + b * W;
                let x = &rows[at..at + W];
                let g = &douts[i * W..(i + 1) * W];
                for c in 0..W {
                    acc[c] = acc[c].mul_add(g[c], x[c]);
                }
                if p != 0.0 {
                    let p = V::splat(p);
                    let dx = &mut drows[at..at + W];
                    for c in 0..W {
                        dx[c] = dx[c].mul_add(p, g[c]);
                    }
                }
            }
            let mut sum = dv[o + b];
            for a in acc {
                sum += a;
            }
            dv[o + b] = sum;
        }
    }
}

impl Selector {
    /// Keys, query variables, `q = Pᵀ qvar` and scores `S[i,j] = ⟨q_i, key_j⟩` of every head.
    #[inline(always)]
    pub(crate) fn forward_lanes(
        &self,
        eff: &[f32],
        wt: &[f32],
        x_cat: &[V],
        dc: usize,
        n: usize,
        ws: &mut SelLanes,
    ) {
        let k = self.k;
        let nk = n * k;
        for h in 0..self.heads {
            let key = &mut ws.key[h * nk..(h + 1) * nk];
            let qvar = &mut ws.qvar[h * nk..(h + 1) * nk];
            let q = &mut ws.q[h * nk..(h + 1) * nk];
            self.key.forward_lanes(eff, x_cat, dc, n, h, key);
            self.query.forward_lanes(eff, x_cat, dc, n, h, qvar);
            // q_i[c] = Σ_a P[a, c] · qvar_i[a]
            let pt = &wt[self.pred + h * k * k..self.pred + (h + 1) * k * k]; // Pᵀ
            lin(pt, (k, k), None, qvar, k, n, q, k, false);
            let s = &mut ws.s[h * n * n..(h + 1) * n * n];
            for (q_i, s_i) in q.chunks_exact(k).zip(s.chunks_exact_mut(n)) {
                for (key_j, s_ij) in key.chunks_exact(k).zip(s_i.iter_mut()) {
                    let mut acc = V::ZERO;
                    for (&a, &b) in q_i.iter().zip(key_j) {
                        acc = acc.mul_add(a, b);
                    }
                    *s_ij = acc;
                }
            }
        }
    }

    /// Backward from `ds` (`[H, N, N]`): predicate and read gradients into `dv`, input
    /// gradients into `dx_cat`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn backward_lanes(
        &self,
        eff: &[f32],
        x_cat: &[V],
        dc: usize,
        n: usize,
        ws: &mut SelLanes,
        ds: &[V],
        dv: &mut [V],
        dx_cat: &mut [V],
    ) {
        let k = self.k;
        let nk = n * k;
        for h in 0..self.heads {
            let key = &ws.key[h * nk..(h + 1) * nk];
            let q = &ws.q[h * nk..(h + 1) * nk];
            let qvar = &ws.qvar[h * nk..(h + 1) * nk];
            let dkey = &mut ws.dkey[h * nk..(h + 1) * nk];
            let dq = &mut ws.dq[h * nk..(h + 1) * nk];
            let dqvar = &mut ws.dqvar[h * nk..(h + 1) * nk];
            dkey.fill(V::ZERO);
            let ds_h = &ds[h * n * n..(h + 1) * n * n];
            for ((ds_i, q_i), dq_i) in ds_h
                .chunks_exact(n)
                .zip(q.chunks_exact(k))
                .zip(dq.chunks_exact_mut(k))
            {
                dq_i.fill(V::ZERO);
                for ((&g, key_j), dkey_j) in ds_i
                    .iter()
                    .zip(key.chunks_exact(k))
                    .zip(dkey.chunks_exact_mut(k))
                {
                    for ((d, &kv), (dk, &qv)) in
                        dq_i.iter_mut().zip(key_j).zip(dkey_j.iter_mut().zip(q_i))
                    {
                        *d = d.mul_add(g, kv);
                        *dk = dk.mul_add(g, qv);
                    }
                }
            }
            let po = self.pred + h * k * k;
            let p = &eff[po..po + k * k]; // [K, K]
            // dqvar_i[a] = Σ_c P[a, c] · dq_i[c] ; dP[a, c] += Σ_i qvar_i[a] · dq_i[c].
            lin(p, (k, k), None, dq, k, n, dqvar, k, false);
            outer_acc(&mut dv[po..po + k * k], (k, k), qvar, k, dq, k, n);
            self.key
                .backward_lanes(eff, x_cat, dc, n, h, dkey, dv, dx_cat);
            self.query
                .backward_lanes(eff, x_cat, dc, n, h, dqvar, dv, dx_cat);
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
                    sum = sum.mul_add(v, m);
                }
                ws.ssum[h * n + i] = sum;
                let sp = &mut ws.sp[r..r + n];
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
                        *zc = zc.mul_add(aij, vc);
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
        dv: &mut [V],
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
                        acc = acc.mul_add(g, v);
                        *dvc = dvc.mul_add(aij, g);
                    }
                    *daj = acc;
                }
                let dsrow = &mut ws.ds[r..r + n];
                sample_backward(sampling, &ws.soft[r..r + n], da, dsrow);
                let mrow = &mask[i * n..(i + 1) * n];
                // crate::modules::cat_attention::score_grad, lane by lane.
                let eps = V::splat(LOG_EPS);
                for ((d, &m), &spj) in dsrow.iter_mut().zip(mrow).zip(&ws.sp[r..r + n]) {
                    let live = if straight_through { m * spj.ge(eps) } else { m };
                    *d = V::select(live, *d * inv_temp / (spj + eps), V::ZERO);
                }
                let (_, slope, active) = bos_default(self.bos, ws.ssum[h * n + i]);
                // Selected after the product, so that an unbounded dsrow[0] (straight-through
                // one-hot scores) cannot leak a NaN from an inactive lane.
                let dsum = V::select(active, dsrow[0] * slope, V::ZERO);
                for (d, &m) in dsrow.iter_mut().zip(mrow) {
                    *d = d.mul_add(dsum, m);
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

impl NumAttention {
    /// Forward for a group: see [`NumAttention::forward`].
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn forward_lanes(
        &self,
        eff: &[f32],
        wt: &[f32],
        x_cat: &[V],
        dc: usize,
        x_num: &mut [V],
        dn: usize,
        n: usize,
        mask: &[V],
        ws: &mut NumAttnLanes,
    ) {
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
                    acc = acc.mul_add(sj * m, vj);
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
        dv: &mut [V],
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
                    dval[j] = dval[j].mul_add(gm, s[j]);
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

impl Mlp {
    /// Forward for a group: gathers the inputs from `input` (stride `di`; `None` = `x_cat`),
    /// computes every position and writes the outputs into `x_cat` at `out_col`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn forward_lanes(
        &self,
        eff: &[f32],
        sampling: Sampling,
        input: Option<(&[V], usize)>,
        x_cat: &mut [V],
        dc: usize,
        n: usize,
        ws: &mut MlpLanes,
        rngs: &mut [NoiseRng; L],
    ) {
        let (du, d, k) = (self.d_u(), self.d_mlp, self.k);
        let w = self.read.width;
        for i in 0..n {
            let (src, stride): (&[V], usize) = match input {
                Some((s, st)) => (s, st),
                None => (&*x_cat, dc),
            };
            let u = &mut ws.u[i * du..(i + 1) * du];
            for r in 0..self.read.heads {
                let row = &src[i * stride..(i + 1) * stride];
                let out = &mut u[r * w..(r + 1) * w];
                self.read.forward_lanes(eff, row, stride, 1, r, out);
            }
        }
        // h = relu(W_in u + b_in), o = W_out h + b_out, for all positions.
        let w_in = &eff[self.w_in..self.w_in + d * du]; // [D, U]
        let b_in = &eff[self.b_in..self.b_in + d];
        lin(w_in, (d, du), Some(b_in), &ws.u, du, n, &mut ws.h, d, false);
        for h in ws.h[..n * d].iter_mut() {
            *h = h.max(V::ZERO);
        }
        let w_out = &eff[self.w_out..self.w_out + k * d]; // [K, D]
        let b_out = &eff[self.b_out..self.b_out + k];
        lin(
            w_out,
            (k, d),
            Some(b_out),
            &ws.h,
            d,
            n,
            &mut ws.logp,
            k,
            false,
        );
        for i in 0..n {
            let logp = &mut ws.logp[i * k..(i + 1) * k];
            let mut max = V::splat(f32::NEG_INFINITY);
            for &o in logp.iter() {
                max = max.max(o);
            }
            let mut sum = V::ZERO;
            for &o in logp.iter() {
                sum += (o - max).exp();
            }
            let shift = max + sum.ln();
            for o in logp.iter_mut() {
                *o -= shift;
            }
            let x = &mut ws.x[..k];
            if sampling.uses_noise() {
                for (xc, &o) in x.iter_mut().zip(logp.iter()) {
                    *xc = o + gumbel(rngs, V::ONE);
                }
            } else {
                x.copy_from_slice(logp);
            }
            let (y, soft) = (
                &mut ws.probs[i * k..(i + 1) * k],
                &mut ws.soft[i * k..(i + 1) * k],
            );
            sample_forward(sampling, x, y, soft);
            x_cat[i * dc + self.out_col..i * dc + self.out_col + k].copy_from_slice(y);
        }
    }

    /// Backward of [`Mlp::forward_lanes`]: the outputs' gradients are read from `dx_cat`, the
    /// inputs' gradients go to `d_input` (`None` = `dx_cat`; stride `di`).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn backward_lanes(
        &self,
        eff: &[f32],
        wt: &[f32],
        sampling: Sampling,
        input: Option<(&[V], &mut [V], usize)>,
        x_cat: &[V],
        dx_cat: &mut [V],
        dc: usize,
        n: usize,
        keep: &[V],
        ws: &mut MlpLanes,
        dv: &mut [V],
    ) {
        let (du, d, k) = (self.d_u(), self.d_mlp, self.k);
        let w = self.read.width;
        // g = gradient of the logits o, through the sampler and the log-softmax.
        for i in 0..n {
            let dy = &mut ws.x[..k];
            for (g, &x) in dy
                .iter_mut()
                .zip(&dx_cat[i * dc + self.out_col..i * dc + self.out_col + k])
            {
                *g = x * keep[i];
            }
            let g = &mut ws.g[i * k..(i + 1) * k];
            sample_backward(sampling, &ws.soft[i * k..(i + 1) * k], dy, g);
            let mut total = V::ZERO;
            for &gc in g.iter() {
                total += gc;
            }
            for (gc, &lp) in g.iter_mut().zip(&ws.logp[i * k..(i + 1) * k]) {
                *gc -= lp.exp() * total;
            }
        }
        // db_out += Σ_i g_i ; dW_out += Σ_i g_i ⊗ h_i ; dh_i = W_outᵀ g_i (then the ReLU).
        for c in 0..k {
            let mut acc = dv[self.b_out + c];
            for i in 0..n {
                acc += ws.g[i * k + c];
            }
            dv[self.b_out + c] = acc;
        }
        let dw_out = &mut dv[self.w_out..self.w_out + k * d];
        outer_acc(dw_out, (k, d), &ws.g, k, &ws.h, d, n);
        let w_out_t = &wt[self.w_out..self.w_out + k * d]; // [D, K]
        lin(w_out_t, (d, k), None, &ws.g, k, n, &mut ws.dh, d, false);
        for (g, &h) in ws.dh[..n * d].iter_mut().zip(&ws.h) {
            *g = V::select(h.gt(V::ZERO), *g, V::ZERO);
        }
        // db_in += Σ_i dh_i ; dW_in += Σ_i dh_i ⊗ u_i ; du_i = W_inᵀ dh_i.
        for m in 0..d {
            let mut acc = dv[self.b_in + m];
            for i in 0..n {
                acc += ws.dh[i * d + m];
            }
            dv[self.b_in + m] = acc;
        }
        let dw_in = &mut dv[self.w_in..self.w_in + d * du];
        outer_acc(dw_in, (d, du), &ws.dh, d, &ws.u, du, n);
        let w_in_t = &wt[self.w_in..self.w_in + d * du]; // [U, D]
        lin(w_in_t, (du, d), None, &ws.dh, d, n, &mut ws.du, du, false);
        let mut input = input;
        for i in 0..n {
            let (src, dsrc, stride): (&[V], &mut [V], usize) = match &mut input {
                Some((s, ds, st)) => (*s, &mut **ds, *st),
                None => (x_cat, &mut *dx_cat, dc),
            };
            let (row, drow) = (
                &src[i * stride..(i + 1) * stride],
                &mut dsrc[i * stride..(i + 1) * stride],
            );
            let dui = &ws.du[i * du..(i + 1) * du];
            for r in 0..self.read.heads {
                let dout = &dui[r * w..(r + 1) * w];
                self.read
                    .backward_lanes(eff, row, stride, 1, r, dout, dv, drow);
            }
        }
    }
}

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
        dv: &mut [V],
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

impl Embed {
    /// Token variables, positions and numerical inputs of a group; `tokens` is `[N][L]`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn forward_lanes(
        &self,
        eff: &[f32],
        tokens: &[[u32; L]],
        x_cat: &mut [V],
        dc: usize,
        x_num: &mut [V],
        dn: usize,
        n: usize,
    ) {
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

    /// Gradients of the learned embeddings, per lane (nothing when both are frozen).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn backward_lanes(
        &self,
        tokens: &[[u32; L]],
        dx_cat: &[V],
        dc: usize,
        dx_num: &[V],
        dn: usize,
        n: usize,
        dv: &mut [V],
    ) {
        let (k, v) = (self.k, self.vocab);
        for (i, t) in tokens.iter().enumerate().take(n) {
            for l in 0..L {
                let t = t[l] as usize;
                if self.w_e_trainable {
                    for c in 0..self.n_vars_cat * k {
                        dv[self.w_e + c * v + t].0[l] += dx_cat[i * dc + c].0[l];
                    }
                }
                if self.w_num_trainable {
                    for u in 0..self.n_vars_num {
                        dv[self.w_num + t * self.n_vars_num + u].0[l] += dx_num[i * dn + u].0[l];
                    }
                }
            }
        }
    }
}
