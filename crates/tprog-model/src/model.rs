//! `Model`: the Transformer Program built from a [`ModelConfig`] — its parameters under the
//! reference's names with the reference's initialisations (spec §2–§7), and its modules.
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

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ModelError;
use crate::config::{Layout, ModelConfig};
use crate::modules::cat_attention::{CatAttention, fixed_rel_pos_bias};
use crate::modules::classifier::Classifier;
use crate::modules::embed::Embed;
use crate::modules::mlp::Mlp;
use crate::modules::num_attention::NumAttention;
use crate::modules::read::Read;
use crate::modules::selector::Selector;
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
    pub(crate) ws: Vec<ExampleWs>,
    pub(crate) logits: Vec<f32>,
    pub(crate) grad_chunks: Vec<Vec<f32>>,
    pub(crate) lane_chunks: Vec<crate::lanes::LaneChunk>,
    pub(crate) lane_losses: Vec<f32>,
    pub(crate) lane_wt: Vec<f32>,
    pub(crate) last_sampling: Sampling,
}

/// Standard normal samples (Box–Muller) from a seeded ChaCha8 stream.
///
/// Written out rather than taken from `rand_distr` (whose `StandardNormal` is a ziggurat and
/// draws different numbers): every seeded initialisation, and so every recorded run, is made
/// of these values.
struct Normal(ChaCha8Rng);

impl Normal {
    fn sample(&mut self, n: usize, scale: f32) -> Vec<f32> {
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

fn inv_sqrt(n: usize) -> f32 {
    1.0 / (n.max(1) as f32).sqrt()
}

impl ModelConfig {
    /// Validates the config and builds a model with the reference's initialisations, drawn
    /// from a ChaCha8 stream seeded with `seed`.
    pub fn init(&self, seed: u64) -> Result<Model, ModelError> {
        self.validate()?;
        let c = self;
        let layout = Layout::new(c);
        let k = c.d_var;
        let v = c.vocab_size;
        let mut rng = Normal(ChaCha8Rng::seed_from_u64(seed));
        let mut p = Params::new();
        let d_model = c.n_vars_cat * k;
        let w_e_values = if c.one_hot_embed {
            let mut w = vec![-10.0f32; k * v];
            for t in 0..v.min(k) {
                w[t * v + t] = 10.0;
            }
            w
        } else {
            rng.sample(d_model * v, inv_sqrt(d_model))
        };
        let w_e = p.add(
            "embed.W_E".into(),
            vec![d_model, v],
            w_e_values,
            !c.one_hot_embed,
            SampledAs::Columns { k, cols: v },
        );
        let num_values = if c.count_only {
            vec![1.0; v * c.n_vars_num]
        } else {
            rng.sample(v * c.n_vars_num, inv_sqrt(c.n_vars_num))
        };
        let w_num = p.add(
            "num_embed.W_E".into(),
            vec![v, c.n_vars_num],
            num_values,
            !c.count_only,
            SampledAs::Raw,
        );
        let embed = Embed {
            w_e: p.spec(w_e).offset,
            w_e_trainable: !c.one_hot_embed,
            w_num: p.spec(w_num).offset,
            w_num_trainable: !c.count_only,
            n_vars_cat: c.n_vars_cat,
            k,
            n_vars_num: c.n_vars_num,
            vocab: v,
        };

        let read = |p: &mut Params,
                    rng: &mut Normal,
                    name: String,
                    heads: usize,
                    n: usize,
                    width: usize| {
            let id = p.add(
                name,
                vec![heads, n],
                rng.sample(heads * n, inv_sqrt(n)),
                true,
                SampledAs::Rows { width: n },
            );
            Read {
                offset: p.spec(id).offset,
                heads,
                n_vars: n,
                width,
            }
        };
        let pred = |p: &mut Params, rng: &mut Normal, name: String, heads: usize| {
            let id = p.add(
                name,
                vec![heads, k, k],
                rng.sample(heads * k * k, inv_sqrt(k)),
                true,
                SampledAs::Rows { width: k },
            );
            p.spec(id).offset
        };
        // Key, query and predicate of a head module (`{module}` = `blocks.{l}.cat_attn` or
        // `blocks.{l}.num_attn`), created in the reference's order.
        let selector = |p: &mut Params, rng: &mut Normal, module: &str, heads: usize, n: usize| {
            let key = read(p, rng, format!("{module}.W_K.W"), heads, n, k);
            let query = read(p, rng, format!("{module}.W_Q.W"), heads, n, k);
            let pred = pred(p, rng, format!("{module}.W_pred.W"), heads);
            Selector {
                heads,
                k,
                key,
                query,
                pred,
            }
        };
        let rel_bias = fixed_rel_pos_bias(c.n_ctx);
        let mut layers = Vec::new();
        for l in 0..c.n_layers {
            let n_cat = layout.cat_blocks_in(l);
            let n_num = layout.num_in(l);
            let pre = format!("blocks.{l}");
            let cat_attn = (c.n_heads_cat > 0).then(|| {
                let h = c.n_heads_cat;
                let select = selector(&mut p, &mut rng, &format!("{pre}.cat_attn"), h, n_cat);
                let value = read(
                    &mut p,
                    &mut rng,
                    format!("{pre}.cat_attn.W_V.W"),
                    h,
                    n_cat,
                    k,
                );
                CatAttention {
                    select,
                    value,
                    out_col: layout.cat_head_block(l, 0) * k,
                    att_temp: c.attention_temperature(),
                    rel_bias: rel_bias.clone(),
                    bos: c.bos_default,
                }
            });
            let num_attn = (c.n_heads_num > 0).then(|| {
                let h = c.n_heads_num;
                let select = selector(&mut p, &mut rng, &format!("{pre}.num_attn"), h, n_cat);
                let value = read(
                    &mut p,
                    &mut rng,
                    format!("{pre}.num_attn.W_V.W"),
                    h,
                    n_num,
                    1,
                );
                if c.selector_width {
                    let id = p.id(&format!("{pre}.num_attn.W_V.W")).unwrap_or_default();
                    for hh in 0..h {
                        for (b, x) in p.get_mut(id)[hh * n_num..(hh + 1) * n_num]
                            .iter_mut()
                            .enumerate()
                        {
                            *x = if b == 0 { 10.0 } else { -10.0 };
                        }
                    }
                    p.set_trainable(id, false);
                }
                NumAttention {
                    select,
                    value,
                    out_col: layout.num_head_index(l, 0),
                }
            });
            let mlp = |p: &mut Params,
                       rng: &mut Normal,
                       kind: &str,
                       m: usize,
                       n: usize,
                       width: usize,
                       out_block: usize| {
                let pre = format!("{pre}.{kind}.mlps.{m}");
                let r = read(p, rng, format!("{pre}.W_read.W"), c.mlp_vars_in, n, width);
                let du = c.mlp_vars_in * width;
                let d = c.d_mlp;
                let w_in = p.add(
                    format!("{pre}.W_in"),
                    vec![d, du],
                    rng.sample(d * du, inv_sqrt(d)),
                    true,
                    SampledAs::Raw,
                );
                let b_in = p.add(
                    format!("{pre}.b_in"),
                    vec![d],
                    vec![0.0; d],
                    true,
                    SampledAs::Raw,
                );
                let w_out = p.add(
                    format!("{pre}.W_out"),
                    vec![k, d],
                    rng.sample(k * d, inv_sqrt(k)),
                    true,
                    SampledAs::Raw,
                );
                let b_out = p.add(
                    format!("{pre}.b_out"),
                    vec![k],
                    vec![0.0; k],
                    true,
                    SampledAs::Raw,
                );
                Mlp {
                    read: r,
                    w_in: p.spec(w_in).offset,
                    b_in: p.spec(b_in).offset,
                    w_out: p.spec(w_out).offset,
                    b_out: p.spec(b_out).offset,
                    d_mlp: d,
                    k,
                    out_col: out_block * k,
                }
            };
            let cat_mlps = (0..c.n_cat_mlps)
                .map(|m| {
                    mlp(
                        &mut p,
                        &mut rng,
                        "cat_mlp",
                        m,
                        n_cat + c.n_heads_cat,
                        k,
                        layout.cat_mlp_block(l, m),
                    )
                })
                .collect();
            let num_mlps = (0..c.n_num_mlps)
                .map(|m| {
                    mlp(
                        &mut p,
                        &mut rng,
                        "num_mlp",
                        m,
                        n_num + c.n_heads_num,
                        1,
                        layout.num_mlp_block(l, m),
                    )
                })
                .collect();
            layers.push(Layer {
                cat_attn,
                num_attn,
                cat_mlps,
                num_mlps,
            });
        }
        let d_u = layout.d_u();
        let w_u = p.add(
            "unembed.W_U".into(),
            vec![d_u, c.n_classes],
            rng.sample(d_u * c.n_classes, inv_sqrt(c.n_classes)),
            true,
            SampledAs::Raw,
        );
        let mut masked = vec![false; c.n_classes];
        if c.unembed_mask {
            for &m in &c.masked_classes {
                masked[m] = true;
            }
        }
        let classifier = Classifier {
            w_u: p.spec(w_u).offset,
            n_classes: c.n_classes,
            masked,
        };
        Ok(Model {
            config: c.clone(),
            net: Net {
                layout,
                embed,
                layers,
                classifier,
                n_ctx: c.n_ctx,
                vocab: v,
                pad: c.pad_token,
                autoregressive: c.autoregressive,
                pool: c.pool_outputs,
            },
            params: p,
            ws: Vec::new(),
            logits: Vec::new(),
            grad_chunks: Vec::new(),
            lane_chunks: Vec::new(),
            lane_losses: Vec::new(),
            lane_wt: Vec::new(),
            last_sampling: Sampling::Argmax,
        })
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

    /// The fixed relative-position bias buffer `b` (length `2·n_ctx`, indexed by `j − i` with
    /// wrap-around), as the reference stores it in `rel_pos_bias.bias` (one row per head).
    pub fn rel_pos_bias(&self) -> Vec<f32> {
        fixed_rel_pos_bias(self.net.n_ctx)
    }
}
