//! Reading a JSONL source line by line, as a stream: gzip is detected by its magic bytes and
//! decompressed on the fly (a compressed file is never held in memory whole), a UTF-8
//! byte-order mark at the start of the text is skipped, blank lines are skipped, and lines
//! are numbered from 1.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::TaskError;

/// The first two bytes of every gzip member.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The UTF-8 encoding of U+FEFF, which some editors write at the start of a text file.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Calls `each(line, text)` for every non-blank line of `source` (plain or gzip), `line`
/// 1-based; stops at the first error, which names `file` and the line.
pub(super) fn for_each_line(
    file: &Path,
    source: impl Read,
    each: impl FnMut(usize, &str) -> Result<(), TaskError>,
) -> Result<(), TaskError> {
    let mut plain = BufReader::new(source);
    let gzip = plain
        .fill_buf()
        .map_err(|source| TaskError::Io {
            file: file.to_path_buf(),
            source,
        })?
        .starts_with(&GZIP_MAGIC);
    if gzip {
        let decoder = BufReader::new(flate2::read::MultiGzDecoder::new(plain));
        each_line(file, decoder, "gzip data is corrupt", each)
    } else {
        each_line(file, plain, "cannot read", each)
    }
}

/// [`for_each_line`] over decoded text; a read error is reported as `read_problem`.
fn each_line(
    file: &Path,
    mut reader: impl BufRead,
    read_problem: &str,
    mut each: impl FnMut(usize, &str) -> Result<(), TaskError>,
) -> Result<(), TaskError> {
    let problem = |line: usize, problem: String| TaskError::Jsonl {
        file: file.to_path_buf(),
        line,
        problem,
    };
    let mut buffer = Vec::new();
    for line in 1.. {
        buffer.clear();
        let read = reader
            .read_until(b'\n', &mut buffer)
            .map_err(|e| problem(line, format!("{read_problem} ({e})")))?;
        if read == 0 {
            break;
        }
        let bytes = match buffer.strip_prefix(BOM) {
            Some(rest) if line == 1 => rest,
            _ => &buffer,
        };
        let text = std::str::from_utf8(bytes)
            .map_err(|e| problem(line, format!("not valid UTF-8 ({e})")))?;
        if !text.trim().is_empty() {
            each(line, text)?;
        }
    }
    Ok(())
}
