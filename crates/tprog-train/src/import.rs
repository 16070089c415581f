//! Turning a checkpoint saved by the reference implementation (`model.pt` + `args.json`) into a
//! tprog run directory, without Python.

use std::path::Path;

use tprog_model::ModelConfig;
use tprog_model::torch_import::{ReferenceArgs, read_state_dict};
use tprog_tasks::{Dataset, TaskName, TaskParams};

use crate::checkpoint::{self, LoopState};
use crate::config::{RunConfig, TaskSource, TrainConfig, TrainSampler};
use crate::rundir::{RunDir, files};
use crate::schedule::TauSchedule;
use crate::{TrainError, data, presets, session};

/// What an import produced.
#[derive(Debug)]
pub struct Imported {
    /// The new run directory.
    pub run: RunDir,
    /// Its configuration.
    pub config: RunConfig,
    /// Tensors of the checkpoint that are buffers we derive from the config (ignored).
    pub ignored_buffers: Vec<String>,
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
    if args.standard {
        return Err(invalid(
            "args.json describes a standard Transformer (--standard), not a Transformer Program"
                .to_owned(),
        ));
    }
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
    };
    let config = RunConfig {
        name: task.as_str().to_owned(),
        preset: Some("imported".to_owned()),
        data: source,
        shape: data::shape_of(&dataset),
        model,
        train,
    };
    Ok((config, dataset))
}

/// Imports `model_pt` (a reference state dict) with its `args_json` into a new run at `out`.
pub fn import_reference(
    model_pt: &Path,
    args_json: &Path,
    out: &Path,
    overwrite: bool,
) -> Result<Imported, TrainError> {
    let args = ReferenceArgs::from_file(args_json)?;
    let (config, dataset) = run_config(&args)?;
    let tensors = read_state_dict(model_pt)?;
    let mut model = config.model.init(config.train.seed)?;
    let mut ignored_buffers = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for tensor in &tensors {
        if model.set_tensor(&tensor.name, &tensor.shape, &tensor.data)? {
            seen.insert(tensor.name.clone());
        } else {
            ignored_buffers.push(tensor.name.clone());
        }
    }
    let missing: Vec<String> = model
        .params()
        .specs()
        .iter()
        .filter(|spec| !seen.contains(&spec.name))
        .map(|spec| format!("{} holds no tensor '{}'", model_pt.display(), spec.name))
        .collect();
    if !missing.is_empty() {
        return Err(TrainError::InvalidConfig { problems: missing });
    }
    let splits = data::encode(&dataset)?;
    let val = crate::eval::evaluate(&mut model, &splits.val)?;
    let run = session::create(out, &config, overwrite)?;
    let model_path = run.path(files::MODEL);
    model.save_safetensors(&model_path)?;
    let state = LoopState {
        epochs_completed: config.train.n_epochs,
        adam_steps: 0,
        best_val: val.token(),
        best_epoch: config.train.n_epochs,
        epochs_since_best: 0,
        seconds: 0.0,
    };
    checkpoint::save(&run, model.params(), &state)?;
    Ok(Imported {
        run,
        config,
        ignored_buffers,
    })
}
