//! `tprog errors`: the program's wrong predictions, grouped, each group with a count and the
//! explanation of one representative.

use std::path::PathBuf;

use tprog_pipeline::reading::{self, InputSet};
use tprog_program::explain::find_errors;
use tprog_tasks::Split;
use tprog_train::session;

use crate::Status;

/// Arguments of `tprog errors`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run directory.
    pub run_dir: PathBuf,
    /// Every input of the task's support (the default when it is enumerable).
    #[arg(long, conflicts_with = "split")]
    pub exhaustive: bool,
    /// Only the examples of this split: train, val or test.
    #[arg(long, value_parser = parse_split)]
    pub split: Option<Split>,
    /// Read program.simplified.json instead of program.json.
    #[arg(long)]
    pub simplified: bool,
    /// Groups to print.
    #[arg(long, default_value_t = 10)]
    pub groups: usize,
    /// Classifier features listed per representative.
    #[arg(long, default_value_t = 6)]
    pub top: usize,
}

/// Parses a split name (clap value parser): train, val or test.
pub fn parse_split(text: &str) -> Result<Split, String> {
    Split::ALL
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| format!("unknown split {text:?}; expected train, val or test"))
}

/// Runs `tprog errors`.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let run = session::open(&args.run_dir)?;
    let program = reading::load(&run, args.simplified)?;
    let set = match (args.exhaustive, args.split) {
        (_, Some(split)) => InputSet::Split(split),
        (true, None) => InputSet::Exhaustive,
        (false, None) => InputSet::Everything,
    };
    let inputs = reading::inputs(&run, set)?;
    let report = find_errors(&program, &inputs.tokens, &inputs.labels)?;
    outln!("inputs: {}", inputs.description);
    outln!(
        "wrong: {} of {} positions, {} of {} sequences; {} groups by (position, expected, predicted)",
        report.wrong,
        report.positions,
        report.wrong_sequences,
        report.sequences,
        report.groups.len()
    );
    for group in report.groups.iter().take(args.groups) {
        outln!(
            "\n{} × position {}: expected {}, predicted {} ({} distinct classifier inputs)",
            group.count,
            group.position,
            group.expected,
            group.predicted,
            group.signatures
        );
        let shared: Vec<String> = group
            .shared
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        outln!("  shared by every member: {}", shared.join(", "));
        outln!("  representative: {}", group.representative.join(" "));
        for line in group.chain.to_text(args.top).lines() {
            outln!("  {line}");
        }
    }
    if report.groups.len() > args.groups {
        outln!(
            "\n… {} more groups (--groups)",
            report.groups.len() - args.groups
        );
    }
    Ok(Status::Done)
}
