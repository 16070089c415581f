//! User data as JSONL: one `{"tokens": [...], "labels": [...]}` object a line, optionally with
//! `"split": "train" | "val" | "test"`; plain or gzip-compressed (`.jsonl.gz`, detected by its
//! magic bytes), with or without a UTF-8 byte-order mark. Errors name the file, the 1-based
//! line and the problem (`data.jsonl:12: ...`).
//!
//! Every reader has a maximum sequence length ([`LoadOptions::max_len`], default
//! [`DEFAULT_MAX_LEN`]): the model's context `n_ctx` is the longest training sequence, and its
//! buffers grow with it, so one runaway line must not set it. A longer line is an error or is
//! dropped and counted ([`LengthPolicy`]); either way it is never held in memory as strings.

mod line;
mod stream;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::split::split_three;
use crate::{Dataset, Example, Split, TaskError, Vocab};
use line::parse_line;
use stream::for_each_line;

/// The default maximum sequence length (tokens, `<s>` and `</s>` included) of the loaders:
/// ample for the paper's tasks (at most 64 tokens) and its NLP data, small enough that the
/// model's per-batch buffers (which grow with `n_ctx` and `n_ctx²`) stay in memory.
pub const DEFAULT_MAX_LEN: usize = 512;

/// What to do with a line longer than the maximum sequence length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LengthPolicy {
    /// Stop with an error naming the file, the line, its length and the limit (the default).
    #[default]
    Error,
    /// Skip the line and count it ([`JsonlRead::dropped`], [`Dataset::dropped`]).
    Drop,
}

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

/// The examples of a file, and how many lines were dropped as too long.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JsonlRead {
    /// The examples kept, in file order.
    pub examples: Vec<FileExample>,
    /// Lines skipped because they had more than `max_len` tokens ([`LengthPolicy::Drop`]).
    pub dropped: usize,
}

/// How to turn a file into a [`Dataset`] (default: seed 0, not causal, no `<unk>`, at most
/// [`DEFAULT_MAX_LEN`] tokens a line, longer lines an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Seed of the 81/9/10 split used when the lines carry no `"split"`.
    pub seed: u32,
    /// Whether the task is autoregressive (causal attention mask).
    pub causal: bool,
    /// Whether the vocabularies get `<unk>` (unseen validation/test tokens then map to it).
    pub unk: bool,
    /// The maximum number of tokens of a line (so the largest possible `n_ctx`).
    pub max_len: usize,
    /// What to do with a longer line.
    pub too_long: LengthPolicy,
    /// The model's context, when it must be longer than every training line: validation and
    /// test lines up to this many tokens are then allowed (length generalisation). `None`:
    /// the longest training line, and longer held-out lines are errors.
    pub n_ctx: Option<usize>,
    /// Whether the output vocabulary holds the labels of every split, not only the training
    /// ones. A held-out label never seen in training is then a class the model can output but
    /// was never trained to (length generalisation: longer test lines have larger counts).
    /// `false`: such a label is an error naming its line (unless `unk` maps it to `<unk>`).
    pub all_labels: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            seed: 0,
            causal: false,
            unk: false,
            max_len: DEFAULT_MAX_LEN,
            too_long: LengthPolicy::Error,
            n_ctx: None,
            all_labels: false,
        }
    }
}

/// The JSON object of one line, as written.
#[derive(Serialize)]
struct Line<'a> {
    split: &'a str,
    tokens: &'a [String],
    labels: &'a [String],
}

/// Reads JSONL from `source` (plain or gzip; `file` names it in messages), keeping lines of at
/// most `max_len` tokens and treating longer ones by `too_long`. Blank lines are skipped; a
/// file without examples is an error.
pub fn read_jsonl_from(
    file: &Path,
    source: impl Read,
    max_len: usize,
    too_long: LengthPolicy,
) -> Result<JsonlRead, TaskError> {
    let limit =
        format!("the maximum sequence length {max_len} (raise the limit or drop such lines)");
    read_source(file, source, max_len, too_long, &limit)
}

/// [`read_jsonl_from`], naming the length limit `limit` in messages.
fn read_source(
    file: &Path,
    source: impl Read,
    max_len: usize,
    too_long: LengthPolicy,
    limit: &str,
) -> Result<JsonlRead, TaskError> {
    let problem = |line: usize, problem: String| TaskError::Jsonl {
        file: file.to_path_buf(),
        line,
        problem,
    };
    let mut read = JsonlRead::default();
    for_each_line(file, source, |line, text| {
        let parsed = parse_line(text, max_len)
            .map_err(|e| problem(line, format!("bad JSON object: {e}")))?;
        let length = parsed.tokens.len;
        if length > max_len {
            return match too_long {
                LengthPolicy::Drop => {
                    read.dropped += 1;
                    Ok(())
                }
                LengthPolicy::Error => {
                    Err(problem(line, format!("{length} tokens, more than {limit}")))
                }
            };
        }
        if length == 0 {
            return Err(problem(line, "`tokens` is empty".into()));
        }
        if parsed.labels.len != length {
            return Err(problem(
                line,
                format!(
                    "`tokens` has {length} entries but `labels` has {}",
                    parsed.labels.len
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
        read.examples.push(FileExample {
            split,
            example: Example {
                tokens: parsed.tokens.items,
                labels: parsed.labels.items,
            },
            line,
        });
        Ok(())
    })?;
    if read.examples.is_empty() {
        return Err(match read.dropped {
            0 => TaskError::EmptyFile {
                file: file.to_path_buf(),
            },
            dropped => TaskError::AllTooLong {
                file: file.to_path_buf(),
                dropped,
                max_len,
            },
        });
    }
    Ok(read)
}

/// Reads a `.jsonl` or `.jsonl.gz` file with a length limit (see [`read_jsonl_from`]).
pub fn read_jsonl_with(
    path: &Path,
    max_len: usize,
    too_long: LengthPolicy,
) -> Result<JsonlRead, TaskError> {
    let file = std::fs::File::open(path).map_err(|source| TaskError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    read_jsonl_from(path, file, max_len, too_long)
}

/// Parses JSONL `bytes` (plain or gzip) read from `file` (used in messages); lines longer than
/// [`DEFAULT_MAX_LEN`] are errors. Blank lines are skipped; a file without examples is an error.
pub fn parse_jsonl(file: &Path, bytes: &[u8]) -> Result<Vec<FileExample>, TaskError> {
    Ok(read_jsonl_from(file, bytes, DEFAULT_MAX_LEN, LengthPolicy::Error)?.examples)
}

/// Reads a `.jsonl` or `.jsonl.gz` file; lines longer than [`DEFAULT_MAX_LEN`] are errors.
pub fn read_jsonl(path: &Path) -> Result<Vec<FileExample>, TaskError> {
    Ok(read_jsonl_with(path, DEFAULT_MAX_LEN, LengthPolicy::Error)?.examples)
}

/// Reads a file as a [`Dataset`]: the lines' splits when every line has one, otherwise (no line
/// has one) the reference's 81/9/10 split with `options.seed`; a mix is an error. Lines longer
/// than `options.max_len` are errors or dropped ([`Dataset::dropped`] counts them); a
/// validation or test line longer than every training line (so than `n_ctx`) is an error
/// naming it.
pub fn load_dataset(path: &Path, options: LoadOptions) -> Result<Dataset, TaskError> {
    let file = std::fs::File::open(path).map_err(|source| TaskError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    load_dataset_from(path, file, options)
}

/// [`load_dataset`] reading from `source` (plain or gzip), called `path` in messages and named
/// after its file name.
pub fn load_dataset_from(
    path: &Path,
    source: impl Read,
    options: LoadOptions,
) -> Result<Dataset, TaskError> {
    if let Some(n_ctx) = options.n_ctx
        && n_ctx > options.max_len
    {
        return Err(TaskError::InvalidParams {
            task: path.display().to_string(),
            problems: vec![format!(
                "the context asked for (n_ctx {n_ctx}) is longer than the longest line allowed \
                 ({} tokens, --max-length)",
                options.max_len
            )],
        });
    }
    let read = read_jsonl_from(path, source, options.max_len, options.too_long)?;
    let examples = read.examples;
    let with_split = examples.iter().filter(|e| e.split.is_some()).count();
    let (train, val, test) = if with_split == 0 {
        split_three(examples, options.seed)
    } else if let Some(missing) = examples.iter().find(|e| e.split.is_none()) {
        return Err(TaskError::Jsonl {
            file: path.to_path_buf(),
            line: missing.line,
            problem: "no `split`, but other lines have one (give it on every line or none)".into(),
        });
    } else {
        let mut parts: [Vec<FileExample>; 3] = Default::default();
        for e in examples {
            let slot = Split::ALL
                .iter()
                .position(|s| Some(*s) == e.split)
                .unwrap_or(0);
            parts[slot].push(e);
        }
        let [train, val, test] = parts;
        (train, val, test)
    };
    let longest = train.iter().map(|e| e.example.tokens.len()).max();
    // `None` orders below every `Some`: the longer of the two, or whichever is given.
    let n_ctx = longest.max(options.n_ctx);
    if let Some(n_ctx) = n_ctx {
        check_fits(
            path,
            val.iter().chain(&test),
            n_ctx,
            options.n_ctx.is_some(),
        )?;
    }
    // (Without training lines, `Dataset::from_splits` says so.)
    if !options.all_labels && !options.unk && !train.is_empty() {
        check_labels_seen(path, &train, val.iter().chain(&test))?;
    }
    let all_labels = options.all_labels.then(|| {
        let labels = train.iter().chain(&val).chain(&test);
        Vocab::from_sequences(labels.map(|e| e.example.labels.as_slice()), options.unk)
    });
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let unwrap = |part: Vec<FileExample>| part.into_iter().map(|e| e.example).collect();
    let mut dataset = Dataset::from_splits(
        name,
        unwrap(train),
        unwrap(val),
        unwrap(test),
        options.causal,
        options.unk,
    )?;
    if let Some(n_ctx) = n_ctx {
        dataset.n_ctx = dataset.n_ctx.max(n_ctx);
    }
    if let Some(vocab) = all_labels {
        dataset.output_vocab = vocab;
    }
    dataset.dropped = read.dropped;
    Ok(dataset)
}

/// Reads a file against existing vocabularies (e.g. to evaluate a trained model): a token or a
/// label missing from a vocabulary without `<unk>` is an error naming it, its line and
/// position. Lines longer than [`DEFAULT_MAX_LEN`] are errors; prefer [`read_for_model`], which
/// checks every line against the model's own `n_ctx`.
pub fn read_with_vocab(
    path: &Path,
    input_vocab: &Vocab,
    output_vocab: &Vocab,
) -> Result<Vec<Example>, TaskError> {
    let limit = format!("the maximum sequence length {DEFAULT_MAX_LEN}");
    read_checked(path, input_vocab, output_vocab, DEFAULT_MAX_LEN, &limit)
}

/// Reads a file to evaluate a trained model: like [`read_with_vocab`], and a line longer than
/// the model's context `n_ctx` is an error naming the file, the line, its length and `n_ctx`
/// (such a line is never held in memory). The examples returned encode without error
/// ([`crate::encode_examples`] with the same vocabularies and `n_ctx`).
pub fn read_for_model(
    path: &Path,
    input_vocab: &Vocab,
    output_vocab: &Vocab,
    n_ctx: usize,
) -> Result<Vec<Example>, TaskError> {
    let limit = format!("the model's n_ctx = {n_ctx}");
    read_checked(path, input_vocab, output_vocab, n_ctx, &limit)
}

/// Reads `path` with at most `max_len` tokens a line (`limit` names it in messages) and
/// checks it against the vocabularies.
fn read_checked(
    path: &Path,
    input_vocab: &Vocab,
    output_vocab: &Vocab,
    max_len: usize,
    limit: &str,
) -> Result<Vec<Example>, TaskError> {
    let file = std::fs::File::open(path).map_err(|source| TaskError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    let examples = read_source(path, file, max_len, LengthPolicy::Error, limit)?.examples;
    check_against_vocab(path, &examples, input_vocab, output_vocab)?;
    Ok(examples.into_iter().map(|e| e.example).collect())
}

/// Checks that every example of `examples` has at most `n_ctx` tokens.
fn check_fits<'a>(
    path: &Path,
    examples: impl Iterator<Item = &'a FileExample>,
    n_ctx: usize,
    asked: bool,
) -> Result<(), TaskError> {
    for e in examples {
        let length = e.example.tokens.len();
        if length > n_ctx {
            let problem = if asked {
                format!(
                    "{length} tokens, more than n_ctx = {n_ctx} (the context asked for); \
                     validation and test lines must fit in it"
                )
            } else {
                format!(
                    "{length} tokens, more than n_ctx = {n_ctx} (the longest training line); \
                     validation and test lines must fit in it (give a longer context, \
                     `--n-ctx`, to test on longer lines than the training ones)"
                )
            };
            return Err(TaskError::Jsonl {
                file: PathBuf::from(path),
                line: e.line,
                problem,
            });
        }
    }
    Ok(())
}

/// Checks that every label of the held-out lines `held_out` occurs in a training line: the
/// output vocabulary is the training labels', and a label outside it is an error naming its
/// line, with the way out (`all_labels`).
fn check_labels_seen<'a>(
    path: &Path,
    train: &[FileExample],
    held_out: impl Iterator<Item = &'a FileExample>,
) -> Result<(), TaskError> {
    let seen: std::collections::HashSet<&str> = train
        .iter()
        .flat_map(|e| e.example.labels.iter().map(String::as_str))
        .collect();
    for e in held_out {
        let unseen = e
            .example
            .labels
            .iter()
            .enumerate()
            .find(|(_, label)| !seen.contains(label.as_str()));
        if let Some((position, label)) = unseen {
            let split = e.split.map_or("held-out", Split::as_str);
            return Err(TaskError::Jsonl {
                file: PathBuf::from(path),
                line: e.line,
                problem: format!(
                    "label `{label}` at position {position} of this {split} line is in no \
                     training line, so not in the output vocabulary (give every split's \
                     labels to the vocabulary with --all-labels: the model can then output it, \
                     though no training line teaches it)"
                ),
            });
        }
    }
    Ok(())
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
                split: split.as_str(),
                tokens: &example.tokens,
                labels: &example.labels,
            };
            serde_json::to_writer(&mut writer, &line)?;
            writer.write_all(b"\n")?;
        }
    }
    Ok(())
}
