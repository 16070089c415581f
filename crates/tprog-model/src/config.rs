//! `ModelConfig`: the reference's model flags plus the shape facts of a task, its validation,
//! and the paper's presets.

use serde::{Deserialize, Deserializer, Serialize};

use crate::ModelError;

/// Everything needed to build a [`crate::Model`]. Field names follow the reference's flags
/// (`n_heads_cat`, `d_var`, `mlp_vars_in`, ...) so its scripts translate one to one; the last
/// five fields are facts of the task (context length and vocabularies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Number of blocks `L`.
    pub n_layers: usize,
    /// Categorical embedding variables (must be 1 with `one_hot_embed`).
    pub n_vars_cat: usize,
    /// Numerical embedding variables (`ones` with `count_only`).
    pub n_vars_num: usize,
    /// Cardinality `k` of every categorical variable.
    pub d_var: usize,
    /// Categorical attention heads per layer `Hc`.
    pub n_heads_cat: usize,
    /// Numerical attention heads per layer `Hn`.
    pub n_heads_num: usize,
    /// Categorical MLPs per layer `Mc`.
    pub n_cat_mlps: usize,
    /// Numerical MLPs per layer `Mn`.
    pub n_num_mlps: usize,
    /// Variables each MLP reads `ℓ`.
    #[serde(default = "default_mlp_vars_in")]
    pub mlp_vars_in: usize,
    /// Hidden width of every MLP.
    #[serde(default = "default_d_mlp")]
    pub d_mlp: usize,
    /// Frozen one-hot token embedding (`W_E = 20·I − 10`).
    #[serde(default, deserialize_with = "bool_or_int")]
    pub one_hot_embed: bool,
    /// Frozen all-ones numerical embedding.
    #[serde(default, deserialize_with = "bool_or_int")]
    pub count_only: bool,
    /// Numerical heads always read variable 0 (`ones`), frozen.
    #[serde(default, deserialize_with = "bool_or_int")]
    pub selector_width: bool,
    /// Relative-position bias of categorical heads; only `"fixed"` is supported.
    #[serde(default = "default_fixed")]
    pub rel_pos_bias: String,
    /// Attention type; only `"cat"` is supported.
    #[serde(default = "default_cat")]
    pub attention_type: String,
    /// Attention logits are divided by this; `None` means `sqrt(d_var)`.
    #[serde(default)]
    pub attention_temp: Option<f32>,
    /// Dropout rate while training, in `[0, 1)` (spec §7): on every attention output, every
    /// MLP output and inside every MLP's hidden layer; evaluation and the discrete model never
    /// see it. Absent in older configs: 0.
    #[serde(default)]
    pub dropout: f32,
    /// Causal mask (`j ≤ i`).
    #[serde(default, deserialize_with = "bool_or_int")]
    pub autoregressive: bool,
    /// Give the classes listed in `masked_classes` the logit −1e30.
    #[serde(default = "default_true", deserialize_with = "bool_or_int")]
    pub unembed_mask: bool,
    /// Replace position 0's features by the mean over the sequence (classification).
    #[serde(default, deserialize_with = "bool_or_int")]
    pub pool_outputs: bool,
    /// Longest sequence `n_ctx` (the `M` of the relative-position bias).
    pub n_ctx: usize,
    /// Input vocabulary size `V` (including `<pad>`).
    #[serde(default)]
    pub vocab_size: usize,
    /// Number of output classes `C` (including `<pad>`).
    #[serde(default)]
    pub n_classes: usize,
    /// Classes masked when `unembed_mask` (the indices of `<pad>` and `<unk>`).
    #[serde(default)]
    pub masked_classes: Vec<usize>,
    /// The input `<pad>` index; positions holding it are masked.
    #[serde(default)]
    pub pad_token: u32,
    /// How categorical heads relax the BOS default while training (not a reference flag; absent
    /// means the reference's formula, so its args.json and older run directories keep their
    /// meaning). The discrete model is the same either way.
    #[serde(default)]
    pub bos_default: BosDefault,
}

/// The BOS default of a categorical head (added to the scores before their
/// log and the sampling over keys): key 0 gets `d(s)` added to its
/// score, where `s` is the sum of the query's unmasked scores. On the discrete model's 0/1
/// scores both forms give 1 when nothing matches and 0 otherwise; they differ only while the
/// scores are soft, that is while training.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BosDefault {
    /// The reference's `relu(1 − s/(s + 1e-10))`. It is about 0 as soon as any key matches a
    /// little, which soft scores always do, so the default is absent from training until τ is
    /// tiny (a quirk of the reference, kept for parity). Needed to reproduce the reference's training-mode outputs.
    #[default]
    Reference,
    /// `relu(1 − s)`: the default rises as the matches fade, so "nothing matched" can be
    /// learned while training. Induction needs it (it never trains past 66 % without).
    Soft,
}

impl BosDefault {
    /// The default `d(s)` and its derivative `d′(s)` (both 0 where the ReLU is off).
    #[inline(always)]
    pub(crate) fn value_and_slope(self, s: f32) -> (f32, f32) {
        let (v, slope) = match self {
            Self::Reference => {
                let e = s + 1e-10;
                (1.0 - s / e, -(1.0 / e - s / (e * e)))
            }
            Self::Soft => (1.0 - s, -1.0),
        };
        if v > 0.0 { (v, slope) } else { (0.0, 0.0) }
    }
}

fn default_mlp_vars_in() -> usize {
    2
}
fn default_d_mlp() -> usize {
    64
}
fn default_fixed() -> String {
    "fixed".to_string()
}
fn default_cat() -> String {
    "cat".to_string()
}
fn default_true() -> bool {
    true
}

/// Accepts `true`/`false` or the reference's `0`/`1` integers.
fn bool_or_int<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum BoolOrInt {
        Bool(bool),
        Int(i64),
    }
    Ok(match BoolOrInt::deserialize(d)? {
        BoolOrInt::Bool(b) => b,
        BoolOrInt::Int(i) => i != 0,
    })
}

impl ModelConfig {
    /// The README's sort model (2 layers, 4 categorical heads, 1 categorical MLP, k = 8) for a
    /// task with the given context length and vocabulary sizes (`<pad>` masked).
    pub fn readme_sort(n_ctx: usize, vocab_size: usize, n_classes: usize) -> Self {
        Self {
            n_layers: 2,
            n_vars_cat: 1,
            n_vars_num: 1,
            d_var: 8,
            n_heads_cat: 4,
            n_heads_num: 0,
            n_cat_mlps: 1,
            n_num_mlps: 0,
            mlp_vars_in: 2,
            d_mlp: 64,
            one_hot_embed: true,
            count_only: true,
            selector_width: false,
            rel_pos_bias: default_fixed(),
            attention_type: default_cat(),
            attention_temp: None,
            dropout: 0.0,
            autoregressive: false,
            unembed_mask: true,
            pool_outputs: false,
            n_ctx,
            vocab_size,
            n_classes,
            masked_classes: vec![0],
            pad_token: 0,
            bos_default: BosDefault::Reference,
        }
    }

    /// The paper's RASP configuration (3 layers, 4+4 heads, 2+2 MLPs) with cardinality `d_var`.
    pub fn paper_rasp(d_var: usize, n_ctx: usize, vocab_size: usize, n_classes: usize) -> Self {
        Self {
            n_layers: 3,
            d_var,
            n_heads_cat: 4,
            n_heads_num: 4,
            n_cat_mlps: 2,
            n_num_mlps: 2,
            ..Self::readme_sort(n_ctx, vocab_size, n_classes)
        }
    }

    /// The attention temperature actually used (`sqrt(d_var)` unless set).
    pub fn attention_temperature(&self) -> f32 {
        self.attention_temp
            .unwrap_or_else(|| (self.d_var as f64).sqrt() as f32)
    }

    /// Checks the configuration and returns every problem found at once.
    pub fn validate(&self) -> Result<(), ModelError> {
        let mut p = Vec::new();
        if self.n_layers == 0 {
            p.push("n_layers must be at least 1".to_string());
        }
        if self.d_var == 0 {
            p.push("d_var must be at least 1".to_string());
        }
        if self.n_vars_cat == 0 {
            p.push("n_vars_cat must be at least 1".to_string());
        }
        if self.n_vars_num == 0 && (self.n_heads_num > 0 || self.n_num_mlps > 0) {
            p.push("numerical heads or MLPs need n_vars_num >= 1".to_string());
        }
        if self.mlp_vars_in == 0 {
            p.push("mlp_vars_in must be at least 1".to_string());
        }
        if self.d_mlp == 0 && self.n_cat_mlps + self.n_num_mlps > 0 {
            p.push("d_mlp must be at least 1".to_string());
        }
        if self.vocab_size == 0 {
            p.push("vocab_size must be at least 1".to_string());
        }
        if self.n_classes == 0 {
            p.push("n_classes must be at least 1".to_string());
        }
        if self.n_ctx == 0 {
            p.push("n_ctx must be at least 1".to_string());
        }
        if self.n_ctx > self.d_var {
            p.push(format!(
                "one-hot positions need n_ctx ({}) <= d_var ({})",
                self.n_ctx, self.d_var
            ));
        }
        if self.one_hot_embed {
            if self.n_vars_cat != 1 {
                p.push(format!(
                    "one_hot_embed needs n_vars_cat = 1 (got {})",
                    self.n_vars_cat
                ));
            }
            if self.vocab_size > self.d_var {
                p.push(format!(
                    "one_hot_embed needs vocab_size ({}) <= d_var ({})",
                    self.vocab_size, self.d_var
                ));
            }
        }
        if self.rel_pos_bias != "fixed" {
            p.push(format!(
                "rel_pos_bias {:?} is not supported (only \"fixed\")",
                self.rel_pos_bias
            ));
        }
        if self.attention_type != "cat" {
            p.push(format!(
                "attention_type {:?} is not supported (only \"cat\")",
                self.attention_type
            ));
        }
        if let Some(t) = self.attention_temp {
            if !(t.is_finite() && t > 0.0) {
                p.push(format!("attention_temp must be positive (got {t})"));
            }
        }
        if !(self.dropout.is_finite() && (0.0..1.0).contains(&self.dropout)) {
            p.push(format!("dropout must be in [0, 1) (got {})", self.dropout));
        }
        if self.n_ctx > 0 && self.n_ctx < 3 {
            p.push(format!(
                "the fixed relative-position bias needs n_ctx >= 3 (got {})",
                self.n_ctx
            ));
        }
        if (self.pad_token as usize) >= self.vocab_size && self.vocab_size > 0 {
            p.push(format!(
                "pad_token {} is outside the vocabulary of {}",
                self.pad_token, self.vocab_size
            ));
        }
        for &c in &self.masked_classes {
            if c >= self.n_classes {
                p.push(format!("masked class {c} is outside 0..{}", self.n_classes));
            }
        }
        self.check_sizes(&mut p);
        if p.is_empty() {
            Ok(())
        } else {
            Err(ModelError::InvalidConfig(p))
        }
    }

    /// Bounds on every size, so that a mistyped or corrupted configuration is an error rather
    /// than an attempt to allocate terabytes.
    fn check_sizes(&self, p: &mut Vec<String>) {
        for (name, value, limit) in [
            ("n_layers", self.n_layers, MAX_LAYERS),
            ("n_heads_cat", self.n_heads_cat, MAX_MODULES_PER_LAYER),
            ("n_heads_num", self.n_heads_num, MAX_MODULES_PER_LAYER),
            ("n_cat_mlps", self.n_cat_mlps, MAX_MODULES_PER_LAYER),
            ("n_num_mlps", self.n_num_mlps, MAX_MODULES_PER_LAYER),
            ("n_vars_cat", self.n_vars_cat, MAX_MODULES_PER_LAYER),
            ("n_vars_num", self.n_vars_num, MAX_MODULES_PER_LAYER),
            ("mlp_vars_in", self.mlp_vars_in, MAX_MODULES_PER_LAYER),
            ("d_var", self.d_var, MAX_WIDTH),
            ("n_ctx", self.n_ctx, MAX_WIDTH),
            ("d_mlp", self.d_mlp, MAX_WIDTH),
            ("vocab_size", self.vocab_size, MAX_VOCAB),
            ("n_classes", self.n_classes, MAX_VOCAB),
        ] {
            if value > limit {
                p.push(format!("{name} must be at most {limit}, got {value}"));
            }
        }
        if p.is_empty() {
            let layers = self.n_layers.saturating_mul(
                self.n_heads_cat + self.n_heads_num + self.n_cat_mlps + self.n_num_mlps,
            );
            let stream = (self.n_vars_cat + 1 + layers).saturating_mul(self.d_var);
            let largest = [
                self.vocab_size.saturating_mul(stream),
                stream.saturating_mul(self.n_classes),
                stream
                    .saturating_mul(self.d_var)
                    .saturating_mul(layers.max(1)),
                stream
                    .saturating_mul(self.d_mlp)
                    .saturating_mul(layers.max(1)),
            ];
            if largest.iter().any(|&n| n > MAX_PARAMETERS) {
                p.push(format!(
                    "the model would have more than {MAX_PARAMETERS} parameters in one tensor \
                     family; reduce d_var, vocab_size, n_classes, d_mlp or the number of modules"
                ));
            }
        }
    }
}

/// Most layers.
pub const MAX_LAYERS: usize = 64;
/// Most heads, MLPs or variables of one kind per layer.
pub const MAX_MODULES_PER_LAYER: usize = 64;
/// Largest `d_var`, `n_ctx` and `d_mlp`.
pub const MAX_WIDTH: usize = 4096;
/// Largest vocabulary and number of classes.
pub const MAX_VOCAB: usize = 1 << 20;
/// Most values in one family of parameters (embedding, classifier, predicates, MLPs).
pub const MAX_PARAMETERS: usize = 1 << 28;

/// Where every variable lives in the two residual streams: `x_cat`, one `k`-wide
/// block per categorical variable, and `x_num`, one scalar per numerical variable.
///
/// `x_cat` is a sequence of blocks of width `k`: the `n_vars_cat` embedding variables, the
/// positions, then per layer its categorical heads, categorical MLPs and numerical MLPs.
/// `x_num` holds the `n_vars_num` numerical inputs, then per layer its numerical heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Block width `k`.
    pub k: usize,
    /// Embedding variables `n_vars_cat`.
    pub n_vars_cat: usize,
    /// Numerical inputs `n_vars_num`.
    pub n_vars_num: usize,
    /// Categorical heads per layer.
    pub heads_cat: usize,
    /// Numerical heads per layer.
    pub heads_num: usize,
    /// Categorical MLPs per layer.
    pub cat_mlps: usize,
    /// Numerical MLPs per layer.
    pub num_mlps: usize,
    /// Layers.
    pub n_layers: usize,
}

impl Layout {
    /// The layout of a configuration.
    pub fn new(c: &ModelConfig) -> Self {
        Self {
            k: c.d_var,
            n_vars_cat: c.n_vars_cat,
            n_vars_num: c.n_vars_num,
            heads_cat: c.n_heads_cat,
            heads_num: c.n_heads_num,
            cat_mlps: c.n_cat_mlps,
            num_mlps: c.n_num_mlps,
            n_layers: c.n_layers,
        }
    }
    /// Categorical blocks appended by one layer.
    pub fn blocks_per_layer(&self) -> usize {
        self.heads_cat + self.cat_mlps + self.num_mlps
    }
    /// Categorical blocks visible to layer `l` (its input).
    pub fn cat_blocks_in(&self, l: usize) -> usize {
        self.n_vars_cat + 1 + l * self.blocks_per_layer()
    }
    /// Numerical scalars visible to layer `l`.
    pub fn num_in(&self, l: usize) -> usize {
        self.n_vars_num + l * self.heads_num
    }
    /// Block index of categorical head `h` of layer `l`.
    pub fn cat_head_block(&self, l: usize, h: usize) -> usize {
        self.cat_blocks_in(l) + h
    }
    /// Block index of categorical MLP `m` of layer `l`.
    pub fn cat_mlp_block(&self, l: usize, m: usize) -> usize {
        self.cat_blocks_in(l) + self.heads_cat + m
    }
    /// Block index of numerical MLP `m` of layer `l`.
    pub fn num_mlp_block(&self, l: usize, m: usize) -> usize {
        self.cat_blocks_in(l) + self.heads_cat + self.cat_mlps + m
    }
    /// Index in `x_num` of numerical head `h` of layer `l`.
    pub fn num_head_index(&self, l: usize, h: usize) -> usize {
        self.num_in(l) + h
    }
    /// Total categorical blocks after the last layer.
    pub fn cat_blocks_total(&self) -> usize {
        self.cat_blocks_in(self.n_layers)
    }
    /// Width of the final `x_cat`.
    pub fn d_cat(&self) -> usize {
        self.cat_blocks_total() * self.k
    }
    /// Width of the final `x_num`.
    pub fn d_num(&self) -> usize {
        self.num_in(self.n_layers)
    }
    /// Classifier input width `D_U = d_cat + d_num`.
    pub fn d_u(&self) -> usize {
        self.d_cat() + self.d_num()
    }
}
