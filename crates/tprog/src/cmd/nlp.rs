//! The flags shared by the commands that read the paper's NLP data sets (`data`, `train`,
//! `baseline`), their validation into `NlpOptions`, and the NLP data summary.

use std::path::PathBuf;

use anyhow::bail;
use tprog_tasks::text::{Encoding, NlpData, NlpOptions, NlpTask, load_nlp, split_stats};
use tprog_tasks::{Split, TaskName};

use crate::cmd::output::StdoutError;

/// Where an NLP data set is and how to read it.
#[derive(Debug, Clone, clap::Args)]
pub struct NlpArgs {
    /// Directory of an NLP data set (conll_ner, trec, mr, subj, ag_news): its files are looked
    /// for in DIR/<folder>/ (conll2003, trec, mr, subj/senteval, ag_news), then in DIR.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// With --data-dir: the files' encoding, utf-8 or latin-1 (default: latin-1 for mr,
    /// utf-8 otherwise).
    #[arg(long, requires = "data_dir")]
    pub encoding: Option<Encoding>,
    /// With --data-dir: the CoNLL tags are IOB1; rewrite them as IOB2.
    #[arg(long, requires = "data_dir")]
    pub iob1: bool,
    /// With --data-dir: the CoNLL column holding the tag, from 0 (default: the last).
    #[arg(long, requires = "data_dir")]
    pub tag_column: Option<usize>,
    /// With --data-dir: replace every run of digits by `@` (default: true for conll_ner, as
    /// the paper; false for classification).
    #[arg(long, requires = "data_dir", action = clap::ArgAction::Set)]
    pub replace_numbers: Option<bool>,
    /// With --data-dir: lower-case every word.
    #[arg(long, requires = "data_dir")]
    pub lower: bool,
}

/// A task name: one of the built-in generators or an NLP data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnyTask {
    /// A synthetic task.
    Synthetic(TaskName),
    /// An NLP data set (needs --data-dir).
    Nlp(NlpTask),
}

/// Parses a task name (clap value parser): a synthetic task or an NLP one.
pub fn parse_task(name: &str) -> Result<AnyTask, String> {
    if let Ok(task) = name.parse::<TaskName>() {
        return Ok(AnyTask::Synthetic(task));
    }
    name.parse::<NlpTask>().map(AnyTask::Nlp).map_err(|_| {
        let synthetic: Vec<&str> = TaskName::ALL.iter().map(|t| t.as_str()).collect();
        let nlp: Vec<&str> = NlpTask::ALL.iter().map(|t| t.as_str()).collect();
        format!(
            "unknown task `{name}`; valid tasks are: {} (generated) and {} (with --data-dir)",
            synthetic.join(", "),
            nlp.join(", ")
        )
    })
}

/// The task and directory of an NLP command, checked: an NLP task needs --data-dir and
/// --data-dir needs an NLP task.
pub fn nlp_task(task: AnyTask, args: &NlpArgs) -> anyhow::Result<Option<(NlpTask, PathBuf)>> {
    match (task, &args.data_dir) {
        (AnyTask::Nlp(task), Some(dir)) => Ok(Some((task, dir.clone()))),
        (AnyTask::Nlp(task), None) => {
            bail!("task `{task}` reads a data set: give its directory with --data-dir DIR")
        }
        (AnyTask::Synthetic(task), Some(_)) => bail!(
            "--data-dir is for the NLP tasks (conll_ner, trec, mr, subj, ag_news); `{}` is \
             generated",
            task.as_str()
        ),
        (AnyTask::Synthetic(_), None) => Ok(None),
    }
}

/// The task's default options with the flags applied.
pub fn options(
    task: NlpTask,
    args: &NlpArgs,
    vocab_size: Option<usize>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    split_seed: Option<u64>,
) -> anyhow::Result<NlpOptions> {
    let defaults = task.default_options();
    let split_seed = match split_seed {
        Some(seed) => u32::try_from(seed)
            .map_err(|_| anyhow::anyhow!("--seed must fit 32 bits, got {seed}"))?,
        None => defaults.split_seed,
    };
    let options = NlpOptions {
        min_length: min_length.unwrap_or(defaults.min_length),
        max_length: max_length.unwrap_or(defaults.max_length),
        vocab_size: vocab_size.unwrap_or(defaults.vocab_size),
        replace_numbers: args.replace_numbers.unwrap_or(defaults.replace_numbers),
        do_lower: args.lower,
        encoding: args.encoding,
        iob1: args.iob1,
        tag_column: args.tag_column,
        split_seed,
    };
    let problems = options.check();
    if !problems.is_empty() {
        bail!(
            "invalid settings for `{task}`:\n  - {}",
            problems.join("\n  - ")
        );
    }
    Ok(options)
}

/// Reads and preprocesses the data set.
pub fn load(task: NlpTask, dir: &std::path::Path, options: &NlpOptions) -> anyhow::Result<NlpData> {
    Ok(load_nlp(task, dir, options)?)
}

/// Split sizes before and after the length filter, vocabulary size and coverage, label
/// counts, and how the splits were made.
pub fn print_summary(data: &NlpData, options: &NlpOptions) -> Result<(), StdoutError> {
    let dataset = &data.dataset;
    outln!(
        "task {}: min_length {}, max_length {} (keeps {}..{} words), vocab_size {}, \
         replace_numbers {}, lower {}",
        dataset.task,
        options.min_length,
        options.max_length,
        options.min_length,
        options.max_length - 2,
        options.vocab_size,
        options.replace_numbers,
        options.do_lower
    );
    for file in &data.files {
        outln!("read {}", file.display());
    }
    for note in &data.notes {
        outln!("note: {note}");
    }
    outln!(
        "{:<6} {:>9} {:>9} {:>9} {:>10}",
        "split",
        "read",
        "kept",
        "words",
        "in vocab"
    );
    for (split, counts) in Split::ALL.into_iter().zip(&data.counts) {
        let stats = split_stats(dataset, split);
        outln!(
            "{:<6} {:>9} {:>9} {:>9} {:>9.2}%",
            split.as_str(),
            counts.read,
            counts.kept,
            stats.words,
            100.0 * stats.known as f64 / stats.words.max(1) as f64
        );
    }
    outln!(
        "input vocab: {} tokens (<pad>, <unk> and {} training words); n_ctx {}",
        dataset.input_vocab.len(),
        dataset.input_vocab.len() - 2,
        dataset.n_ctx
    );
    let labels = dataset.output_vocab.tokens();
    outln!("output vocab ({}): {}", labels.len(), labels.join(" "));
    for split in Split::ALL {
        let stats = split_stats(dataset, split);
        let counts: Vec<String> = stats
            .labels
            .iter()
            .map(|(label, n)| format!("{label} {n}"))
            .collect();
        outln!("labels {:<5} {}", split.as_str(), counts.join(", "));
    }
    Ok(())
}
