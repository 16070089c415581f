//! Seeded-mutation fuzzing of the JSONL loader, shared by `tests/fuzz_jsonl.rs` (a fixed set of
//! seeds, run by `cargo test`) and `examples/fuzz_jsonl.rs` (runs for a given time).
//!
//! Each case is drawn from its seed alone: a valid file from a small corpus, one to four
//! stacked mutations (byte flips, insertions, deletions, truncation, duplicated or swapped
//! lines, deleted keys, huge numbers and lists, deep nesting, invalid UTF-8, byte-order
//! marks), then maybe gzip, maybe corrupted after compression. The target loads the bytes as
//! a dataset with a random length limit and policy and checks the loader's promises; a panic
//! (a bug in the loader, or a broken promise) is a finding.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Instant;

use tprog_tasks::Split;
use tprog_tasks::jsonl::{
    LengthPolicy, LoadOptions, load_dataset_from, read_jsonl_from, write_jsonl,
};

/// SplitMix64: small, seedable, good enough to pick mutations.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
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

/// Fragments that stress parsers when spliced in.
const FRAGMENTS: &[&str] = &[
    "\"tokens\"",
    "\"labels\"",
    "\"split\"",
    "\"train\"",
    "\"val\"",
    "[]",
    "{}",
    "null",
    "\"\"",
    "1e999999",
    "-0",
    "18446744073709551616",
    "123456789012345678901234567890",
    "\"\\ud800\"",
    "\"\\u0000\"",
    "\u{feff}",
    "\n",
    "\r\n",
    ",",
    ":",
    "\"<pad>\"",
    "\"<unk>\"",
];

/// One random edit of `bytes`.
fn mutate_once(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let at = |rng: &mut Rng, bytes: &Vec<u8>| rng.below(bytes.len() + 1);
    match rng.below(14) {
        0 if !bytes.is_empty() => {
            let i = rng.below(bytes.len());
            bytes[i] ^= 1 << rng.below(8);
        }
        1 => {
            let i = at(rng, bytes);
            bytes.insert(i, rng.next_u64() as u8);
        }
        2 if !bytes.is_empty() => {
            let start = rng.below(bytes.len());
            let end = (start + 1 + rng.below(16)).min(bytes.len());
            bytes.drain(start..end);
        }
        3 => {
            let len = at(rng, bytes);
            bytes.truncate(len);
        }
        4 => {
            let i = at(rng, bytes);
            let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())].as_bytes();
            bytes.splice(i..i, fragment.iter().copied());
        }
        5 => {
            // Deep nesting.
            let depth = 1 + rng.below(5_000);
            let i = at(rng, bytes);
            let open = if rng.one_in(2) { b'[' } else { b'{' };
            bytes.splice(i..i, std::iter::repeat_n(open, depth));
        }
        6 => {
            // A long list of tokens (or numbers) spliced in.
            let count = rng.below(3_000);
            let item = if rng.one_in(3) { "7," } else { "\"t\"," };
            let list = format!("[{}\"t\"]", item.repeat(count));
            let i = at(rng, bytes);
            bytes.splice(i..i, list.into_bytes());
        }
        7 => {
            // Invalid UTF-8.
            let i = at(rng, bytes);
            let bad: &[u8] = [
                &[0xff][..],
                &[0xc3],
                &[0xed, 0xa0, 0x80],
                &[0xf4, 0x90, 0x80, 0x80],
            ][rng.below(4)];
            bytes.splice(i..i, bad.iter().copied());
        }
        8 | 9 => {
            // Duplicate or drop a line.
            let lines: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
            let pick = rng.below(lines.len());
            let mut out = lines.clone();
            if rng.one_in(2) {
                out.insert(rng.below(out.len() + 1), lines[pick].clone());
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
            if let Some(i) = bytes.iter().position(|b| b.is_ascii_digit()) {
                let digits = ["0", "-1", "99999999999999999999", "1.5", "1e400", "NaN"];
                let replacement = digits[rng.below(digits.len())].as_bytes();
                bytes.splice(i..i + 1, replacement.iter().copied());
            }
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
            let corpus = corpus();
            let other = &corpus[rng.below(corpus.len())];
            let start = rng.below(other.len());
            let end = (start + rng.below(200)).min(other.len());
            let i = at(rng, bytes);
            bytes.splice(i..i, other[start..end].iter().copied());
        }
    }
}

/// `bytes` gzip-compressed.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// One fuzz case: the file's bytes and the loader's options.
#[derive(Debug, Clone)]
pub struct Case {
    /// The file (plain or gzip).
    pub bytes: Vec<u8>,
    /// The loader's options (limit and policy vary).
    pub options: LoadOptions,
}

/// The case of `seed`.
pub fn case(seed: u64) -> Case {
    let mut rng = Rng::new(seed);
    let corpus = corpus();
    let mut bytes = corpus[rng.below(corpus.len())].clone();
    for _ in 0..1 + rng.below(4) {
        mutate_once(&mut rng, &mut bytes);
    }
    if rng.one_in(4) {
        bytes = gzip(&bytes);
        if rng.one_in(2) {
            mutate_once(&mut rng, &mut bytes);
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
    };
    Case { bytes, options }
}

/// The target: loads `case` and checks the loader's promises. Never panics unless the loader
/// has a bug.
pub fn execute(case: &Case) -> bool {
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
                assert!(!e.example.tokens.is_empty() && e.example.tokens.len() <= options.max_len);
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
            write_jsonl(&mut written, dataset).unwrap();
            let again =
                read_jsonl_from(file, written.as_slice(), options.max_len, options.too_long)
                    .expect("the writer's output reads back");
            assert_eq!(again.examples.len(), dataset.produced());
            assert_eq!(again.dropped, 0);
            true
        }
        (Err(error), _) | (_, Err(error)) => {
            let message = error.to_string();
            assert!(
                message.contains("fuzz.jsonl"),
                "errors name the file: {message}"
            );
            false
        }
    }
}

/// What a fuzzing session found.
#[derive(Debug, Default)]
pub struct Summary {
    /// Cases run.
    pub executions: u64,
    /// Cases that loaded (and were then exercised further).
    pub loaded: u64,
    /// Cases that panicked: (seed, message).
    pub panics: Vec<(u64, String)>,
}

/// Runs the cases of `seeds` (stopping at `deadline`), catching panics.
pub fn run(seeds: impl Iterator<Item = u64>, deadline: Option<Instant>) -> Summary {
    let mut summary = Summary::default();
    for seed in seeds {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let case = case(seed);
        summary.executions += 1;
        let outcome = catch_unwind(AssertUnwindSafe(|| execute(&case)));
        summary.loaded += u64::from(outcome.as_ref().is_ok_and(|&loaded| loaded));
        if let Err(payload) = outcome {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            summary.panics.push((seed, message));
        }
    }
    summary
}
