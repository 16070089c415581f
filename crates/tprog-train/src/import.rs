//! Turning a checkpoint saved by the reference implementation (`model.pt` + `args.json`) into a
//! tprog run directory, without Python.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use tprog_baseline::standard::{StandardShape, StandardTransformer, Tensor};
use tprog_import::{ReferenceArgs, TorchTensor, read_state_dict};
use tprog_model::{Model, ModelConfig, ModelError};
use tprog_tasks::{Dataset, TaskName, TaskParams};

use crate::checkpoint::{self, LoopState};
use crate::config::{RunConfig, TaskSource, TrainConfig, TrainSampler};
use crate::rundir::{RunDir, files};
use crate::schedule::TauSchedule;
use crate::{TrainError, Trainable, data, presets, session};

/// What an import produced.
#[derive(Debug)]
pub struct Imported {
    /// The new run directory.
    pub run: RunDir,
    /// Its configuration.
    pub config: RunConfig,
    /// Tensors of the checkpoint that are buffers we derive from the config (ignored).
    pub ignored_buffers: Vec<String>,
    /// The data the reference trained on, regenerated from `args.json`.
    pub data: session::RunData,
    /// The loop state written with it (every epoch done, the imported model the best).
    pub state: LoopState,
}

impl Imported {
    /// A one-line description of [`Imported::ignored_buffers`] for people: the count, then the
    /// names grouped by pattern (layer and module indices replaced by `*`), e.g.
    /// `18 buffers (pos_embed.W, blocks.*.cat_attn.mask ×2, blocks.*.cat_attn.pos_bias ×2,
    /// blocks.*.cat_attn.W_K.E ×2, +11 more)` for the README's trained sort model.
    pub fn ignored_buffers_summary(&self) -> BufferSummary {
        BufferSummary::new(&self.ignored_buffers)
    }
}

/// Tensor names grouped by pattern: each dot-separated component that is a number becomes `*`.
/// Its `Display` is one short line: [`BufferSummary::MAX_SHOWN`] patterns at most are spelled
/// out, the names of the others only counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferSummary {
    /// How many names in all.
    pub total: usize,
    /// `(pattern, how many names match it)`, in order of first appearance.
    pub groups: Vec<(String, usize)>,
}

impl BufferSummary {
    /// Patterns shown by `Display` before the rest are only counted.
    pub const MAX_SHOWN: usize = 4;

    /// Groups `names` by pattern.
    pub fn new(names: &[String]) -> BufferSummary {
        let mut groups: Vec<(String, usize)> = Vec::new();
        for name in names {
            let pattern = name
                .split('.')
                .map(|part| {
                    if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                        "*"
                    } else {
                        part
                    }
                })
                .collect::<Vec<_>>()
                .join(".");
            match groups.iter_mut().find(|(p, _)| *p == pattern) {
                Some((_, count)) => *count += 1,
                None => groups.push((pattern, 1)),
            }
        }
        BufferSummary {
            total: names.len(),
            groups,
        }
    }
}

impl fmt::Display for BufferSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = if self.total == 1 { "buffer" } else { "buffers" };
        write!(f, "{} {noun}", self.total)?;
        if self.groups.is_empty() {
            return Ok(());
        }
        f.write_str(" (")?;
        for (i, (pattern, count)) in self.groups.iter().take(Self::MAX_SHOWN).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(pattern)?;
            if *count > 1 {
                write!(f, " ×{count}")?;
            }
        }
        let rest: usize = self
            .groups
            .iter()
            .skip(Self::MAX_SHOWN)
            .map(|(_, c)| c)
            .sum();
        if rest > 0 {
            write!(f, ", +{rest} more")?;
        }
        f.write_str(")")
    }
}

fn invalid(problem: String) -> TrainError {
    TrainError::InvalidConfig {
        problems: vec![problem],
    }
}

/// The run configuration equivalent to the reference's `args.json`, and its dataset.
pub fn run_config(args: &ReferenceArgs) -> Result<(RunConfig, Dataset), TrainError> {
    let task: TaskName = args.dataset.parse().map_err(|_| {
        invalid(format!(
            "args.json names dataset '{}', which is not a built-in synthetic task ({})",
            args.dataset,
            TaskName::valid_names()
        ))
    })?;
    let defaults = task.default_params();
    let params = TaskParams {
        // The reference forces the Dyck vocabulary; our generator asks for it explicitly.
        vocab_size: if matches!(task, TaskName::Dyck1 | TaskName::Dyck2) {
            defaults.vocab_size
        } else {
            args.vocab_size
        },
        min_length: args.min_length,
        max_length: args.max_length,
        dataset_size: usize::try_from(args.dataset_size)
            .map_err(|_| invalid(format!("dataset_size {} is negative", args.dataset_size)))?,
        seed: args.seed,
        unique: args.unique != 0,
    };
    let source = TaskSource::Generated { task, params };
    let dataset = data::load(&source)?;
    let shape = presets::Shape {
        n_layers: args.n_layers,
        n_heads_cat: args.n_heads_cat,
        n_heads_num: args.n_heads_num,
        n_cat_mlps: args.n_cat_mlps,
        n_num_mlps: args.n_num_mlps,
    };
    let fitted = presets::model_config_for(shape, args.unembed_mask != 0, &dataset);
    let model = ModelConfig {
        n_vars_cat: args.n_vars_cat,
        n_vars_num: args.n_vars_num,
        d_var: args.d_var.unwrap_or(fitted.d_var),
        mlp_vars_in: args.mlp_vars_in,
        d_mlp: args.d_mlp,
        one_hot_embed: args.one_hot_embed,
        count_only: args.count_only,
        selector_width: args.selector_width != 0,
        rel_pos_bias: args.rel_pos_bias.clone(),
        attention_type: args.attention_type.clone(),
        dropout: args.dropout as f32,
        autoregressive: args.autoregressive || dataset.causal,
        pool_outputs: args.pool_outputs != 0,
        ..fitted
    };
    let sample_fn = match args.sample_fn.as_str() {
        "gumbel_hard" => TrainSampler::GumbelHard,
        "softmax" => TrainSampler::Softmax,
        _ => TrainSampler::GumbelSoft,
    };
    let train = TrainConfig {
        lr: args.lr as f32,
        batch_size: args.batch_size,
        n_epochs: args.n_epochs,
        tau_init: args.tau_init,
        tau_end: args.tau_end,
        tau_schedule: if args.tau_schedule == "linspace" {
            TauSchedule::Linspace
        } else {
            TauSchedule::Geomspace
        },
        sample_fn,
        gumbel_samples: args.gumbel_samples.max(1),
        max_grad_norm: args.max_grad_norm.map(|n| n as f32),
        seed: args.seed,
        patience: None,
        schedule_epochs: None,
        step_chunks: tprog_model::DEFAULT_STEP_CHUNKS,
        glove: None,
    };
    let config = RunConfig {
        name: task.as_str().to_owned(),
        preset: Some("imported".to_owned()),
        data: source,
        shape: data::shape_of(&dataset),
        model,
        train,
        // A `--standard` checkpoint: the reference's standard Transformer, whose task facts
        // (context, vocabularies, masked classes, pooling) are the model config's.
        standard: args.standard.then_some(StandardShape {
            d_model: args.d_model,
            n_layers: args.n_layers,
            n_heads: args.n_heads,
            d_mlp: args.d_mlp,
            dropout: args.dropout as f32,
        }),
    };
    Ok((config, dataset))
}

/// The model an import produced: a Transformer Program, or (from a `--standard` checkpoint)
/// the standard Transformer baseline.
#[derive(Debug)]
pub enum ImportedModel {
    /// A Transformer Program.
    Program(Box<Model>),
    /// The standard Transformer baseline (no program).
    Standard(Box<StandardTransformer>),
}

/// Imports `model_pt` (a reference state dict) with its `args_json` into a new run at `out`;
/// returns the run and the imported model (also saved as `model.safetensors`). `args.json`
/// with `"standard": true` imports the reference's standard Transformer.
pub fn import_reference(
    model_pt: &Path,
    args_json: &Path,
    out: &Path,
    overwrite: bool,
) -> Result<(Imported, ImportedModel), TrainError> {
    let args = ReferenceArgs::from_file(args_json)?;
    let (config, dataset) = run_config(&args).map_err(|e| naming(args_json, e))?;
    config.validate_model().map_err(|e| naming(args_json, e))?;
    let tensors = read_state_dict(model_pt)?;
    let splits = data::encode(&dataset)?;
    let (model, ignored_buffers, val) = match config.standard_config() {
        None => {
            let mut model = config.model.init(config.train.seed)?;
            let ignored = load_tensors(&mut model, &tensors, model_pt, args_json)?;
            let val = crate::eval::evaluate(&mut model, &splits.val)?;
            (ImportedModel::Program(Box::new(model)), ignored, val)
        }
        Some(standard) => {
            let mut model = standard.init(config.train.seed)?;
            let (ignored, val) = load_standard(&mut model, &tensors, model_pt, &splits)?;
            (ImportedModel::Standard(Box::new(model)), ignored, val)
        }
    };
    let run = session::create(out, &config, overwrite)?;
    let state = LoopState {
        epochs_completed: config.train.n_epochs,
        adam_steps: 0,
        best_val: val.token(),
        best_epoch: config.train.n_epochs,
        epochs_since_best: 0,
        seconds: 0.0,
    };
    match &model {
        ImportedModel::Program(m) => save_imported(&run, m.as_ref(), &state)?,
        ImportedModel::Standard(m) => save_imported(&run, m.as_ref(), &state)?,
    }
    let imported = Imported {
        run,
        config,
        ignored_buffers,
        data: session::RunData { dataset, splits },
        state,
    };
    Ok((imported, model))
}

/// `error` with each configuration problem prefixed by the `args.json` it comes from.
fn naming(args_json: &Path, error: TrainError) -> TrainError {
    match error {
        TrainError::InvalidConfig { problems } => TrainError::InvalidConfig {
            problems: problems
                .into_iter()
                .map(|problem| format!("{}: {problem}", args_json.display()))
                .collect(),
        },
        other => other,
    }
}

/// `model.safetensors` and the checkpoint of an imported model.
fn save_imported<M: Trainable>(
    run: &RunDir,
    model: &M,
    state: &LoopState,
) -> Result<(), TrainError> {
    run.write_atomic(files::MODEL, &model.to_model_bytes()?)?;
    checkpoint::save(run, model.checkpoint_params(), state)
}

/// Loads a `--standard` state dict into `model` through the reference's parameter names
/// (all-or-nothing, every missing or misshapen tensor named); returns the names of the
/// checkpoint's other tensors and the validation accuracy.
fn load_standard(
    model: &mut StandardTransformer,
    tensors: &[TorchTensor],
    model_pt: &Path,
    splits: &crate::trainer::Splits,
) -> Result<(Vec<String>, crate::eval::Accuracy), TrainError> {
    let used = std::cell::RefCell::new(HashSet::new());
    model.load_reference(model_pt, |name| {
        let tensor = tensors.iter().find(|t| t.name == name)?;
        used.borrow_mut().insert(tensor.name.clone());
        Some(Tensor {
            shape: tensor.shape.clone(),
            values: tensor.data.clone(),
        })
    })?;
    let used = used.into_inner();
    let ignored = tensors
        .iter()
        .filter(|t| !used.contains(&t.name))
        .map(|t| t.name.clone())
        .collect();
    let val = crate::eval::evaluate(model, &splits.val)?;
    Ok((ignored, val))
}

/// Copies every tensor of the checkpoint that the model has into it and returns the names of
/// the others (buffers). Every tensor of the wrong shape and every parameter the checkpoint
/// lacks is reported, all at once, in one error naming both files.
fn load_tensors(
    model: &mut Model,
    tensors: &[TorchTensor],
    model_pt: &Path,
    args_json: &Path,
) -> Result<Vec<String>, TrainError> {
    let mut ignored_buffers = Vec::new();
    let mut seen = HashSet::new();
    let mut problems = Vec::new();
    for tensor in tensors {
        match model.set_tensor(&tensor.name, &tensor.shape, &tensor.data) {
            Ok(true) => {
                seen.insert(tensor.name.as_str());
            }
            Ok(false) => ignored_buffers.push(tensor.name.clone()),
            Err(ModelError::TensorMismatch {
                name,
                got,
                expected,
                ..
            }) => {
                seen.insert(tensor.name.as_str());
                problems.push(format!(
                    "tensor {name} has shape {got:?}, the model expects {expected:?}"
                ));
            }
            Err(other) => return Err(other.into()),
        }
    }
    problems.extend(
        model
            .params()
            .specs()
            .iter()
            .filter(|spec| !seen.contains(spec.name.as_str()))
            .map(|spec| format!("no tensor {} (shape {:?})", spec.name, spec.shape)),
    );
    if problems.is_empty() {
        return Ok(ignored_buffers);
    }
    Err(TrainError::Checkpoint {
        path: model_pt.to_owned(),
        problem: format!(
            "it does not fit the model described by {}:\n  - {}",
            args_json.display(),
            problems.join("\n  - ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::BufferSummary;

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn buffers_are_grouped_by_pattern() {
        let summary = BufferSummary::new(&names(&[
            "blocks.0.cat_attn.mask",
            "blocks.0.cat_attn.rel_pos_bias.idxs",
            "blocks.1.cat_attn.mask",
            "blocks.1.cat_attn.rel_pos_bias.idxs",
            "blocks.2.cat_attn.mask",
            "unembed.mask",
        ]));
        assert_eq!(summary.total, 6);
        assert_eq!(
            summary.to_string(),
            "6 buffers (blocks.*.cat_attn.mask ×3, blocks.*.cat_attn.rel_pos_bias.idxs ×2, \
             unembed.mask)"
        );
    }

    #[test]
    fn many_patterns_are_cut_short() {
        let many: Vec<String> = (0..10)
            .flat_map(|i| [format!("m{i}.mask"), format!("m{i}.mask")])
            .collect();
        let line = BufferSummary::new(&many).to_string();
        assert_eq!(
            line,
            "20 buffers (m0.mask ×2, m1.mask ×2, m2.mask ×2, m3.mask ×2, +12 more)"
        );
        assert_eq!(BufferSummary::new(&[]).to_string(), "0 buffers");
        assert_eq!(
            BufferSummary::new(&names(&["a.1b.2"])).to_string(),
            "1 buffer (a.1b.*)"
        );
    }
}
