//! `tprog explain`: why the program predicts what it does at each position of one input.

use std::path::PathBuf;

use tprog_pipeline::reading;
use tprog_program::explain::{explain, to_html};
use tprog_train::session;

use crate::Status;

/// Arguments of `tprog explain`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run directory.
    pub run_dir: PathBuf,
    /// The input, tokens separated by spaces, e.g. "<s> 3 1 4 </s>".
    #[arg(long, conflicts_with = "words", required_unless_present = "words")]
    pub tokens: Option<String>,
    /// For a program learned on text: a sentence as words separated by spaces, e.g.
    /// "EU rejects German call" (normalised, wrapped in <s> … </s>, unknown words as <unk>).
    #[arg(long)]
    pub words: Option<String>,
    /// Explain program.simplified.json (written by `tprog simplify`) instead of program.json.
    #[arg(long)]
    pub simplified: bool,
    /// Also write one self-contained HTML page (click a position to see its chain).
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Replace the --html file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Classifier features listed per position.
    #[arg(long, default_value_t = 8)]
    pub top: usize,
}

/// Runs `tprog explain`.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let run = session::open(&args.run_dir)?;
    let program = reading::load(&run, args.simplified)?;
    let tokens: Vec<String> = match (&args.tokens, &args.words) {
        (Some(tokens), _) => tokens.split_whitespace().map(str::to_string).collect(),
        (None, Some(words)) => {
            let words: Vec<String> = words.split_whitespace().map(str::to_string).collect();
            program.words_to_tokens(&words)?
        }
        (None, None) => anyhow::bail!("give the input with --tokens \"...\" or --words \"...\""),
    };
    let explanation = explain(&program, &tokens)?;
    outln!("input:     {}", explanation.tokens.join(" "));
    outln!("predicted: {}", explanation.predictions.join(" "));
    for chain in &explanation.positions {
        outln!();
        crate::cmd::output::write_all(&chain.to_text(args.top))?;
    }
    if let Some(path) = &args.html {
        crate::cmd::output::write_file(path, to_html(&explanation).as_bytes(), args.force)?;
        note!("wrote {}", path.display());
    }
    Ok(Status::Done)
}
