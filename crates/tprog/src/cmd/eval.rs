//! `tprog eval`: the discrete model's accuracy on a run's splits or on a JSONL file.

use std::path::PathBuf;

use tprog_train::eval::evaluate;
use tprog_train::session;

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
pub fn run(args: Args) -> anyhow::Result<()> {
    let run = session::open(&args.run_dir)?;
    let mut model = session::load_model(&run)?;
    println!(
        "{:<10} {:>9} {:>11} {:>12}",
        "split", "examples", "token acc %", "sequence %"
    );
    let rows: Vec<(String, tprog_tasks::EncodedSplit)> = match &args.data {
        Some(path) => vec![(
            path.display().to_string(),
            session::encode_file(&run, path)?,
        )],
        None => vec![
            ("train".to_owned(), run.splits.train.clone()),
            ("val".to_owned(), run.splits.val.clone()),
            ("test".to_owned(), run.splits.test.clone()),
        ],
    };
    for (name, split) in rows {
        let accuracy = evaluate(&mut model, &split)?;
        println!(
            "{:<10} {:>9} {:>11.2} {:>12.2}",
            name,
            accuracy.sequences,
            100.0 * accuracy.token(),
            100.0 * accuracy.sequence()
        );
    }
    Ok(())
}
