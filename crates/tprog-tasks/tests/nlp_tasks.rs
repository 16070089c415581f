//! The NLP tasks read from a data directory of small hand-written samples (the real data sets
//! are not in the repository): file layout, splits, the length filter, digit replacement,
//! the frequency vocabulary and its tie order, labels at position 0, and clear errors.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use tprog_tasks::text::{NlpOptions, NlpTask, load_nlp, split_stats};
use tprog_tasks::{Split, TaskError};

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tprog-nlp-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

const CONLL_TRAIN: &str = "-DOCSTART- -X- -X- O\n\n\
EU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\ncall NN I-NP O\n. . O O\n\n\
Peter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n\n\
In IN B-PP O\n1996 CD B-NP O\nprices NNS B-NP O\nrose VBD B-VP O\n19.5 CD B-NP O\n% NN I-NP O\n. . O O\n";

fn conll_dir(name: &str) -> PathBuf {
    let dir = scratch(name);
    write(&dir, "conll2003/train.txt", CONLL_TRAIN.as_bytes());
    write(
        &dir,
        "conll2003/valid.txt",
        b"Blackburn NNP B-NP B-PER\nspoke VBD B-VP O\n",
    );
    write(
        &dir,
        "conll2003/test.txt",
        b"EU NNP B-NP B-ORG\n\nunseen NN B-NP O\nwords NNS I-NP O\n",
    );
    dir
}

#[test]
fn conll_sentences_become_tagged_examples() {
    let dir = conll_dir("conll");
    let options = NlpTask::ConllNer.default_options();
    let data = load_nlp(NlpTask::ConllNer, &dir, &options).unwrap();
    let dataset = &data.dataset;
    assert_eq!(
        (dataset.train.len(), dataset.val.len(), dataset.test.len()),
        (3, 1, 2)
    );
    let third = &dataset.train[2];
    assert_eq!(
        third.tokens,
        ["<s>", "In", "@", "prices", "rose", "@.@", "%", ".", "</s>"]
    );
    assert_eq!(third.labels[0], "<pad>");
    assert_eq!(third.labels[1], "O");
    assert_eq!(third.labels.last().map(String::as_str), Some("<pad>"));
    // `<s>` and `</s>` occur 3 times, `.` twice, then the rest once each, in order of first
    // occurrence (`<s>` before `</s>`, `EU` before `rejects`).
    assert_eq!(
        dataset.input_vocab.tokens()[..8],
        [
            "<pad>", "<unk>", "<s>", "</s>", ".", "EU", "rejects", "German"
        ]
    );
    assert_eq!(
        dataset.output_vocab.tokens(),
        ["<pad>", "<unk>", "B-MISC", "B-ORG", "B-PER", "I-PER", "O"]
    );
    assert_eq!(dataset.n_ctx, 9);
    let test = split_stats(dataset, Split::Test);
    assert_eq!((test.words, test.known), (3, 1));
    assert_eq!(test.labels, [("B-ORG".to_owned(), 1), ("O".to_owned(), 2)]);
}

#[test]
fn length_filter_applies_to_every_split() {
    let dir = conll_dir("filter");
    // Fewer than max_length - 1 = 4 words: the 7-word sentences go.
    let options = NlpOptions {
        max_length: 5,
        ..NlpTask::ConllNer.default_options()
    };
    let data = load_nlp(NlpTask::ConllNer, &dir, &options).unwrap();
    assert_eq!(
        data.counts.map(|c| (c.read, c.kept)),
        [(3, 1), (1, 1), (2, 2)]
    );
    assert_eq!(data.dataset.dropped, 2);
    let small = NlpOptions {
        vocab_size: 2,
        replace_numbers: false,
        do_lower: true,
        ..NlpTask::ConllNer.default_options()
    };
    let data = load_nlp(NlpTask::ConllNer, &dir, &small).unwrap();
    assert_eq!(
        data.dataset.input_vocab.tokens(),
        ["<pad>", "<unk>", "<s>", "</s>"]
    );
    assert_eq!(data.dataset.train[0].tokens[1], "eu");
    assert!(data.dataset.train[2].tokens.contains(&"19.5".to_owned()));
}

#[test]
fn trec_holds_out_a_seeded_tenth_for_validation() {
    let dir = scratch("trec");
    let mut train = String::new();
    for i in 0..20 {
        let label = ["NUM:count", "LOC:city", "HUM:ind"][i % 3];
        train.push_str(&format!("{label} Where is place number {i} ?\n"));
    }
    write(&dir, "trec/train_5500.label", train.as_bytes());
    write(
        &dir,
        "trec/TREC_10.label",
        b"DESC:def What's a \"word\" ?\n",
    );
    let data = load_nlp(NlpTask::Trec, &dir, &NlpTask::Trec.default_options()).unwrap();
    let dataset = &data.dataset;
    assert_eq!(
        (dataset.train.len(), dataset.val.len(), dataset.test.len()),
        (18, 2, 1)
    );
    // numpy: RandomState(0).permutation(20) starts 18, 1 (the validation lines), then 19.
    assert!(dataset.val[0].tokens.contains(&"18".to_owned()));
    assert!(dataset.val[1].tokens.contains(&"1".to_owned()));
    assert!(dataset.train[0].tokens.contains(&"19".to_owned()));
    let test = &dataset.test[0];
    assert_eq!(
        test.tokens,
        ["<s>", "What", "'s", "a", "``", "word", "''", "?", "</s>"]
    );
    assert_eq!(test.labels[0], "DESC");
    assert!(test.labels[1..].iter().all(|l| l == "<pad>"));
    assert_eq!(
        dataset.output_vocab.tokens(),
        ["<pad>", "<unk>", "HUM", "LOC", "NUM"]
    );
    assert!(data.notes[0].contains("random_state=0"));
}

#[test]
fn mr_is_latin1_and_cut_per_class() {
    let dir = scratch("mr");
    let lines = |word: &str| -> Vec<u8> {
        (0..10)
            .flat_map(|i| format!("{word} caf\u{e9} {i} .\n").into_bytes())
            .collect::<Vec<u8>>()
    };
    // Written as latin-1: é is the single byte 0xE9.
    let latin1 = |text: Vec<u8>| -> Vec<u8> {
        String::from_utf8(text)
            .unwrap()
            .chars()
            .map(|c| c as u32 as u8)
            .collect()
    };
    write(&dir, "mr/rt-polarity.pos", &latin1(lines("good")));
    write(&dir, "mr/rt-polarity.neg", &latin1(lines("bad")));
    let data = load_nlp(NlpTask::Mr, &dir, &NlpTask::Mr.default_options()).unwrap();
    let dataset = &data.dataset;
    // int(10 * 0.8 + 0.5) = 8, int(10 * 0.9 + 0.5) = 9 per class.
    assert_eq!(
        (dataset.train.len(), dataset.val.len(), dataset.test.len()),
        (16, 2, 2)
    );
    assert_eq!(dataset.train[0].tokens[1..4], ["good", "caf\u{e9}", "0"]);
    assert_eq!(dataset.train[8].labels[0], "Negative");
    let utf8 = NlpOptions {
        encoding: Some(tprog_tasks::text::Encoding::Utf8),
        ..NlpTask::Mr.default_options()
    };
    let error = load_nlp(NlpTask::Mr, &dir, &utf8).unwrap_err().to_string();
    assert!(
        error.contains("rt-polarity.pos:1") && error.contains("--encoding latin-1"),
        "{error}"
    );
}

#[test]
fn missing_and_malformed_files_are_named() {
    let dir = scratch("missing");
    let error = load_nlp(
        NlpTask::ConllNer,
        &dir,
        &NlpTask::ConllNer.default_options(),
    )
    .unwrap_err();
    assert!(matches!(error, TaskError::MissingFile { .. }), "{error}");
    assert!(error.to_string().contains("train.txt"), "{error}");
    // Files directly in the directory are found too.
    write(&dir, "train.txt", b"a O\nb\n");
    write(&dir, "valid.txt", b"a O\n");
    write(&dir, "test.txt", b"a O\n");
    let error = load_nlp(
        NlpTask::ConllNer,
        &dir,
        &NlpTask::ConllNer.default_options(),
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("train.txt:2"), "{error}");
    let error = load_nlp(NlpTask::AgNews, &dir, &NlpTask::AgNews.default_options())
        .unwrap_err()
        .to_string();
    assert!(error.contains("train.csv"), "{error}");
    let bad = NlpOptions {
        max_length: 1,
        ..NlpTask::Trec.default_options()
    };
    let error = load_nlp(NlpTask::Trec, &dir, &bad).unwrap_err().to_string();
    assert!(error.contains("max_length"), "{error}");
    assert!("conll".parse::<NlpTask>().is_err());
    assert_eq!("rotten_tomatoes".parse::<NlpTask>().unwrap(), NlpTask::Mr);
}
