//! `ConstrainedRead` (spec §2.2): each of `R` outputs is a weighted sum of the `n` blocks
//! (width `w`) at the start of a stream row, with weights `π = sample(φ)`, `φ ∈ R^{R×n}`.
//! At test time `π` is one-hot, so a read copies exactly one variable.

use crate::kernels::{axpy, dot};

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

    /// Backward of [`Read::forward`]: `dπ[r,b] += ⟨dout, row_b⟩`, `drow_b += π[r,b] · dout`.
    #[inline(always)]
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
        // The trailing element (beyond n·w) is never read.
        assert_eq!(drow[6], 0.0);
        assert_eq!(read.choices(&eff), vec![1, 2]);
    }
}
