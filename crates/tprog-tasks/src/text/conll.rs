//! CoNLL column files: one token a line with whitespace-separated columns (CoNLL-2003:
//! `word POS chunk NER`), sentences separated by blank lines, `-DOCSTART-` lines between
//! documents. Any column may carry the tag; IOB1 tags can be rewritten as IOB2.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::TaskError;
use crate::text::encoding::{Encoding, read_lines};

/// How to read a CoNLL file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConllOptions {
    /// The tag's column, counted from 0 (the word is column 0); `None`: the last column.
    pub tag_column: Option<usize>,
    /// The tags are IOB1 (`I-X` may start an entity): rewrite them as IOB2.
    pub iob1: bool,
    /// The file's encoding.
    pub encoding: Encoding,
}

impl Default for ConllOptions {
    /// The last column, IOB2 already, UTF-8.
    fn default() -> Self {
        Self {
            tag_column: None,
            iob1: false,
            encoding: Encoding::Utf8,
        }
    }
}

/// A sentence of a tagged corpus: words and one tag each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedSentence {
    /// The words (column 0).
    pub words: Vec<String>,
    /// One tag per word.
    pub tags: Vec<String>,
    /// 1-based line of the sentence's first word.
    pub line: usize,
}

/// Reads the sentences of a CoNLL file. A line with too few columns is an error naming the
/// file and line; so is an IOB tag that cannot be rewritten when `options.iob1` is set. A
/// file without a single sentence is an error.
pub fn read_conll(path: &Path, options: &ConllOptions) -> Result<Vec<TaggedSentence>, TaskError> {
    let lines = read_lines(path, options.encoding)?;
    let sentences = parse_conll(path, &lines, options)?;
    if sentences.is_empty() {
        return Err(TaskError::NoExamples {
            file: path.to_path_buf(),
            what: "sentences".into(),
        });
    }
    Ok(sentences)
}

/// [`read_conll`] on lines already decoded (`file` names them in messages).
pub fn parse_conll(
    file: &Path,
    lines: &[(usize, String)],
    options: &ConllOptions,
) -> Result<Vec<TaggedSentence>, TaskError> {
    let problem = |line: usize, problem: String| TaskError::TextFile {
        file: file.to_path_buf(),
        line,
        problem,
    };
    let mut sentences = Vec::new();
    let mut current = TaggedSentence {
        words: Vec::new(),
        tags: Vec::new(),
        line: 0,
    };
    let mut finish = |current: &mut TaggedSentence| {
        if !current.words.is_empty() {
            sentences.push(std::mem::replace(
                current,
                TaggedSentence {
                    words: Vec::new(),
                    tags: Vec::new(),
                    line: 0,
                },
            ));
        }
    };
    for (line, text) in lines {
        let columns: Vec<&str> = text.split_whitespace().collect();
        if columns.is_empty() || columns[0] == "-DOCSTART-" {
            finish(&mut current);
            continue;
        }
        let tag = match options.tag_column {
            Some(column) => columns.get(column).copied().ok_or_else(|| {
                problem(
                    *line,
                    format!(
                        "{} columns, but the tag is column {column} (counting from 0)",
                        columns.len()
                    ),
                )
            })?,
            None if columns.len() < 2 => {
                return Err(problem(
                    *line,
                    format!(
                        "one column `{}`: expected a word and a tag separated by whitespace",
                        columns[0]
                    ),
                ));
            }
            None => columns[columns.len() - 1],
        };
        if current.words.is_empty() {
            current.line = *line;
        }
        current.words.push(columns[0].to_owned());
        current.tags.push(tag.to_owned());
    }
    finish(&mut current);
    if options.iob1 {
        for sentence in &mut sentences {
            sentence.tags = iob1_to_iob2(&sentence.tags)
                .map_err(|(offset, reason)| problem(sentence.line + offset, reason))?;
        }
    }
    Ok(sentences)
}

/// Rewrites one sentence's IOB1 tags as IOB2: an `I-X` that does not continue an `X` entity
/// (first word, after `O`, or after another type) becomes `B-X`; `B-X` and `O` stay. A tag
/// that is neither `O` nor `B-`/`I-` + type is an error `(offset in the sentence, reason)`.
pub fn iob1_to_iob2(tags: &[String]) -> Result<Vec<String>, (usize, String)> {
    let mut out = Vec::with_capacity(tags.len());
    let mut previous_type: Option<&str> = None;
    for (offset, tag) in tags.iter().enumerate() {
        if tag == "O" {
            out.push(tag.clone());
            previous_type = None;
            continue;
        }
        let (prefix, kind) = match tag.split_once('-') {
            Some((prefix @ ("B" | "I"), kind)) if !kind.is_empty() => (prefix, kind),
            _ => {
                return Err((
                    offset,
                    format!("tag `{tag}` is not IOB (`O`, `B-TYPE` or `I-TYPE`)"),
                ));
            }
        };
        if prefix == "I" && previous_type != Some(kind) {
            out.push(format!("B-{kind}"));
        } else {
            out.push(tag.clone());
        }
        previous_type = Some(kind);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<(usize, String)> {
        text.lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.to_owned()))
            .collect()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn reads_sentences_skipping_docstart() {
        let text = "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n\
                    Peter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n-DOCSTART- -X- -X- O\n\
                    x NN B-NP O\n";
        let file = Path::new("t.txt");
        let sentences = parse_conll(file, &lines(text), &ConllOptions::default()).unwrap();
        assert_eq!(sentences.len(), 3);
        assert_eq!(sentences[0].words, strings(&["EU", "rejects"]));
        assert_eq!(sentences[0].tags, strings(&["B-ORG", "O"]));
        assert_eq!((sentences[1].line, sentences[2].line), (6, 9));
        let chunks = ConllOptions {
            tag_column: Some(2),
            ..ConllOptions::default()
        };
        let sentences = parse_conll(file, &lines(text), &chunks).unwrap();
        assert_eq!(sentences[1].tags, strings(&["B-NP", "I-NP"]));
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let file = Path::new("t.txt");
        let error = parse_conll(file, &lines("a O\nb\n"), &ConllOptions::default())
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("t.txt:2:"), "{error}");
        let far = ConllOptions {
            tag_column: Some(5),
            ..ConllOptions::default()
        };
        let error = parse_conll(file, &lines("\n\na B O\n"), &far)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("t.txt:3:") && error.contains("column 5"),
            "{error}"
        );
        let iob1 = ConllOptions {
            iob1: true,
            ..ConllOptions::default()
        };
        let error = parse_conll(file, &lines("a O\nb X-Y\n"), &iob1)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("t.txt:2:") && error.contains("X-Y"),
            "{error}"
        );
    }

    #[test]
    fn iob1_becomes_iob2() {
        let tags = strings(&[
            "I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-LOC", "I-ORG", "I-MISC",
        ]);
        assert_eq!(
            iob1_to_iob2(&tags).unwrap(),
            strings(&[
                "B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "B-ORG", "B-MISC"
            ])
        );
    }
}
