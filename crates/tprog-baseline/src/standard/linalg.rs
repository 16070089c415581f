//! Dense kernels of the standard Transformer: strided matrix views, `C ← αAB + βC` on
//! `matrixmultiply`, LayerNorm and a masked softmax, each with its backward.
//!
//! `matrixmultiply::sgemm` takes raw pointers, so it is the one `unsafe` call of the crate; the
//! safe wrapper [`gemm`] checks that every element the call can touch lies inside its slice
//! (and that the output does not alias an input, which Rust's borrows already guarantee).

/// A read-only strided matrix view: element `(i, j)` is `data[i·rs + j·cs]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MatRef<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
    pub cs: usize,
}

impl<'a> MatRef<'a> {
    /// A row-major `rows × cols` matrix at the start of `data`.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose (no copy).
    pub fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
            ..self
        }
    }

    /// Columns `start..start + len` (no copy).
    pub fn cols(self, start: usize, len: usize) -> Self {
        Self {
            data: &self.data[(start * self.cs).min(self.data.len())..],
            cols: len,
            ..self
        }
    }

    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.rs + (self.cols - 1) * self.cs < self.data.len()
    }
}

/// A mutable row-major matrix view with a row stride (columns contiguous).
#[derive(Debug)]
pub(crate) struct MatMut<'a> {
    pub data: &'a mut [f32],
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
}

impl<'a> MatMut<'a> {
    /// A row-major `rows × cols` matrix at the start of `data`.
    pub fn new(data: &'a mut [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            rs: cols,
        }
    }

    /// Columns `start..start + len` of a matrix whose rows are `rs` apart.
    pub fn strided(data: &'a mut [f32], rows: usize, cols: usize, rs: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            rs,
        }
    }

    fn fits(&self) -> bool {
        self.rows == 0 || self.cols == 0 || (self.rows - 1) * self.rs + self.cols <= self.data.len()
    }
}

/// `C ← α·A·B + β·C` (with `β = 0`, `C`'s old contents are ignored, NaN included).
///
/// Panics if the shapes disagree or a view reaches past its slice: both are bugs of the
/// caller inside this crate (every shape comes from a validated config), never user input.
pub(crate) fn gemm(alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: MatMut<'_>) {
    assert!(
        a.cols == b.rows && a.rows == c.rows && b.cols == c.cols,
        "gemm shapes: [{}x{}]·[{}x{}] into [{}x{}]",
        a.rows,
        a.cols,
        b.rows,
        b.cols,
        c.rows,
        c.cols
    );
    assert!(a.fits() && b.fits() && c.fits(), "gemm view out of bounds");
    if c.rows == 0 || c.cols == 0 {
        return;
    }
    if a.cols == 0 {
        for i in 0..c.rows {
            c.data[i * c.rs..i * c.rs + c.cols]
                .iter_mut()
                .for_each(|v| *v = if beta == 0.0 { 0.0 } else { *v * beta });
        }
        return;
    }
    let isz = |x: usize| x as isize;
    // SAFETY: the asserts above check that every index `(i, j)` the call reads or writes
    // (`i < rows`, `j < cols`, through the given strides) lies inside its slice; `c` is a
    // unique borrow, so it aliases neither input, and its strides (rs ≥ cols, 1) never map two
    // elements to one place.
    #[allow(unsafe_code)]
    unsafe {
        matrixmultiply::sgemm(
            a.rows,
            a.cols,
            b.cols,
            alpha,
            a.data.as_ptr(),
            isz(a.rs),
            isz(a.cs),
            b.data.as_ptr(),
            isz(b.rs),
            isz(b.cs),
            beta,
            c.data.as_mut_ptr(),
            isz(c.rs),
            1,
        );
    }
}

/// Adds `bias` to every row of the row-major `rows × bias.len()` matrix `out`.
pub(crate) fn add_bias(out: &mut [f32], bias: &[f32]) {
    for row in out.chunks_exact_mut(bias.len()) {
        row.iter_mut().zip(bias).for_each(|(o, b)| *o += b);
    }
}

/// `grad += Σ_rows dout` (the gradient of a bias).
pub(crate) fn sum_rows(dout: &[f32], grad: &mut [f32]) {
    for row in dout.chunks_exact(grad.len()) {
        grad.iter_mut().zip(row).for_each(|(g, d)| *g += d);
    }
}

/// LayerNorm epsilon (PyTorch's default).
pub(crate) const LN_EPS: f32 = 1e-5;

/// LayerNorm of every row of `x` (`[R, D]`): `xhat = (x − mean)·rstd`, `out = xhat·γ + β`;
/// keeps `xhat` and `rstd` for the backward.
pub(crate) fn layer_norm(
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    xhat: &mut [f32],
    rstd: &mut [f32],
    out: &mut [f32],
) {
    let d = gamma.len();
    for (r, ((xr, hr), or)) in x
        .chunks_exact(d)
        .zip(xhat.chunks_exact_mut(d))
        .zip(out.chunks_exact_mut(d))
        .enumerate()
    {
        let mean = xr.iter().sum::<f32>() / d as f32;
        let var = xr.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / d as f32;
        let s = 1.0 / (var + LN_EPS).sqrt();
        rstd[r] = s;
        for j in 0..d {
            let h = (xr[j] - mean) * s;
            hr[j] = h;
            or[j] = h * gamma[j] + beta[j];
        }
    }
}

/// LayerNorm backward: `dγ += Σ dout·xhat`, `dβ += Σ dout`, and
/// `dx += rstd·(g − mean(g) − xhat·mean(g·xhat))` with `g = dout·γ`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn layer_norm_backward(
    dout: &[f32],
    xhat: &[f32],
    rstd: &[f32],
    gamma: &[f32],
    dgamma: &mut [f32],
    dbeta: &mut [f32],
    dx: &mut [f32],
    scratch: &mut Vec<f32>,
) {
    let d = gamma.len();
    scratch.resize(d, 0.0);
    for (r, ((dr, hr), xr)) in dout
        .chunks_exact(d)
        .zip(xhat.chunks_exact(d))
        .zip(dx.chunks_exact_mut(d))
        .enumerate()
    {
        let (mut mean_g, mut mean_gh) = (0.0f32, 0.0f32);
        for j in 0..d {
            dgamma[j] += dr[j] * hr[j];
            dbeta[j] += dr[j];
            let g = dr[j] * gamma[j];
            scratch[j] = g;
            mean_g += g;
            mean_gh += g * hr[j];
        }
        mean_g /= d as f32;
        mean_gh /= d as f32;
        let s = rstd[r];
        for j in 0..d {
            xr[j] += s * (scratch[j] - mean_g - hr[j] * mean_gh);
        }
    }
}

/// `e^x` for `x ≤ 0` (inputs below −87 give about 1e−38), within a few ulps: `2^n · p(f)`
/// with `n = round(x·log2 e)`, `f = x − n·ln 2`, and a degree-6 polynomial in `f`; branch-free
/// and without library calls or float-to-int conversions, so loops over it vectorise.
#[inline(always)]
pub(crate) fn exp_nonpositive(x: f32) -> f32 {
    // Adding 1.5·2^23 rounds to an integer and leaves it in the low mantissa bits.
    const SHIFTER: f32 = 12_582_912.0;
    let x = x.max(-87.0);
    let shifted = x * std::f32::consts::LOG2_E + SHIFTER;
    let n = shifted - SHIFTER;
    // Cody–Waite reduction: ln 2 in two parts, so `f` keeps its precision for large |x|.
    let f = (x - n * 0.693_359_4) + n * 2.121_944_4e-4; // in about [−ln2/2, ln2/2]
    let p = 1.0
        + f * (1.0
            + f * (0.5
                + f * (1.0 / 6.0 + f * (1.0 / 24.0 + f * (1.0 / 120.0 + f * (1.0 / 720.0))))));
    // 2^n: the exponent field n + 127 (n is in the low bits of `shifted`).
    let exponent = shifted
        .to_bits()
        .wrapping_sub(SHIFTER.to_bits())
        .wrapping_add(127);
    p * f32::from_bits(exponent << 23)
}

/// In-place softmax of each row of `scores` (`[N, N]`) where `allowed(q, k)`; blocked entries
/// become exactly 0. Every row has at least one allowed key (key 0 always is). The row sum uses
/// eight running sums in a fixed order (deterministic, and vectorised).
pub(crate) fn masked_softmax(scores: &mut [f32], n: usize, allowed: impl Fn(usize, usize) -> bool) {
    for (q, row) in scores.chunks_exact_mut(n).enumerate() {
        let mut max = f32::NEG_INFINITY;
        for (k, s) in row.iter_mut().enumerate() {
            if allowed(q, k) {
                max = max.max(*s);
            } else {
                *s = f32::NEG_INFINITY;
            }
        }
        for s in row.iter_mut() {
            let e = exp_nonpositive(*s - max);
            *s = if *s == f32::NEG_INFINITY { 0.0 } else { e };
        }
        let mut lanes = [0.0f32; 8];
        let mut blocks = row.chunks_exact(8);
        for block in &mut blocks {
            for (l, v) in lanes.iter_mut().zip(block) {
                *l += v;
            }
        }
        let tail: f32 = blocks.remainder().iter().sum();
        let sum = lanes.iter().sum::<f32>() + tail;
        let inv = 1.0 / sum;
        row.iter_mut().for_each(|s| *s *= inv);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemm_matches_naive_with_transposes_and_column_slices() {
        // A [2x3] (a column slice of a 2x5 matrix), B^T where B is stored [4x3].
        let a_full: Vec<f32> = (0..10).map(|v| v as f32).collect();
        let b_store: Vec<f32> = (0..12).map(|v| (v as f32) * 0.5 - 2.0).collect();
        let a = MatRef::new(&a_full, 2, 5).cols(1, 3);
        let b = MatRef::new(&b_store, 4, 3).t();
        let mut c = vec![1.0f32; 8];
        gemm(2.0, a, b, 1.0, MatMut::new(&mut c, 2, 4));
        for i in 0..2 {
            for j in 0..4 {
                let mut s = 0.0;
                for k in 0..3 {
                    s += a_full[i * 5 + 1 + k] * b_store[j * 3 + k];
                }
                assert!((c[i * 4 + j] - (1.0 + 2.0 * s)).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn fast_exp_is_accurate() {
        for i in 0..2000 {
            let x = -(i as f32) * 0.04;
            let (ours, exact) = (exp_nonpositive(x), x.exp());
            assert!(
                (ours - exact).abs() <= 1e-6 * exact + 1e-38,
                "{x}: {ours} vs {exact}"
            );
        }
    }

    #[test]
    fn layer_norm_backward_matches_finite_differences() {
        let d = 5;
        let x: Vec<f32> = vec![0.3, -1.2, 2.0, 0.7, -0.1, 1.0, 0.5, -0.5, 0.2, 0.9];
        let gamma = vec![1.0, 0.5, -0.3, 2.0, 1.5];
        let beta = vec![0.1; 5];
        let w: Vec<f32> = (0..10).map(|i| (i as f32 * 0.37).sin()).collect();
        let loss = |x: &[f32]| {
            let (mut h, mut s, mut o) = (vec![0.0; 10], vec![0.0; 2], vec![0.0; 10]);
            layer_norm(x, &gamma, &beta, &mut h, &mut s, &mut o);
            o.iter().zip(&w).map(|(a, b)| f64::from(a * b)).sum::<f64>()
        };
        let (mut h, mut s, mut o) = (vec![0.0; 10], vec![0.0; 2], vec![0.0; 10]);
        layer_norm(&x, &gamma, &beta, &mut h, &mut s, &mut o);
        let (mut dg, mut db, mut dx) = (vec![0.0; d], vec![0.0; d], vec![0.0; 10]);
        layer_norm_backward(
            &w,
            &h,
            &s,
            &gamma,
            &mut dg,
            &mut db,
            &mut dx,
            &mut Vec::new(),
        );
        for i in 0..10 {
            let (mut up, mut down) = (x.clone(), x.clone());
            up[i] += 1e-2;
            down[i] -= 1e-2;
            let numeric = (loss(&up) - loss(&down)) / 2e-2;
            assert!(
                (numeric - f64::from(dx[i])).abs() < 2e-3,
                "{i}: {numeric} vs {}",
                dx[i]
            );
        }
    }
}
