//! What a user asks for — a task or a data file, a preset, and settings that override it —
//! turned into a validated run configuration and its data (stage 1, "Task").

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tprog_model::BosDefault;
use tprog_tasks::TaskName;
use tprog_tasks::text::{NlpOptions, NlpTask};
use tprog_train::presets::{Architecture, Preset};
use tprog_train::session::RunData;
use tprog_train::{RunConfig, TaskSource, TrainSampler, data};

use crate::PipelineError;

/// Where the data comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum DataRequest {
    /// A built-in task (its generator, with the preset's parameters).
    Task(TaskName),
    /// A JSONL file of `{"tokens": [...], "labels": [...]}` lines.
    File {
        /// The file (`.jsonl` or `.jsonl.gz`).
        path: PathBuf,
        /// Causal (autoregressive) attention.
        causal: bool,
        /// Seed of the 81/9/10 split when the file has no `split` fields (independent of the
        /// training seed, so that several seeds train and select on the same split).
        split_seed: u64,
        /// Most tokens a line may have.
        max_length: usize,
        /// Skip (and count) longer lines instead of failing.
        drop_long: bool,
        /// The model's context when it must be longer than every training line (validation
        /// and test lines up to it are allowed); `None`: the longest training line.
        n_ctx: Option<usize>,
        /// The output vocabulary holds every split's labels (held-out labels no training
        /// line has are classes never trained to); `false`: such a label is an error.
        all_labels: bool,
    },
    /// One of the paper's NLP data sets (CoNLL-2003 NER, TREC, MR, Subj, AG News) read from a
    /// directory and preprocessed as the reference does.
    Nlp {
        /// The task.
        task: NlpTask,
        /// The directory holding its files (see `tprog_tasks::text::load_nlp`).
        data_dir: PathBuf,
        /// Preprocessing settings (`NlpTask::default_options` are the paper's).
        options: NlpOptions,
    },
}

/// Settings that override a preset's. `None` keeps the preset's value. Field names are the
/// reference's flags.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// Seed of initialisation, shuffling and noise.
    pub seed: Option<u64>,
    /// Epochs.
    pub n_epochs: Option<usize>,
    /// Batch size.
    pub batch_size: Option<usize>,
    /// Adam learning rate.
    pub lr: Option<f32>,
    /// Temperature at the first step.
    pub tau_init: Option<f64>,
    /// Temperature at the end.
    pub tau_end: Option<f64>,
    /// Sampler while training.
    pub sample_fn: Option<TrainSampler>,
    /// Independent Gumbel samples per training step, their losses averaged (the reference's
    /// `--gumbel_samples`; default 1).
    #[serde(default)]
    pub gumbel_samples: Option<usize>,
    /// The BOS default while training.
    pub bos_default: Option<BosDefault>,
    /// Clip the gradient norm to this value.
    pub max_grad_norm: Option<f32>,
    /// Early stopping after this many epochs without improvement.
    pub patience: Option<usize>,
    /// Chunks a batch is cut into for parallel work (at most this many threads share a step).
    pub step_chunks: Option<usize>,
    /// A GloVe text file to initialise the learned word embedding from.
    pub glove: Option<std::path::PathBuf>,
    /// Layers.
    pub n_layers: Option<usize>,
    /// Categorical heads per layer.
    pub n_heads_cat: Option<usize>,
    /// Numerical heads per layer.
    pub n_heads_num: Option<usize>,
    /// Categorical MLPs per layer.
    pub n_cat_mlps: Option<usize>,
    /// Values per categorical variable (the reference's `--d_var`, the paper's k). Default:
    /// `max(V, n_ctx)` with one-hot tokens (it must be at least that), or the NLP preset's
    /// (32 for CoNLL, 64 for classification; at least `n_ctx`, positions being one-hot).
    #[serde(default)]
    pub d_var: Option<usize>,
    /// Learned embedding variables of an NLP model (the reference's `--n_vars_cat`; the paper's
    /// NLP preset has 4, and its grids try 2, 4 and 8). One-hot tokens are one variable.
    #[serde(default)]
    pub n_vars_cat: Option<usize>,
    /// Numerical MLPs per layer.
    pub n_num_mlps: Option<usize>,
    /// Examples to generate (built-in tasks).
    pub dataset_size: Option<usize>,
    /// The reference's `--vocab_size`: a built-in task's generator vocabulary (what it counts
    /// is each task's, see `tprog tasks`; the Dyck tasks fix theirs), or the words an NLP
    /// task's vocabulary keeps besides `<pad>` and `<unk>`.
    #[serde(default)]
    pub vocab_size: Option<usize>,
    /// The reference's `--min_length`: a built-in task's shortest example, or an NLP task's
    /// shortest sentence (in words).
    #[serde(default)]
    pub min_length: Option<usize>,
    /// The reference's `--max_length`: a built-in task's longest example (before BOS), or the
    /// NLP length filter (see `NlpOptions`). The model's width follows: a categorical
    /// variable has `k = max(|vocabulary|, n_ctx)` values, so lengths and vocabularies scale
    /// `k` the way the paper does (k = N).
    #[serde(default)]
    pub max_length: Option<usize>,
    /// Which model to train (`--model`): a Transformer Program or the standard Transformer.
    #[serde(default)]
    pub architecture: Option<Architecture>,
    /// Standard Transformer: width of the residual stream.
    #[serde(default)]
    pub d_model: Option<usize>,
    /// Standard Transformer: attention heads per layer.
    #[serde(default)]
    pub n_heads: Option<usize>,
    /// Standard Transformer: MLP width.
    #[serde(default)]
    pub d_mlp: Option<usize>,
    /// Dropout rate while training, of the standard Transformer or of the Transformer
    /// Program (default 0; the paper's CoNLL preset 0.5).
    #[serde(default)]
    pub dropout: Option<f32>,
}

/// A request to learn a program.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The data.
    pub data: DataRequest,
    /// The named settings to start from.
    pub preset: Preset,
    /// What the user changed.
    pub overrides: Overrides,
}

/// A run ready to train: its configuration and its data.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The configuration (written as `config.json`).
    pub config: RunConfig,
    /// The data it trains on.
    pub data: RunData,
}

/// Most layers, heads or MLPs per layer a request may ask for.
pub const MAX_MODULES: usize = 64;
/// Longest example (in tokens, with BOS/EOS) a run trains on: attention memory grows with the
/// square of the context length, and a longer line in a data file would abort on allocation.
pub const MAX_N_CTX: usize = 1024;
/// Most examples a generated dataset may ask for.
pub const MAX_DATASET_SIZE: usize = 10_000_000;

impl Overrides {
    /// Every problem with the values, named by their command-line flags.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (flag, value) in [
            ("--n-layers", self.n_layers),
            ("--n-heads-cat", self.n_heads_cat),
            ("--n-heads-num", self.n_heads_num),
            ("--n-cat-mlps", self.n_cat_mlps),
            ("--n-num-mlps", self.n_num_mlps),
        ] {
            if let Some(value) = value
                && value > MAX_MODULES
            {
                problems.push(format!("{flag} must be at most {MAX_MODULES}, got {value}"));
            }
        }
        let standard_only = [
            ("--d-model", self.d_model.is_some()),
            ("--heads", self.n_heads.is_some()),
            ("--d-mlp", self.d_mlp.is_some()),
        ];
        for (flag, given) in standard_only {
            if given && self.architecture != Some(Architecture::Standard) {
                problems.push(format!(
                    "{flag} sets the standard Transformer: use it with --model standard"
                ));
            }
        }
        if self.n_layers == Some(0) {
            problems.push("--n-layers must be at least 1".to_owned());
        }
        if let Some(size) = self.dataset_size
            && !(1..=MAX_DATASET_SIZE).contains(&size)
        {
            problems.push(format!(
                "--dataset-size must be between 1 and {MAX_DATASET_SIZE}, got {size}"
            ));
        }
        problems
    }
}

/// Stage 1, "Task": the configuration for `request` and the data it trains on. Every problem
/// with the settings is reported at once, before any data is generated.
pub fn prepare(request: &Request) -> Result<Prepared, PipelineError> {
    let o = &request.overrides;
    let task_for_preset = match request.data {
        DataRequest::Task(task) => task,
        DataRequest::File { .. } | DataRequest::Nlp { .. } => TaskName::Sort,
    };
    let mut resolved = request.preset.resolve(task_for_preset);
    if let Some(architecture) = o.architecture {
        resolved.use_architecture(architecture);
    }
    // An NLP task under `paper` (or `slow`, or `standard`) gets the paper's NLP model: the
    // Transformer Program of conll.sh / classification.sh, or the standard Transformer of
    // their *_standard.sh twins (`slow`: with twice their epochs).
    if let (DataRequest::Nlp { task, .. }, Preset::Paper | Preset::Slow | Preset::Standard) =
        (&request.data, request.preset)
    {
        resolved.use_nlp_paper(task.is_tagging());
        if resolved.standard.is_some() {
            resolved.use_nlp_standard(task.is_tagging());
        }
    }
    if let Some(standard) = &mut resolved.standard {
        set(&mut standard.d_model, o.d_model);
        set(&mut standard.n_layers, o.n_layers);
        set(&mut standard.n_heads, o.n_heads);
        set(&mut standard.d_mlp, o.d_mlp);
        set(&mut standard.dropout, o.dropout);
    } else {
        set(&mut resolved.dropout, o.dropout);
    }
    let shape = &mut resolved.shape;
    for (value, target) in [
        (o.n_layers, &mut shape.n_layers),
        (o.n_heads_cat, &mut shape.n_heads_cat),
        (o.n_heads_num, &mut shape.n_heads_num),
        (o.n_cat_mlps, &mut shape.n_cat_mlps),
        (o.n_num_mlps, &mut shape.n_num_mlps),
    ] {
        if let Some(value) = value {
            *target = value;
        }
    }
    let train = &mut resolved.train;
    set(&mut train.n_epochs, o.n_epochs);
    set(&mut train.batch_size, o.batch_size);
    set(&mut train.lr, o.lr);
    set(&mut train.tau_init, o.tau_init);
    set(&mut train.tau_end, o.tau_end);
    set(&mut train.sample_fn, o.sample_fn);
    set(&mut train.gumbel_samples, o.gumbel_samples);
    set(&mut train.seed, o.seed);
    set(&mut train.step_chunks, o.step_chunks);
    if o.glove.is_some() {
        train.glove = o.glove.clone();
    }
    if o.max_grad_norm.is_some() {
        train.max_grad_norm = o.max_grad_norm;
    }
    if o.patience.is_some() {
        train.patience = o.patience;
    }
    set(&mut resolved.bos_default, o.bos_default);
    if o.d_var.is_some() {
        resolved.d_var = o.d_var;
    }
    set(&mut resolved.params.dataset_size, o.dataset_size);
    set(&mut resolved.params.vocab_size, o.vocab_size);
    set(&mut resolved.params.min_length, o.min_length);
    set(&mut resolved.params.max_length, o.max_length);
    let mut problems = o.check();
    // The generator's own checks (lengths, what each task's vocabulary allows), reported with
    // the other problems before any data is generated.
    if let DataRequest::Task(task) = request.data
        && let Err(tprog_tasks::TaskError::InvalidParams {
            task,
            problems: more,
        }) = tprog_tasks::Task::new(task, resolved.params)
    {
        problems.extend(more.into_iter().map(|p| format!("{task}: {p}")));
    }
    // An NLP data set's preprocessing with the same settings, checked with the rest.
    let nlp_options = match &request.data {
        DataRequest::Nlp { options, .. } => {
            let mut options = *options;
            set(&mut options.vocab_size, o.vocab_size);
            set(&mut options.min_length, o.min_length);
            set(&mut options.max_length, o.max_length);
            problems.extend(options.check());
            Some(options)
        }
        DataRequest::Task(_) | DataRequest::File { .. } => None,
    };
    if let DataRequest::File { .. } = request.data {
        let generator = [
            ("vocab_size", o.vocab_size.is_some()),
            ("min_length", o.min_length.is_some()),
            ("max_length", o.max_length.is_some()),
        ];
        for (name, given) in generator {
            if given {
                problems.push(format!(
                    "{name} sets a built-in task's generator or an NLP data set's preprocessing; \
                     a data file's lines are used as they are (DataRequest::File's max_length \
                     bounds their length)"
                ));
            }
        }
    }
    if let Err(more) = resolved.train.check() {
        problems.extend(more);
    }
    if let Some(n_vars) = o.n_vars_cat {
        match &mut resolved.embedding {
            _ if resolved.standard.is_some() => problems.push(
                "n_vars_cat (--n-vars-cat) sets a Transformer Program's word embedding; the \
                 standard Transformer has none"
                    .to_owned(),
            ),
            Some(embedding) if (1..=MAX_MODULES).contains(&n_vars) => embedding.n_vars = n_vars,
            Some(_) => problems.push(format!(
                "--n-vars-cat must be between 1 and {MAX_MODULES}, got {n_vars}"
            )),
            None => problems.push(
                "n_vars_cat (--n-vars-cat) sets the learned word embedding of an NLP task \
                 (--data-dir, --preset paper); one-hot tokens are one variable"
                    .to_owned(),
            ),
        }
    }
    if o.d_var.is_some() && resolved.standard.is_some() {
        problems.push(
            "d_var (--d-var) sets a Transformer Program's categorical variables; the standard \
             Transformer's width is --d-model"
                .to_owned(),
        );
    }
    if resolved.train.glove.is_some() && resolved.standard.is_none() && resolved.embedding.is_none()
    {
        problems.push(
            "glove (--glove) initialises learned word embeddings, and this model reads one-hot \
             tokens: use it with an NLP task (--data-dir) and --preset paper"
                .to_owned(),
        );
    }
    if !problems.is_empty() {
        return Err(PipelineError::Invalid(problems));
    }
    let (source, name) = match &request.data {
        DataRequest::File {
            path,
            causal,
            split_seed,
            max_length,
            drop_long,
            n_ctx,
            all_labels,
        } => (
            TaskSource::File {
                path: path.clone(),
                seed: *split_seed,
                causal: *causal,
                max_length: *max_length,
                drop_long: *drop_long,
                n_ctx: *n_ctx,
                all_labels: *all_labels,
            },
            file_stem(path),
        ),
        DataRequest::Nlp {
            task,
            data_dir,
            options,
        } => (
            TaskSource::Nlp {
                task: *task,
                data_dir: data_dir.clone(),
                options: nlp_options.unwrap_or(*options),
            },
            task.as_str().to_owned(),
        ),
        DataRequest::Task(task) => (
            TaskSource::Generated {
                task: *task,
                params: resolved.params,
            },
            task.as_str().to_owned(),
        ),
    };
    let dataset = data::load(&source)?;
    let model = resolved.model_config(&dataset);
    model.validate().map_err(tprog_train::TrainError::from)?;
    if dataset.n_ctx > MAX_N_CTX {
        let source = match &request.data {
            DataRequest::File { path, .. } => path.display().to_string(),
            DataRequest::Task(_) | DataRequest::Nlp { .. } => dataset.task.clone(),
        };
        return Err(PipelineError::Invalid(vec![format!(
            "{source}: its longest example has {} tokens; tprog trains on examples of at most \
             {MAX_N_CTX} tokens (attention memory grows with the square of the length)",
            dataset.n_ctx
        )]));
    }
    let config = RunConfig {
        name,
        preset: Some(request.preset.as_str().to_owned()),
        data: source,
        shape: data::shape_of(&dataset),
        model,
        train: resolved.train.clone(),
        standard: resolved.standard,
    };
    config.validate_model()?;
    let splits = data::encode(&dataset)?;
    Ok(Prepared {
        config,
        data: RunData { dataset, splits },
    })
}

fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *target = value;
    }
}

/// `sort` for `data/sort.jsonl.gz`.
fn file_stem(path: &Path) -> String {
    path.file_name()
        .map(|n| {
            n.to_string_lossy()
                .split('.')
                .next()
                .unwrap_or("data")
                .to_owned()
        })
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "data".to_owned())
}

/// `runs/<name>-<preset>` (`-standard` added for a standard Transformer trained with another
/// preset's settings), or the first of `…-2`, `…-3`, … that does not exist yet, so that
/// running the same command twice never collides with a finished run.
pub fn default_run_dir(config: &RunConfig) -> PathBuf {
    let mut preset = config.preset.as_deref().unwrap_or("custom").to_owned();
    if config.standard.is_some() && preset != "standard" {
        preset.push_str("-standard");
    }
    let base = PathBuf::from("runs").join(format!("{}-{preset}", config.name));
    (1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                PathBuf::from(format!("{}-{n}", base.display()))
            }
        })
        .find(|dir| !dir.exists())
        .unwrap_or(base)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn sort_with(overrides: Overrides) -> Result<Prepared, PipelineError> {
        prepare(&Request {
            data: DataRequest::Task(TaskName::Sort),
            preset: Preset::Tiny,
            overrides: Overrides {
                dataset_size: Some(300),
                ..overrides
            },
        })
    }

    #[test]
    fn generator_settings_reach_the_data_and_scale_the_model() {
        let base = sort_with(Overrides::default()).unwrap();
        let bigger = sort_with(Overrides {
            gumbel_samples: Some(3),
            vocab_size: Some(16),
            min_length: Some(12),
            max_length: Some(16),
            ..Overrides::default()
        })
        .unwrap();
        let TaskSource::Generated { params, .. } = &bigger.config.data else {
            panic!("not generated: {:?}", bigger.config.data);
        };
        assert_eq!(
            (params.vocab_size, params.min_length, params.max_length),
            (16, 12, 16)
        );
        assert_eq!(bigger.config.train.gumbel_samples, 3);
        let d = &bigger.data.dataset;
        let lengths = d
            .train
            .iter()
            .chain(&d.val)
            .chain(&d.test)
            .map(|e| e.tokens.len());
        // The reference's lengths count BOS and EOS, and its vocabulary the special tokens.
        assert!(
            lengths.clone().all(|n| (12..=16).contains(&n)),
            "12..=16 tokens"
        );
        assert_eq!(d.input_vocab.len(), 16);
        // k = max(|vocabulary|, n_ctx): the variables widen with the vocabulary and length.
        assert_eq!(bigger.config.shape.n_ctx, 16);
        assert_eq!(bigger.config.model.d_var, 16);
        assert!(base.config.model.d_var < bigger.config.model.d_var);
    }

    #[test]
    fn d_var_widens_the_variables_and_is_checked() {
        let base = sort_with(Overrides::default()).unwrap();
        let k = base.config.model.d_var;
        let wide = sort_with(Overrides {
            d_var: Some(k + 5),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(wide.config.model.d_var, k + 5);
        // Narrower than the context: the one-hot positions do not fit, and the error says so.
        let Err(error) = sort_with(Overrides {
            d_var: Some(k - 1),
            ..Overrides::default()
        }) else {
            panic!("d_var below n_ctx accepted");
        };
        let text = error.to_string();
        assert!(text.contains("d_var") && text.contains("n_ctx"), "{text}");
        let Err(PipelineError::Invalid(problems)) = sort_with(Overrides {
            d_var: Some(k),
            architecture: Some(Architecture::Standard),
            ..Overrides::default()
        }) else {
            panic!("d_var accepted for the standard Transformer");
        };
        assert!(
            problems.iter().any(|p| p.contains("--d-model")),
            "{problems:?}"
        );
    }

    #[test]
    fn generator_settings_are_checked_and_refused_for_a_data_file() {
        let Err(PipelineError::Invalid(problems)) = sort_with(Overrides {
            min_length: Some(9),
            max_length: Some(4),
            ..Overrides::default()
        }) else {
            panic!("min_length > max_length accepted");
        };
        assert!(
            problems.iter().any(|p| p.contains("min_length 9")),
            "{problems:?}"
        );
        let Err(PipelineError::Invalid(problems)) = prepare(&Request {
            data: DataRequest::File {
                path: "unused.jsonl".into(),
                causal: false,
                split_seed: 0,
                max_length: 64,
                drop_long: false,
                n_ctx: None,
                all_labels: false,
            },
            preset: Preset::Tiny,
            overrides: Overrides {
                vocab_size: Some(16),
                ..Overrides::default()
            },
        }) else {
            panic!("vocab_size accepted for a data file");
        };
        assert!(
            problems
                .iter()
                .any(|p| p.contains("vocab_size sets a built-in task's generator")),
            "{problems:?}"
        );
    }
}
