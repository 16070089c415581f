//! The reference's `args.json` (its `run.py` flags, saved beside a checkpoint), as typed data.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::TorchImportError;

/// Every flag of the reference's `src/run.py`, under its own name.
///
/// The reference writes all its flags to `args.json`; [`ReferenceArgs::from_file`] requires the
/// ones that fix the data and the architecture ([`ReferenceArgs::REQUIRED`]), lets the others
/// (training hyper-parameters, bookkeeping) take the reference's command-line default, and keeps
/// fields this struct does not know in [`ReferenceArgs::extra`].
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

/// One problem of an `args.json`, naming the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArgsProblem {
    /// A field of [`ReferenceArgs::REQUIRED`] is absent.
    #[error("missing field `{field}` (required: it fixes the data or the architecture)")]
    Missing {
        /// The field's name.
        field: &'static str,
    },
    /// A field's value does not have the type the reference writes.
    #[error("field `{field}`: {reason}")]
    Mistyped {
        /// The field's name.
        field: String,
        /// What serde_json said, e.g. `invalid type: string "two", expected usize`.
        reason: String,
    },
}

impl ReferenceArgs {
    /// Fields that must be present: they determine the dataset (task, vocabulary, lengths, size,
    /// seed of the splits) or the model's architecture (hence the checkpoint's shapes), and the
    /// reference always writes them. `d_var` and the other nullable ones may be `null`.
    pub const REQUIRED: &'static [&'static str] = &[
        "dataset",
        "vocab_size",
        "dataset_size",
        "min_length",
        "max_length",
        "seed",
        "unique",
        "n_vars_cat",
        "n_vars_num",
        "d_var",
        "n_heads_cat",
        "n_heads_num",
        "d_mlp",
        "n_cat_mlps",
        "n_num_mlps",
        "mlp_vars_in",
        "n_layers",
        "one_hot_embed",
        "count_only",
        "selector_width",
        "attention_type",
        "rel_pos_bias",
        "autoregressive",
        "unembed_mask",
        "pool_outputs",
        "standard",
    ];

    /// Reads an `args.json` written by the reference, checking every field up front: all
    /// missing required fields and all fields of the wrong type are reported together in one
    /// [`TorchImportError::InvalidArgs`].
    pub fn from_file(path: &Path) -> Result<ReferenceArgs, TorchImportError> {
        let text = std::fs::read_to_string(path).map_err(|source| TorchImportError::Io {
            path: path.to_owned(),
            source,
        })?;
        ReferenceArgs::from_json(&text, path)
    }

    /// Parses the text of an `args.json`; `path` only names the file in errors.
    pub fn from_json(text: &str, path: &Path) -> Result<ReferenceArgs, TorchImportError> {
        let fields: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
            .map_err(|source| TorchImportError::MalformedArgs {
                path: path.to_owned(),
                source,
            })?;
        let problems = check(&fields);
        if !problems.is_empty() {
            return Err(TorchImportError::InvalidArgs {
                path: path.to_owned(),
                problems,
            });
        }
        serde_json::from_value(serde_json::Value::Object(fields)).map_err(|source| {
            TorchImportError::MalformedArgs {
                path: path.to_owned(),
                source,
            }
        })
    }
}

/// Every problem of `fields`, sorted by field name: required fields that are absent, and
/// known fields whose value does not deserialize (each field is tried on its own, so one bad
/// field does not hide the next).
fn check(fields: &serde_json::Map<String, serde_json::Value>) -> Vec<ArgsProblem> {
    let known = match serde_json::to_value(ReferenceArgs::default()) {
        Ok(serde_json::Value::Object(known)) => known,
        _ => serde_json::Map::new(),
    };
    let mut names: Vec<&String> = known.keys().collect();
    names.sort();
    let mut problems = Vec::new();
    for name in names {
        match fields.get(name) {
            None => {
                if let Some(field) = ReferenceArgs::REQUIRED.iter().find(|f| *f == name) {
                    problems.push(ArgsProblem::Missing { field });
                }
            }
            Some(value) => {
                let single = serde_json::Map::from_iter([(name.clone(), value.clone())]);
                let parsed: Result<ReferenceArgs, _> =
                    serde_json::from_value(serde_json::Value::Object(single));
                if let Err(error) = parsed {
                    problems.push(ArgsProblem::Mistyped {
                        field: name.clone(),
                        reason: error.to_string(),
                    });
                }
            }
        }
    }
    problems
}
