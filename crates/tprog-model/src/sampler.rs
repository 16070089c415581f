//! The sampling functions every discrete choice goes through (softmax, Gumbel-softmax,
//! straight-through Gumbel, argmax), forward and backward,
//! and the fast seeded Gumbel noise they use.
//!
//! All functions work on one distribution (a row `x` of logits). Gumbel noise is added by the
//! caller with [`add_gumbel`] (so it can skip entries that are masked anyway); then
//! [`sample_forward`] computes the value used downstream (`y`) and the soft probabilities the
//! backward needs (`soft`). [`sample_backward`] is the softmax gradient at temperature `τ`; the
//! straight-through `GumbelHard` uses it unchanged, `Argmax` has no gradient.
//!
//! Shapes (dimension letters): one distribution is a row of K values (a variable) or N keys (an
//! attention row).

/// Which sampler the model uses for its discrete choices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampling {
    /// `softmax(x / τ)` (deterministic relaxation).
    Softmax {
        /// Temperature `τ`.
        tau: f32,
    },
    /// `softmax((x + g) / τ)`, `g` Gumbel(0, 1) noise.
    GumbelSoft {
        /// Temperature `τ`.
        tau: f32,
    },
    /// Straight-through Gumbel: forward one-hot of the noisy argmax, backward the soft gradient.
    GumbelHard {
        /// Temperature `τ`.
        tau: f32,
    },
    /// One-hot of the argmax (ties → lowest index): the discrete model.
    Argmax,
}

impl Sampling {
    /// The temperature (1 for `Argmax`, where it is unused).
    pub fn tau(self) -> f32 {
        match self {
            Sampling::Softmax { tau }
            | Sampling::GumbelSoft { tau }
            | Sampling::GumbelHard { tau } => tau,
            Sampling::Argmax => 1.0,
        }
    }
    /// Whether Gumbel noise is drawn.
    pub fn uses_noise(self) -> bool {
        matches!(
            self,
            Sampling::GumbelSoft { .. } | Sampling::GumbelHard { .. }
        )
    }
}

/// Index of the largest element; ties (and an all-NaN row) go to the lowest index.
pub fn argmax_index(x: &[f32]) -> usize {
    let mut best = 0;
    let mut best_v = f32::NEG_INFINITY;
    for (i, &v) in x.iter().enumerate() {
        if v > best_v || (i == 0 && v.is_nan()) {
            best = i;
            best_v = v;
        }
    }
    best
}

/// `y = softmax(x / τ)`, computed as `exp(z − max z) · (1 / Σ)` with `z = x / τ`.
pub fn softmax_scaled(x: &[f32], tau: f32, y: &mut [f32]) {
    let mut max = f32::NEG_INFINITY;
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = xi / tau;
        max = max.max(*yi);
    }
    let mut sum = 0.0f32;
    for yi in y.iter_mut() {
        *yi = (*yi - max).exp();
        sum += *yi;
    }
    let inv = 1.0 / sum;
    for yi in y.iter_mut() {
        *yi *= inv;
    }
}

/// Forward of one distribution. `x` already holds any Gumbel noise. Writes the value used
/// downstream into `y` and the soft probabilities into `soft` (unused for `Argmax`).
pub fn sample_forward(s: Sampling, x: &[f32], y: &mut [f32], soft: &mut [f32]) {
    match s {
        Sampling::Softmax { tau } | Sampling::GumbelSoft { tau } => {
            softmax_scaled(x, tau, soft);
            y.copy_from_slice(soft);
        }
        Sampling::GumbelHard { tau } => {
            softmax_scaled(x, tau, soft);
            one_hot(argmax_index(soft), y);
        }
        Sampling::Argmax => one_hot(argmax_index(x), y),
    }
}

/// Like [`sample_forward`], but `xy` holds the logits on entry and the sample on exit.
pub fn sample_in_place(s: Sampling, xy: &mut [f32], soft: &mut [f32]) {
    match s {
        Sampling::Softmax { tau } | Sampling::GumbelSoft { tau } => {
            softmax_scaled(xy, tau, soft);
            xy.copy_from_slice(soft);
        }
        Sampling::GumbelHard { tau } => {
            softmax_scaled(xy, tau, soft);
            one_hot(argmax_index(soft), xy);
        }
        Sampling::Argmax => {
            let i = argmax_index(xy);
            one_hot(i, xy);
        }
    }
}

/// Backward of one distribution: `dx += soft ⊙ (dy − ⟨soft, dy⟩) / τ` (zero for `Argmax`).
pub fn sample_backward(s: Sampling, soft: &[f32], dy: &[f32], dx: &mut [f32]) {
    if matches!(s, Sampling::Argmax) {
        return;
    }
    let inv_tau = 1.0 / s.tau();
    let dot: f32 = soft.iter().zip(dy).map(|(a, b)| a * b).sum();
    for ((d, &p), &g) in dx.iter_mut().zip(soft).zip(dy) {
        *d += p * (g - dot) * inv_tau;
    }
}

/// Writes the one-hot vector of `idx` into `y`.
pub fn one_hot(idx: usize, y: &mut [f32]) {
    y.fill(0.0);
    if let Some(v) = y.get_mut(idx) {
        *v = 1.0;
    }
}

/// Adds i.i.d. Gumbel(0, 1) noise to every element of `x`.
pub fn add_gumbel(x: &mut [f32], rng: &mut NoiseRng) {
    for v in x.iter_mut() {
        *v += rng.gumbel();
    }
}

/// A small, fast, seedable generator (wyrand) for Gumbel noise. Each example of a batch and
/// each sampled parameter gets its own stream, so results do not depend on thread scheduling.
#[derive(Debug, Clone)]
pub struct NoiseRng {
    state: u64,
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl NoiseRng {
    /// The generator of stream `stream` under `seed`.
    pub fn new(seed: u64, stream: u64) -> Self {
        Self {
            state: splitmix64(seed ^ splitmix64(stream.wrapping_add(0x5851_F42D_4C95_7F2D))),
        }
    }

    /// Next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0xA076_1D64_78BD_642F);
        let t = u128::from(self.state) * u128::from(self.state ^ 0xE703_7ED1_A0B4_28DB);
        ((t >> 64) as u64) ^ (t as u64)
    }

    /// Skips `draws` random words at once (as many calls of [`NoiseRng::next_u64`]; the state
    /// of wyrand is a counter).
    #[inline]
    pub fn skip(&mut self, draws: u64) {
        self.state = self
            .state
            .wrapping_add(draws.wrapping_mul(0xA076_1D64_78BD_642F));
    }

    /// A uniform sample in the open interval (0, 1): [`uniform_open_from_bits`] of the next
    /// random word.
    #[inline]
    pub fn uniform_open(&mut self) -> f32 {
        uniform_open_from_bits(self.next_u64())
    }

    /// A Gumbel(0, 1) sample, `−ln(−ln U)`.
    #[inline]
    pub fn gumbel(&mut self) -> f32 {
        gumbel_from_uniform(self.uniform_open())
    }
}

/// The largest `f32` below 1, `1 − 2⁻²⁴`.
const BELOW_ONE: f32 = 1.0 - f32::EPSILON / 2.0;

/// The uniform sample in the open interval (0, 1) made from the top 24 bits `k` of the random
/// word `r`: `(k + ½)·2⁻²⁴` in `f32`, capped at `1 − 2⁻²⁴`.
///
/// Why the cap: for `k ≥ 2²³`, `k + ½` needs 25 significant bits and rounds (to even), so
/// `k = 2²⁴ − 1` would give exactly `1.0`, whose Gumbel sample `−ln(−ln 1)` is about +88
/// (once every 2²⁴ draws). The cap maps that one value to `1 − 2⁻²⁴` and leaves every other
/// draw bit-identical. The smallest value is `2⁻²⁵` (`k = 0`, exact). Both ends are checked
/// exhaustively in the tests.
#[inline]
pub fn uniform_open_from_bits(r: u64) -> f32 {
    (((r >> 40) as f32 + 0.5) * (1.0 / 16_777_216.0)).min(BELOW_ONE)
}

/// The Gumbel(0, 1) sample `−ln(−ln u)` of a uniform `u` in (0, 1).
#[inline]
pub fn gumbel_from_uniform(u: f32) -> f32 {
    -fast_ln(-fast_ln(u))
}

/// Natural logarithm of a positive normal `f32`, accurate to a few ulps (a degree-7
/// polynomial in the mantissa), much faster than `f32::ln`. Used only for noise.
#[inline]
pub fn fast_ln(x: f32) -> f32 {
    let bits = x.to_bits();
    // Split x = 2^e · m with m in [sqrt(1/2), sqrt(2)).
    let mut e = ((bits >> 23) & 0xff) as i32 - 127;
    let mut m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    if m > std::f32::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln(m) = 2·atanh(t), t = (m − 1)/(m + 1), |t| < 0.172.
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let p = 1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0 + t2 * (1.0 / 9.0))));
    2.0 * t * p + e as f32 * std::f32::consts::LN_2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_ties_go_to_lowest_index() {
        assert_eq!(argmax_index(&[1.0, 3.0, 3.0, 2.0]), 1);
        assert_eq!(argmax_index(&[0.0, 0.0]), 0);
        let mut y = [9.0; 4];
        let mut soft = [0.0; 4];
        sample_forward(Sampling::Argmax, &[2.0, 5.0, 5.0, 1.0], &mut y, &mut soft);
        assert_eq!(y, [0.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn softmax_matches_definition() {
        let x = [0.5f32, -1.0, 2.0];
        let mut y = [0.0; 3];
        softmax_scaled(&x, 0.5, &mut y);
        let e: Vec<f64> = x.iter().map(|&v| (f64::from(v) / 0.5).exp()).collect();
        let s: f64 = e.iter().sum();
        for (a, b) in y.iter().zip(&e) {
            assert!((f64::from(*a) - b / s).abs() < 1e-6);
        }
    }

    #[test]
    fn gumbel_hard_forward_is_one_hot_backward_is_soft_gradient() {
        let x = [0.3f32, 1.2, -0.4, 0.9];
        let (mut y, mut soft) = ([0.0; 4], [0.0; 4]);
        sample_forward(Sampling::GumbelHard { tau: 0.7 }, &x, &mut y, &mut soft);
        assert_eq!(y, [0.0, 1.0, 0.0, 0.0]);
        let dy = [0.1f32, -0.2, 0.3, 0.05];
        let (mut d_hard, mut d_soft) = ([0.0; 4], [0.0; 4]);
        sample_backward(Sampling::GumbelHard { tau: 0.7 }, &soft, &dy, &mut d_hard);
        let (mut y2, mut soft2) = ([0.0; 4], [0.0; 4]);
        sample_forward(Sampling::Softmax { tau: 0.7 }, &x, &mut y2, &mut soft2);
        sample_backward(Sampling::Softmax { tau: 0.7 }, &soft2, &dy, &mut d_soft);
        assert_eq!(d_hard, d_soft);
        assert!(d_soft.iter().any(|v| v.abs() > 1e-3));
    }

    #[test]
    fn softmax_backward_matches_finite_differences() {
        let x = [0.3f32, 1.2, -0.4, 0.9];
        let w = [0.7f32, -1.3, 0.4, 2.0];
        let tau = 0.6;
        let f = |x: &[f32]| {
            let mut y = [0.0; 4];
            softmax_scaled(x, tau, &mut y);
            y.iter().zip(&w).map(|(a, b)| f64::from(a * b)).sum::<f64>()
        };
        let mut soft = [0.0; 4];
        softmax_scaled(&x, tau, &mut soft);
        let mut dx = [0.0; 4];
        sample_backward(Sampling::Softmax { tau }, &soft, &w, &mut dx);
        for i in 0..4 {
            let (mut xp, mut xm) = (x, x);
            xp[i] += 1e-3;
            xm[i] -= 1e-3;
            let fd = (f(&xp) - f(&xm)) / 2e-3;
            assert!(
                (fd - f64::from(dx[i])).abs() < 1e-3,
                "{i}: {fd} vs {}",
                dx[i]
            );
        }
    }

    #[test]
    fn argmax_has_no_gradient() {
        let mut dx = [0.0f32; 3];
        sample_backward(
            Sampling::Argmax,
            &[0.0, 1.0, 0.0],
            &[1.0, 2.0, 3.0],
            &mut dx,
        );
        assert_eq!(dx, [0.0; 3]);
    }

    #[test]
    fn fast_ln_is_accurate() {
        for &x in &[1e-7f32, 0.001, 0.3, 0.5, 0.7, 0.99999, 1.0, 1.5, 7.0, 1e6] {
            let (a, b) = (fast_ln(x), x.ln());
            assert!((a - b).abs() <= 2e-6 * b.abs().max(1.0), "{x}: {a} vs {b}");
        }
    }

    #[test]
    fn uniform_stays_open_and_gumbel_finite_for_every_24_bit_value() {
        // Every value of the 24 bits used, with the 40 ignored low bits all 0 and all 1.
        let low = (1u64 << 40) - 1;
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for k in 0..1u64 << 24 {
            for r in [k << 40, (k << 40) | low] {
                let u = uniform_open_from_bits(r);
                assert!(u > 0.0 && u < 1.0, "k {k}: u {u}");
                let g = gumbel_from_uniform(u);
                assert!(g.is_finite(), "k {k}: g {g}");
                (lo, hi) = (lo.min(g), hi.max(g));
                // Below the top value the draws are those of the uncapped formula.
                if k < (1 << 24) - 1 {
                    assert_eq!(u, (k as f32 + 0.5) * (1.0 / 16_777_216.0), "k {k}");
                }
            }
        }
        // The extreme words: k = 0 and k = 2^24 - 1.
        assert_eq!(uniform_open_from_bits(0), 2f32.powi(-25));
        assert_eq!(uniform_open_from_bits(u64::MAX), 1.0 - 2f32.powi(-24));
        let (g_min, g_max) = (
            gumbel_from_uniform(uniform_open_from_bits(0)),
            gumbel_from_uniform(uniform_open_from_bits(u64::MAX)),
        );
        assert!(g_min.is_finite() && g_max.is_finite());
        // −ln(−ln 2^-25) ≈ −2.85 and −ln(−ln(1 − 2^-24)) ≈ 16.64: no +88 outlier.
        assert!((g_min - -2.852).abs() < 1e-3, "{g_min}");
        assert!((g_max - 16.636).abs() < 1e-3, "{g_max}");
        assert_eq!((lo, hi), (g_min, g_max));
    }

    #[test]
    fn gumbel_noise_has_the_right_mean_and_is_seeded() {
        let mut rng = NoiseRng::new(7, 0);
        let n = 200_000;
        let mean: f64 = (0..n).map(|_| f64::from(rng.gumbel())).sum::<f64>() / n as f64;
        // Euler–Mascheroni constant.
        assert!((mean - 0.577_215_66).abs() < 0.01, "mean {mean}");
        let mut skipped = NoiseRng::new(7, 0);
        let mut stepped = NoiseRng::new(7, 0);
        skipped.skip(37);
        (0..37).for_each(|_| {
            stepped.next_u64();
        });
        assert_eq!(skipped.next_u64(), stepped.next_u64());
        let a: Vec<f32> = (0..5).map(|_| NoiseRng::new(3, 1).gumbel()).collect();
        assert!(a.iter().all(|&v| v == a[0]));
        assert_ne!(
            NoiseRng::new(3, 1).next_u64(),
            NoiseRng::new(3, 2).next_u64()
        );
    }
}
