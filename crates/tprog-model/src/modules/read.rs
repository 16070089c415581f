//! `ConstrainedRead` (the reference's name for a variable read): each of `R` outputs is a weighted sum of the `n` blocks
//! (width `w`) at the start of a stream row, with weights `π = sample(φ)`, `φ ∈ R^{R×n}`.
//! At test time `π` is one-hot, so a read copies exactly one variable.
//!
//! Shapes (dimension letters): N positions (rows), R outputs (heads or MLP inputs), n variables to
//! choose from, W block width (`k` or 1).

use crate::kernels::axpy;
#[cfg(any(test, feature = "testing"))]
use crate::kernels::dot;

/// One read module; `offset` locates `φ` (`[heads, n_vars]`) in the flat parameter buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Read {
    /// Offset of `φ` in the flat buffers.
    pub offset: usize,
    /// Number of outputs `R` (heads, or MLP inputs).
    pub heads: usize,
    /// Number of blocks it chooses from `n`.
    pub n_vars: usize,
    /// Block width `w` (`k` for categorical streams, 1 for the numerical stream).
    pub width: usize,
}

impl Read {
    /// Sampled weights of output `r`: `[n]`.
    #[inline]
    pub fn pi<'a>(&self, eff: &'a [f32], r: usize) -> &'a [f32] {
        let o = self.offset + r * self.n_vars;
        &eff[o..o + self.n_vars]
    }

    /// `out[c] = Σ_b π[r,b] · row[b·w + c]` for one stream row. `out`: `[w]`.
    #[inline(always)]
    pub fn forward(&self, eff: &[f32], row: &[f32], r: usize, out: &mut [f32]) {
        let w = self.width;
        out.fill(0.0);
        for (&p, block) in self.pi(eff, r).iter().zip(row.chunks_exact(w)) {
            if p != 0.0 {
                axpy(p, block, out);
            }
        }
    }

    /// [`Read::forward`] of output `r` at `n` rows of a stream (row stride `stride`) into `outs`
    /// (`[N, w]`); bit-identical to per-row calls, with fixed-size code for widths 8 and 16.
    #[inline(always)]
    pub fn forward_rows(
        &self,
        eff: &[f32],
        rows: &[f32],
        stride: usize,
        n: usize,
        r: usize,
        outs: &mut [f32],
    ) {
        match self.width {
            8 => self.forward_rows_w::<8>(eff, rows, stride, n, r, outs),
            16 => self.forward_rows_w::<16>(eff, rows, stride, n, r, outs),
            w => {
                let it = rows.chunks_exact(stride).zip(outs.chunks_exact_mut(w));
                for (row, out) in it.take(n) {
                    self.forward(eff, row, r, out);
                }
            }
        }
    }

    /// [`Read::forward_rows`] for a block width `W` known at compile time.
    #[inline(always)]
    fn forward_rows_w<const W: usize>(
        &self,
        eff: &[f32],
        rows: &[f32],
        stride: usize,
        n: usize,
        r: usize,
        outs: &mut [f32],
    ) {
        let pi = self.pi(eff, r);
        let it = rows.chunks_exact(stride).zip(outs.chunks_exact_mut(W));
        for (row, out) in it.take(n) {
            let Ok(out) = <&mut [f32; W]>::try_from(out) else {
                continue;
            };
            let mut acc = [0.0f32; W];
            for (&p, block) in pi.iter().zip(row.chunks_exact(W)) {
                let Ok(x) = <&[f32; W]>::try_from(block) else {
                    continue;
                };
                if p != 0.0 {
                    for l in 0..W {
                        acc[l] += p * x[l];
                    }
                }
            }
            *out = acc;
        }
    }

    /// Backward of [`Read::forward`]: `dπ[r,b] += ⟨dout, row_b⟩`, `drow_b += π[r,b] · dout`.
    #[inline(always)]
    #[cfg(any(test, feature = "testing"))]
    pub fn backward(
        &self,
        eff: &[f32],
        row: &[f32],
        r: usize,
        dout: &[f32],
        d_eff: &mut [f32],
        drow: &mut [f32],
    ) {
        let w = self.width;
        let o = self.offset + r * self.n_vars;
        let pi = &eff[o..o + self.n_vars];
        let dpi = &mut d_eff[o..o + self.n_vars];
        let blocks = row.chunks_exact(w).zip(drow.chunks_exact_mut(w));
        for ((&p, dp), (x, dx)) in pi.iter().zip(dpi.iter_mut()).zip(blocks) {
            *dp += dot(dout, x);
            if p != 0.0 {
                axpy(p, dout, dx);
            }
        }
    }

    /// [`Read::backward`] of output `r` at `n` rows of a stream at once: `rows` and `drows` have
    /// row stride `stride`, `douts` is `[N, w]`. For widths 8 and 16 the `dπ` sums run over all
    /// rows in `w` lanes and are reduced once per block (a different summation order from the
    /// per-row calls, still fixed); other widths fall back to per-row calls.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    #[cfg(any(test, feature = "testing"))]
    pub fn backward_rows(
        &self,
        eff: &[f32],
        rows: &[f32],
        stride: usize,
        n: usize,
        r: usize,
        douts: &[f32],
        d_eff: &mut [f32],
        drows: &mut [f32],
    ) {
        match self.width {
            8 => self.backward_rows_w::<8>(eff, rows, stride, n, r, douts, d_eff, drows),
            16 => self.backward_rows_w::<16>(eff, rows, stride, n, r, douts, d_eff, drows),
            w => {
                let it = rows
                    .chunks_exact(stride)
                    .zip(drows.chunks_exact_mut(stride));
                for ((row, drow), dout) in it.zip(douts.chunks_exact(w)).take(n) {
                    self.backward(eff, row, r, dout, d_eff, drow);
                }
            }
        }
    }

    /// [`Read::backward_rows`] for a block width `W` known at compile time.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    #[cfg(any(test, feature = "testing"))]
    fn backward_rows_w<const W: usize>(
        &self,
        eff: &[f32],
        rows: &[f32],
        stride: usize,
        n: usize,
        r: usize,
        douts: &[f32],
        d_eff: &mut [f32],
        drows: &mut [f32],
    ) {
        let o = self.offset + r * self.n_vars;
        for b in 0..self.n_vars {
            let p = eff[o + b];
            let mut acc = [0.0f32; W]; // Σ_i dout_i ⊙ x_i[b], per lane
            let at = b * W;
            let it = rows
                .chunks_exact(stride)
                .zip(drows.chunks_exact_mut(stride));
            for ((row, drow), dout) in it.zip(douts.chunks_exact(W)).take(n) {
                let (Ok(x), Ok(dx), Ok(g)) = (
                    <&[f32; W]>::try_from(&row[at..at + W]),
                    <&mut [f32; W]>::try_from(&mut drow[at..at + W]),
                    <&[f32; W]>::try_from(dout),
                ) else {
                    continue;
                };
                for l in 0..W {
                    acc[l] += g[l] * x[l];
                }
                if p != 0.0 {
                    for l in 0..W {
                        dx[l] += p * g[l];
                    }
                }
            }
            // Fold to 8 lanes, then a pairwise reduction.
            let mut a8 = [0.0f32; 8];
            for (l, v) in acc.iter().enumerate() {
                a8[l % 8] += v;
            }
            let s4 = [a8[0] + a8[4], a8[1] + a8[5], a8[2] + a8[6], a8[3] + a8[7]];
            d_eff[o + b] += (s4[0] + s4[2]) + (s4[1] + s4[3]);
        }
    }

    /// The variable each output reads in the discrete model (argmax of `φ`, ties → lowest).
    pub fn choices(&self, value: &[f32]) -> Vec<usize> {
        (0..self.heads)
            .map(|r| {
                let o = self.offset + r * self.n_vars;
                crate::sampler::argmax_index(&value[o..o + self.n_vars])
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_matches_finite_differences() {
        // φ for 2 outputs over 3 blocks of width 2, stored at offset 1.
        let read = Read {
            offset: 1,
            heads: 2,
            n_vars: 3,
            width: 2,
        };
        let eff = vec![9.0, 0.2, 0.5, 0.3, 0.1, 0.1, 0.8];
        let row = vec![1.0, -2.0, 0.5, 3.0, -1.0, 0.25, 7.0];
        let dout = [0.3f32, -0.7];
        let f = |eff: &[f32], row: &[f32]| {
            let mut out = [0.0f32; 2];
            read.forward(eff, row, 1, &mut out);
            f64::from(out[0] * dout[0] + out[1] * dout[1])
        };
        let mut d_eff = vec![0.0; eff.len()];
        let mut drow = vec![0.0; row.len()];
        read.backward(&eff, &row, 1, &dout, &mut d_eff, &mut drow);
        let h = 1e-2f32;
        for i in 0..eff.len() {
            let (mut p, mut m) = (eff.clone(), eff.clone());
            p[i] += h;
            m[i] -= h;
            let fd = (f(&p, &row) - f(&m, &row)) / f64::from(2.0 * h);
            assert!((fd - f64::from(d_eff[i])).abs() < 1e-4, "φ {i}");
        }
        for i in 0..row.len() {
            let (mut p, mut m) = (row.clone(), row.clone());
            p[i] += h;
            m[i] -= h;
            let fd = (f(&eff, &p) - f(&eff, &m)) / f64::from(2.0 * h);
            assert!((fd - f64::from(drow[i])).abs() < 1e-4, "x {i}");
        }
        // The batched forms agree with per-row calls (backward up to the summation order of dπ).
        for w in [3usize, 8, 16] {
            let read = Read {
                offset: 0,
                heads: 1,
                n_vars: 3,
                width: w,
            };
            let (stride, n) = (3 * w + 2, 3);
            let eff = [0.3f32, 0.0, -0.6];
            let rows: Vec<f32> = (0..stride * n).map(|i| (i as f32 * 0.29).sin()).collect();
            let mut outs = vec![7.0f32; w * n];
            read.forward_rows(&eff, &rows, stride, n, 0, &mut outs);
            for i in 0..n {
                let mut want = vec![0.0f32; w];
                read.forward(&eff, &rows[i * stride..(i + 1) * stride], 0, &mut want);
                assert_eq!(&outs[i * w..(i + 1) * w], &want[..], "w {w}, row {i}");
            }
        }
        for w in [2usize, 8, 16] {
            let read = Read {
                offset: 0,
                heads: 1,
                n_vars: 3,
                width: w,
            };
            let (stride, n) = (3 * w + 1, 4);
            let eff = [0.2f32, 0.0, 0.7];
            let rows: Vec<f32> = (0..stride * n).map(|i| (i as f32 * 0.37).sin()).collect();
            let douts: Vec<f32> = (0..w * n).map(|i| (i as f32 * 0.53).cos()).collect();
            let (mut de1, mut de2) = (vec![0.0f32; 3], vec![0.0f32; 3]);
            let (mut dr1, mut dr2) = (vec![0.0f32; rows.len()], vec![0.0f32; rows.len()]);
            read.backward_rows(&eff, &rows, stride, n, 0, &douts, &mut de1, &mut dr1);
            for i in 0..n {
                let (row, drow) = (i * stride..(i + 1) * stride, &mut dr2[i * stride..]);
                let dout = &douts[i * w..(i + 1) * w];
                read.backward(&eff, &rows[row], 0, dout, &mut de2, &mut drow[..stride]);
            }
            assert_eq!(dr1, dr2, "w {w}");
            for (a, b) in de1.iter().zip(&de2) {
                assert!((a - b).abs() < 1e-5, "w {w}: {a} vs {b}");
            }
        }
        // The trailing element (beyond n·w) is never read.
        assert_eq!(drow[6], 0.0);
        assert_eq!(read.choices(&eff), vec![1, 2]);
    }
}
