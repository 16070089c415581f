//! The parameter store: every tensor under its reference (PyTorch) name, in one flat buffer,
//! with its gradient, Adam moments, trainable flag, and its sampled ("effective") value.
//!
//! Parameters that go through the sampler (reads `φ`, predicates `ψ`, the token embedding) have
//! an effective value recomputed once per forward pass (`eff`, plus the soft probabilities
//! `soft` the backward needs); the others are used as they are. The kernels read `eff` only and
//! accumulate gradients with respect to it (`d_eff`, same layout); [`Params::backprop_samplers`]
//! turns those into gradients of the raw values.

use std::collections::HashMap;

use crate::sampler::{NoiseRng, Sampling, add_gumbel, sample_backward, sample_forward};

/// How a parameter is passed through the sampler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampledAs {
    /// Used as is.
    Raw,
    /// Each row of the last dimension (`width` values) is one distribution.
    Rows {
        /// Row length.
        width: usize,
    },
    /// A `[groups·k, cols]` matrix whose columns are split into distributions of `k`
    /// consecutive rows (the token embedding).
    Columns {
        /// Distribution length `k`.
        k: usize,
        /// Number of columns.
        cols: usize,
    },
}

/// One named tensor of the store.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// The reference's name, e.g. `blocks.0.cat_attn.W_pred.W`.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Offset of its first element in the flat buffers.
    pub offset: usize,
    /// Number of elements.
    pub len: usize,
    /// Whether Adam updates it.
    pub trainable: bool,
    /// How it is sampled in the forward pass.
    pub sampled: SampledAs,
}

/// Identifies a parameter inside a [`Params`] store.
pub type ParamId = usize;

/// All parameters of a model.
#[derive(Debug, Clone)]
pub struct Params {
    specs: Vec<ParamSpec>,
    index: HashMap<String, ParamId>,
    /// Raw values, all parameters concatenated in creation order.
    pub value: Vec<f32>,
    /// Accumulated gradients of the raw values (same layout).
    pub grad: Vec<f32>,
    /// Adam first moments.
    pub adam_m: Vec<f32>,
    /// Adam second moments.
    pub adam_v: Vec<f32>,
    /// Values used by the last forward pass (sampled where applicable).
    pub(crate) effective: Vec<f32>,
    /// Soft probabilities of the sampled parameters at the last forward pass.
    pub(crate) soft: Vec<f32>,
}

impl Params {
    pub(crate) fn new() -> Self {
        Self {
            specs: Vec::new(),
            index: HashMap::new(),
            value: Vec::new(),
            grad: Vec::new(),
            adam_m: Vec::new(),
            adam_v: Vec::new(),
            effective: Vec::new(),
            soft: Vec::new(),
        }
    }

    /// Adds a tensor with the given initial values; returns its id.
    pub(crate) fn add(
        &mut self,
        name: String,
        shape: Vec<usize>,
        values: Vec<f32>,
        trainable: bool,
        sampled: SampledAs,
    ) -> ParamId {
        let len = shape.iter().product::<usize>();
        debug_assert_eq!(len, values.len(), "{name}");
        let id = self.specs.len();
        let offset = self.value.len();
        self.index.insert(name.clone(), id);
        self.specs.push(ParamSpec {
            name,
            shape,
            offset,
            len,
            trainable,
            sampled,
        });
        self.value.extend_from_slice(&values);
        let total = self.value.len();
        for buf in [
            &mut self.grad,
            &mut self.adam_m,
            &mut self.adam_v,
            &mut self.effective,
            &mut self.soft,
        ] {
            buf.resize(total, 0.0);
        }
        self.effective[offset..offset + len].copy_from_slice(&values);
        id
    }

    /// `(offset, len)` of every trainable parameter in the flat buffers.
    pub fn trainable_ranges(&self) -> Vec<(usize, usize)> {
        self.specs
            .iter()
            .filter(|s| s.trainable)
            .map(|s| (s.offset, s.len))
            .collect()
    }

    /// Every parameter, in creation order.
    pub fn specs(&self) -> &[ParamSpec] {
        &self.specs
    }

    /// The id of a parameter by name.
    pub fn id(&self, name: &str) -> Option<ParamId> {
        self.index.get(name).copied()
    }

    /// Marks a parameter as frozen (`false`) or trainable.
    pub fn set_trainable(&mut self, id: ParamId, trainable: bool) {
        self.specs[id].trainable = trainable;
    }

    /// The spec of a parameter.
    pub fn spec(&self, id: ParamId) -> &ParamSpec {
        &self.specs[id]
    }

    /// The raw values of a parameter.
    pub fn get(&self, id: ParamId) -> &[f32] {
        let s = &self.specs[id];
        &self.value[s.offset..s.offset + s.len]
    }

    /// The raw values of a parameter, mutable (e.g. to hand-initialise it).
    pub fn get_mut(&mut self, id: ParamId) -> &mut [f32] {
        let s = &self.specs[id];
        &mut self.value[s.offset..s.offset + s.len]
    }

    /// The gradient of a parameter.
    pub fn grad_of(&self, id: ParamId) -> &[f32] {
        let s = &self.specs[id];
        &self.grad[s.offset..s.offset + s.len]
    }

    /// The name of the first trainable parameter whose gradient holds a NaN or an infinity.
    pub fn first_non_finite_grad(&self) -> Option<&str> {
        self.specs
            .iter()
            .filter(|s| s.trainable)
            .find(|s| {
                self.grad[s.offset..s.offset + s.len]
                    .iter()
                    .any(|g| !g.is_finite())
            })
            .map(|s| s.name.as_str())
    }

    /// The values by name.
    pub fn by_name(&self, name: &str) -> Option<&[f32]> {
        self.id(name).map(|id| self.get(id))
    }

    /// The gradient by name.
    pub fn grad_by_name(&self, name: &str) -> Option<&[f32]> {
        self.id(name).map(|id| self.grad_of(id))
    }

    /// Total number of scalars.
    pub fn total_len(&self) -> usize {
        self.value.len()
    }

    /// Sets every gradient to zero.
    pub fn zero_grad(&mut self) {
        self.grad.fill(0.0);
    }

    /// Recomputes the effective values for one forward pass. Parameter `i` draws its noise from
    /// stream `i` of `seed` (one draw per forward for the whole tensor, as the reference does).
    pub(crate) fn sample(&mut self, sampling: Sampling, seed: u64) {
        let mut x = Vec::new();
        let (mut y, mut soft) = (Vec::new(), Vec::new());
        for (i, s) in self.specs.iter().enumerate() {
            let range = s.offset..s.offset + s.len;
            let mut rng = NoiseRng::new(seed, 1_000_003 + i as u64);
            match s.sampled {
                SampledAs::Raw => self.effective[range.clone()].copy_from_slice(&self.value[range]),
                SampledAs::Rows { width } => {
                    for r in 0..s.len / width {
                        let o = s.offset + r * width;
                        x.clear();
                        x.extend_from_slice(&self.value[o..o + width]);
                        if sampling.uses_noise() {
                            add_gumbel(&mut x, &mut rng);
                        }
                        let (e, sf) = (
                            &mut self.effective[o..o + width],
                            &mut self.soft[o..o + width],
                        );
                        sample_forward(sampling, &x, e, sf);
                    }
                }
                SampledAs::Columns { k, cols } => {
                    y.resize(k, 0.0);
                    soft.resize(k, 0.0);
                    for g in 0..s.len / (k * cols) {
                        for c in 0..cols {
                            let at = |r: usize| s.offset + (g * k + r) * cols + c;
                            x.clear();
                            x.extend((0..k).map(|r| self.value[at(r)]));
                            if sampling.uses_noise() {
                                add_gumbel(&mut x, &mut rng);
                            }
                            sample_forward(sampling, &x, &mut y, &mut soft);
                            for r in 0..k {
                                self.effective[at(r)] = y[r];
                                self.soft[at(r)] = soft[r];
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds to `grad` the gradient of the raw values, given `d_eff`, the gradient with respect
    /// to the effective values of the last forward pass. Frozen parameters are skipped.
    pub(crate) fn backprop_samplers(&mut self, sampling: Sampling, d_eff: &[f32]) {
        let (mut sf, mut dy, mut dx) = (Vec::new(), Vec::new(), Vec::new());
        for s in &self.specs {
            if !s.trainable {
                continue;
            }
            let range = s.offset..s.offset + s.len;
            match s.sampled {
                SampledAs::Raw => {
                    for (g, d) in self.grad[range.clone()].iter_mut().zip(&d_eff[range]) {
                        *g += d;
                    }
                }
                SampledAs::Rows { width } => {
                    for r in 0..s.len / width {
                        let o = s.offset + r * width;
                        let (soft, grad) = (&self.soft[o..o + width], &mut self.grad[o..o + width]);
                        sample_backward(sampling, soft, &d_eff[o..o + width], grad);
                    }
                }
                SampledAs::Columns { k, cols } => {
                    for g in 0..s.len / (k * cols) {
                        for c in 0..cols {
                            let at = |r: usize| s.offset + (g * k + r) * cols + c;
                            sf.clear();
                            sf.extend((0..k).map(|r| self.soft[at(r)]));
                            dy.clear();
                            dy.extend((0..k).map(|r| d_eff[at(r)]));
                            dx.clear();
                            dx.resize(k, 0.0);
                            sample_backward(sampling, &sf, &dy, &mut dx);
                            for r in 0..k {
                                self.grad[at(r)] += dx[r];
                            }
                        }
                    }
                }
            }
        }
    }
}
