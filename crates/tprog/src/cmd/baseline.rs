//! `tprog baseline`: the count baselines of the paper's NLP tables on a data set: the unigram
//! tagger for conll_ner (entity P/R/F1), multinomial naive Bayes for classification
//! (accuracy), trained on the training split and scored on every split.

use anyhow::bail;
use tprog_baseline::counts::{naive_bayes_baseline, unigram_baseline};
use tprog_tasks::text::NlpTask;

use crate::cmd::nlp::{self, NlpArgs};

/// Arguments of `tprog baseline`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data set: conll_ner (unigram tagger) or trec, mr, subj, ag_news (naive Bayes).
    #[arg(long)]
    task: NlpTask,
    /// Data directory and how to read it.
    #[command(flatten)]
    nlp: NlpArgs,
    /// Words in the vocabulary (the baselines use every training word; this only affects
    /// the coverage shown by `tprog data`).
    #[arg(long)]
    vocab_size: Option<usize>,
    /// Shortest sentence kept, in words.
    #[arg(long)]
    min_length: Option<usize>,
    /// Sentences keep fewer than max_length - 1 words (default: 32 for conll_ner, 64 otherwise).
    #[arg(long)]
    max_length: Option<usize>,
    /// Seed of the validation split taken from training where a data set has none.
    #[arg(long)]
    seed: Option<u64>,
    /// Print the scores as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `tprog baseline`.
pub fn run(args: Args) -> anyhow::Result<crate::Status> {
    let Some(dir) = &args.nlp.data_dir else {
        bail!("give the data set's directory with --data-dir DIR");
    };
    let options = nlp::options(
        args.task,
        &args.nlp,
        args.vocab_size,
        args.min_length,
        args.max_length,
        args.seed,
    )?;
    let data = nlp::load(args.task, dir, &options)?;
    let dataset = &data.dataset;
    if args.task.is_tagging() {
        let scores = unigram_baseline(dataset)?;
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&scores)?);
            return Ok(crate::Status::Done);
        }
        outln!(
            "{}: unigram tagger (each word's most frequent training tag, O for unseen words), \
             trained on {} sentences",
            args.task,
            dataset.train.len()
        );
        outln!(
            "{:<6} {:>7} {:>7} {:>7}   {:>7} {:>7} {:>7}   {:>9} {:>8}",
            "split",
            "P",
            "R",
            "F1",
            "P dflt",
            "R dflt",
            "F1 dflt",
            "token acc",
            "entities"
        );
        for s in &scores {
            outln!(
                "{:<6} {:>7.2} {:>7.2} {:>7.2}   {:>7.2} {:>7.2} {:>7.2}   {:>9.2} {:>8}",
                s.split.as_str(),
                100.0 * s.strict.precision,
                100.0 * s.strict.recall,
                100.0 * s.strict.f1,
                100.0 * s.default.precision,
                100.0 * s.default.recall,
                100.0 * s.default.f1,
                100.0 * s.token_accuracy,
                s.strict.gold
            );
        }
        outln!("P/R/F1: entity level, seqeval strict IOB2 (the paper's); dflt: seqeval default");
    } else {
        let scores = naive_bayes_baseline(dataset);
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&scores)?);
            return Ok(crate::Status::Done);
        }
        outln!(
            "{}: multinomial naive Bayes on unigram counts (add-one smoothing), trained on {} \
             examples",
            args.task,
            dataset.train.len()
        );
        outln!("{:<6} {:>9} {:>9}", "split", "accuracy", "examples");
        for s in &scores {
            outln!(
                "{:<6} {:>8.2}% {:>9}",
                s.split.as_str(),
                100.0 * s.accuracy,
                s.examples
            );
        }
    }
    for note in &data.notes {
        outln!("note: {note}");
    }
    Ok(crate::Status::Done)
}
