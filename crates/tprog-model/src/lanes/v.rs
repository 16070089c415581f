//! `V`: eight `f32` lanes, one per example of a group, and the lane-wise arithmetic the training
//! kernels are written with. Every operation is a fixed-size loop over the lanes, which LLVM
//! turns into one AVX instruction inside the runtime-dispatched passes (`#[inline(always)]`
//! everywhere, so the dispatched function is where the code is generated).
//!
//! `v.add_mul(a, b)` is `v + a·b`, fused (named for the order of its operands: `f32::mul_add(x,
//! a, b)` is the other way round, `x·a + b`). On a CPU without FMA it is the (slow but exact)
//! software `fmaf`, so both dispatched versions give the same bits.
//!
//! Shapes (dimension letters): L lanes (examples of a group); rows of K values per variable or N
//! keys are `&[V]`.

use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub, SubAssign};

use crate::sampler::{NoiseRng, Sampling};

/// Lanes per vector: examples processed together.
pub(crate) const L: usize = 8;

/// One value for each of the [`L`] examples of a group.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C, align(32))]
pub(crate) struct V(pub [f32; L]);

macro_rules! lane_binop {
    ($trait:ident, $f:ident, $op:tt, $assign:ident, $fa:ident) => {
        impl $trait for V {
            type Output = V;
            #[inline(always)]
            fn $f(self, o: V) -> V {
                let mut r = [0.0f32; L];
                for l in 0..L {
                    r[l] = self.0[l] $op o.0[l];
                }
                V(r)
            }
        }
        impl $assign for V {
            #[inline(always)]
            fn $fa(&mut self, o: V) {
                *self = *self $op o;
            }
        }
    };
}
lane_binop!(Add, add, +, AddAssign, add_assign);
lane_binop!(Sub, sub, -, SubAssign, sub_assign);

impl Mul for V {
    type Output = V;
    #[inline(always)]
    fn mul(self, o: V) -> V {
        self.zip(o, |a, b| a * b)
    }
}

impl Div for V {
    type Output = V;
    #[inline(always)]
    fn div(self, o: V) -> V {
        self.zip(o, |a, b| a / b)
    }
}

impl Neg for V {
    type Output = V;
    #[inline(always)]
    fn neg(self) -> V {
        self.map(|a| -a)
    }
}

impl V {
    /// All lanes 0.
    pub const ZERO: V = V([0.0; L]);
    /// All lanes 1.
    pub const ONE: V = V([1.0; L]);

    /// `x` in every lane.
    #[inline(always)]
    pub fn splat(x: f32) -> V {
        V([x; L])
    }

    /// Lane-wise `f`.
    #[inline(always)]
    pub fn map(self, f: impl Fn(f32) -> f32) -> V {
        let mut r = [0.0f32; L];
        for l in 0..L {
            r[l] = f(self.0[l]);
        }
        V(r)
    }

    /// Lane-wise `f` of two vectors.
    #[inline(always)]
    pub fn zip(self, o: V, f: impl Fn(f32, f32) -> f32) -> V {
        let mut r = [0.0f32; L];
        for l in 0..L {
            r[l] = f(self.0[l], o.0[l]);
        }
        V(r)
    }

    /// `self + a·b`, fused.
    #[inline(always)]
    pub fn add_mul(self, a: V, b: V) -> V {
        let mut r = [0.0f32; L];
        for l in 0..L {
            r[l] = a.0[l].mul_add(b.0[l], self.0[l]);
        }
        V(r)
    }

    /// `self + s·b` for a scalar `s`, fused.
    #[inline(always)]
    pub fn add_mul_s(self, s: f32, b: V) -> V {
        self.add_mul(V::splat(s), b)
    }

    /// Lane-wise maximum.
    #[inline(always)]
    pub fn max(self, o: V) -> V {
        self.zip(o, f32::max)
    }

    /// Lane-wise `if mask ≠ 0 { a } else { b }`.
    #[inline(always)]
    pub fn select(mask: V, a: V, b: V) -> V {
        let mut r = [0.0f32; L];
        for l in 0..L {
            r[l] = if mask.0[l] != 0.0 { a.0[l] } else { b.0[l] };
        }
        V(r)
    }

    /// 1 where `self > o`, else 0.
    #[inline(always)]
    pub fn gt(self, o: V) -> V {
        self.zip(o, |a, b| if a > b { 1.0 } else { 0.0 })
    }

    /// 1 where `self ≥ o`, else 0.
    #[inline(always)]
    pub fn ge(self, o: V) -> V {
        self.zip(o, |a, b| if a >= b { 1.0 } else { 0.0 })
    }

    /// The sum of the lanes, in a fixed pairwise order.
    #[inline(always)]
    pub fn sum_lanes(self) -> f32 {
        let a = self.0;
        ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]))
    }

    /// Lane-wise `eˣ` (a degree-6 polynomial after range reduction, about 1 ulp); 0 below −87,
    /// and about 1.6e38 (not ∞) from 88 up. NaN stays NaN.
    #[inline(always)]
    pub fn exp(self) -> V {
        exp_approx(self)
    }

    /// Lane-wise `eˣ` with the standard library's `expf` (one call per lane), where rounding
    /// must match the per-example passes and the reference (see the loss in `group_step`).
    #[inline(always)]
    pub fn exp_std(self) -> V {
        self.map(f32::exp)
    }

    /// Lane-wise natural logarithm with the standard library's `logf` (one call per lane).
    #[inline(always)]
    pub fn ln_std(self) -> V {
        self.map(f32::ln)
    }

    /// Lane-wise natural logarithm of positive normal values, the same arithmetic as
    /// [`crate::sampler::fast_ln`] (so the Gumbel noise is bit-identical to the per-example
    /// passes).
    #[inline(always)]
    pub fn ln(self) -> V {
        ln_approx(self)
    }
}

/// `eˣ` lane by lane, written as whole-vector steps so that every step is one vector
/// instruction: clamp, `n = ⌊x·log₂e + ½⌋`, `r = x − n·ln 2` (in two parts), a degree-6
/// polynomial, then `2ⁿ` built in the exponent bits.
#[inline(always)]
fn exp_approx(x: V) -> V {
    let xc = x.zip(V::splat(-87.0), |a, b| if a > b { a } else { b });
    let xc = xc.zip(V::splat(88.0), |a, b| if a < b { a } else { b });
    let fx = V::splat(0.5)
        .add_mul(xc, V::splat(std::f32::consts::LOG2_E))
        .map(f32::floor);
    let r = xc.add_mul(fx, V::splat(-0.693_359_4));
    let r = r.add_mul(fx, V::splat(2.121_944_4e-4));
    let z = r * r;
    let mut y = V::splat(1.987_569_1e-4);
    for c in [
        1.398_2e-3,
        8.333_452e-3,
        4.166_579_6e-2,
        1.666_666_5e-1,
        0.5,
    ] {
        y = V::splat(c).add_mul(y, r);
    }
    let y = r.add_mul(y, z) + V::ONE;
    // 2^fx from the bits of fx + 2^23 + 127, whose low mantissa bits hold fx + 127 ∈ [2, 254].
    let pow2 = (fx + V::splat(8_388_735.0)).map(|v| f32::from_bits(v.to_bits() << 23));
    let e = y * pow2;
    let e = e.zip(x, |e, x| if x < -87.0 { 0.0 } else { e });
    e.zip(x, |e, x| if x.is_nan() { x } else { e })
}

/// The natural logarithm lane by lane, with exactly the operations of
/// [`crate::sampler::fast_ln`], as whole-vector steps.
#[inline(always)]
fn ln_approx(x: V) -> V {
    let e = x.map(|v| (((v.to_bits() >> 23) & 0xff) as i32 - 127) as f32);
    let m = x.map(|v| f32::from_bits((v.to_bits() & 0x007f_ffff) | 0x3f80_0000));
    let big = m.gt(V::splat(std::f32::consts::SQRT_2));
    let m = V::select(big, m * V::splat(0.5), m);
    let e = V::select(big, e + V::ONE, e);
    let t = (m - V::ONE) / (m + V::ONE);
    let t2 = t * t;
    let k = |c: f32| V::splat(c);
    let p = k(1.0)
        + t2 * (k(1.0 / 3.0) + t2 * (k(1.0 / 5.0) + t2 * (k(1.0 / 7.0) + t2 * k(1.0 / 9.0))));
    k(2.0) * t * p + e * k(std::f32::consts::LN_2)
}

/// Gumbel(0, 1) noise for the lanes where `draw` is non-zero, each from its own stream, in the
/// same order as the per-example passes draw it; other lanes get 0 and draw nothing.
#[inline(always)]
pub(crate) fn gumbel(rngs: &mut [NoiseRng; L], draw: V) -> V {
    let mut u = [0.5f32; L];
    for l in 0..L {
        if draw.0[l] != 0.0 {
            u[l] = rngs[l].uniform_open();
        }
    }
    V::select(draw, gumbel_from_uniform(V(u)), V::ZERO)
}

/// `−ln(−ln u)` lane by lane, the arithmetic of [`crate::sampler::gumbel_from_uniform`].
#[inline(always)]
pub(crate) fn gumbel_from_uniform(u: V) -> V {
    -(-u.ln()).ln()
}

/// `soft = softmax(x / τ)` over the rows' entries, lane by lane.
#[inline(always)]
pub(crate) fn softmax(x: &[V], tau: f32, soft: &mut [V]) {
    let t = V::splat(tau);
    let mut max = V::splat(f32::NEG_INFINITY);
    for (s, &v) in soft.iter_mut().zip(x) {
        *s = v / t;
        max = max.max(*s);
    }
    let mut sum = V::ZERO;
    for s in soft.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    let inv = V::ONE / sum;
    for s in soft.iter_mut() {
        *s = *s * inv;
    }
}

/// Forward of one distribution per lane (`x` holds any noise): the value used downstream `y`
/// and the soft probabilities `soft`. `Argmax` is not a training sampler and is not handled.
#[inline(always)]
pub(crate) fn sample_forward(s: Sampling, x: &[V], y: &mut [V], soft: &mut [V]) {
    softmax(x, s.tau(), soft);
    if let Sampling::GumbelHard { .. } = s {
        // One-hot of the first maximum, lane by lane.
        let mut best = V::splat(f32::NEG_INFINITY);
        let mut at = V::ZERO;
        for (j, &p) in soft.iter().enumerate() {
            let better = p.gt(best);
            best = V::select(better, p, best);
            at = V::select(better, V::splat(j as f32), at);
        }
        for (j, yj) in y.iter_mut().enumerate() {
            *yj = at.zip(V::ZERO, |a, _| if a == j as f32 { 1.0 } else { 0.0 });
        }
    } else {
        y.copy_from_slice(soft);
    }
}

/// Backward of one distribution per lane: `dx = soft ⊙ (dy − ⟨soft, dy⟩) / τ` (overwrites `dx`).
#[inline(always)]
pub(crate) fn sample_backward(s: Sampling, soft: &[V], dy: &[V], dx: &mut [V]) {
    let inv_tau = V::splat(1.0 / s.tau());
    let mut dot = V::ZERO;
    for (&p, &g) in soft.iter().zip(dy) {
        dot = dot.add_mul(p, g);
    }
    for ((d, &p), &g) in dx.iter_mut().zip(soft).zip(dy) {
        *d = p * (g - dot) * inv_tau;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_accurate_and_saturates() {
        for i in -2000..2000 {
            let x = i as f32 * 0.043_1;
            let (a, b) = (V::splat(x).exp().0[0], x.exp());
            assert!((a - b).abs() <= 3e-7 * b, "{x}: {a} vs {b}");
        }
        assert_eq!(V::splat(-1e30).exp().0[3], 0.0);
        assert!(V::splat(f32::NAN).exp().0[0].is_nan());
        assert!(V::splat(100.0).exp().0[0] > 1e38);
    }

    #[test]
    fn ln_equals_the_scalar_noise_logarithm() {
        for &x in &[
            1e-20f32,
            1e-7,
            0.3,
            0.5,
            std::f32::consts::FRAC_1_SQRT_2,
            0.707_106_9,
            1.0,
            1.5,
            7.0,
            1e6,
        ] {
            let got = V::splat(x).ln().0[5];
            assert_eq!(got.to_bits(), crate::sampler::fast_ln(x).to_bits(), "{x}");
        }
    }

    #[test]
    fn gumbel_draws_match_the_per_example_streams() {
        let mut rngs: [NoiseRng; L] = std::array::from_fn(|l| NoiseRng::new(9, l as u64));
        let mut plain: Vec<NoiseRng> = (0..L).map(|l| NoiseRng::new(9, l as u64)).collect();
        let draw = V([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0]);
        for _ in 0..3 {
            let g = gumbel(&mut rngs, draw);
            for l in 0..L {
                let want = if draw.0[l] != 0.0 {
                    plain[l].gumbel()
                } else {
                    0.0
                };
                assert_eq!(g.0[l].to_bits(), want.to_bits(), "lane {l}");
            }
        }
    }

    #[test]
    fn gumbel_of_the_extreme_uniforms_is_finite_and_matches_the_scalar_noise() {
        use crate::sampler::uniform_open_from_bits;
        // The smallest and largest 24-bit values and their neighbours, ignored low bits 0 or 1.
        let low = (1u64 << 40) - 1;
        let ks = [
            0u64,
            1,
            2,
            (1 << 23) - 1,
            1 << 23,
            (1 << 24) - 2,
            (1 << 24) - 1,
        ];
        let words: Vec<u64> = ks
            .iter()
            .flat_map(|&k| [k << 40, (k << 40) | low])
            .collect();
        for chunk in words.chunks(L) {
            let mut u = [0.5f32; L];
            for (ul, &r) in u.iter_mut().zip(chunk) {
                *ul = uniform_open_from_bits(r);
            }
            let g = gumbel_from_uniform(V(u));
            for l in 0..L {
                let want = crate::sampler::gumbel_from_uniform(u[l]);
                assert!(g.0[l].is_finite(), "u {}", u[l]);
                assert_eq!(g.0[l].to_bits(), want.to_bits(), "u {}", u[l]);
            }
        }
    }

    #[test]
    fn hard_sampling_is_one_hot_of_the_first_maximum() {
        let x = [V::splat(1.0), V::splat(3.0), V::splat(3.0), V::splat(0.0)];
        let (mut y, mut soft) = ([V::ZERO; 4], [V::ZERO; 4]);
        sample_forward(Sampling::GumbelHard { tau: 0.5 }, &x, &mut y, &mut soft);
        let got: Vec<f32> = y.iter().map(|v| v.0[2]).collect();
        assert_eq!(got, [0.0, 1.0, 0.0, 0.0]);
        assert!((soft.iter().map(|v| v.0[0]).sum::<f32>() - 1.0).abs() < 1e-6);
    }
}
