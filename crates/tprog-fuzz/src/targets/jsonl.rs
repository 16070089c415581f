//! The JSONL dataset loader. Each case: a valid file from a small corpus, one to four stacked
//! mutations (byte flips, insertions, deletions, truncation, duplicated or dropped lines,
//! deleted keys, huge numbers and lists, deep nesting, invalid UTF-8, byte-order marks, pieces
//! of other files), then maybe gzip, maybe corrupted after compression; the loader gets a
//! random length limit and policy. Loading must give a dataset that keeps the loader's promises
//! (limits, lengths, counts, encoding, a written file that reads back) or an error naming the
//! file.

use std::io::Write;
use std::path::Path;

use tprog_tasks::Split;
use tprog_tasks::jsonl::{
    LengthPolicy, LoadOptions, load_dataset_from, read_jsonl_from, write_jsonl,
};

use crate::driver::{Outcome, Target};
use crate::mutate::{self, Digit};
use crate::rng::Rng;

/// Fragments that stress parsers when spliced in.
const FRAGMENTS: &[&[u8]] = &[
    b"\"tokens\"",
    b"\"labels\"",
    b"\"split\"",
    b"\"train\"",
    b"\"val\"",
    b"[]",
    b"{}",
    b"null",
    b"\"\"",
    b"1e999999",
    b"-0",
    b"18446744073709551616",
    b"123456789012345678901234567890",
    b"\"\\ud800\"",
    b"\"\\u0000\"",
    "\u{feff}".as_bytes(),
    b"\n",
    b"\r\n",
    b",",
    b":",
    b"\"<pad>\"",
    b"\"<unk>\"",
];

/// Invalid UTF-8 sequences.
const INVALID_UTF8: &[&[u8]] = &[
    &[0xff],
    &[0xc3],
    &[0xed, 0xa0, 0x80],
    &[0xf4, 0x90, 0x80, 0x80],
];

/// One case: the file's bytes and the loader's options.
#[derive(Debug, Clone)]
pub struct JsonlCase {
    /// The file (plain or gzip).
    pub bytes: Vec<u8>,
    /// The loader's options (limit and policy vary).
    pub options: LoadOptions,
}

/// The JSONL target: its corpus of valid files.
#[derive(Debug, Clone)]
pub struct JsonlTarget {
    corpus: Vec<Vec<u8>>,
}

impl JsonlTarget {
    /// The target, with its corpus.
    pub fn new() -> Self {
        Self { corpus: corpus() }
    }

    /// One random edit of `bytes`.
    fn mutate_once(&self, rng: &mut Rng, bytes: &mut Vec<u8>) {
        match rng.below(14) {
            0 => mutate::flip_bit(rng, bytes),
            1 => mutate::insert_byte(rng, bytes),
            2 => mutate::delete(rng, bytes, 16),
            3 => mutate::truncate(rng, bytes),
            4 => mutate::splice_fragment(rng, bytes, FRAGMENTS),
            5 => {
                // Deep nesting.
                let depth = 1 + rng.below(5_000);
                let open = if rng.one_in(2) { b'[' } else { b'{' };
                mutate::splice_in(rng, bytes, &vec![open; depth]);
            }
            6 => {
                // A long list of tokens (or numbers) spliced in.
                let count = rng.below(3_000);
                let item = if rng.one_in(3) { "7," } else { "\"t\"," };
                let list = format!("[{}\"t\"]", item.repeat(count));
                mutate::splice_in(rng, bytes, list.as_bytes());
            }
            7 => mutate::splice_fragment(rng, bytes, INVALID_UTF8),
            8 | 9 => {
                // Duplicate or drop a line.
                let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
                let pick = rng.below(lines.len());
                let mut out = lines.clone();
                if rng.one_in(2) {
                    out.insert(rng.below(out.len() + 1), lines[pick]);
                } else {
                    out.remove(pick);
                }
                *bytes = out.join(&b'\n');
            }
            10 => {
                // Delete a key (and its value) textually.
                let text = String::from_utf8_lossy(bytes).into_owned();
                let key = ["\"tokens\": ", "\"labels\": ", "\"split\": "][rng.below(3)];
                if let Some(start) = text.find(key) {
                    let end = text[start..]
                        .find(']')
                        .map_or(text.len(), |e| start + e + 1);
                    *bytes = format!("{}{}", &text[..start], &text[end..]).into_bytes();
                }
            }
            11 => {
                // Change a number or a digit token.
                let numbers = ["0", "-1", "99999999999999999999", "1.5", "1e400", "NaN"];
                let number = numbers[rng.below(numbers.len())];
                mutate::replace_digit(rng, bytes, Digit::First, number.as_bytes());
            }
            12 => {
                // Swap the value kinds: a token list where a string goes, or the reverse.
                let text = String::from_utf8_lossy(bytes).into_owned();
                let replaced = if rng.one_in(2) {
                    text.replacen("\"x\"", "[\"x\"]", 1)
                } else {
                    text.replacen("[\"", "\"", 1)
                };
                *bytes = replaced.into_bytes();
            }
            _ => {
                // Splice a piece of another corpus file.
                if let Some(other) = rng.choose(&self.corpus) {
                    let start = rng.below(other.len());
                    let end = (start + rng.below(200)).min(other.len());
                    let piece = other[start..end].to_vec();
                    mutate::splice_in(rng, bytes, &piece);
                }
            }
        }
    }
}

impl Default for JsonlTarget {
    fn default() -> Self {
        Self::new()
    }
}

/// Valid files the mutations start from.
pub fn corpus() -> Vec<Vec<u8>> {
    let plain = |lines: &[&str]| lines.join("\n").into_bytes();
    vec![
        plain(&[
            r#"{"tokens": ["<s>", "3", "1", "2", "</s>"], "labels": ["<pad>", "1", "2", "3", "<pad>"]}"#,
            r#"{"tokens": ["<s>", "1", "1"], "labels": ["<pad>", "2", "2"]}"#,
            r#"{"tokens": ["<s>", "2"], "labels": ["<pad>", "1"]}"#,
        ]),
        plain(&[
            r#"{"split": "train", "tokens": ["a", "b"], "labels": ["x", "y"]}"#,
            r#"{"split": "val", "tokens": ["a"], "labels": ["x"]}"#,
            r#"{"split": "test", "tokens": ["b", "a"], "labels": ["y", "x"]}"#,
            "",
            r#"{"split": "train", "tokens": ["é", "\u00e9", "\n"], "labels": ["x", "<pad>", "z"], "extra": {"k": [1, 2.5e300, null]}}"#,
        ]),
        format!(
            "\u{feff}{}\n",
            (0..40)
                .map(|i| format!(
                    r#"{{"tokens": ["<s>", "w{}", "w{}"], "labels": ["<pad>", "y{}", "y{}"]}}"#,
                    i % 7,
                    i % 5,
                    i % 3,
                    i % 2
                ))
                .collect::<Vec<_>>()
                .join("\r\n")
        )
        .into_bytes(),
    ]
}

/// `bytes` gzip-compressed (empty if the encoder fails, which writing to memory does not).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    match encoder.write_all(bytes) {
        Ok(()) => encoder.finish().unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

impl Target for JsonlTarget {
    type Case = JsonlCase;

    fn name(&self) -> &'static str {
        "jsonl"
    }

    fn case(&self, seed: u64) -> JsonlCase {
        let mut rng = Rng::new(seed);
        let mut bytes = rng.choose(&self.corpus).cloned().unwrap_or_default();
        for _ in 0..1 + rng.below(4) {
            self.mutate_once(&mut rng, &mut bytes);
        }
        if rng.one_in(4) {
            bytes = gzip(&bytes);
            if rng.one_in(2) {
                self.mutate_once(&mut rng, &mut bytes);
            }
        }
        let options = LoadOptions {
            seed: rng.next_u64() as u32,
            causal: rng.one_in(2),
            unk: rng.one_in(2),
            max_len: [0, 1, 2, 3, 5, 512, 4_000][rng.below(7)],
            too_long: if rng.one_in(2) {
                LengthPolicy::Drop
            } else {
                LengthPolicy::Error
            },
            n_ctx: [None, Some(0), Some(3), Some(600)][rng.below(4)],
            all_labels: rng.one_in(2),
        };
        JsonlCase { bytes, options }
    }

    fn bytes<'a>(&self, case: &'a JsonlCase) -> &'a [u8] {
        &case.bytes
    }

    fn describe(&self, case: &JsonlCase) -> String {
        format!("{:?}", case.options)
    }

    fn execute(&self, _seed: u64, case: &JsonlCase) -> Outcome {
        let file = Path::new("fuzz.jsonl");
        let options = case.options;
        let read = read_jsonl_from(
            file,
            case.bytes.as_slice(),
            options.max_len,
            options.too_long,
        );
        let loaded = load_dataset_from(file, case.bytes.as_slice(), options);
        match (&read, &loaded) {
            (Ok(read), Ok(dataset)) => {
                assert!(!read.examples.is_empty());
                assert_eq!(read.dropped, dataset.dropped);
                assert!(dataset.n_ctx <= options.max_len, "n_ctx beyond the limit");
                for e in &read.examples {
                    assert!(
                        !e.example.tokens.is_empty() && e.example.tokens.len() <= options.max_len
                    );
                    assert_eq!(e.example.tokens.len(), e.example.labels.len());
                    assert!(e.line >= 1);
                }
                assert_eq!(dataset.produced(), read.examples.len());
                for split in Split::ALL {
                    // Unknown validation/test tokens (without <unk>) are errors, never panics.
                    if let Ok(encoded) = dataset.encode(split) {
                        assert_eq!(encoded.tokens.len(), encoded.n * dataset.n_ctx);
                    }
                }
                let mut written = Vec::new();
                write_jsonl(&mut written, dataset).expect("writing to memory works");
                let again =
                    read_jsonl_from(file, written.as_slice(), options.max_len, options.too_long)
                        .expect("the writer's output reads back");
                assert_eq!(again.examples.len(), dataset.produced());
                assert_eq!(again.dropped, 0);
                Outcome::Loaded
            }
            (Err(error), _) | (_, Err(error)) => {
                let message = error.to_string();
                assert!(
                    message.contains("fuzz.jsonl"),
                    "errors name the file: {message}"
                );
                Outcome::Refused("error")
            }
        }
    }
}
