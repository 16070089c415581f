//! numpy's legacy normal draws (`RandomState.randn`, `RandomState.normal`), on top of the
//! MT19937 stream of [`crate::rng::RandomState`]; the reference draws GloVe's random projection
//! (sklearn's `GaussianRandomProjection`) and the vectors of words GloVe lacks this way.
//!
//! * `random_sample()`: two 32-bit outputs `a`, `b` give `((a >> 5)·2^26 + (b >> 6)) / 2^53`.
//! * `standard_normal()`: the polar Box–Muller method. Draw `x1 = 2u − 1`, `x2 = 2u − 1` until
//!   `0 < r² = x1² + x2² < 1`; with `f = sqrt(−2 ln r² / r²)` return `f·x2` and keep `f·x1` for
//!   the next call.

use crate::rng::RandomState;

/// A `RandomState` with numpy's cached second Gaussian.
#[derive(Debug, Clone)]
pub struct LegacyNormal {
    rng: RandomState,
    cached: Option<f64>,
}

impl LegacyNormal {
    /// Seeded like `np.random.RandomState(seed)`.
    pub fn new(seed: u32) -> Self {
        Self {
            rng: RandomState::new(seed),
            cached: None,
        }
    }

    /// A uniform double in `[0, 1)` with 53 random bits (`random_sample`).
    pub fn random_sample(&mut self) -> f64 {
        let a = f64::from(self.rng.next_u32() >> 5);
        let b = f64::from(self.rng.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// One standard normal draw (`randn()`).
    pub fn standard_normal(&mut self) -> f64 {
        if let Some(value) = self.cached.take() {
            return value;
        }
        loop {
            let x1 = 2.0 * self.random_sample() - 1.0;
            let x2 = 2.0 * self.random_sample() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.cached = Some(f * x1);
                return f * x2;
            }
        }
    }

    /// `normal(loc, scale, size=count)`: `loc + scale · randn()`, `count` times.
    pub fn normal(&mut self, loc: f64, scale: f64, count: usize) -> Vec<f64> {
        (0..count)
            .map(|_| loc + scale * self.standard_normal())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_draws_match_numpy() {
        // np.random.RandomState(0).random_sample(2) and .randn(3) (numpy 1.x legacy).
        let mut r = LegacyNormal::new(0);
        assert_eq!(r.random_sample(), 0.548_813_503_927_324_8);
        assert_eq!(r.random_sample(), 0.715_189_366_372_419_5);
        let mut r = LegacyNormal::new(0);
        let want = [
            1.764_052_345_967_664,
            0.400_157_208_367_223_3,
            0.978_737_984_105_739_2,
        ];
        for w in want {
            assert!((r.standard_normal() - w).abs() < 1e-15, "{w}");
        }
    }
}
