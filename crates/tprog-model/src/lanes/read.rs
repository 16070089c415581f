//! [`Read`] (a variable read: a sampled choice among the stream's variable blocks) over a
//! group of examples held lane-wise; the equations of `crate::modules::read`.
//!
//! Shapes (dimension letters): L lanes (examples of a group, one per SIMD lane, inside every
//! [`V`]), N positions, K values per variable, H heads, D hidden width of an MLP, U MLP inputs,
//! C classes, D_U classifier inputs. Parameters are shared by the lanes (`eff`, scalars); their
//! gradients are accumulated per lane into `dv` and summed over the lanes once per chunk.

use super::grad::LaneGrad;
use super::v::V;
use crate::modules::read::Read;

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
                                *o = o.add_mul_s(p, x);
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
                        acc[c] = acc[c].add_mul(p, block[c]);
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
        dv: &mut LaneGrad,
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
                            acc = acc.add_mul(g, x);
                        }
                        if p != 0.0 {
                            for (dx, &g) in drows[at..at + w].iter_mut().zip(dout) {
                                *dx = dx.add_mul_s(p, g);
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
        dv: &mut LaneGrad,
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
                    acc[c] = acc[c].add_mul(g[c], x[c]);
                }
                if p != 0.0 {
                    let p = V::splat(p);
                    let dx = &mut drows[at..at + W];
                    for c in 0..W {
                        dx[c] = dx[c].add_mul(p, g[c]);
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
