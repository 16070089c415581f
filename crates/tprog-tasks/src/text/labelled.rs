//! Labelled texts for classification: the TREC label format (`COARSE:fine question`), one
//! sentence a line with one file per class (MR, Subj), and CSV with a label column (AG News,
//! see [`super::csv`]).

use std::path::Path;

use crate::TaskError;
use crate::text::encoding::{Encoding, read_bytes, split_lines};

/// One text with its class, and where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledText {
    /// The raw text (not yet tokenized), without surrounding whitespace.
    pub text: String,
    /// The class name.
    pub label: String,
    /// 1-based line of the file it came from.
    pub line: usize,
}

/// Reads a TREC file: each line `COARSE:fine text`, the class being the coarse label. As the
/// HuggingFace loader: a line that is not UTF-8 gets its bytes 0xF0 (TREC's one bad byte, in
/// "sister\xf0city") replaced by spaces before decoding with `encoding`; the line is trimmed
/// and cut at its first space. Blank lines are skipped; a line without `LABEL:` and text is an
/// error naming the file and line.
pub fn read_trec(path: &Path, encoding: Encoding) -> Result<Vec<LabelledText>, TaskError> {
    let bytes = read_bytes(path)?;
    let mut texts = Vec::new();
    for (line, raw) in split_lines(&bytes) {
        let decoded = match (encoding, std::str::from_utf8(raw)) {
            (Encoding::Utf8, Err(_)) => {
                let patched: Vec<u8> = raw
                    .iter()
                    .map(|&b| if b == 0xf0 { b' ' } else { b })
                    .collect();
                encoding.decode(path, line, &patched)?
            }
            _ => encoding.decode(path, line, raw)?,
        };
        let trimmed = decoded.trim();
        if trimmed.is_empty() {
            continue;
        }
        let (label, text) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
        let coarse = label.split_once(':').map(|(coarse, _)| coarse);
        match coarse {
            Some(coarse) if !coarse.is_empty() && !text.trim().is_empty() => {
                texts.push(LabelledText {
                    text: text.trim().to_owned(),
                    label: coarse.to_owned(),
                    line,
                })
            }
            _ => {
                return Err(TaskError::TextFile {
                    file: path.to_path_buf(),
                    line,
                    problem: format!(
                        "expected `COARSE:fine question text`, got `{}`",
                        shorten(trimmed)
                    ),
                });
            }
        }
    }
    non_empty(path, texts, "questions")
}

/// Reads one sentence a line, every sentence of class `label` (MR's `rt-polarity.pos`, Subj's
/// `subj.subjective`). Lines are trimmed; blank lines are skipped.
pub fn read_sentences(
    path: &Path,
    label: &str,
    encoding: Encoding,
) -> Result<Vec<LabelledText>, TaskError> {
    let bytes = read_bytes(path)?;
    let mut texts = Vec::new();
    for (line, raw) in split_lines(&bytes) {
        let text = encoding.decode(path, line, raw)?;
        let text = text.trim();
        if !text.is_empty() {
            texts.push(LabelledText {
                text: text.to_owned(),
                label: label.to_owned(),
                line,
            });
        }
    }
    non_empty(path, texts, "sentences")
}

/// `texts`, or an error if there is none.
pub(crate) fn non_empty(
    path: &Path,
    texts: Vec<LabelledText>,
    what: &str,
) -> Result<Vec<LabelledText>, TaskError> {
    if texts.is_empty() {
        return Err(TaskError::NoExamples {
            file: path.to_path_buf(),
            what: what.into(),
        });
    }
    Ok(texts)
}

/// At most 60 characters of `text`, for messages.
pub(crate) fn shorten(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("tprog-labelled-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn trec_lines_give_coarse_labels() {
        let path = temp(
            "trec.label",
            b"DESC:manner How did serfdom develop ?\nLOC:other What is the sister\xf0city ?\n\n",
        );
        let texts = read_trec(&path, Encoding::Utf8).unwrap();
        assert_eq!(texts.len(), 2);
        assert_eq!(texts[0].label, "DESC");
        assert_eq!(texts[0].text, "How did serfdom develop ?");
        assert_eq!(texts[1].text, "What is the sister city ?");
        let bad = temp("bad.label", b"DESC:manner ok ?\nnolabel\n");
        let error = read_trec(&bad, Encoding::Utf8).unwrap_err().to_string();
        assert!(
            error.contains("bad.label:2") && error.contains("COARSE"),
            "{error}"
        );
    }

    #[test]
    fn sentences_in_latin1() {
        let path = temp("pos", b"caf\xe9 is good .\n\n  fine  \n");
        let texts = read_sentences(&path, "Positive", Encoding::Latin1).unwrap();
        assert_eq!(texts[0].text, "caf\u{e9} is good .");
        assert_eq!((texts[1].text.as_str(), texts[1].line), ("fine", 3));
        let error = read_sentences(&path, "Positive", Encoding::Utf8)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("pos:1") && error.contains("latin-1"),
            "{error}"
        );
        let empty = temp("empty", b"\n\n");
        let error = read_sentences(&empty, "x", Encoding::Utf8)
            .unwrap_err()
            .to_string();
        assert!(error.contains("no sentences"), "{error}");
    }
}
