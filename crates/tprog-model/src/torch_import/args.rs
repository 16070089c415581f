//! The reference's `args.json` (its `run.py` flags, saved beside a checkpoint), as typed data.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::TorchImportError;

/// Every flag of the reference's `src/run.py`, under its own name; a field missing from the file
/// takes the reference's command-line default, and fields this struct does not know are kept in
/// [`ReferenceArgs::extra`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReferenceArgs {
    /// Where the reference wrote its outputs.
    pub output_dir: String,
    /// Task name (`reverse`, `hist`, `double_hist`, `sort`, `most_freq`, `dyck1`, `dyck2`, ...).
    pub dataset: String,
    /// Vocabulary size asked of the generator.
    pub vocab_size: usize,
    /// Number of examples asked (-1: the task's default).
    pub dataset_size: i64,
    /// Shortest sequence.
    pub min_length: usize,
    /// Longest sequence.
    pub max_length: usize,
    /// Random seed.
    pub seed: u64,
    /// Lowercase text datasets (0/1).
    pub do_lower: i64,
    /// Deduplicate examples (0/1).
    pub unique: i64,
    /// Replace numbers by a placeholder in text datasets (0/1).
    pub replace_numbers: i64,
    /// Number of categorical input variables.
    pub n_vars_cat: usize,
    /// Number of numerical input variables.
    pub n_vars_num: usize,
    /// Values per categorical variable (`null`: the sequence length).
    pub d_var: Option<usize>,
    /// Categorical attention heads per layer.
    pub n_heads_cat: usize,
    /// Numerical attention heads per layer.
    pub n_heads_num: usize,
    /// Hidden size of each MLP.
    pub d_mlp: usize,
    /// Categorical MLPs per layer.
    pub n_cat_mlps: usize,
    /// Numerical MLPs per layer.
    pub n_num_mlps: usize,
    /// Variables each MLP reads.
    pub mlp_vars_in: usize,
    /// Number of layers.
    pub n_layers: usize,
    /// Sampling function during training (`gumbel_soft`, `gumbel_hard`, `softmax`).
    pub sample_fn: String,
    /// One-hot token embedding.
    pub one_hot_embed: bool,
    /// Numerical heads only count (no value read).
    pub count_only: bool,
    /// Selector-width heads per layer.
    pub selector_width: i64,
    /// Attention type (`cat`).
    pub attention_type: String,
    /// Relative position bias (`fixed`, ...).
    pub rel_pos_bias: String,
    /// MLP type (`cat`).
    pub mlp_type: String,
    /// Causal attention mask.
    pub autoregressive: bool,
    /// GloVe embeddings file (text tasks only).
    pub glove_embeddings: String,
    /// Use GloVe embeddings (0/1).
    pub do_glove: i64,
    /// Mask of the unembedding (0/1).
    pub unembed_mask: i64,
    /// Pool outputs for classification (0/1).
    pub pool_outputs: i64,
    /// Train a standard transformer instead of a program.
    pub standard: bool,
    /// Standard transformer: model width.
    pub d_model: usize,
    /// Standard transformer: head width (`null`: d_model / n_heads).
    pub d_head: Option<usize>,
    /// Standard transformer: number of heads.
    pub n_heads: usize,
    /// Dropout rate.
    pub dropout: f64,
    /// Adam learning rate.
    pub lr: f64,
    /// Gradient clipping norm (`null`: none).
    pub max_grad_norm: Option<f64>,
    /// Gumbel samples per step.
    pub gumbel_samples: usize,
    /// Training epochs.
    pub n_epochs: usize,
    /// Batch size.
    pub batch_size: usize,
    /// First temperature.
    pub tau_init: f64,
    /// Last temperature.
    pub tau_end: f64,
    /// Temperature schedule (`geomspace`, ...).
    pub tau_schedule: String,
    /// Loss aggregation (`per_token`, `per_seq`).
    pub loss_agg: String,
    /// Whether the model was saved.
    pub save: bool,
    /// Whether the program code was saved.
    pub save_code: bool,
    /// Torch device.
    pub device: String,
    /// Fields of the file this struct does not name, kept as JSON.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Default for ReferenceArgs {
    /// The defaults of the reference's argument parser.
    fn default() -> Self {
        ReferenceArgs {
            output_dir: "output/scratch".to_string(),
            dataset: "reverse".to_string(),
            vocab_size: 8,
            dataset_size: -1,
            min_length: 1,
            max_length: 8,
            seed: 0,
            do_lower: 0,
            unique: 1,
            replace_numbers: 0,
            n_vars_cat: 1,
            n_vars_num: 1,
            d_var: None,
            n_heads_cat: 2,
            n_heads_num: 2,
            d_mlp: 64,
            n_cat_mlps: 1,
            n_num_mlps: 1,
            mlp_vars_in: 2,
            n_layers: 1,
            sample_fn: "gumbel_soft".to_string(),
            one_hot_embed: false,
            count_only: false,
            selector_width: 0,
            attention_type: "cat".to_string(),
            rel_pos_bias: "fixed".to_string(),
            mlp_type: "cat".to_string(),
            autoregressive: false,
            glove_embeddings: "data/glove.840B.300d.txt".to_string(),
            do_glove: 0,
            unembed_mask: 1,
            pool_outputs: 0,
            standard: false,
            d_model: 64,
            d_head: None,
            n_heads: 2,
            dropout: 0.0,
            lr: 5e-2,
            max_grad_norm: None,
            gumbel_samples: 1,
            n_epochs: 250,
            batch_size: 512,
            tau_init: 3.0,
            tau_end: 0.01,
            tau_schedule: "geomspace".to_string(),
            loss_agg: "per_token".to_string(),
            save: false,
            save_code: false,
            device: "cuda".to_string(),
            extra: BTreeMap::new(),
        }
    }
}

impl ReferenceArgs {
    /// Reads an `args.json` written by the reference.
    pub fn from_file(path: &Path) -> Result<ReferenceArgs, TorchImportError> {
        let text = std::fs::read_to_string(path).map_err(|source| TorchImportError::Io {
            path: path.to_owned(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| TorchImportError::MalformedArgs {
            path: path.to_owned(),
            source,
        })
    }
}
