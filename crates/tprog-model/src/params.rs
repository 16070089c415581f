//! The parameter store: every tensor under its reference (PyTorch) name, in one flat buffer,
//! with its gradient, Adam moments, trainable flag, and its sampled ("effective") value.
//!
//! Parameters that go through the sampler (reads `φ`, predicates `ψ`, the token embedding) have
//! an effective value recomputed once per forward pass (`eff`, plus the soft probabilities
//! `soft` the backward needs); the others are used as they are. The kernels read `eff` only and
//! accumulate gradients with respect to it (`d_eff`, same layout); [`Params::backprop_samplers`]
//! turns those into gradients of the raw values.
//!
//! A learned word embedding ([`SampledAs::WordColumns`]) is sampled and backpropagated only in
//! the columns of the words of the batch: each column draws its noise from a stream of its
//! own (keyed by the step's seed and the word), so a word's sample does not depend on which
//! other words are in the batch, and a step costs nothing for the thousands of absent words.
//! The other columns' effective values are stale and never read.

use std::collections::HashMap;

use rayon::prelude::*;

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
    /// A learned word embedding: [`SampledAs::Columns`] (one distribution per column and group
    /// of `k` rows), but each column (word) draws its noise from its own stream, and only the
    /// columns of a batch's words are sampled and get gradients.
    WordColumns {
        /// Distribution length `k`.
        k: usize,
        /// Number of columns (the vocabulary size).
        cols: usize,
    },
}

/// The noise stream of column `col` of tensor `tensor` (distinct from the streams of examples
/// and whole tensors, which are below 2⁶³).
fn word_stream(tensor: usize, col: usize) -> u64 {
    (1 << 63) | ((tensor as u64) << 32) | col as u64
}

/// The sorted distinct tokens of `tokens`, plus `pad` (which padded lanes read), into `out`:
/// the columns of a word embedding a batch touches.
pub(crate) fn batch_words(tokens: &[u32], pad: u32, out: &mut Vec<u32>) {
    out.clear();
    out.extend_from_slice(tokens);
    out.push(pad);
    out.sort_unstable();
    out.dedup();
}

/// The gradient of the effective values after a backward pass, as
/// [`Params::backprop_samplers`] reads it.
pub(crate) struct EffGrad<'a> {
    /// Gradients of every tensor at offsets `base..`, indexed by offset − `base` (`base` is
    /// above a word embedding whose gradient comes in `word_rows`, else 0).
    pub dense: &'a [f32],
    pub base: usize,
    /// The words of the batch (sorted, distinct; see [`batch_words`]).
    pub words: &'a [u32],
    /// The word embedding's gradient as one row `[n_vars_cat·k]` per word of `words`
    /// (`[W, n_vars_cat·k]`); `None`: in `dense`, like every other tensor.
    pub word_rows: Option<&'a [f32]>,
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
    /// stream `i` of `seed` (one draw per forward for the whole tensor, as the reference does),
    /// so the tensors are sampled in parallel with the same result at any thread count. A word
    /// embedding samples only the columns of `words` (see [`batch_words`]), column `w` from a
    /// stream keyed by (`seed`, `w`): its noise is the same whatever else the batch holds.
    pub(crate) fn sample(&mut self, sampling: Sampling, seed: u64, words: &[u32]) {
        let Self {
            specs,
            value,
            effective,
            soft,
            ..
        } = self;
        let effective = split_by_spec(specs, effective);
        let soft = split_by_spec(specs, soft);
        specs
            .par_iter()
            .zip(effective)
            .zip(soft)
            .enumerate()
            .for_each(|(i, ((s, eff), soft))| {
                let value = &value[s.offset..s.offset + s.len];
                if let SampledAs::WordColumns { k, cols } = s.sampled {
                    let noise = |w: usize| NoiseRng::new(seed, word_stream(i, w));
                    sample_word_columns((k, cols), sampling, noise, words, value, eff, soft);
                } else {
                    let rng = NoiseRng::new(seed, 1_000_003 + i as u64);
                    sample_tensor(s.sampled, sampling, rng, value, eff, soft);
                }
            });
    }

    /// Adds to `grad` the gradient of the raw values, given `d`, the gradient with respect to
    /// the effective values of the last forward pass (the words must be those it sampled).
    /// Frozen parameters are skipped; tensors are independent, so they run in parallel.
    pub(crate) fn backprop_samplers(&mut self, sampling: Sampling, d: EffGrad<'_>) {
        let Self {
            specs, soft, grad, ..
        } = self;
        let grad = split_by_spec(specs, grad);
        specs
            .par_iter()
            .zip(grad)
            .filter(|(s, _)| s.trainable)
            .for_each(|(s, grad)| {
                let range = s.offset..s.offset + s.len;
                let soft = &soft[range.clone()];
                if let SampledAs::WordColumns { k, cols } = s.sampled {
                    let rows = match d.word_rows {
                        Some(rows) => WordGrad::Rows(rows),
                        None => WordGrad::Dense(&d.dense[range.start - d.base..range.end - d.base]),
                    };
                    backprop_word_columns((k, cols), sampling, soft, d.words, rows, grad);
                } else {
                    let d_eff = &d.dense[range.start - d.base..range.end - d.base];
                    backprop_tensor(s.sampled, sampling, soft, d_eff, grad);
                }
            });
    }
}

/// Slices of one trainable tensor's buffers (see [`Params::trainable_slices`]).
pub(crate) struct TrainableSlice<'a> {
    pub value: &'a mut [f32],
    pub m: &'a mut [f32],
    pub v: &'a mut [f32],
    pub grad: &'a [f32],
}

impl Params {
    /// The values, Adam moments and gradients of every trainable tensor, cut into slices of at
    /// most `slice` elements, for element-wise updates in parallel.
    pub(crate) fn trainable_slices(&mut self, slice: usize) -> Vec<TrainableSlice<'_>> {
        let Self {
            specs,
            value,
            grad,
            adam_m,
            adam_v,
            ..
        } = self;
        let tensors = split_by_spec(specs, value)
            .into_iter()
            .zip(split_by_spec(specs, adam_m))
            .zip(split_by_spec(specs, adam_v))
            .zip(specs.iter());
        let mut out = Vec::new();
        for (((value, m), v), s) in tensors {
            if !s.trainable {
                continue;
            }
            let grad = &grad[s.offset..s.offset + s.len];
            let parts = value
                .chunks_mut(slice)
                .zip(m.chunks_mut(slice))
                .zip(v.chunks_mut(slice))
                .zip(grad.chunks(slice));
            out.extend(parts.map(|(((value, m), v), grad)| TrainableSlice { value, m, v, grad }));
        }
        out
    }
}

/// `buf` cut into one slice per tensor (tensors are stored back to back in creation order).
pub(crate) fn split_by_spec<'a>(specs: &[ParamSpec], mut buf: &'a mut [f32]) -> Vec<&'a mut [f32]> {
    let mut out = Vec::with_capacity(specs.len());
    for s in specs {
        let (head, rest) = std::mem::take(&mut buf).split_at_mut(s.len);
        out.push(head);
        buf = rest;
    }
    out
}

/// Samples one tensor: `value` → `eff` (and the soft probabilities `soft`), all of the
/// tensor's length.
fn sample_tensor(
    how: SampledAs,
    sampling: Sampling,
    mut rng: NoiseRng,
    value: &[f32],
    eff: &mut [f32],
    soft: &mut [f32],
) {
    let mut x = Vec::new();
    match how {
        SampledAs::Raw => eff.copy_from_slice(value),
        SampledAs::Rows { width } => {
            for ((v, e), sf) in value
                .chunks(width)
                .zip(eff.chunks_mut(width))
                .zip(soft.chunks_mut(width))
            {
                x.clear();
                x.extend_from_slice(v);
                if sampling.uses_noise() {
                    add_gumbel(&mut x, &mut rng);
                }
                sample_forward(sampling, &x, e, sf);
            }
        }
        SampledAs::Columns { k, cols } | SampledAs::WordColumns { k, cols } => {
            let mut column = Column::new(k);
            for g in 0..value.len() / (k * cols) {
                for c in 0..cols {
                    let at = |r: usize| (g * k + r) * cols + c;
                    column.sample(sampling, &mut rng, at, value, eff, soft);
                }
            }
        }
    }
}

/// Samples the columns `words` of a word embedding `[groups·k, cols]` (`shape` = `(k, cols)`),
/// column `w` with the noise of `noise(w)`; the other columns are left as they are.
fn sample_word_columns(
    (k, cols): (usize, usize),
    sampling: Sampling,
    noise: impl Fn(usize) -> NoiseRng,
    words: &[u32],
    value: &[f32],
    eff: &mut [f32],
    soft: &mut [f32],
) {
    let mut column = Column::new(k);
    for &w in words {
        let c = w as usize;
        let mut rng = noise(c);
        for g in 0..value.len() / (k * cols) {
            let at = |r: usize| (g * k + r) * cols + c;
            column.sample(sampling, &mut rng, at, value, eff, soft);
        }
    }
}

/// Scratch for sampling one column of `k` values: the logits, the sample and the soft
/// probabilities.
struct Column {
    x: Vec<f32>,
    y: Vec<f32>,
    soft: Vec<f32>,
}

impl Column {
    fn new(k: usize) -> Self {
        Self {
            x: vec![0.0; k],
            y: vec![0.0; k],
            soft: vec![0.0; k],
        }
    }

    /// Samples the `k` values at flat indices `at(0..k)` of `value` (noise from `rng` when
    /// the sampler uses it) into the same indices of `eff` and `soft`.
    fn sample(
        &mut self,
        sampling: Sampling,
        rng: &mut NoiseRng,
        at: impl Fn(usize) -> usize,
        value: &[f32],
        eff: &mut [f32],
        soft: &mut [f32],
    ) {
        for (r, x) in self.x.iter_mut().enumerate() {
            *x = value[at(r)];
        }
        if sampling.uses_noise() {
            add_gumbel(&mut self.x, rng);
        }
        sample_forward(sampling, &self.x, &mut self.y, &mut self.soft);
        for (r, (&y, &sf)) in self.y.iter().zip(&self.soft).enumerate() {
            eff[at(r)] = y;
            soft[at(r)] = sf;
        }
    }
}

/// Where a word embedding's gradient (w.r.t. its effective values) is.
enum WordGrad<'a> {
    /// Laid out like the tensor, `[groups·k, cols]`.
    Dense(&'a [f32]),
    /// One row `[groups·k]` per word of the batch.
    Rows(&'a [f32]),
}

/// Adds to `grad` the gradient of a word embedding's raw values in the columns `words` (the
/// only ones with a gradient), from `d` (`soft`: its soft probabilities at the last forward).
fn backprop_word_columns(
    (k, cols): (usize, usize),
    sampling: Sampling,
    soft: &[f32],
    words: &[u32],
    d: WordGrad<'_>,
    grad: &mut [f32],
) {
    let groups = soft.len() / (k * cols);
    let (mut sf, mut dy, mut dx) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    for (wi, &w) in words.iter().enumerate() {
        let c = w as usize;
        for g in 0..groups {
            let at = |r: usize| (g * k + r) * cols + c;
            for r in 0..k {
                sf[r] = soft[at(r)];
                dy[r] = match d {
                    WordGrad::Dense(d) => d[at(r)],
                    WordGrad::Rows(rows) => rows[(wi * groups + g) * k + r],
                };
            }
            dx.fill(0.0);
            sample_backward(sampling, &sf, &dy, &mut dx);
            for r in 0..k {
                grad[at(r)] += dx[r];
            }
        }
    }
}

/// Adds to `grad` the gradient of one tensor's raw values from `d_eff`, the gradient of its
/// effective values (`soft`: its soft probabilities at the last forward pass).
fn backprop_tensor(
    how: SampledAs,
    sampling: Sampling,
    soft: &[f32],
    d_eff: &[f32],
    grad: &mut [f32],
) {
    match how {
        SampledAs::Raw => {
            for (g, d) in grad.iter_mut().zip(d_eff) {
                *g += d;
            }
        }
        SampledAs::Rows { width } => {
            for ((sf, d), g) in soft
                .chunks(width)
                .zip(d_eff.chunks(width))
                .zip(grad.chunks_mut(width))
            {
                sample_backward(sampling, sf, d, g);
            }
        }
        SampledAs::Columns { k, cols } | SampledAs::WordColumns { k, cols } => {
            let (mut sf, mut dy, mut dx) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
            for g in 0..soft.len() / (k * cols) {
                for c in 0..cols {
                    let at = |r: usize| (g * k + r) * cols + c;
                    for r in 0..k {
                        sf[r] = soft[at(r)];
                        dy[r] = d_eff[at(r)];
                    }
                    dx.fill(0.0);
                    sample_backward(sampling, &sf, &dy, &mut dx);
                    for r in 0..k {
                        grad[at(r)] += dx[r];
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store holding one word embedding `[2·3, 7]` (2 variables of k = 3, 7 words).
    fn store() -> Params {
        let mut p = Params::new();
        let values: Vec<f32> = (0..42)
            .map(|i| ((i * 37 % 11) as f32 - 5.0) * 0.3)
            .collect();
        let sampled = SampledAs::WordColumns { k: 3, cols: 7 };
        p.add("embed.W_E".into(), vec![6, 7], values, true, sampled);
        p
    }

    fn column(buf: &[f32], w: usize) -> Vec<f32> {
        (0..6).map(|r| buf[r * 7 + w]).collect()
    }

    #[test]
    fn a_word_is_sampled_the_same_whatever_else_the_batch_holds() {
        let gumbel = Sampling::GumbelSoft { tau: 0.8 };
        let mut all = store();
        all.sample(gumbel, 5, &[0, 1, 2, 3, 4, 5, 6]);
        let mut some = store();
        some.sample(gumbel, 5, &[1, 4]);
        for w in [1, 4] {
            assert_eq!(column(&all.effective, w), column(&some.effective, w));
            assert_eq!(column(&all.soft, w), column(&some.soft, w));
        }
        // Absent words are not sampled: their effective values are still the initial copy.
        assert_eq!(column(&some.effective, 2), column(&some.value, 2));
        // The dense definition: softmax((x + g) / τ) per variable, g from the word's stream.
        for w in 0..7 {
            let mut rng = NoiseRng::new(5, word_stream(0, w));
            for g in 0..2 {
                let mut x: Vec<f32> = (0..3).map(|r| all.value[(g * 3 + r) * 7 + w]).collect();
                add_gumbel(&mut x, &mut rng);
                let (mut y, mut sf) = (vec![0.0; 3], vec![0.0; 3]);
                sample_forward(gumbel, &x, &mut y, &mut sf);
                assert_eq!(
                    &column(&all.effective, w)[g * 3..g * 3 + 3],
                    &y[..],
                    "word {w}"
                );
            }
        }
        // Another seed, other noise.
        let mut other = store();
        other.sample(gumbel, 6, &[1, 4]);
        assert_ne!(column(&other.effective, 1), column(&some.effective, 1));
    }

    #[test]
    fn word_rows_backpropagate_like_the_dense_gradient() {
        let gumbel = Sampling::GumbelSoft { tau: 0.8 };
        let words = [0u32, 3, 6];
        let d_dense: Vec<f32> = (0..42)
            .map(|i| {
                if [0, 3, 6].contains(&(i % 7)) {
                    (i as f32 * 0.17).sin()
                } else {
                    0.0
                }
            })
            .collect();
        let rows: Vec<f32> = words
            .iter()
            .flat_map(|&w| column(&d_dense, w as usize))
            .collect();
        let mut a = store();
        a.sample(gumbel, 9, &words);
        let mut b = a.clone();
        let dense = EffGrad {
            dense: &d_dense,
            base: 0,
            words: &words,
            word_rows: None,
        };
        a.backprop_samplers(gumbel, dense);
        let sparse = EffGrad {
            dense: &[],
            base: 42,
            words: &words,
            word_rows: Some(&rows),
        };
        b.backprop_samplers(gumbel, sparse);
        assert_eq!(a.grad, b.grad);
        // The dense rule on every column (the absent ones have no gradient).
        let mut c = a.clone();
        c.grad.fill(0.0);
        let spec = c.specs[0].clone();
        backprop_tensor(
            SampledAs::Columns { k: 3, cols: 7 },
            gumbel,
            &c.soft[..42],
            &d_dense,
            &mut c.grad[spec.offset..spec.offset + spec.len],
        );
        assert_eq!(a.grad, c.grad);
        assert!(a.grad.iter().any(|&g| g != 0.0));
        for w in [1, 2, 4, 5] {
            assert!(column(&a.grad, w).iter().all(|&g| g == 0.0));
        }
    }
}
