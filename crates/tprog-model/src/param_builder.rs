//! `ParamBuilder`: creates the model's parameters under name-scoped paths (like candle's
//! `VarBuilder::pp`), each with its initialisation stated where it is created. The names are
//! the checkpoint keys (the reference's `state_dict` names) and what the decompiler reads.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::params::{ParamId, Params, SampledAs};

/// Standard normal samples (Box–Muller) from a seeded ChaCha8 stream.
///
/// Written out rather than taken from `rand_distr` (whose `StandardNormal` is a ziggurat and
/// draws different numbers): every seeded initialisation, and so every recorded run, is made
/// of these values.
pub(crate) struct Normal(ChaCha8Rng);

impl Normal {
    /// The stream of `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed))
    }

    /// `n` samples of `N(0, 1) · scale`.
    pub(crate) fn sample(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n)
            .map(|_| {
                let u1: f64 = 1.0 - self.0.r#gen::<f64>();
                let u2: f64 = self.0.r#gen::<f64>();
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                z as f32 * scale
            })
            .collect()
    }
}

/// `1 / sqrt(n)` (`n` at least 1): the scale of the reference's `N(0, 1)/sqrt(n)` inits.
pub(crate) fn inv_sqrt(n: usize) -> f32 {
    1.0 / (n.max(1) as f32).sqrt()
}

/// Adds parameters to a [`Params`] under the path `prefix`, drawing normal initialisations
/// from one stream in creation order (so the order of calls fixes the values).
pub(crate) struct ParamBuilder<'a> {
    params: &'a mut Params,
    rng: &'a mut Normal,
    prefix: String,
}

impl<'a> ParamBuilder<'a> {
    /// A builder at the root path.
    pub(crate) fn new(params: &'a mut Params, rng: &'a mut Normal) -> Self {
        Self {
            params,
            rng,
            prefix: String::new(),
        }
    }

    /// A builder for the sub-path `name` (`pp("blocks.0").pp("cat_attn")` creates names
    /// `blocks.0.cat_attn.…`).
    pub(crate) fn pp(&mut self, name: impl std::fmt::Display) -> ParamBuilder<'_> {
        let prefix = self.path(&name.to_string());
        ParamBuilder {
            params: self.params,
            rng: self.rng,
            prefix,
        }
    }

    fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    /// A tensor with the given values.
    pub(crate) fn values(
        &mut self,
        name: &str,
        shape: Vec<usize>,
        values: Vec<f32>,
        trainable: bool,
        sampled: SampledAs,
    ) -> ParamId {
        let name = self.path(name);
        self.params.add(name, shape, values, trainable, sampled)
    }

    /// A trainable tensor initialised `N(0, 1) · scale`.
    pub(crate) fn normal(
        &mut self,
        name: &str,
        shape: Vec<usize>,
        scale: f32,
        sampled: SampledAs,
    ) -> ParamId {
        let values = self.rng.sample(shape.iter().product(), scale);
        self.values(name, shape, values, true, sampled)
    }

    /// A trainable tensor of zeros.
    pub(crate) fn zeros(&mut self, name: &str, shape: Vec<usize>) -> ParamId {
        let values = vec![0.0; shape.iter().product()];
        self.values(name, shape, values, true, SampledAs::Raw)
    }

    /// `n` normal samples drawn from the builder's stream (for values computed before the
    /// tensor is created).
    pub(crate) fn sample(&mut self, n: usize, scale: f32) -> Vec<f32> {
        self.rng.sample(n, scale)
    }

    /// The parameters built so far.
    pub(crate) fn params(&mut self) -> &mut Params {
        self.params
    }

    /// Offset of parameter `id` in the flat buffers.
    pub(crate) fn offset(&self, id: ParamId) -> usize {
        self.params.spec(id).offset
    }
}
