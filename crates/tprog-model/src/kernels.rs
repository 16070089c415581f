//! The small vector kernels every module's forward and backward is written with: `dot` and
//! `axpy` over contiguous slices, shaped so the compiler vectorises them (8 independent lanes,
//! no bounds checks in the loop). They are `#[inline(always)]`, so inside the runtime-dispatched
//! passes of `per_example.rs` and `oracle.rs` they compile to AVX2 code where the CPU has it.
//!
//! `dot` reassociates the sum (8 partial sums), so it is for the relaxed model's arithmetic
//! only; the classifier keeps its own strictly ordered sum (see `classifier.rs`).
//!
//! Shapes (dimension letters): slices of length K (values per variable) or N (positions); matrices
//! row-major.

/// Lanes of the partial sums in [`dot`] (one AVX register of `f32`).
const LANES: usize = 8;

/// `Σ a[i]·b[i]` over the common length, with 8 partial sums (not a left-to-right sum).
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let len = a.len().min(b.len());
    // Fixed-length paths for the common block widths k = 8 and 16: the same arithmetic as the
    // general loop below (bit-identical), but fully unrolled into whole-register operations.
    if let (Ok(x), Ok(y)) = (<&[f32; 16]>::try_from(a), <&[f32; 16]>::try_from(b)) {
        return dot16(x, y);
    }
    if let (Ok(x), Ok(y)) = (<&[f32; 8]>::try_from(a), <&[f32; 8]>::try_from(b)) {
        return dot8(x, y);
    }
    dot_any(&a[..len], &b[..len])
}

/// The general [`dot`] over equal-length slices: 8 partial sums, a pairwise reduction, the tail.
#[inline(always)]
fn dot_any(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let (ac, bc) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in ar.iter().zip(br) {
        tail += x * y;
    }
    let s4 = [
        acc[0] + acc[4],
        acc[1] + acc[5],
        acc[2] + acc[6],
        acc[3] + acc[7],
    ];
    (s4[0] + s4[2]) + (s4[1] + s4[3]) + tail
}

/// `y[i] += alpha · x[i]` over the common length.
#[inline(always)]
pub(crate) fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    // Fixed-length paths for k = 8 and 16 (one or two whole registers, no loop).
    if let (Ok(xa), Ok(ya)) = (
        <&[f32; 16]>::try_from(x),
        <&mut [f32; 16]>::try_from(&mut *y),
    ) {
        for l in 0..16 {
            ya[l] += alpha * xa[l];
        }
        return;
    }
    if let (Ok(xa), Ok(ya)) = (<&[f32; 8]>::try_from(x), <&mut [f32; 8]>::try_from(&mut *y)) {
        for l in 0..8 {
            ya[l] += alpha * xa[l];
        }
        return;
    }
    for (yv, &xv) in y.iter_mut().zip(x) {
        *yv += alpha * xv;
    }
}

/// [`dot`] of two 8-vectors: `acc[l] = 0 + a[l]·b[l]`, then the same pairwise reduction.
#[inline(always)]
fn dot8(a: &[f32; 8], b: &[f32; 8]) -> f32 {
    let mut acc = [0.0f32; LANES];
    for l in 0..LANES {
        acc[l] += a[l] * b[l];
    }
    reduce8(&acc)
}

/// [`dot`] of two 16-vectors: two chunks of 8 lanes, then the same pairwise reduction.
#[inline(always)]
fn dot16(a: &[f32; 16], b: &[f32; 16]) -> f32 {
    let mut acc = [0.0f32; LANES];
    for l in 0..LANES {
        acc[l] += a[l] * b[l];
    }
    for l in 0..LANES {
        acc[l] += a[LANES + l] * b[LANES + l];
    }
    reduce8(&acc)
}

/// The pairwise reduction of [`dot`]'s partial sums (its tail is 0 for whole chunks).
#[inline(always)]
fn reduce8(acc: &[f32; LANES]) -> f32 {
    let s4 = [
        acc[0] + acc[4],
        acc[1] + acc[5],
        acc[2] + acc[6],
        acc[3] + acc[7],
    ];
    (s4[0] + s4[2]) + (s4[1] + s4[3]) + 0.0
}

/// Writes the transpose of the row-major `[rows, cols]` matrix `a` into `t` (`[cols, rows]`).
#[inline(always)]
pub(crate) fn transpose(a: &[f32], rows: usize, cols: usize, t: &mut [f32]) {
    for (r, row) in a.chunks_exact(cols).take(rows).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            if let Some(x) = t.get_mut(c * rows + r) {
                *x = v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_a_plain_sum_on_every_length() {
        for len in 0..27 {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..len).map(|i| (i as f32 * 0.91).cos()).collect();
            let want: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(x * y)).sum();
            assert!((f64::from(dot(&a, &b)) - want).abs() < 1e-5, "len {len}");
        }
        // Mismatched lengths use the common prefix.
        let mut t = [0.0f32; 6];
        transpose(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3, &mut t);
        assert_eq!(t, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert_eq!(dot(&[1.0, 2.0, 3.0], &[4.0, 5.0]), 14.0);
    }

    #[test]
    fn fixed_length_dots_are_bit_identical_to_the_general_loop() {
        for len in [8usize, 16] {
            for seed in 0..20 {
                let a: Vec<f32> = (0..len).map(|i| ((i + seed) as f32 * 1.37).sin()).collect();
                let b: Vec<f32> = (0..len).map(|i| ((i * seed) as f32 * 0.71).cos()).collect();
                assert_eq!(
                    dot(&a, &b).to_bits(),
                    dot_any(&a, &b).to_bits(),
                    "len {len}"
                );
            }
            let z = vec![-0.0f32; len];
            let one = vec![1.0f32; len];
            assert_eq!(dot(&z, &one).to_bits(), dot_any(&z, &one).to_bits());
        }
    }

    #[test]
    fn axpy_on_every_length() {
        for len in 0..27 {
            let x: Vec<f32> = (0..len).map(|i| i as f32).collect();
            let mut y = vec![1.0f32; len + 2];
            axpy(2.0, &x, &mut y);
            for (i, v) in y.iter().enumerate() {
                let want = if i < len { 1.0 + 2.0 * i as f32 } else { 1.0 };
                assert_eq!(*v, want, "len {len}, i {i}");
            }
        }
    }
}
