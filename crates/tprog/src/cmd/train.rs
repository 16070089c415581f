//! `tprog train`: learn a program for a task — data, training, decompiling, verification and
//! export, in that order — or resume an interrupted run.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, bail};
use tprog_model::BosDefault;
use tprog_tasks::TaskName;
use tprog_train::presets::Preset;
use tprog_train::session::{self, OpenRun};
use tprog_train::{RunConfig, Splits, TaskSource, TrainSampler, data};

use crate::cmd::learn;
use crate::cmd::progress::ProgressBarObserver;

/// Arguments of `tprog train`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Task to learn (see `tprog tasks`).
    #[arg(long, required_unless_present_any = ["resume", "data"])]
    pub task: Option<TaskName>,
    /// Train on a JSONL file of `{"tokens": [...], "labels": [...]}` lines instead of a built-in task.
    #[arg(long, conflicts_with = "task")]
    pub data: Option<PathBuf>,
    /// With --data: use a causal (autoregressive) attention mask.
    #[arg(long, requires = "data")]
    pub causal: bool,
    /// Named settings: paper (Table 1), categorical (Table 3), readme (the reference README's
    /// sort command), tiny (smoke test).
    #[arg(long, default_value = "paper")]
    pub preset: Preset,
    /// Run directory (default: runs/<task>-<preset>, or -2, -3, ... if that exists).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing run in the output directory.
    #[arg(long)]
    pub overwrite: bool,
    /// Continue the interrupted run in this directory from its last checkpoint.
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["task", "data"])]
    pub resume: Option<PathBuf>,
    /// Seed of initialisation, shuffling and noise.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Train several seeds one after another, e.g. `0..4` (inclusive) or `0,3,7`; reports each
    /// and the best by validation.
    #[arg(long, conflicts_with = "seed")]
    pub seeds: Option<String>,
    /// Epochs.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Batch size.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Adam learning rate.
    #[arg(long)]
    pub lr: Option<f32>,
    /// Temperature at the first step.
    #[arg(long)]
    pub tau_init: Option<f64>,
    /// Temperature at the end.
    #[arg(long)]
    pub tau_end: Option<f64>,
    /// Sampler during training: gumbel_soft, gumbel_hard or softmax.
    #[arg(long, value_parser = parse_sampler)]
    pub sample_fn: Option<TrainSampler>,
    /// BOS default while training: reference (the reference's formula, absent until τ is
    /// tiny) or soft (relu(1 − Σ scores), learnable while training). Default: the preset's
    /// (reference for `readme`, soft for the others). The discrete model is the same.
    #[arg(long, value_parser = parse_bos_default)]
    pub bos_default: Option<BosDefault>,
    /// Clip the gradient norm to this value.
    #[arg(long)]
    pub max_grad_norm: Option<f32>,
    /// Stop after this many epochs without a better discrete validation accuracy.
    #[arg(long)]
    pub patience: Option<usize>,
    /// Layers.
    #[arg(long)]
    pub n_layers: Option<usize>,
    /// Categorical heads per layer.
    #[arg(long)]
    pub n_heads_cat: Option<usize>,
    /// Numerical heads per layer.
    #[arg(long)]
    pub n_heads_num: Option<usize>,
    /// Categorical MLPs per layer.
    #[arg(long)]
    pub n_cat_mlps: Option<usize>,
    /// Numerical MLPs per layer.
    #[arg(long)]
    pub n_num_mlps: Option<usize>,
    /// Examples to generate (the reference's --dataset_size).
    #[arg(long)]
    pub dataset_size: Option<usize>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

fn parse_sampler(text: &str) -> Result<TrainSampler, String> {
    match text {
        "gumbel_soft" => Ok(TrainSampler::GumbelSoft),
        "gumbel_hard" => Ok(TrainSampler::GumbelHard),
        "softmax" => Ok(TrainSampler::Softmax),
        other => Err(format!(
            "unknown sampler '{other}'; valid: gumbel_soft, gumbel_hard, softmax"
        )),
    }
}

fn parse_bos_default(text: &str) -> Result<BosDefault, String> {
    match text {
        "reference" => Ok(BosDefault::Reference),
        "soft" => Ok(BosDefault::Soft),
        other => Err(format!(
            "unknown BOS default '{other}'; valid: reference, soft"
        )),
    }
}

/// Parses `a..b` (inclusive) or a comma-separated list of seeds.
pub fn parse_seeds(text: &str) -> anyhow::Result<Vec<u64>> {
    let seeds: Vec<u64> = if let Some((from, to)) = text.split_once("..") {
        let from: u64 = from
            .trim()
            .parse()
            .with_context(|| format!("bad seed range '{text}'"))?;
        let to: u64 = to
            .trim()
            .parse()
            .with_context(|| format!("bad seed range '{text}'"))?;
        if to < from {
            bail!("seed range '{text}' is empty");
        }
        (from..=to).collect()
    } else {
        text.split(',')
            .map(|s| {
                s.trim()
                    .parse::<u64>()
                    .with_context(|| format!("bad seed '{s}'"))
            })
            .collect::<anyhow::Result<_>>()?
    };
    if seeds.is_empty() {
        bail!("no seeds given");
    }
    Ok(seeds)
}

/// Runs `tprog train`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(threads) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .context("cannot set the number of threads")?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        // A second Ctrl-C while saving falls back to the default (immediate) exit.
        let _ = ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\ninterrupted: finishing the current step, keeping the last checkpoint…");
        });
    }
    if let Some(dir) = &args.resume {
        let run = session::open(dir)?;
        return resume(run, &args, &stop);
    }
    let seeds = match (&args.seeds, args.seed) {
        (Some(text), _) => parse_seeds(text)?,
        (None, Some(seed)) => vec![seed],
        (None, None) => vec![],
    };
    let (base, dataset) = base_config(&args)?;
    let splits = data::encode(&dataset)?;
    learn::print_data_summary(&dataset);
    if seeds.len() <= 1 {
        let mut config = base.clone();
        if let Some(&seed) = seeds.first() {
            config.train.seed = seed;
        }
        let dir = args.out.clone().unwrap_or_else(|| default_dir(&config));
        let summary = train_one(&dir, &config, &dataset, &splits, &args, &stop, !args.quiet)?;
        learn::print_summary_table(&[summary]);
        return Ok(());
    }
    let root = args.out.clone().unwrap_or_else(|| default_dir(&base));
    let mut summaries = Vec::new();
    for &seed in &seeds {
        let mut config = base.clone();
        config.train.seed = seed;
        let dir = root.join(format!("seed{seed}"));
        eprintln!("\n== seed {seed} → {}", dir.display());
        summaries.push(train_one(
            &dir, &config, &dataset, &splits, &args, &stop, false,
        )?);
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    learn::print_summary_table(&summaries);
    Ok(())
}

fn train_one(
    dir: &Path,
    config: &RunConfig,
    dataset: &tprog_tasks::Dataset,
    splits: &Splits,
    args: &Args,
    stop: &AtomicBool,
    print_program: bool,
) -> anyhow::Result<learn::RunSummary> {
    let run = session::create(dir, config, args.overwrite)?;
    let started = Instant::now();
    let mut observer = ProgressBarObserver::new(config.train.n_epochs, args.quiet);
    let outcome = session::train_new(&run, config, splits, &mut observer, stop);
    observer.finish();
    let outcome = outcome.with_context(|| format!("training the run in {}", dir.display()))?;
    let open = OpenRun {
        dir: run,
        config: config.clone(),
        dataset: dataset.clone(),
        splits: splits.clone(),
    };
    learn::finish(
        &open,
        outcome,
        started.elapsed().as_secs_f64(),
        print_program,
    )
}

fn resume(run: OpenRun, args: &Args, stop: &AtomicBool) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut observer = ProgressBarObserver::new(run.config.train.n_epochs, args.quiet);
    let outcome = session::resume(&run, &mut observer, stop);
    observer.finish();
    let outcome = outcome.with_context(|| format!("resuming {}", run.dir.root().display()))?;
    let summary = learn::finish(&run, outcome, started.elapsed().as_secs_f64(), !args.quiet)?;
    learn::print_summary_table(&[summary]);
    Ok(())
}

/// `runs/<name>-<preset>`, or the first of `…-2`, `…-3`, … that does not exist yet, so that
/// running the same command twice never collides with a finished run.
fn default_dir(config: &RunConfig) -> PathBuf {
    let preset = config.preset.as_deref().unwrap_or("custom");
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

/// The run configuration from the preset and the flags, and the dataset it trains on.
fn base_config(args: &Args) -> anyhow::Result<(RunConfig, tprog_tasks::Dataset)> {
    let task_for_preset = args.task.unwrap_or(TaskName::Sort);
    let mut resolved = args.preset.resolve(task_for_preset);
    if let Some(size) = args.dataset_size {
        resolved.params.dataset_size = size;
    }
    if let Some(bos_default) = args.bos_default {
        resolved.bos_default = bos_default;
    }
    let shape = &mut resolved.shape;
    for (flag, target) in [
        (args.n_layers, &mut shape.n_layers),
        (args.n_heads_cat, &mut shape.n_heads_cat),
        (args.n_heads_num, &mut shape.n_heads_num),
        (args.n_cat_mlps, &mut shape.n_cat_mlps),
        (args.n_num_mlps, &mut shape.n_num_mlps),
    ] {
        if let Some(value) = flag {
            *target = value;
        }
    }
    let train = &mut resolved.train;
    if let Some(v) = args.epochs {
        train.n_epochs = v;
    }
    if let Some(v) = args.batch_size {
        train.batch_size = v;
    }
    if let Some(v) = args.lr {
        train.lr = v;
    }
    if let Some(v) = args.tau_init {
        train.tau_init = v;
    }
    if let Some(v) = args.tau_end {
        train.tau_end = v;
    }
    if let Some(v) = args.sample_fn {
        train.sample_fn = v;
    }
    if args.max_grad_norm.is_some() {
        train.max_grad_norm = args.max_grad_norm;
    }
    if args.patience.is_some() {
        train.patience = args.patience;
    }
    if let Some(seed) = args.seed {
        train.seed = seed;
    }
    let (source, name) = match (&args.data, args.task) {
        (Some(path), _) => {
            let name = path
                .file_name()
                .map(|n| {
                    n.to_string_lossy()
                        .split('.')
                        .next()
                        .unwrap_or("data")
                        .to_owned()
                })
                .unwrap_or_else(|| "data".to_owned());
            (
                TaskSource::File {
                    path: path.clone(),
                    seed: train.seed,
                    causal: args.causal,
                },
                name,
            )
        }
        (None, Some(task)) => (
            TaskSource::Generated {
                task,
                params: resolved.params,
            },
            task.as_str().to_owned(),
        ),
        (None, None) => bail!("give --task, --data or --resume"),
    };
    let dataset = data::load(&source)?;
    let model = resolved.model_config(&dataset);
    let config = RunConfig {
        name,
        preset: Some(args.preset.as_str().to_owned()),
        data: source,
        shape: data::shape_of(&dataset),
        model,
        train: resolved.train.clone(),
    };
    Ok((config, dataset))
}
