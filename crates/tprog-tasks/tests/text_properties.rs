//! Property tests of the NLP loaders and tokenizer on arbitrary input: every reader returns
//! sentences or an error naming the file (never a panic), and the tokenizer yields non-empty
//! tokens without whitespace that keep every non-space character's order for plain words.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use proptest::prelude::*;
use tprog_tasks::text::conll::{ConllOptions, read_conll};
use tprog_tasks::text::csv::{CsvOptions, read_csv};
use tprog_tasks::text::encoding::Encoding;
use tprog_tasks::text::labelled::{read_sentences, read_trec};
use tprog_tasks::text::tokenize::word_tokenize;

/// A scratch file holding `bytes`, one per test thread and case kind.
fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tprog-text-props-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}-{:?}", std::thread::current().id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Bytes that look like the formats: words, tags, quotes, commas, colons, line breaks,
/// latin-1 and invalid UTF-8 bytes.
fn text_bytes() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        &b"EU"[..],
        b" ",
        b"\t",
        b"\n",
        b"\r\n",
        b"B-ORG",
        b"I-PER",
        b"O",
        b"-DOCSTART-",
        b"\"",
        b",",
        b"NUM:count",
        b":",
        b"\xe9",
        b"\xf0",
        b"\xff",
        b"'s",
        b"n't",
        b"...",
        b"(",
        b"2019",
    ]);
    prop::collection::vec(pieces, 0..60).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn readers_never_panic(bytes in text_bytes(), latin1 in any::<bool>(), iob1 in any::<bool>()) {
        let encoding = if latin1 { Encoding::Latin1 } else { Encoding::Utf8 };
        let path = scratch("input", &bytes);
        let name = path.display().to_string();
        let conll = ConllOptions { iob1, encoding, ..ConllOptions::default() };
        let results = [
            read_conll(&path, &conll).err().map(|e| e.to_string()),
            read_trec(&path, encoding).err().map(|e| e.to_string()),
            read_sentences(&path, "x", encoding).err().map(|e| e.to_string()),
            read_csv(&path, &CsvOptions {
                label_column: 0,
                text_columns: vec![1, 2],
                header: false,
                label_names: Some(vec!["a".into(), "b".into()]),
                encoding,
            }).err().map(|e| e.to_string()),
        ];
        for error in results.into_iter().flatten() {
            prop_assert!(error.contains(&name), "{error}");
        }
        if let Ok(sentences) = read_conll(&path, &conll) {
            for s in sentences {
                prop_assert_eq!(s.words.len(), s.tags.len());
                prop_assert!(!s.words.is_empty());
            }
        }
    }

    #[test]
    fn tokens_are_non_empty_and_spaceless(text in "\\PC{0,80}") {
        for token in word_tokenize(&text) {
            prop_assert!(!token.is_empty());
            prop_assert!(!token.chars().any(char::is_whitespace), "{token:?}");
        }
    }

    #[test]
    fn plain_words_pass_through(words in prop::collection::vec("[a-z]{1,8}", 1..12)) {
        // Lower-case words without punctuation come out as they went in (contractions such as
        // `cannot` or `gonna` aside).
        let words: Vec<String> = words
            .into_iter()
            .filter(|w| !["cannot", "gonna", "gotta", "gimme", "lemme", "wanna"].contains(&w.as_str()))
            .collect();
        prop_assert_eq!(word_tokenize(&words.join(" ")), words);
    }
}
