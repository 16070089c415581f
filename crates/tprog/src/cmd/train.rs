//! `tprog train`: learn a program for a task (`tprog_pipeline::learn`), for one seed or
//! several, or resume an interrupted run (`tprog_pipeline::resume`).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, bail};
use tprog_model::BosDefault;
use tprog_pipeline::{DataRequest, Overrides, PipelineError, Request, ResumeChanges, Summary};
use tprog_tasks::text::NlpTask;
use tprog_train::TrainSampler;
use tprog_train::presets::{Architecture, Preset};
use tprog_train::rundir::files;

use crate::Status;
use crate::cmd::nlp::{self, AnyTask, NlpArgs};
use crate::cmd::progress::ProgressObserver;
use crate::cmd::tables;

/// Most seeds one command may train.
const MAX_SEEDS: usize = 1000;
/// Most worker threads.
const MAX_THREADS: usize = 1024;

/// Arguments of `tprog train`.
#[derive(Debug, clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct Args {
    /// Task to learn (see `tprog tasks`), or an NLP data set (conll_ner, trec, mr, subj,
    /// ag_news) with --data-dir.
    #[arg(long, required_unless_present_any = ["resume", "data", "preset"], value_parser = nlp::parse_task)]
    pub task: Option<AnyTask>,
    /// The NLP data set's directory and how to read it (with an NLP --task).
    #[command(flatten)]
    pub nlp: NlpArgs,
    /// The reference's --vocab_size: a built-in task's vocabulary (the paper's 8; see `tprog
    /// tasks`), or with --data-dir the words kept besides <pad> and <unk> (default 10000).
    /// Variables have k = max(|vocabulary|, n_ctx) values, so the model scales with it.
    #[arg(long)]
    pub vocab_size: Option<usize>,
    /// The reference's --min_length: a built-in task's shortest example, or with --data-dir
    /// the shortest sentence kept (in words).
    #[arg(long, conflicts_with = "data")]
    pub min_length: Option<usize>,
    /// Train on a JSONL file of `{"tokens": [...], "labels": [...]}` lines instead of a built-in task.
    #[arg(long, conflicts_with = "task")]
    pub data: Option<PathBuf>,
    /// With --data: use a causal (autoregressive) attention mask.
    #[arg(long, requires = "data")]
    pub causal: bool,
    /// The reference's --max_length: a built-in task's longest example (the paper's 8; 16 for
    /// Dyck), or with --data-dir the length filter; the model scales with it (k = n_ctx).
    /// With --data: the most tokens a line may have (default 512; it bounds n_ctx and the
    /// memory used).
    #[arg(long)]
    pub max_length: Option<usize>,
    /// With --data: skip lines longer than --max-length (and say how many) instead of failing.
    #[arg(long, requires = "data")]
    pub drop_long: bool,
    /// With --data: the model's context, when it must be longer than every training line
    /// (default: the longest training line). Validation and test lines up to it are then
    /// allowed, to measure length generalisation; positions no training line reaches keep
    /// their initial parameters.
    #[arg(long, requires = "data")]
    pub n_ctx: Option<usize>,
    /// With --data: the output vocabulary holds the labels of every split, not only the
    /// training ones. A validation or test label no training line has is then a class the
    /// model can output but was never trained to (length generalisation: longer test lines
    /// have larger counts); without it such a label is an error naming its line.
    #[arg(long, requires = "data")]
    pub all_labels: bool,
    /// Named settings: paper (Table 1), slow (paper with a twice slower temperature schedule,
    /// 500 epochs: it helps at |V| = N = 16), categorical (Table 3), readme (the reference README's
    /// sort command), tiny (smoke test), standard (the standard Transformer baseline on the
    /// paper's data). Default: paper. The NLP experiments have their own, which name the task
    /// (give --data-dir): conll, trec, mr, subj, ag_news (the paper's Transformer Program), and
    /// conll-standard, trec-standard, ... (its standard Transformer baseline).
    #[arg(long, value_parser = parse_preset)]
    pub preset: Option<PresetArg>,
    /// Which model to train: program (a Transformer Program, decompiled into a program) or
    /// standard (the standard Transformer baseline: no program). Default: the preset's.
    #[arg(long, value_parser = parse_architecture)]
    pub model: Option<Architecture>,
    /// Standard Transformer: width of the residual stream (default 64; tiny: 16).
    #[arg(long)]
    pub d_model: Option<usize>,
    /// Standard Transformer: attention heads per layer (default 4; tiny: 2).
    #[arg(long)]
    pub heads: Option<usize>,
    /// Standard Transformer: MLP width (default 128; tiny: 32).
    #[arg(long)]
    pub d_mlp: Option<usize>,
    /// Dropout rate while training, in [0, 1): of the standard Transformer, or of the
    /// Transformer Program (attention outputs, MLP outputs and hidden layers). Default 0; the
    /// paper preset on conll_ner uses 0.5, as the paper's conll.sh.
    #[arg(long)]
    pub dropout: Option<f32>,
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
    /// Epochs. With --resume: train the run to this many epochs in all (extends it; the extra
    /// epochs run at the final temperature).
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
    /// Independent Gumbel samples per training step, their losses averaged (the reference's
    /// --gumbel_samples; default 1). Each sample costs a forward and backward pass.
    #[arg(long)]
    pub gumbel_samples: Option<usize>,
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
    /// Cut each batch into this many chunks of parallel work (default 8). At most this many
    /// threads share a step, so raise it on machines with more cores; the result depends on
    /// it (sums in another order) but never on --threads.
    #[arg(long)]
    pub step_chunks: Option<usize>,
    /// Initialise the learned word embedding from this GloVe text file (the reference's
    /// --do_glove 1): a Transformer Program's (NLP tasks with --preset paper have learned
    /// embeddings) or the standard Transformer's (projected to --d-model).
    #[arg(long, value_name = "FILE")]
    pub glove: Option<PathBuf>,
    /// Layers (of either model).
    #[arg(long, visible_alias = "layers")]
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
    /// Values per categorical variable (the reference's --d_var, the paper's k). Default:
    /// max(vocabulary, context) with one-hot tokens, which it must not be below; for NLP
    /// tasks the preset's (32 for CoNLL, 64 for classification), at least the context.
    #[arg(long)]
    pub d_var: Option<usize>,
    /// Word-embedding variables of an NLP model (the reference's --n_vars_cat; default 4).
    #[arg(long)]
    pub n_vars_cat: Option<usize>,
    /// Examples to generate (the reference's --dataset_size).
    #[arg(long)]
    pub dataset_size: Option<usize>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
    /// Print the learned program (program.py) on standard output.
    #[arg(long)]
    pub print_program: bool,
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

/// A `--preset` value: a named preset, or an NLP experiment of the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresetArg {
    /// `paper`, `categorical`, `readme`, `tiny`, `standard`.
    Named(Preset),
    /// `conll`, `trec`, `mr`, `subj`, `ag_news`, each optionally `-standard`: the task with the
    /// paper's configuration (its Transformer Program, or its standard Transformer).
    Nlp {
        /// The task the preset names.
        task: NlpTask,
        /// The standard Transformer baseline instead of the Transformer Program.
        standard: bool,
    },
}

fn parse_preset(text: &str) -> Result<PresetArg, String> {
    if let Ok(preset) = text.parse::<Preset>() {
        return Ok(PresetArg::Named(preset));
    }
    let (name, standard) = match text.strip_suffix("-standard") {
        Some(name) => (name, true),
        None => (text, false),
    };
    let task = if name == "conll" {
        Some(NlpTask::ConllNer)
    } else {
        name.parse::<NlpTask>().ok()
    };
    task.map(|task| PresetArg::Nlp { task, standard })
        .ok_or_else(|| {
            let named: Vec<&str> = Preset::ALL.iter().map(|p| p.as_str()).collect();
            format!(
                "unknown preset '{text}'; valid presets: {}, and for the NLP tasks (with \
                 --data-dir) conll, trec, mr, subj, ag_news, each also as NAME-standard",
                named.join(", ")
            )
        })
}

fn parse_architecture(text: &str) -> Result<Architecture, String> {
    match text {
        "program" => Ok(Architecture::Program),
        "standard" => Ok(Architecture::Standard),
        other => Err(format!("unknown model '{other}'; valid: program, standard")),
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

/// Parses `a..b` (inclusive) or a comma-separated list of distinct seeds, at most
/// [`MAX_SEEDS`] of them.
pub fn parse_seeds(text: &str) -> anyhow::Result<Vec<u64>> {
    let number = |s: &str| {
        s.trim()
            .parse::<u64>()
            .with_context(|| format!("--seeds: '{s}' is not a seed (a whole number ≥ 0)"))
    };
    let seeds: Vec<u64> = if let Some((from, to)) = text.split_once("..") {
        let (from, to) = (number(from)?, number(to)?);
        if to < from {
            bail!("--seeds: the range '{text}' is empty");
        }
        if to - from >= MAX_SEEDS as u64 {
            bail!(
                "--seeds: '{text}' holds {} seeds; at most {MAX_SEEDS} per command",
                u128::from(to - from) + 1
            );
        }
        (from..=to).collect()
    } else {
        let seeds = text
            .split(',')
            .map(number)
            .collect::<anyhow::Result<Vec<_>>>()?;
        if seeds.len() > MAX_SEEDS {
            bail!(
                "--seeds: {} seeds given; at most {MAX_SEEDS} per command",
                seeds.len()
            );
        }
        for (i, seed) in seeds.iter().enumerate() {
            if seeds[..i].contains(seed) {
                bail!("--seeds: seed {seed} is given twice");
            }
        }
        seeds
    };
    Ok(seeds)
}

/// Runs `tprog train`.
pub fn run(args: Args) -> anyhow::Result<Status> {
    set_threads(args.threads)?;
    let stop = interrupt_flag();
    if let Some(dir) = &args.resume {
        check_resume_flags(&args)?;
        let mut observer = ProgressObserver::new(args.quiet);
        let changes = ResumeChanges {
            n_epochs: args.epochs,
        };
        let summary = tprog_pipeline::resume(dir, changes, &mut observer, &stop);
        observer.finish();
        if let Err(error @ PipelineError::NothingTrained { .. }) = &summary {
            note!("{}", PipelineError::chain(error));
            return Ok(Status::Interrupted);
        }
        let (summary, removed) = summary.with_context(|| format!("resuming {}", dir.display()))?;
        for stale in removed {
            note!("removed {stale}, left by an interrupted write");
        }
        return finish(&args, vec![(dir.clone(), summary)]);
    }
    let seeds: Vec<Option<u64>> = match &args.seeds {
        Some(text) => parse_seeds(text)?.into_iter().map(Some).collect(),
        None => vec![args.seed],
    };
    let several = args.seeds.is_some();
    let mut request = request(&args)?;
    request.overrides.seed = seeds[0];
    // The data does not depend on the training seed: it is made once for every seed.
    let mut prepared = tprog_pipeline::prepare(&request)?;
    tables::note_data(&prepared.data.dataset);
    let mut runs = Vec::new();
    let mut run_root: Option<PathBuf> = None;
    for seed in seeds {
        if let Some(seed) = seed {
            prepared.config.train.seed = seed;
        }
        let seed = prepared.config.train.seed;
        let dir = match (&args.out, several) {
            (Some(out), false) => out.clone(),
            (Some(out), true) => out.join(format!("seed{seed}")),
            (None, false) => tprog_pipeline::default_run_dir(&prepared.config),
            (None, true) => run_root
                .get_or_insert_with(|| tprog_pipeline::default_run_dir(&prepared.config))
                .join(format!("seed{seed}")),
        };
        if several {
            note!("\n== seed {seed} → {}", dir.display());
        }
        let mut observer = ProgressObserver::new(args.quiet);
        let summary = tprog_pipeline::learn(&prepared, &dir, args.overwrite, &mut observer, &stop);
        observer.finish();
        if let Err(error @ PipelineError::NothingTrained { .. }) = &summary {
            note!("{}", PipelineError::chain(error));
            return Ok(Status::Interrupted);
        }
        let summary = summary.with_context(|| format!("learning the run in {}", dir.display()))?;
        runs.push((dir, summary));
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    finish(&args, runs)
}

/// Prints what the runs produced; Ctrl-C makes the exit code 130.
fn finish(args: &Args, runs: Vec<(PathBuf, Summary)>) -> anyhow::Result<Status> {
    let interrupted = runs.iter().any(|(_, s)| s.interrupted);
    for (dir, summary) in &runs {
        if summary.interrupted {
            note!(
                "stopped after epoch {}; continue with: tprog train --resume {}",
                summary.epochs,
                dir.display()
            );
        }
        tables::note_program(dir, summary);
        if args.print_program {
            let path = dir.join(files::PROGRAM_PY);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            crate::cmd::output::write_all(&text)?;
        }
    }
    if let [(_, summary)] = runs.as_slice()
        && let Some(faithful) = &summary.faithful
    {
        tables::print_agreement(&faithful.splits)?;
    }
    tables::print_runs(&runs)?;
    Ok(if interrupted {
        Status::Interrupted
    } else {
        Status::Done
    })
}

fn set_threads(threads: Option<usize>) -> anyhow::Result<()> {
    let Some(threads) = threads else {
        return Ok(());
    };
    if !(1..=MAX_THREADS).contains(&threads) {
        bail!("--threads must be between 1 and {MAX_THREADS}, got {threads}");
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .with_context(|| format!("cannot start {threads} worker threads"))
}

/// A flag raised by the first Ctrl-C (the current step finishes, the last checkpoint is kept);
/// a second Ctrl-C exits at once with code 130.
pub(crate) fn interrupt_flag() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        note!("\ninterrupted: finishing the current step, keeping the last checkpoint…");
    });
    stop
}

/// With --resume, the run's config.json fixes everything but the number of epochs.
fn check_resume_flags(args: &Args) -> anyhow::Result<()> {
    let given: Vec<&str> = [
        ("--preset", args.preset.is_some()),
        ("--model", args.model.is_some()),
        ("--d-model", args.d_model.is_some()),
        ("--heads", args.heads.is_some()),
        ("--d-mlp", args.d_mlp.is_some()),
        ("--dropout", args.dropout.is_some()),
        ("--out", args.out.is_some()),
        ("--overwrite", args.overwrite),
        ("--causal", args.causal),
        ("--n-ctx", args.n_ctx.is_some()),
        ("--all-labels", args.all_labels),
        ("--seed", args.seed.is_some()),
        ("--seeds", args.seeds.is_some()),
        ("--batch-size", args.batch_size.is_some()),
        ("--lr", args.lr.is_some()),
        ("--tau-init", args.tau_init.is_some()),
        ("--tau-end", args.tau_end.is_some()),
        ("--sample-fn", args.sample_fn.is_some()),
        ("--gumbel-samples", args.gumbel_samples.is_some()),
        ("--bos-default", args.bos_default.is_some()),
        ("--max-grad-norm", args.max_grad_norm.is_some()),
        ("--patience", args.patience.is_some()),
        ("--step-chunks", args.step_chunks.is_some()),
        ("--glove", args.glove.is_some()),
        ("--n-layers", args.n_layers.is_some()),
        ("--n-heads-cat", args.n_heads_cat.is_some()),
        ("--n-heads-num", args.n_heads_num.is_some()),
        ("--n-cat-mlps", args.n_cat_mlps.is_some()),
        ("--n-num-mlps", args.n_num_mlps.is_some()),
        ("--d-var", args.d_var.is_some()),
        ("--n-vars-cat", args.n_vars_cat.is_some()),
        ("--dataset-size", args.dataset_size.is_some()),
        ("--vocab-size", args.vocab_size.is_some()),
        ("--min-length", args.min_length.is_some()),
        ("--max-length", args.max_length.is_some()),
    ]
    .into_iter()
    .filter_map(|(flag, given)| given.then_some(flag))
    .collect();
    if given.is_empty() {
        return Ok(());
    }
    bail!(
        "{} cannot be used with --resume: a resumed run keeps the settings in its config.json \
         (only --epochs, to extend it, --threads and --quiet apply); start a new run to change them",
        given.join(", ")
    )
}

/// The request the flags describe.
fn request(args: &Args) -> anyhow::Result<Request> {
    let (preset, nlp_preset) = match args.preset {
        None => (Preset::Paper, None),
        Some(PresetArg::Named(preset)) => (preset, None),
        Some(PresetArg::Nlp { task, standard }) => (Preset::Paper, Some((task, standard))),
    };
    let task = match (args.task, nlp_preset) {
        (Some(given), Some((task, _))) if given != AnyTask::Nlp(task) => {
            bail!("--preset names the task {task}, and --task asks for another: give one of them")
        }
        (None, Some((task, _))) => Some(AnyTask::Nlp(task)),
        (given, _) => given,
    };
    let architecture = match (args.model, args.preset) {
        (Some(Architecture::Program), Some(PresetArg::Nlp { standard: true, .. })) => bail!(
            "--preset NAME-standard trains the standard Transformer: drop --model program or the \
             -standard suffix"
        ),
        (Some(model), _) => Some(model),
        (None, Some(PresetArg::Named(Preset::Standard)))
        | (None, Some(PresetArg::Nlp { standard: true, .. })) => Some(Architecture::Standard),
        (None, _) => None,
    };
    let data = match (&args.data, task) {
        // config.json keeps the path: absolute, so that eval, verify and --resume find the
        // file from any working directory.
        (Some(path), _) => DataRequest::File {
            path: std::path::absolute(path).unwrap_or_else(|_| path.clone()),
            causal: args.causal,
            split_seed: args.seed.unwrap_or(0),
            max_length: args
                .max_length
                .unwrap_or(tprog_tasks::jsonl::DEFAULT_MAX_LEN),
            drop_long: args.drop_long,
            n_ctx: args.n_ctx,
            all_labels: args.all_labels,
        },
        (None, Some(task)) => match nlp::nlp_task(task, &args.nlp)? {
            Some((nlp_task, dir)) => DataRequest::Nlp {
                task: nlp_task,
                data_dir: std::path::absolute(&dir).unwrap_or(dir),
                options: nlp::options(
                    nlp_task,
                    &args.nlp,
                    args.vocab_size,
                    args.min_length,
                    args.max_length,
                    None,
                )?,
            },
            None => match task {
                AnyTask::Synthetic(task) => DataRequest::Task(task),
                AnyTask::Nlp(_) => bail!("give --data-dir for an NLP task"),
            },
        },
        (None, None) => bail!("give --task, --data or --resume"),
    };
    Ok(Request {
        data,
        preset,
        overrides: Overrides {
            seed: args.seed,
            n_epochs: args.epochs,
            batch_size: args.batch_size,
            lr: args.lr,
            tau_init: args.tau_init,
            tau_end: args.tau_end,
            sample_fn: args.sample_fn,
            gumbel_samples: args.gumbel_samples,
            bos_default: args.bos_default,
            max_grad_norm: args.max_grad_norm,
            patience: args.patience,
            step_chunks: args.step_chunks,
            glove: args
                .glove
                .as_ref()
                .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone())),
            n_layers: args.n_layers,
            n_heads_cat: args.n_heads_cat,
            n_heads_num: args.n_heads_num,
            n_cat_mlps: args.n_cat_mlps,
            n_num_mlps: args.n_num_mlps,
            d_var: args.d_var,
            n_vars_cat: args.n_vars_cat,
            dataset_size: args.dataset_size,
            vocab_size: args.vocab_size,
            min_length: args.min_length,
            // With --data it bounds the file's lines (DataRequest::File), not a generator.
            max_length: args.max_length.filter(|_| args.data.is_none()),
            architecture,
            d_model: args.d_model,
            n_heads: args.heads,
            d_mlp: args.d_mlp,
            dropout: args.dropout,
        },
    })
}
