//! `tprog data`: generate a task's dataset (or load a JSONL file, or an NLP data set from a
//! directory) and show or write it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use tprog_tasks::jsonl::{LengthPolicy, LoadOptions, load_dataset, write_jsonl};
use tprog_tasks::{Dataset, Example, Split, Task, TaskName, TaskParams};

use tprog_tasks::text::NlpTask;

use crate::cmd::nlp::{self, NlpArgs};
use crate::cmd::output::StdoutError;

/// Arguments of `tprog data`; unset generator flags take the task's paper settings.
#[derive(Debug, clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct Args {
    /// Task to generate (`tprog tasks` lists them).
    #[arg(long, required_unless_present = "file", conflicts_with = "file")]
    task: Option<String>,
    /// Load a JSONL file instead (`{"tokens": [...], "labels": [...]}` a line, optional
    /// `"split"`; `.jsonl.gz` accepted).
    #[arg(long)]
    file: Option<PathBuf>,
    /// The reference's --vocab_size (counts special tokens as the reference does).
    #[arg(long)]
    vocab_size: Option<usize>,
    /// The reference's --min_length.
    #[arg(long)]
    min_length: Option<usize>,
    /// The reference's --max_length. With --file: the most tokens a line may have (default
    /// 512).
    #[arg(long)]
    max_length: Option<usize>,
    /// Number of examples asked for (fewer may come out when --unique is true).
    #[arg(long)]
    size: Option<usize>,
    /// Seed of the generator and of the split (0 ..= 4294967295).
    #[arg(long)]
    seed: Option<u64>,
    /// Keep only the first occurrence of each input.
    #[arg(long, action = clap::ArgAction::Set)]
    unique: Option<bool>,
    /// Examples printed per split.
    #[arg(long, default_value_t = 5)]
    show: usize,
    /// Write every example as JSONL (with "split") to this file instead of printing examples;
    /// a name ending in `.gz` is gzip-compressed.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the --out file if it exists.
    #[arg(long)]
    force: bool,
    /// With --file: skip lines longer than --max-length (and say how many) instead of failing.
    #[arg(long, requires = "file")]
    drop_long: bool,
    /// An NLP data set instead (--task conll_ner|trec|mr|subj|ag_news --data-dir DIR):
    /// --vocab-size, --min-length, --max-length and --seed (of the validation split) apply.
    #[command(flatten)]
    nlp: NlpArgs,
}

/// Runs `tprog data`.
pub fn run(args: Args) -> anyhow::Result<crate::Status> {
    if let Some(dir) = &args.nlp.data_dir {
        return run_nlp(&args, dir);
    }
    let dataset = match (&args.task, &args.file) {
        (Some(name), _) => generate(name, &args)?,
        (None, Some(file)) => {
            let seed = u32::try_from(args.seed.unwrap_or(0)).context("--seed must fit 32 bits")?;
            load_dataset(
                file,
                LoadOptions {
                    seed,
                    max_len: args
                        .max_length
                        .unwrap_or(tprog_tasks::jsonl::DEFAULT_MAX_LEN),
                    too_long: if args.drop_long {
                        LengthPolicy::Drop
                    } else {
                        LengthPolicy::Error
                    },
                    ..LoadOptions::default()
                },
            )?
        }
        (None, None) => anyhow::bail!("give --task NAME or --file FILE.jsonl"),
    };
    print_summary(&dataset)?;
    match &args.out {
        Some(out) => {
            write_out(out, &dataset, args.force)?;
            outln!("wrote {} examples to {}", dataset.produced(), out.display());
        }
        None => print_examples(&dataset, args.show)?,
    }
    Ok(crate::Status::Done)
}

/// `tprog data --task T --data-dir DIR`: an NLP data set's sizes, vocabulary coverage and
/// labels, then examples or the JSONL file.
fn run_nlp(args: &Args, dir: &Path) -> anyhow::Result<crate::Status> {
    if args.file.is_some() {
        anyhow::bail!("give either --file or --data-dir, not both");
    }
    let Some(name) = &args.task else {
        anyhow::bail!("--data-dir needs --task conll_ner|trec|mr|subj|ag_news");
    };
    let task: NlpTask = name.parse()?;
    let options = nlp::options(
        task,
        &args.nlp,
        args.vocab_size,
        args.min_length,
        args.max_length,
        args.seed,
    )?;
    let data = nlp::load(task, dir, &options)?;
    nlp::print_summary(&data, &options)?;
    match &args.out {
        Some(out) => {
            write_out(out, &data.dataset, args.force)?;
            outln!(
                "wrote {} examples to {}",
                data.dataset.produced(),
                out.display()
            );
        }
        None => print_examples(&data.dataset, args.show)?,
    }
    Ok(crate::Status::Done)
}

/// Validates the flags into task parameters and generates the dataset.
fn generate(name: &str, args: &Args) -> anyhow::Result<Dataset> {
    let name: TaskName = name.parse()?;
    let defaults = name.default_params();
    let params = TaskParams {
        vocab_size: args.vocab_size.unwrap_or(defaults.vocab_size),
        min_length: args.min_length.unwrap_or(defaults.min_length),
        max_length: args.max_length.unwrap_or(defaults.max_length),
        dataset_size: args.size.unwrap_or(defaults.dataset_size),
        seed: args.seed.unwrap_or(defaults.seed),
        unique: args.unique.unwrap_or(defaults.unique),
    };
    let task = Task::new(name, params)?;
    Ok(task.generate()?)
}

/// Sizes (asked vs produced), vocabularies and context length.
fn print_summary(dataset: &Dataset) -> Result<(), StdoutError> {
    match &dataset.params {
        Some(p) => outln!(
            "task {}: vocab_size {}, min_length {}, max_length {}, seed {}, unique {}",
            dataset.task,
            p.vocab_size,
            p.min_length,
            p.max_length,
            p.seed,
            p.unique
        ),
        None => outln!("data from {}", dataset.task),
    }
    if dataset.dropped > 0 {
        outln!(
            "skipped {} lines longer than --max-length (--drop-long)",
            dataset.dropped
        );
    }
    let produced = dataset.produced();
    match dataset.requested {
        Some(asked) if asked > produced => outln!(
            "examples: {produced} produced of {asked} asked (fewer than asked: the generator \
             yields only {produced} distinct inputs with these settings)"
        ),
        Some(asked) => outln!("examples: {produced} produced of {asked} asked"),
        None => outln!("examples: {produced}"),
    }
    outln!(
        "splits: train {} / val {} / test {}",
        dataset.train.len(),
        dataset.val.len(),
        dataset.test.len()
    );
    let vocab = dataset.input_vocab.tokens();
    outln!("input vocab ({}): {}", vocab.len(), vocab.join(" "));
    let vocab = dataset.output_vocab.tokens();
    outln!("output vocab ({}): {}", vocab.len(), vocab.join(" "));
    outln!("n_ctx: {}, causal: {}", dataset.n_ctx, dataset.causal);
    Ok(())
}

/// The first `show` examples of each split, tokens above labels, aligned.
fn print_examples(dataset: &Dataset, show: usize) -> Result<(), StdoutError> {
    if show == 0 {
        return Ok(());
    }
    for split in Split::ALL {
        let examples = dataset.split(split);
        outln!();
        outln!(
            "{split} (first {} of {}):",
            show.min(examples.len()),
            examples.len()
        );
        for example in examples.iter().take(show) {
            let (tokens, labels) = aligned(example);
            outln!("  tokens: {tokens}");
            outln!("  labels: {labels}");
        }
    }
    Ok(())
}

/// Tokens and labels padded to a common width per position.
fn aligned(example: &Example) -> (String, String) {
    let mut tokens = Vec::new();
    let mut labels = Vec::new();
    for (token, label) in example.tokens.iter().zip(&example.labels) {
        let width = token.chars().count().max(label.chars().count());
        tokens.push(format!("{token:<width$}"));
        labels.push(format!("{label:<width$}"));
    }
    (
        tokens.join(" ").trim_end().to_string(),
        labels.join(" ").trim_end().to_string(),
    )
}

/// Writes the dataset as JSONL (gzip when the name ends in `.gz`), atomically; an existing
/// file is replaced only with `force`.
fn write_out(path: &Path, dataset: &Dataset, force: bool) -> anyhow::Result<()> {
    let context = || format!("cannot write {}", path.display());
    let mut bytes = Vec::new();
    if path.extension().is_some_and(|e| e == "gz") {
        let mut encoder = flate2::write::GzEncoder::new(&mut bytes, flate2::Compression::default());
        write_jsonl(&mut encoder, dataset).with_context(context)?;
        encoder.finish().with_context(context)?;
    } else {
        write_jsonl(&mut bytes, dataset).with_context(context)?;
    }
    crate::cmd::output::write_file(path, &bytes, force)?;
    Ok(())
}
