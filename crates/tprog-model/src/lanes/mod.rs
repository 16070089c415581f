//! The training step (forward, loss and backward of a batch under a relaxed sampler) computed
//! for groups of [`L`] = 8 examples at once, one example per SIMD lane.
//!
//! The model's arithmetic is made of many short rows (attention rows of `N ≤ 16` keys,
//! distributions over `k` values, `k × k` predicates), so vectorising *within* an example
//! leaves most of a vector register idle and spends its time in horizontal sums, row-by-row
//! `exp`/`ln` calls and loop overhead. Here every scalar of the per-example kernels
//! (`crate::modules`) becomes a [`V`] of eight examples: every operation is a full-width vector
//! operation, `exp` and `ln` are vector polynomials, and no horizontal sum is needed until the
//! parameter gradients of a chunk are reduced.
//!
//! Groups are cut from the batch's examples in order of length, and each group is trimmed to
//! its longest example (the attention work grows with the square of the width). Work is cut
//! into at most [`Model::set_step_chunks`] chunks of groups (8 by default), a number that never
//! depends on the thread count; each chunk accumulates its parameter gradients lane-wise and
//! reduces them once (a learned word embedding's as one row per word, see [`LaneGrad`]);
//! chunks are summed in order. A step is therefore
//! deterministic for a seed at any thread count, and at most that many threads share it. Each example draws
//! its Gumbel noise from the same stream, in the same order, as in the per-example passes, so
//! the two paths differ only by floating-point rounding (a test checks that they agree).
//!
//! The discrete (argmax) model never comes here: prediction and the decompiler use the
//! per-example passes, whose classifier sums are the program's, bit for bit.
//!
//! Shapes (dimension letters): L lanes (examples of a group), N positions, K values per variable, H
//! heads, C classes, D_U classifier inputs; every element is a [`V`] of L examples.

mod cat_attention;
mod classifier;
mod dropout;
mod embed;
mod grad;
mod linalg;
mod mlp;
mod num_attention;
mod read;
mod selector;
mod step;
mod v;

use rayon::prelude::*;

use crate::model::{Model, Net};
use crate::params::{EffGrad, batch_words};
use crate::sampler::{NoiseRng, Sampling};
use cat_attention::CatAttnLanes;
use dropout::Dropout;
use grad::LaneGrad;
use linalg::transpose;
use mlp::MlpLanes;
use num_attention::NumAttnLanes;
use step::group_step;
pub(crate) use v::{L, V};

/// Parameters per slice of the parallel cross-chunk gradient sum.
const REDUCE_SLICE: usize = 4096;

/// Lane-wise activations of one block.
#[derive(Debug, Clone)]
struct LayerLanes {
    cat: Option<CatAttnLanes>,
    num: Option<NumAttnLanes>,
    cat_mlps: Vec<MlpLanes>,
    num_mlps: Vec<MlpLanes>,
    /// Dropout masks of the categorical heads' outputs `[N, Hc·k]` and the numerical heads'
    /// `[N, Hn]` (empty without dropout).
    drop_cat: Vec<V>,
    drop_num: Vec<V>,
}

/// Everything one group needs during its forward and backward pass (sized for `n_ctx`), and
/// its chunk's gradient accumulators.
#[derive(Debug, Clone)]
pub(crate) struct LaneChunk {
    /// The batch index of each lane's example (`usize::MAX`: an empty lane).
    examples: [usize; L],
    /// Positions of the loaded group: its longest example's length.
    n: usize,
    /// Tokens and labels `[N][L]`.
    tokens: Vec<[u32; L]>,
    labels: Vec<[u32; L]>,
    /// Non-pad positions `[N]` and the attention mask `[N, N]` (1/0 per lane).
    keep: Vec<V>,
    mask: Vec<V>,
    /// Streams and their gradients.
    x_cat: Vec<V>,
    x_num: Vec<V>,
    dx_cat: Vec<V>,
    dx_num: Vec<V>,
    layers: Vec<LayerLanes>,
    /// Pooled features of position 0.
    pooled_cat: Vec<V>,
    pooled_num: Vec<V>,
    /// The classifier's input `[N, D_U]` and its gradient.
    feat: Vec<V>,
    dfeat: Vec<V>,
    /// Logits `[N, C]` and their gradients.
    logits: Vec<V>,
    dlogits: Vec<V>,
    /// Gradients (w.r.t. the effective values) of the parameters from `net.grad_base` on, per
    /// lane, then reduced into `grad` (indexed by offset − `grad_base`); all zero between steps.
    lane_grad: LaneGrad,
    grad: Vec<f32>,
    /// A learned word embedding's gradient, as rows: the chunk's words in order of first
    /// appearance (`rows`), each word's row index (`row_of`, `[V]`, [`NO_ROW`] if absent),
    /// the row index of every loaded token (`slots`, `[N][L]`), and the rows' gradients
    /// (`row_grad`, `[rows, n_vars_cat·k]`). Emptied after every step.
    rows: Vec<u32>,
    row_of: Vec<u32>,
    slots: Vec<[u32; L]>,
    row_grad: Vec<f32>,
}

/// `LaneChunk::row_of` of a word the chunk has not seen.
const NO_ROW: u32 = u32::MAX;

impl LaneChunk {
    pub(crate) fn new(net: &Net, total_params: usize) -> Self {
        let sparse_words = net.embed.w_e_trainable;
        let n = net.n_ctx;
        let drop = net.dropout > 0.0;
        let mask = |w: usize| vec![V::ZERO; if drop { n * w } else { 0 }];
        let (dc, dn) = (net.layout.d_cat(), net.layout.d_num());
        let k = net.layout.k;
        let c = net.classifier.n_classes;
        let layers = net
            .layers
            .iter()
            .map(|l| LayerLanes {
                cat: l
                    .cat_attn
                    .as_ref()
                    .map(|a| CatAttnLanes::new(a.select.heads, n, k)),
                num: l
                    .num_attn
                    .as_ref()
                    .map(|a| NumAttnLanes::new(a.select.heads, n, k)),
                cat_mlps: l
                    .cat_mlps
                    .iter()
                    .map(|m| MlpLanes::new(m, n, drop))
                    .collect(),
                num_mlps: l
                    .num_mlps
                    .iter()
                    .map(|m| MlpLanes::new(m, n, drop))
                    .collect(),
                drop_cat: mask(l.cat_attn.as_ref().map_or(0, |a| a.select.heads * k)),
                drop_num: mask(l.num_attn.as_ref().map_or(0, |a| a.select.heads)),
            })
            .collect();
        Self {
            examples: [usize::MAX; L],
            n: 0,
            tokens: vec![[0; L]; n],
            labels: vec![[0; L]; n],
            keep: vec![V::ZERO; n],
            mask: vec![V::ZERO; n * n],
            x_cat: vec![V::ZERO; n * dc],
            x_num: vec![V::ZERO; n * dn],
            dx_cat: vec![V::ZERO; n * dc],
            dx_num: vec![V::ZERO; n * dn],
            layers,
            pooled_cat: vec![V::ZERO; dc],
            pooled_num: vec![V::ZERO; dn],
            feat: vec![V::ZERO; n * (dc + dn)],
            dfeat: vec![V::ZERO; n * (dc + dn)],
            logits: vec![V::ZERO; n * c],
            dlogits: vec![V::ZERO; n * c],
            lane_grad: LaneGrad::new(net.grad_base, total_params),
            grad: vec![0.0; total_params - net.grad_base],
            rows: Vec::new(),
            row_of: vec![NO_ROW; if sparse_words { net.vocab } else { 0 }],
            slots: vec![[0; L]; n],
            row_grad: Vec::new(),
        }
    }

    /// Loads the examples `batch.order[first..first + active]` (`active ≤ L`) into the lanes,
    /// trimmed to the longest of them; the other lanes are all padding, unscored, and
    /// contribute nothing.
    fn load(&mut self, net: &Net, batch: &Batch<'_>, first: usize, active: usize) {
        let stride = batch.n;
        self.examples = std::array::from_fn(|l| {
            batch
                .order
                .get(first + l)
                .map_or(usize::MAX, |&b| b as usize)
        });
        let n = self.examples[..active]
            .iter()
            .map(|&b| batch.lengths[b] as usize)
            .max()
            .unwrap_or(0)
            .max(1);
        self.n = n;
        for i in 0..n {
            for l in 0..L {
                let (t, y) = if l < active {
                    let at = self.examples[l] * stride + i;
                    (batch.tokens[at], batch.labels[at])
                } else {
                    (net.pad, 0)
                };
                self.tokens[i][l] = t;
                self.labels[i][l] = y;
            }
            self.keep[i] = V(std::array::from_fn(|l| {
                if self.tokens[i][l] != net.pad {
                    1.0
                } else {
                    0.0
                }
            }));
        }
        if net.embed.w_e_trainable {
            let width = net.embed.n_vars_cat * net.embed.k;
            for i in 0..n {
                for l in 0..L {
                    let t = self.tokens[i][l] as usize;
                    if self.row_of[t] == NO_ROW {
                        self.row_of[t] = self.rows.len() as u32;
                        self.rows.push(t as u32);
                        self.row_grad.resize(self.row_grad.len() + width, 0.0);
                    }
                    self.slots[i][l] = self.row_of[t];
                }
            }
        }
        for i in 0..n {
            for j in 0..n {
                let causal_ok = !net.autoregressive || j <= i;
                self.mask[i * n + j] = if causal_ok {
                    self.keep[i] * self.keep[j]
                } else {
                    V::ZERO
                };
            }
        }
    }
}

/// The batch a step works on.
struct Batch<'a> {
    tokens: &'a [u32],
    labels: &'a [u32],
    size: usize,
    /// Positions of every example (the padded width).
    n: usize,
    /// Each example's length (1 + its last position holding a token or a label) and the
    /// examples in order of length: groups are cut from this order, so that each can be
    /// trimmed to its own longest example.
    lengths: &'a [u32],
    order: &'a [u32],
    sampling: Sampling,
    /// The step's dropout (`None`: no dropout).
    dropout: Option<Dropout>,
}

/// Fills `wt` (shaped like the parameters) with the transposes of the weight matrices the lane
/// kernels read transposed (`Pᵀ`, `W_inᵀ`, `W_outᵀ`, `W_Uᵀ`), each at its own offset; once
/// per step, shared by every chunk.
fn transpose_weights(net: &Net, eff: &[f32], wt: &mut [f32]) {
    let k = net.layout.k;
    for layer in &net.layers {
        let selectors = layer.cat_attn.as_ref().map(|a| &a.select);
        let selectors = selectors
            .into_iter()
            .chain(layer.num_attn.as_ref().map(|a| &a.select));
        for sel in selectors {
            for h in 0..sel.heads {
                let o = sel.pred + h * k * k;
                transpose(&eff[o..o + k * k], k, k, &mut wt[o..o + k * k]);
            }
        }
        for m in layer.cat_mlps.iter().chain(&layer.num_mlps) {
            let (du, d) = (m.d_u(), m.d_mlp);
            let w_in = m.w_in..m.w_in + d * du;
            transpose(&eff[w_in.clone()], d, du, &mut wt[w_in]);
            let w_out = m.w_out..m.w_out + m.k * d;
            transpose(&eff[w_out.clone()], m.k, d, &mut wt[w_out]);
        }
    }
    let c = net.classifier.n_classes;
    let d_u = net.layout.d_u();
    let w_u = net.classifier.w_u..net.classifier.w_u + d_u * c;
    transpose(&eff[w_u.clone()], d_u, c, &mut wt[w_u]);
}

impl Model {
    /// [`Model::loss_and_backward`] for the relaxed samplers, lane-parallel (see the module
    /// docs). Inputs are already checked. Returns the batch loss.
    pub(crate) fn loss_and_backward_lanes(
        &mut self,
        tokens: &[u32],
        labels: &[u32],
        batch_size: usize,
        n_positions: usize,
        sampling: Sampling,
        seed: u64,
    ) -> f32 {
        batch_words(
            &tokens[..batch_size * n_positions],
            self.net.pad,
            &mut self.words,
        );
        self.params.sample(sampling, seed, &self.words);
        self.last_sampling = sampling;
        if batch_size == 0 {
            return f32::NAN;
        }
        let groups = batch_size.div_ceil(L);
        let n_chunks = groups.min(self.step_chunks);
        let per_chunk = groups.div_ceil(n_chunks);
        let n_chunks = groups.div_ceil(per_chunk);
        let total = self.params.total_len();
        self.lane_transposed.resize(total, 0.0);
        transpose_weights(&self.net, &self.params.effective, &mut self.lane_transposed);
        while self.lane_chunks.len() < n_chunks {
            self.lane_chunks.push(LaneChunk::new(&self.net, total));
        }
        self.lane_losses.resize(groups * L, 0.0);
        order_by_length(
            tokens,
            labels,
            (batch_size, n_positions),
            self.net.pad,
            &mut self.lane_lengths,
            &mut self.lane_order,
        );
        let batch = Batch {
            tokens,
            labels,
            size: batch_size,
            n: n_positions,
            lengths: &self.lane_lengths,
            order: &self.lane_order,
            sampling,
            dropout: (self.net.dropout > 0.0).then_some(Dropout {
                p: self.net.dropout,
                seed,
            }),
        };
        let (net, eff, wt) = (&self.net, &self.params.effective, &self.lane_transposed);
        self.lane_chunks[..n_chunks]
            .par_iter_mut()
            .zip(self.lane_losses.par_chunks_mut(per_chunk * L))
            .enumerate()
            .for_each(|(ci, (ws, losses))| {
                for (g, losses) in losses.chunks_mut(L).enumerate() {
                    let first = (ci * per_chunk + g) * L;
                    let active = batch_size.saturating_sub(first).min(L);
                    ws.load(net, &batch, first, active);
                    // Each example's noise comes from its own stream, wherever it sits.
                    let mut rngs: [NoiseRng; L] =
                        std::array::from_fn(|l| NoiseRng::new(seed, ws.examples[l] as u64));
                    group_step(net, eff, wt, &batch, &mut rngs, ws, losses);
                }
                // Reduce the lanes and leave the accumulators zeroed for the next step.
                for (d, v) in ws.grad.iter_mut().zip(ws.lane_grad.lanes_mut()) {
                    *d = v.sum_lanes();
                    *v = V::ZERO;
                }
            });
        // Chunks are summed in chunk order for every parameter (in parallel over parameter
        // slices), so the sum does not depend on the thread count.
        let (first, rest) = self.lane_chunks.split_at_mut(1);
        let others = &rest[..n_chunks - 1];
        if !others.is_empty() {
            first[0]
                .grad
                .par_chunks_mut(REDUCE_SLICE)
                .enumerate()
                .for_each(|(s, acc)| {
                    let part = s * REDUCE_SLICE..s * REDUCE_SLICE + acc.len();
                    for other in others {
                        for (a, b) in acc.iter_mut().zip(&other.grad[part.clone()]) {
                            *a += b;
                        }
                    }
                });
        }
        let word_rows = self.net.embed.w_e_trainable.then(|| {
            merge_word_rows(
                &self.net,
                &self.words,
                &mut self.lane_chunks[..n_chunks],
                &mut self.word_grad,
            );
            &self.word_grad[..]
        });
        let d = EffGrad {
            dense: &self.lane_chunks[0].grad,
            base: self.net.grad_base,
            words: &self.words,
            word_rows,
        };
        self.params.backprop_samplers(sampling, d);
        self.lane_losses[..batch_size].iter().sum::<f32>() / batch_size as f32
    }
}

/// The length of every example of a `[B, N]` batch (1 + its last position holding a token
/// other than `pad` or a label, 0 if none) into `lengths`, and the examples sorted by length
/// (stably) into `order`.
fn order_by_length(
    tokens: &[u32],
    labels: &[u32],
    (batch_size, n): (usize, usize),
    pad: u32,
    lengths: &mut Vec<u32>,
    order: &mut Vec<u32>,
) {
    lengths.clear();
    lengths.extend((0..batch_size).map(|b| {
        let row = b * n..(b + 1) * n;
        let used = tokens[row.clone()]
            .iter()
            .zip(&labels[row])
            .rposition(|(&t, &y)| t != pad || y != 0);
        used.map_or(0, |i| i as u32 + 1)
    }));
    order.clear();
    order.extend(0..batch_size as u32);
    order.sort_by_key(|&b| lengths[b as usize]);
}

/// The word embedding's gradient of the batch into `out`, one row per word of `words` (the
/// batch's distinct tokens, sorted): each word's rows of the chunks that saw it, summed in
/// chunk order (so the sum does not depend on the thread count; words in parallel). Leaves the
/// chunks' rows empty for the next step.
fn merge_word_rows(net: &Net, words: &[u32], chunks: &mut [LaneChunk], out: &mut Vec<f32>) {
    let width = net.embed.n_vars_cat * net.embed.k;
    out.clear();
    out.resize(words.len() * width, 0.0);
    let read: &[LaneChunk] = chunks;
    out.par_chunks_mut(width.max(1))
        .zip(words.par_iter())
        .for_each(|(row, &w)| {
            for ch in read {
                let r = ch.row_of[w as usize];
                if r != NO_ROW {
                    let r = r as usize * width;
                    for (a, b) in row.iter_mut().zip(&ch.row_grad[r..r + width]) {
                        *a += b;
                    }
                }
            }
        });
    for ch in chunks {
        for &w in &ch.rows {
            ch.row_of[w as usize] = NO_ROW;
        }
        ch.rows.clear();
        ch.row_grad.clear();
    }
}
