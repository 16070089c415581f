//! User data as JSONL: one `{"tokens": [...], "labels": [...]}` object a line, optionally with
//! `"split": "train" | "val" | "test"`; plain or gzip-compressed (`.jsonl.gz`, detected by its
//! magic bytes). Errors name the file, the line and the problem.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::split::split_three;
use crate::{Dataset, Example, Split, TaskError, Vocab};

/// One example read from a file, with its optional split and 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileExample {
    /// The line's `"split"`, if given.
    pub split: Option<Split>,
    /// The example.
    pub example: Example,
    /// 1-based line number in the file.
    pub line: usize,
}

/// How to turn a file into a [`Dataset`] (default: seed 0, not causal, no `<unk>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoadOptions {
    /// Seed of the 81/9/10 split used when the lines carry no `"split"`.
    pub seed: u32,
    /// Whether the task is autoregressive (causal attention mask).
    pub causal: bool,
    /// Whether the vocabularies get `<unk>` (unseen validation/test tokens then map to it).
    pub unk: bool,
}

/// The JSON object of one line.
#[derive(Deserialize, Serialize)]
struct Line {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    split: Option<String>,
    tokens: Vec<String>,
    labels: Vec<String>,
}

/// Reads a file's bytes, decompressing gzip.
fn read_bytes(path: &Path) -> Result<Vec<u8>, TaskError> {
    let io_error = |source| TaskError::Io {
        file: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io_error)?;
    decompress(path, bytes)
}

/// `bytes` itself, or its gzip decompression when it starts with the gzip magic bytes.
fn decompress(path: &Path, bytes: Vec<u8>) -> Result<Vec<u8>, TaskError> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes.as_slice())
        .read_to_end(&mut out)
        .map_err(|source| TaskError::Io {
            file: path.to_path_buf(),
            source,
        })?;
    Ok(out)
}

/// Parses JSONL `bytes` (plain or gzip) read from `file` (used in messages). Blank lines are
/// skipped; a file without examples is an error.
pub fn parse_jsonl(file: &Path, bytes: &[u8]) -> Result<Vec<FileExample>, TaskError> {
    let text = decompress(file, bytes.to_vec())?;
    let problem = |line: usize, problem: String| TaskError::Jsonl {
        file: file.to_path_buf(),
        line,
        problem,
    };
    let mut examples = Vec::new();
    for (index, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        let raw = std::str::from_utf8(raw)
            .map_err(|e| problem(line, format!("not valid UTF-8 ({e})")))?;
        if raw.trim().is_empty() {
            continue;
        }
        let parsed: Line = serde_json::from_str(raw)
            .map_err(|e| problem(line, format!("bad JSON object: {e}")))?;
        if parsed.tokens.is_empty() {
            return Err(problem(line, "`tokens` is empty".into()));
        }
        if parsed.tokens.len() != parsed.labels.len() {
            return Err(problem(
                line,
                format!(
                    "`tokens` has {} entries but `labels` has {}",
                    parsed.tokens.len(),
                    parsed.labels.len()
                ),
            ));
        }
        let split = match parsed.split {
            Some(name) => Some(
                name.parse::<Split>()
                    .map_err(|e| problem(line, e.to_string()))?,
            ),
            None => None,
        };
        examples.push(FileExample {
            split,
            example: Example {
                tokens: parsed.tokens,
                labels: parsed.labels,
            },
            line,
        });
    }
    if examples.is_empty() {
        return Err(TaskError::EmptyFile {
            file: file.to_path_buf(),
        });
    }
    Ok(examples)
}

/// Reads a `.jsonl` or `.jsonl.gz` file.
pub fn read_jsonl(path: &Path) -> Result<Vec<FileExample>, TaskError> {
    parse_jsonl(path, &read_bytes(path)?)
}

/// Reads a file as a [`Dataset`]: the lines' splits when every line has one, otherwise (no line
/// has one) the reference's 81/9/10 split with `options.seed`; a mix is an error.
pub fn load_dataset(path: &Path, options: LoadOptions) -> Result<Dataset, TaskError> {
    let examples = read_jsonl(path)?;
    let with_split = examples.iter().filter(|e| e.split.is_some()).count();
    let (train, val, test) = if with_split == 0 {
        split_three(
            examples.into_iter().map(|e| e.example).collect(),
            options.seed,
        )
    } else if let Some(missing) = examples.iter().find(|e| e.split.is_none()) {
        return Err(TaskError::Jsonl {
            file: path.to_path_buf(),
            line: missing.line,
            problem: "no `split`, but other lines have one (give it on every line or none)".into(),
        });
    } else {
        let mut parts: [Vec<Example>; 3] = Default::default();
        for e in examples {
            let slot = Split::ALL
                .iter()
                .position(|s| Some(*s) == e.split)
                .unwrap_or(0);
            parts[slot].push(e.example);
        }
        let [train, val, test] = parts;
        (train, val, test)
    };
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Dataset::from_splits(name, train, val, test, options.causal, options.unk)
}

/// Reads a file against existing vocabularies (e.g. to evaluate a trained model): a token or a
/// label missing from a vocabulary without `<unk>` is an error naming it, its line and position.
pub fn read_with_vocab(
    path: &Path,
    input_vocab: &Vocab,
    output_vocab: &Vocab,
) -> Result<Vec<Example>, TaskError> {
    let examples = read_jsonl(path)?;
    check_against_vocab(path, &examples, input_vocab, output_vocab)?;
    Ok(examples.into_iter().map(|e| e.example).collect())
}

/// Checks every token and label of `examples` against the vocabularies.
fn check_against_vocab(
    path: &Path,
    examples: &[FileExample],
    input_vocab: &Vocab,
    output_vocab: &Vocab,
) -> Result<(), TaskError> {
    for e in examples {
        for (kind, sequence, vocab) in [
            ("token", &e.example.tokens, input_vocab),
            ("label", &e.example.labels, output_vocab),
        ] {
            if let Err(TaskError::UnknownToken {
                token, position, ..
            }) = vocab.encode(sequence)
            {
                return Err(TaskError::Jsonl {
                    file: PathBuf::from(path),
                    line: e.line,
                    problem: format!(
                        "unknown {kind} `{token}` at position {position} (not in the model's vocabulary)"
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Writes every example of `dataset` as one JSONL line in the loader's format, with `"split"`.
pub fn write_jsonl(mut writer: impl Write, dataset: &Dataset) -> std::io::Result<()> {
    for split in Split::ALL {
        for example in dataset.split(split) {
            let line = Line {
                split: Some(split.as_str().to_string()),
                tokens: example.tokens.clone(),
                labels: example.labels.clone(),
            };
            serde_json::to_writer(&mut writer, &line)?;
            writer.write_all(b"\n")?;
        }
    }
    Ok(())
}
