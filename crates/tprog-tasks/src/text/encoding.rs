//! Text encodings of data files (UTF-8, latin-1) and reading a file as numbered lines.
//!
//! Every problem names the file and the 1-based line: a byte sequence that is not UTF-8 says
//! where it is and suggests `--encoding latin-1` (MR, for one, is latin-1).

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::TaskError;

/// The encoding of a text data file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Encoding {
    /// UTF-8 (a byte-order mark at the start is skipped); invalid bytes are an error.
    #[serde(rename = "utf-8")]
    Utf8,
    /// ISO-8859-1: every byte is the character of the same number (never an error), as
    /// Python's `encoding="latin-1"`.
    #[serde(rename = "latin-1")]
    Latin1,
}

impl Encoding {
    /// `utf-8` or `latin-1`.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Latin1 => "latin-1",
        }
    }

    /// Decodes one line's bytes (without its line break) read from `file` at `line`.
    pub fn decode(self, file: &Path, line: usize, bytes: &[u8]) -> Result<String, TaskError> {
        match self {
            Encoding::Latin1 => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
            Encoding::Utf8 => match std::str::from_utf8(bytes) {
                Ok(text) => Ok(text.to_owned()),
                Err(error) => {
                    let at = error.valid_up_to();
                    Err(TaskError::TextFile {
                        file: file.to_path_buf(),
                        line,
                        problem: format!(
                            "not valid UTF-8 (byte 0x{:02x} at byte {} of the line); if the file \
                             is latin-1, say so with --encoding latin-1",
                            bytes[at],
                            at + 1
                        ),
                    })
                }
            },
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Encoding {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(Encoding::Utf8),
            "latin-1" | "latin1" | "iso-8859-1" => Ok(Encoding::Latin1),
            _ => Err(format!(
                "unknown encoding `{name}`; valid encodings are: utf-8, latin-1"
            )),
        }
    }
}

/// The bytes of `path`; a missing file, a directory or a read error names the file.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, TaskError> {
    if path.is_dir() {
        return Err(TaskError::Io {
            file: path.to_path_buf(),
            source: std::io::Error::other("it is a directory, not a file"),
        });
    }
    std::fs::read(path).map_err(|source| TaskError::Io {
        file: path.to_path_buf(),
        source,
    })
}

/// The lines of `bytes` (read from `file`) as `(1-based number, raw bytes)`, without `\n` or
/// `\r\n`; a UTF-8 byte-order mark at the start is dropped. A final line without a line break
/// counts; an empty file has no lines.
pub fn split_lines(bytes: &[u8]) -> Vec<(usize, &[u8])> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if bytes.is_empty() {
        return Vec::new();
    }
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    body.split(|&b| b == b'\n')
        .enumerate()
        .map(|(index, line)| (index + 1, line.strip_suffix(b"\r").unwrap_or(line)))
        .collect()
}

/// The lines of `path` decoded with `encoding`, numbered from 1.
pub fn read_lines(path: &Path, encoding: Encoding) -> Result<Vec<(usize, String)>, TaskError> {
    let bytes = read_bytes(path)?;
    split_lines(&bytes)
        .into_iter()
        .map(|(line, raw)| Ok((line, encoding.decode(path, line, raw)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_maps_bytes_to_code_points() {
        let file = Path::new("x");
        assert_eq!(
            Encoding::Latin1.decode(file, 1, b"caf\xe9 \x85").unwrap(),
            "caf\u{e9} \u{85}"
        );
        let error = Encoding::Utf8
            .decode(file, 7, b"caf\xe9")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("x:7") && error.contains("0xe9") && error.contains("latin-1"),
            "{error}"
        );
    }

    #[test]
    fn lines_are_numbered_and_stripped() {
        let lines = split_lines(b"\xef\xbb\xbfa\r\n\nb");
        assert_eq!(lines, [(1, &b"a"[..]), (2, &b""[..]), (3, &b"b"[..])]);
        assert!(split_lines(b"").is_empty());
        assert_eq!(split_lines(b"a\n").len(), 1);
    }

    #[test]
    fn names_parse() {
        assert_eq!("UTF8".parse::<Encoding>(), Ok(Encoding::Utf8));
        assert_eq!("latin_1".parse::<Encoding>(), Ok(Encoding::Latin1));
        assert!("cp1252".parse::<Encoding>().is_err());
    }
}
