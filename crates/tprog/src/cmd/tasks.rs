//! `tprog tasks`: list the built-in tasks with their parameters and the paper's settings, and
//! the NLP data sets.

use tprog_tasks::text::NlpTask;
use tprog_tasks::{Task, TaskName};

/// Arguments of `tprog tasks`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tprog tasks`: one row per task with its default (paper) parameters.
pub fn run(_args: Args) -> anyhow::Result<crate::Status> {
    outln!(
        "{:<12} {:<6} {:>10} {:>10} {:>10} {:>7} {:>4} {:<6} {:>10}  description",
        "task",
        "causal",
        "vocab_size",
        "min_length",
        "max_length",
        "size",
        "seed",
        "unique",
        "support"
    );
    for name in TaskName::ALL {
        let p = name.default_params();
        let support = Task::with_defaults(name).support_size();
        outln!(
            "{:<12} {:<6} {:>10} {:>10} {:>10} {:>7} {:>4} {:<6} {:>10}  {}",
            name.as_str(),
            if name.causal() { "yes" } else { "no" },
            p.vocab_size,
            p.min_length,
            p.max_length,
            p.dataset_size,
            p.seed,
            p.unique,
            support,
            name.description()
        );
    }
    outln!();
    outln!(
        "Defaults are the paper's settings (the reference's scripts). vocab_size counts special"
    );
    outln!("tokens as the reference does (sort/reverse: <pad> <s> </s>; hist family: <pad> <s>;");
    outln!("dyck: number of bracket types; induction: letters + digits + 2). support = number of");
    outln!("distinct inputs the generator can produce. Generate with `tprog data --task NAME`.");
    outln!();
    outln!("NLP data sets, read from a directory (`tprog data --task NAME --data-dir DIR`,");
    outln!("docs/nlp.md):");
    for task in NlpTask::ALL {
        let o = task.default_options();
        outln!(
            "{:<12} {:<14} length {}..{} words, vocab_size {}, replace_numbers {}",
            task.as_str(),
            if task.is_tagging() {
                "per-token tags"
            } else {
                "classification"
            },
            o.min_length,
            o.max_length - 2,
            o.vocab_size,
            o.replace_numbers
        );
    }
    Ok(crate::Status::Done)
}
