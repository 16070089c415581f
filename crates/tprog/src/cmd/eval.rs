//! `tprog eval`: the discrete model's accuracy (or the standard Transformer's) on a run's splits
//! or on a JSONL file.

use std::path::PathBuf;

use tprog_pipeline::SplitResult;
use tprog_pipeline::report::percent;
use tprog_train::eval::evaluate_labelled;
use tprog_train::{Predictor, session};

use crate::Status;

/// Arguments of `tprog eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run directory (holds config.json and model.safetensors).
    pub run_dir: PathBuf,
    /// Evaluate on this JSONL file (`.jsonl` or `.jsonl.gz`) instead of the run's splits; its
    /// tokens must be in the run's vocabulary.
    #[arg(long)]
    pub data: Option<PathBuf>,
}

/// Runs `tprog eval`.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let run = session::open(&args.run_dir)?;
    // A Transformer Program run's discrete model, or a standard-Transformer run's model.
    let mut model: Box<dyn Predictor> = if run.config.standard.is_some() {
        Box::new(session::load_standard_model(&run)?)
    } else {
        Box::new(session::load_model(&run)?)
    };
    let rows: Vec<(String, tprog_tasks::EncodedSplit)> = match &args.data {
        Some(path) => vec![(
            path.display().to_string(),
            session::encode_file(&run, path)?,
        )],
        None => {
            let data = session::load_data(&run.config)?;
            vec![
                ("train".to_owned(), data.splits.train),
                ("val".to_owned(), data.splits.val),
                ("test".to_owned(), data.splits.test),
            ]
        }
    };
    outln!(
        "{:<10} {:>9} {:>11} {:>12}",
        "split",
        "examples",
        "token acc %",
        "sequence %"
    );
    let classes = &run.config.shape.output_vocab;
    for (name, split) in rows {
        let accuracy = SplitResult::from(&evaluate_labelled(model.as_mut(), &split, classes)?);
        let entities = accuracy.entity.map_or(String::new(), |e| {
            format!(
                "   entity P/R/F1 {:.2} / {:.2} / {:.2} (strict IOB2)",
                100.0 * e.precision,
                100.0 * e.recall,
                100.0 * e.f1
            )
        });
        outln!(
            "{:<10} {:>9} {:>11} {:>12}{entities}",
            name,
            accuracy.examples,
            percent(accuracy.token_acc),
            percent(accuracy.sequence_acc)
        );
    }
    Ok(Status::Done)
}
