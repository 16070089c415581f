//! The two products every dense layer of a group reduces to, with scalar weights shared by the
//! lanes and activations held as [`V`]s, blocked over 8 positions so that each weight is
//! broadcast once per 8 fused multiply-adds and each gradient accumulator is loaded and stored
//! once per 8 positions.
//!
//! Weight matrices are row-major and contiguous; where a layer needs a transpose, the caller
//! passes a transposed copy (made once per training step, see `transpose_weights`).
//!
//! Shapes (dimension letters): N rows (positions), matrices row-major `[rows, cols]`; every element
//! is a [`V`] of L lanes.

use super::v::V;

/// Positions per block.
const B: usize = 8;

/// `y[i·ys + r] = init_r + Σ_{s<cols} a[r·cols + s] · x[i·xs + s]` for `i < n`, `r < rows`
/// (`a` row-major `[rows, cols]`), where `init_r` is `bias[r]` (0 without a bias), plus `y`'s
/// old value when `accumulate`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn lin(
    a: &[f32],
    (rows, cols): (usize, usize),
    bias: Option<&[f32]>,
    x: &[V],
    xs: usize,
    n: usize,
    y: &mut [V],
    ys: usize,
    accumulate: bool,
) {
    let mut i0 = 0;
    while i0 < n {
        let m = (n - i0).min(B);
        // Rows past the end repeat the last one; their results are not stored.
        let row = |t: usize| {
            let i = i0 + t.min(m - 1);
            &x[i * xs..i * xs + cols]
        };
        let (x0, x1, x2, x3) = (row(0), row(1), row(2), row(3));
        let (x4, x5, x6, x7) = (row(4), row(5), row(6), row(7));
        for r in 0..rows {
            let init = V::splat(bias.map_or(0.0, |b| b[r]));
            let mut acc = [init; B];
            if accumulate {
                for t in 0..m {
                    acc[t] += y[(i0 + t) * ys + r];
                }
            }
            let wr = &a[r * cols..(r + 1) * cols];
            for s in 0..cols {
                let w = V::splat(wr[s]);
                acc[0] = acc[0].add_mul(w, x0[s]);
                acc[1] = acc[1].add_mul(w, x1[s]);
                acc[2] = acc[2].add_mul(w, x2[s]);
                acc[3] = acc[3].add_mul(w, x3[s]);
                acc[4] = acc[4].add_mul(w, x4[s]);
                acc[5] = acc[5].add_mul(w, x5[s]);
                acc[6] = acc[6].add_mul(w, x6[s]);
                acc[7] = acc[7].add_mul(w, x7[s]);
            }
            for t in 0..m {
                y[(i0 + t) * ys + r] = acc[t];
            }
        }
        i0 += B;
    }
}

/// `d[r·cols + s] += Σ_{i<n} p[i·ps + r] · q[i·qs + s]` for `r < rows`, `s < cols` (the
/// gradient of a row-major weight matrix: a sum of outer products over positions).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn outer_acc(
    d: &mut [V],
    (rows, cols): (usize, usize),
    p: &[V],
    ps: usize,
    q: &[V],
    qs: usize,
    n: usize,
) {
    let mut i0 = 0;
    while i0 < n {
        let m = (n - i0).min(B);
        let row = |t: usize| {
            let i = i0 + t.min(m - 1);
            &q[i * qs..i * qs + cols]
        };
        let (q0, q1, q2, q3) = (row(0), row(1), row(2), row(3));
        let (q4, q5, q6, q7) = (row(4), row(5), row(6), row(7));
        for r in 0..rows {
            // Positions past the end get a zero weight.
            let mut pr = [V::ZERO; B];
            for t in 0..m {
                pr[t] = p[(i0 + t) * ps + r];
            }
            let dr = &mut d[r * cols..(r + 1) * cols];
            for s in 0..cols {
                let mut acc = dr[s];
                acc = acc.add_mul(pr[0], q0[s]);
                acc = acc.add_mul(pr[1], q1[s]);
                acc = acc.add_mul(pr[2], q2[s]);
                acc = acc.add_mul(pr[3], q3[s]);
                acc = acc.add_mul(pr[4], q4[s]);
                acc = acc.add_mul(pr[5], q5[s]);
                acc = acc.add_mul(pr[6], q6[s]);
                acc = acc.add_mul(pr[7], q7[s]);
                dr[s] = acc;
            }
        }
        i0 += B;
    }
}

/// Writes the transpose of the row-major `[rows, cols]` matrix `a` into `t` (`[cols, rows]`).
pub(crate) fn transpose(a: &[f32], rows: usize, cols: usize, t: &mut [f32]) {
    for (r, row) in a.chunks_exact(cols.max(1)).take(rows).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            t[c * rows + r] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(i: usize) -> V {
        V(std::array::from_fn(|l| {
            ((i * 7 + l * 3) % 11) as f32 * 0.25 - 1.0
        }))
    }

    #[test]
    fn lin_and_outer_acc_match_plain_loops() {
        for n in [1usize, 5, 8, 13] {
            let (rows, cols) = (3usize, 4usize);
            let a: Vec<f32> = (0..rows * cols).map(|i| i as f32 * 0.5 - 2.0).collect();
            let bias = [0.5f32, -1.0, 2.0];
            let x: Vec<V> = (0..n * 6).map(v).collect(); // stride 6 ≥ cols
            let mut y = vec![V::splat(9.0); n * 5];
            lin(&a, (rows, cols), Some(&bias), &x, 6, n, &mut y, 5, false);
            let mut y2 = y.clone();
            lin(&a, (rows, cols), None, &x, 6, n, &mut y2, 5, true);
            for i in 0..n {
                for r in 0..rows {
                    for l in 0..8 {
                        let want: f32 = bias[r]
                            + (0..cols)
                                .map(|s| a[r * cols + s] * x[i * 6 + s].0[l])
                                .sum::<f32>();
                        let got = y[i * 5 + r].0[l];
                        assert!((got - want).abs() < 1e-4, "n {n} i {i} r {r}");
                        let twice = y2[i * 5 + r].0[l];
                        assert!((twice - (2.0 * want - bias[r])).abs() < 1e-4);
                    }
                }
                assert_eq!(y[i * 5 + 3], V::splat(9.0), "untouched column");
            }
            let q: Vec<V> = (0..n * 4).map(|i| v(i + 100)).collect();
            let mut d = vec![V::splat(1.0); rows * cols];
            outer_acc(&mut d, (rows, cols), &x, 6, &q, 4, n);
            for r in 0..rows {
                for s in 0..cols {
                    for l in 0..8 {
                        let want: f32 = 1.0
                            + (0..n)
                                .map(|i| x[i * 6 + r].0[l] * q[i * 4 + s].0[l])
                                .sum::<f32>();
                        assert!((d[r * cols + s].0[l] - want).abs() < 1e-4);
                    }
                }
            }
        }
        let mut t = [0.0f32; 6];
        transpose(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3, &mut t);
        assert_eq!(t, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    }
}
