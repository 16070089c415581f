//! `tprog run`: run a program on input tokens and print the labels, or a full trace.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use tprog_program::{Interpreter, Program};

/// Arguments of `tprog run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The program to run (a `program.json` written by tprog).
    pub program: PathBuf,
    /// Input tokens separated by spaces, e.g. "<s> 3 1 4 </s>".
    #[arg(long, conflicts_with_all = ["input", "words"], required_unless_present_any = ["input", "words"])]
    pub tokens: Option<String>,
    /// For a program learned on text: a sentence as words separated by spaces, e.g.
    /// "EU rejects German call". Words are normalised as in training, wrapped in <s> … </s>,
    /// and unknown words read as <unk>; prints one label per word, or the sentence's class.
    #[arg(long, conflicts_with = "input")]
    pub words: Option<String>,
    /// A JSONL file with one `{"tokens": [...]}` object a line (other fields are ignored);
    /// `.jsonl.gz` accepted.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Print every variable at every position (positions as columns) and each head's
    /// selection as a query × key grid, instead of the labels alone.
    #[arg(long)]
    pub trace: bool,
}

/// Runs `tprog run`: prints one line of labels per input (or a trace per input).
pub fn run(args: Args) -> anyhow::Result<crate::Status> {
    let program = Program::from_json_file(&args.program)?;
    let interpreter = Interpreter::new(&program)?;
    if let Some(words) = &args.words {
        let words: Vec<String> = words.split_whitespace().map(String::from).collect();
        if args.trace {
            let tokens = program.words_to_tokens(&words)?;
            let trace = interpreter
                .trace(&tokens)
                .context("cannot run the program on the --words input")?;
            crate::cmd::output::write_all(&trace.to_table())?;
        } else {
            let labels = interpreter
                .run_words(&words)
                .context("cannot run the program on the --words input")?;
            outln!("{}", labels.join(" "));
        }
        return Ok(crate::Status::Done);
    }
    let inputs: Vec<(String, Vec<String>)> = match (&args.tokens, &args.input) {
        (Some(tokens), _) => {
            let tokens: Vec<String> = tokens.split_whitespace().map(String::from).collect();
            if tokens.is_empty() {
                bail!("--tokens is empty: give at least one token, e.g. --tokens \"<s> 3 1 4\"");
            }
            vec![("the --tokens input".to_string(), tokens)]
        }
        (None, Some(path)) => read_inputs(path)?,
        (None, None) => bail!("give the input with --tokens \"...\" or --input FILE.jsonl"),
    };
    for (index, (origin, tokens)) in inputs.iter().enumerate() {
        if args.trace {
            let trace = interpreter
                .trace(tokens)
                .with_context(|| format!("cannot run the program on {origin}"))?;
            if index > 0 {
                outln!();
            }
            crate::cmd::output::write_all(&trace.to_table())?;
        } else {
            let labels = interpreter
                .run(tokens)
                .with_context(|| format!("cannot run the program on {origin}"))?;
            outln!("{}", labels.join(" "));
        }
    }
    Ok(crate::Status::Done)
}

/// Reads `{"tokens": [...]}` lines (plain or gzip-compressed); blank lines are skipped and a
/// file without inputs is an error. Each input remembers its line.
fn read_inputs(path: &Path) -> anyhow::Result<Vec<(String, Vec<String>)>> {
    let mut bytes = std::fs::read(path)
        .with_context(|| format!("cannot open input file {}", path.display()))?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut text)
            .with_context(|| format!("cannot decompress {} (gzip)", path.display()))?;
        bytes = text;
    }
    let mut inputs = Vec::new();
    for (number, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let origin = format!("{}:{}", path.display(), number + 1);
        let line =
            std::str::from_utf8(line).with_context(|| format!("{origin} is not valid UTF-8"))?;
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("{origin} is not JSON"))?;
        let tokens = value
            .get("tokens")
            .and_then(serde_json::Value::as_array)
            .and_then(|items| {
                items
                    .iter()
                    .map(|item| item.as_str().map(String::from))
                    .collect::<Option<Vec<String>>>()
            })
            .with_context(|| format!("{origin} has no \"tokens\" list of strings"))?;
        if tokens.is_empty() {
            bail!("{origin}: \"tokens\" is empty; every input needs at least one token");
        }
        inputs.push((origin, tokens));
    }
    if inputs.is_empty() {
        bail!(
            "{} holds no inputs: give one {{\"tokens\": [...]}} object a line",
            path.display()
        );
    }
    Ok(inputs)
}
