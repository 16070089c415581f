//! `Model`: the Transformer Program built from a [`ModelConfig`] — its parameters under the
//! reference's names with the reference's initialisations, and its modules. Each parameter
//! is created through a name-scoped [`ParamBuilder`] next to its initialisation.
//!
//! Parameter names and initialisations (`k = d_var`, `n` = variables a read chooses from):
//! * `embed.W_E` `[n_vars_cat·k, V]`: one-hot `20·I[:, :V] − 10`, frozen; else `N(0,1)/sqrt(n_vars_cat·k)`.
//! * `num_embed.W_E` `[V, n_vars_num]`: all ones, frozen (`count_only`); else `N(0,1)/sqrt(n_vars_num)`.
//! * `blocks.{l}.cat_attn.{W_K,W_Q,W_V}.W` `[Hc, n]` and `num_attn.{W_K,W_Q}.W` `[Hn, n]`:
//!   `N(0,1)/sqrt(n)`; `num_attn.W_V.W` `[Hn, num_in]` likewise (frozen ±10 read of `ones`
//!   with `selector_width`).
//! * `blocks.{l}.{cat,num}_attn.W_pred.W` `[H, k, k]`: `N(0,1)/sqrt(k)`.
//! * `blocks.{l}.{cat,num}_mlp.mlps.{m}.W_read.W` `[ℓ, n]`: `N(0,1)/sqrt(n)`; `W_in` `[d_mlp, ℓ·w]`:
//!   `N(0,1)/sqrt(d_mlp)`; `b_in` 0; `W_out` `[k, d_mlp]`: `N(0,1)/sqrt(k)`; `b_out` 0.
//! * `unembed.W_U` `[D_U, C]`: `N(0,1)/sqrt(C)`.
//!
//! Positions, masks and the relative-position bias are derived from the config, not stored.

use crate::ModelError;
use crate::config::{Layout, ModelConfig};
use crate::modules::cat_attention::{CatAttention, fixed_rel_pos_bias};
use crate::modules::classifier::Classifier;
use crate::modules::embed::Embed;
use crate::modules::mlp::Mlp;
use crate::modules::num_attention::NumAttention;
use crate::modules::read::Read;
use crate::modules::selector::Selector;
use crate::param_builder::{Normal, ParamBuilder, inv_sqrt};
use crate::params::{Params, SampledAs};
use crate::sampler::Sampling;
use crate::workspace::ExampleWs;

/// The modules of one block.
#[derive(Debug, Clone)]
pub(crate) struct Layer {
    pub cat_attn: Option<CatAttention>,
    pub num_attn: Option<NumAttention>,
    pub cat_mlps: Vec<Mlp>,
    pub num_mlps: Vec<Mlp>,
}

/// The default of [`Model::set_step_chunks`]: every run trained before it was a setting used 8.
pub const DEFAULT_STEP_CHUNKS: usize = 8;
/// The largest accepted [`Model::set_step_chunks`].
pub const MAX_STEP_CHUNKS: usize = 4096;

/// The immutable structure of a model (modules and shapes), shared by all worker threads.
#[derive(Debug, Clone)]
pub(crate) struct Net {
    pub layout: Layout,
    pub embed: Embed,
    pub layers: Vec<Layer>,
    pub classifier: Classifier,
    pub n_ctx: usize,
    pub vocab: usize,
    pub pad: u32,
    pub autoregressive: bool,
    pub pool: bool,
    /// Offset where the lanes' dense gradient accumulators start: the end of a learned word
    /// embedding (the first tensor, whose gradient the lanes keep as rows), else 0.
    pub grad_base: usize,
    /// Dropout rate while training (0: none).
    pub dropout: f32,
}

/// A Transformer Program: parameters, modules and reusable activation buffers.
///
/// Built with [`ModelConfig::init`]; run with [`Model::forward`], trained with
/// [`Model::loss_and_backward`] and [`crate::Adam`], discretised with [`Model::predict`].
#[derive(Debug)]
pub struct Model {
    pub(crate) config: ModelConfig,
    pub(crate) net: Net,
    pub(crate) params: Params,
    pub(crate) example_ws: Vec<ExampleWs>,
    pub(crate) logits: Vec<f32>,
    pub(crate) lane_chunks: Vec<crate::lanes::LaneChunk>,
    pub(crate) lane_losses: Vec<f32>,
    pub(crate) lane_transposed: Vec<f32>,
    /// The lengths of the examples of the last training batch and their order by length.
    pub(crate) lane_lengths: Vec<u32>,
    pub(crate) lane_order: Vec<u32>,
    /// Chunks a training batch is cut into (see [`Model::set_step_chunks`]).
    pub(crate) step_chunks: usize,
    pub(crate) last_sampling: Sampling,
    /// The sorted distinct tokens of the last batch (and `<pad>`): the word-embedding
    /// columns it sampled.
    pub(crate) words: Vec<u32>,
    /// The word embedding's gradient of the last training step, one row per word of `words`.
    pub(crate) word_grad: Vec<f32>,
}

impl ModelConfig {
    /// Validates the config and builds a model with the reference's initialisations, drawn
    /// from a ChaCha8 stream seeded with `seed` (in the reference's creation order).
    pub fn init(&self, seed: u64) -> Result<Model, ModelError> {
        self.validate()?;
        let c = self;
        let layout = Layout::new(c);
        let mut rng = Normal::new(seed);
        let mut p = Params::new();
        let mut root = ParamBuilder::new(&mut p, &mut rng);
        let embed = build_embed(c, &mut root);
        let rel_bias = fixed_rel_pos_bias(c.n_ctx);
        let mut layers = Vec::new();
        for l in 0..c.n_layers {
            let mut block = root.pp(format!("blocks.{l}"));
            let cat_attn = (c.n_heads_cat > 0)
                .then(|| build_cat_attn(c, &layout, l, &rel_bias, &mut block.pp("cat_attn")));
            let num_attn = (c.n_heads_num > 0)
                .then(|| build_num_attn(c, &layout, l, &mut block.pp("num_attn")));
            let cat_mlps = (0..c.n_cat_mlps)
                .map(|m| {
                    let shape = MlpShape {
                        n_vars: layout.cat_blocks_in(l) + c.n_heads_cat,
                        width: c.d_var,
                        out_block: layout.cat_mlp_block(l, m),
                    };
                    build_mlp(c, shape, &mut block.pp("cat_mlp.mlps").pp(m))
                })
                .collect();
            let num_mlps = (0..c.n_num_mlps)
                .map(|m| {
                    let shape = MlpShape {
                        n_vars: layout.num_in(l) + c.n_heads_num,
                        width: 1,
                        out_block: layout.num_mlp_block(l, m),
                    };
                    build_mlp(c, shape, &mut block.pp("num_mlp.mlps").pp(m))
                })
                .collect();
            layers.push(Layer {
                cat_attn,
                num_attn,
                cat_mlps,
                num_mlps,
            });
        }
        let classifier = build_classifier(c, &layout, &mut root);
        // `embed.W_E` is the first tensor, so a learned one ends where the dense gradients start.
        let grad_base = if embed.w_e_trainable {
            debug_assert_eq!(embed.w_e, 0);
            embed.w_e + c.n_vars_cat * c.d_var * c.vocab_size
        } else {
            0
        };
        Ok(Model {
            config: c.clone(),
            net: Net {
                layout,
                embed,
                layers,
                classifier,
                n_ctx: c.n_ctx,
                vocab: c.vocab_size,
                pad: c.pad_token,
                autoregressive: c.autoregressive,
                pool: c.pool_outputs,
                grad_base,
                dropout: c.dropout,
            },
            params: p,
            example_ws: Vec::new(),
            logits: Vec::new(),
            lane_chunks: Vec::new(),
            lane_losses: Vec::new(),
            lane_transposed: Vec::new(),
            lane_lengths: Vec::new(),
            lane_order: Vec::new(),
            step_chunks: DEFAULT_STEP_CHUNKS,
            last_sampling: Sampling::Argmax,
            words: Vec::new(),
            word_grad: Vec::new(),
        })
    }
}

/// `embed.W_E` (one-hot `20·I − 10` frozen, or learned `N(0,1)/sqrt(n_vars_cat·k)`) and
/// `num_embed.W_E` (ones frozen with `count_only`, else `N(0,1)/sqrt(n_vars_num)`).
fn build_embed(c: &ModelConfig, b: &mut ParamBuilder<'_>) -> Embed {
    let (k, v) = (c.d_var, c.vocab_size);
    let d_model = c.n_vars_cat * k;
    let w_e_values = if c.one_hot_embed {
        let mut w = vec![-10.0f32; k * v];
        for t in 0..v.min(k) {
            w[t * v + t] = 10.0;
        }
        w
    } else {
        b.sample(d_model * v, inv_sqrt(d_model))
    };
    // A learned embedding is sampled and trained only in the columns of a batch's words.
    let sampled = if c.one_hot_embed {
        SampledAs::Columns { k, cols: v }
    } else {
        SampledAs::WordColumns { k, cols: v }
    };
    let w_e = b.values(
        "embed.W_E",
        vec![d_model, v],
        w_e_values,
        !c.one_hot_embed,
        sampled,
    );
    let num_values = if c.count_only {
        vec![1.0; v * c.n_vars_num]
    } else {
        b.sample(v * c.n_vars_num, inv_sqrt(c.n_vars_num))
    };
    let shape = vec![v, c.n_vars_num];
    let w_num = b.values(
        "num_embed.W_E",
        shape,
        num_values,
        !c.count_only,
        SampledAs::Raw,
    );
    Embed {
        w_e: b.offset(w_e),
        w_e_trainable: !c.one_hot_embed,
        w_num: b.offset(w_num),
        w_num_trainable: !c.count_only,
        n_vars_cat: c.n_vars_cat,
        k,
        n_vars_num: c.n_vars_num,
        vocab: v,
    }
}

/// A variable read `{name}.W` `[heads, n_vars]`, `N(0,1)/sqrt(n_vars)`, one distribution per
/// row, over blocks of `width` values.
fn build_read(
    b: &mut ParamBuilder<'_>,
    name: &str,
    heads: usize,
    n_vars: usize,
    width: usize,
) -> Read {
    let sampled = SampledAs::Rows { width: n_vars };
    let id = b
        .pp(name)
        .normal("W", vec![heads, n_vars], inv_sqrt(n_vars), sampled);
    Read {
        offset: b.offset(id),
        heads,
        n_vars,
        width,
    }
}

/// Key, query and predicate of a head module, in the reference's order: `W_K.W`, `W_Q.W`
/// (reads of `n_vars` categorical variables) and `W_pred.W` `[heads, k, k]`,
/// `N(0,1)/sqrt(k)`, one distribution per row.
fn build_selector(b: &mut ParamBuilder<'_>, heads: usize, n_vars: usize, k: usize) -> Selector {
    let key = build_read(b, "W_K", heads, n_vars, k);
    let query = build_read(b, "W_Q", heads, n_vars, k);
    let sampled = SampledAs::Rows { width: k };
    let pred = b
        .pp("W_pred")
        .normal("W", vec![heads, k, k], inv_sqrt(k), sampled);
    Selector {
        heads,
        k,
        key,
        query,
        pred: b.offset(pred),
    }
}

/// `blocks.{l}.cat_attn`: selector, then the value read `W_V.W`.
fn build_cat_attn(
    c: &ModelConfig,
    layout: &Layout,
    l: usize,
    rel_bias: &[f32],
    b: &mut ParamBuilder<'_>,
) -> CatAttention {
    let (h, k, n_cat) = (c.n_heads_cat, c.d_var, layout.cat_blocks_in(l));
    let select = build_selector(b, h, n_cat, k);
    let value = build_read(b, "W_V", h, n_cat, k);
    CatAttention {
        select,
        value,
        out_col: layout.cat_head_block(l, 0) * k,
        att_temp: c.attention_temperature(),
        rel_bias: rel_bias.to_vec(),
        bos: c.bos_default,
    }
}

/// `blocks.{l}.num_attn`: selector over categorical variables, then the value read `W_V.W` of
/// a numerical variable (with `selector_width`, frozen to `+10` on `ones` and `−10`
/// elsewhere, so every head averages the constant 1).
fn build_num_attn(
    c: &ModelConfig,
    layout: &Layout,
    l: usize,
    b: &mut ParamBuilder<'_>,
) -> NumAttention {
    let (h, k) = (c.n_heads_num, c.d_var);
    let (n_cat, n_num) = (layout.cat_blocks_in(l), layout.num_in(l));
    let select = build_selector(b, h, n_cat, k);
    let value = build_read(b, "W_V", h, n_num, 1);
    if c.selector_width {
        let params = b.params();
        let id = params.specs().len() - 1; // W_V.W, just created
        for head in params.get_mut(id).chunks_exact_mut(n_num) {
            for (i, x) in head.iter_mut().enumerate() {
                *x = if i == 0 { 10.0 } else { -10.0 };
            }
        }
        params.set_trainable(id, false);
    }
    NumAttention {
        select,
        value,
        out_col: layout.num_head_index(l, 0),
    }
}

/// Where an MLP reads from and writes to.
#[derive(Debug, Clone, Copy)]
struct MlpShape {
    /// Variables its read chooses from.
    n_vars: usize,
    /// Their width (`k` categorical, 1 numerical).
    width: usize,
    /// The output variable's block in `x_cat`.
    out_block: usize,
}

/// `blocks.{l}.{cat,num}_mlp.mlps.{m}`: `W_read.W` `[mlp_vars_in, n_vars]`; `W_in`
/// `[d_mlp, mlp_vars_in·width]` `N(0,1)/sqrt(d_mlp)`; `b_in` 0; `W_out` `[k, d_mlp]`
/// `N(0,1)/sqrt(k)`; `b_out` 0.
fn build_mlp(c: &ModelConfig, shape: MlpShape, b: &mut ParamBuilder<'_>) -> Mlp {
    let (k, d) = (c.d_var, c.d_mlp);
    let read = build_read(b, "W_read", c.mlp_vars_in, shape.n_vars, shape.width);
    let du = c.mlp_vars_in * shape.width;
    let w_in = b.normal("W_in", vec![d, du], inv_sqrt(d), SampledAs::Raw);
    let b_in = b.zeros("b_in", vec![d]);
    let w_out = b.normal("W_out", vec![k, d], inv_sqrt(k), SampledAs::Raw);
    let b_out = b.zeros("b_out", vec![k]);
    Mlp {
        read,
        w_in: b.offset(w_in),
        b_in: b.offset(b_in),
        w_out: b.offset(w_out),
        b_out: b.offset(b_out),
        d_mlp: d,
        k,
        out_col: shape.out_block * k,
    }
}

/// `unembed.W_U` `[D_U, C]`, `N(0,1)/sqrt(C)`; masked classes from the config.
fn build_classifier(c: &ModelConfig, layout: &Layout, b: &mut ParamBuilder<'_>) -> Classifier {
    let shape = vec![layout.d_u(), c.n_classes];
    let w_u = b.normal("unembed.W_U", shape, inv_sqrt(c.n_classes), SampledAs::Raw);
    let mut masked = vec![false; c.n_classes];
    if c.unembed_mask {
        for &m in &c.masked_classes {
            masked[m] = true;
        }
    }
    Classifier {
        w_u: b.offset(w_u),
        n_classes: c.n_classes,
        masked,
    }
}

impl Model {
    /// The configuration the model was built from.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The stream layout.
    pub fn layout(&self) -> Layout {
        self.net.layout
    }

    /// The parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The parameters, mutable (hand initialisation, optimisers).
    pub fn params_mut(&mut self) -> &mut Params {
        &mut self.params
    }

    /// Sets every gradient to zero.
    pub fn zero_grad(&mut self) {
        self.params.zero_grad();
    }

    /// Cuts every training batch into at most `chunks` chunks of 8-example groups, each a unit
    /// of parallel work with its own gradient accumulator, summed in chunk order (clamped to
    /// `1..=`[`MAX_STEP_CHUNKS`]). The gradients depend on this number (floating-point sums
    /// in another order) but never on the thread count, and at most `chunks` threads help a
    /// step: raise it on machines with more than [`DEFAULT_STEP_CHUNKS`] cores.
    pub fn set_step_chunks(&mut self, chunks: usize) {
        self.step_chunks = chunks.clamp(1, MAX_STEP_CHUNKS);
    }

    /// The chunk count of [`Model::set_step_chunks`].
    pub fn step_chunks(&self) -> usize {
        self.step_chunks
    }

    /// The fixed relative-position bias buffer `b` (length `2·n_ctx`, indexed by `j − i` with
    /// wrap-around), as the reference stores it in `rel_pos_bias.bias` (one row per head).
    pub fn rel_pos_bias(&self) -> Vec<f32> {
        fixed_rel_pos_bias(self.net.n_ctx)
    }
}
