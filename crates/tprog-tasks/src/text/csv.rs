//! CSV files with a label column (AG News: `"class","title","description"`): RFC 4180
//! quoting (`"` around a field, `""` inside it, line breaks allowed inside quotes), spaces
//! after a comma skipped as Python's `skipinitialspace`.

use std::path::Path;

use crate::TaskError;
use crate::text::encoding::{Encoding, read_bytes};
use crate::text::labelled::{LabelledText, non_empty};

/// Which columns of a CSV file hold the label and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    /// The label's column, from 0.
    pub label_column: usize,
    /// The text columns, from 0, joined with one space (AG News: title and description).
    pub text_columns: Vec<usize>,
    /// The first record is a header, skipped.
    pub header: bool,
    /// Class names for labels written as 1-based numbers (AG News: `1` = `World`); `None`:
    /// the label is used as written.
    pub label_names: Option<Vec<String>>,
    /// The file's encoding.
    pub encoding: Encoding,
}

/// Reads a CSV file's records as labelled texts. A record with too few fields, an unknown
/// label number or an unterminated quote is an error naming the file and the record's first
/// line.
pub fn read_csv(path: &Path, options: &CsvOptions) -> Result<Vec<LabelledText>, TaskError> {
    let bytes = read_bytes(path)?;
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let problem = |line: usize, problem: String| TaskError::TextFile {
        file: path.to_path_buf(),
        line,
        problem,
    };
    let needed = options
        .text_columns
        .iter()
        .copied()
        .chain([options.label_column])
        .max()
        .unwrap_or(0)
        + 1;
    let mut texts = Vec::new();
    for (index, record) in records(bytes).enumerate() {
        let (line, raw_fields) = record.map_err(|line| {
            problem(line, "a quoted field is never closed (missing `\"`)".into())
        })?;
        if index == 0 && options.header {
            continue;
        }
        let fields = raw_fields
            .iter()
            .map(|field| options.encoding.decode(path, line, field))
            .collect::<Result<Vec<_>, _>>()?;
        if fields.len() < needed {
            return Err(problem(
                line,
                format!(
                    "{} fields, expected at least {needed} (label in column {}, text in {:?})",
                    fields.len(),
                    options.label_column,
                    options.text_columns
                ),
            ));
        }
        let raw_label = fields[options.label_column].trim();
        let label = match &options.label_names {
            None => raw_label.to_owned(),
            Some(names) => raw_label
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| names.get(i))
                .cloned()
                .ok_or_else(|| {
                    problem(
                        line,
                        format!(
                            "label `{raw_label}` is not a class number from 1 to {}",
                            names.len()
                        ),
                    )
                })?,
        };
        let text: Vec<&str> = options
            .text_columns
            .iter()
            .map(|&c| fields[c].as_str())
            .collect();
        texts.push(LabelledText {
            text: text.join(" ").trim().to_owned(),
            label,
            line,
        });
    }
    non_empty(path, texts, "rows")
}

/// The records of CSV `bytes` as `(1-based first line, fields)`, or `Err(line)` for a quote
/// opened on `line` and never closed. Blank lines are skipped.
fn records(bytes: &[u8]) -> impl Iterator<Item = Result<(usize, Vec<Vec<u8>>), usize>> + '_ {
    let mut at = 0;
    let mut line = 1;
    std::iter::from_fn(move || {
        loop {
            if at >= bytes.len() {
                return None;
            }
            match bytes[at] {
                b'\n' => {
                    at += 1;
                    line += 1;
                }
                b'\r' if bytes.get(at + 1) == Some(&b'\n') => at += 1,
                _ => break,
            }
        }
        let first_line = line;
        let mut fields = Vec::new();
        loop {
            while bytes.get(at) == Some(&b' ') {
                at += 1;
            }
            let mut field = Vec::new();
            if bytes.get(at) == Some(&b'"') {
                let opened = line;
                at += 1;
                loop {
                    match bytes.get(at) {
                        None => return Some(Err(opened)),
                        Some(b'"') if bytes.get(at + 1) == Some(&b'"') => {
                            field.push(b'"');
                            at += 2;
                        }
                        Some(b'"') => {
                            at += 1;
                            break;
                        }
                        Some(&b) => {
                            line += usize::from(b == b'\n');
                            field.push(b);
                            at += 1;
                        }
                    }
                }
            }
            while let Some(&b) = bytes.get(at) {
                if b == b',' || b == b'\n' {
                    break;
                }
                if !(b == b'\r' && bytes.get(at + 1) == Some(&b'\n')) {
                    field.push(b);
                }
                at += 1;
            }
            fields.push(field);
            match bytes.get(at) {
                Some(b',') => at += 1,
                Some(_) => {
                    at += 1;
                    line += 1;
                    return Some(Ok((first_line, fields)));
                }
                None => return Some(Ok((first_line, fields))),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Result<(usize, Vec<String>), usize>> {
        records(text.as_bytes())
            .map(|r| {
                r.map(|(line, f)| {
                    (
                        line,
                        f.into_iter()
                            .map(|b| String::from_utf8(b).unwrap())
                            .collect(),
                    )
                })
            })
            .collect()
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        let parsed = fields("\"3\",\"Wall St.\",\"He said \"\"no\"\"\nthen\"\r\n\n1, b ,c\n");
        assert_eq!(
            parsed[0],
            Ok((
                1,
                vec!["3".into(), "Wall St.".into(), "He said \"no\"\nthen".into()]
            ))
        );
        assert_eq!(
            parsed[1],
            Ok((4, vec!["1".into(), "b ".into(), "c".into()]))
        );
        assert_eq!(parsed.len(), 2);
        assert_eq!(fields("a,\"open\nb\n"), [Err(1)]);
    }

    #[test]
    fn ag_news_rows() {
        let dir = std::env::temp_dir().join(format!("tprog-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("test.csv");
        std::fs::write(&path, "\"3\",\"Fed\",\"Rates rise.\"\n\"5\",\"x\",\"y\"\n").unwrap();
        let options = CsvOptions {
            label_column: 0,
            text_columns: vec![1, 2],
            header: false,
            label_names: Some(vec!["World".into(), "Sports".into(), "Business".into()]),
            encoding: Encoding::Utf8,
        };
        let error = read_csv(&path, &options).unwrap_err().to_string();
        assert!(
            error.contains("test.csv:2") && error.contains("`5`"),
            "{error}"
        );
        std::fs::write(&path, "\"3\",\"Fed\",\"Rates rise.\"\n\"1\"\n").unwrap();
        let error = read_csv(&path, &options).unwrap_err().to_string();
        assert!(
            error.contains("test.csv:2") && error.contains("1 fields"),
            "{error}"
        );
        std::fs::write(&path, "\"3\",\"Fed\",\"Rates rise.\"\n").unwrap();
        let texts = read_csv(&path, &options).unwrap();
        assert_eq!(texts[0].label, "Business");
        assert_eq!(texts[0].text, "Fed Rates rise.");
    }
}
