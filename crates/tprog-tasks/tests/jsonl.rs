//! The JSONL loader: splits, gzip, error messages naming file, line and problem.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

use tprog_tasks::jsonl::{
    DEFAULT_MAX_LEN, LengthPolicy, LoadOptions, load_dataset, parse_jsonl, read_for_model,
    read_jsonl, read_with_vocab, write_jsonl,
};
use tprog_tasks::{Split, Task, TaskName, TaskParams, Vocab};

/// A fresh file under the target directory's temporary folder.
fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tprog-tasks-jsonl");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn error_of(text: &str) -> String {
    parse_jsonl(Path::new("data.jsonl"), text.as_bytes())
        .unwrap_err()
        .to_string()
}

#[test]
fn errors_name_the_file_line_and_problem() {
    let good = r#"{"tokens": ["a"], "labels": ["x"]}"#;
    let cases = [
        (format!("{good}\n{{not json"), "data.jsonl:2: bad JSON"),
        (
            format!("{good}\n{{\"tokens\": [\"a\"]}}"),
            "missing field `labels`",
        ),
        (
            r#"{"tokens": ["a", "b"], "labels": ["x"]}"#.to_string(),
            "has 2 entries but `labels` has 1",
        ),
        (
            format!("{good}\n\n{{\"tokens\": [], \"labels\": []}}"),
            "data.jsonl:3: `tokens` is empty",
        ),
        (
            r#"{"tokens": ["a"], "labels": ["x"], "split": "dev"}"#.to_string(),
            "unknown split `dev`",
        ),
        ("\n \n".to_string(), "contains no examples"),
    ];
    for (text, needle) in cases {
        let error = error_of(&text);
        assert!(error.contains(needle), "{error:?} lacks {needle:?}");
    }
}

#[test]
fn round_trips_a_generated_dataset_through_gzip() {
    let params = TaskParams {
        dataset_size: 100,
        ..TaskName::MostFreq.default_params()
    };
    let dataset = Task::new(TaskName::MostFreq, params)
        .unwrap()
        .generate()
        .unwrap();
    let mut plain = Vec::new();
    write_jsonl(&mut plain, &dataset).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&plain).unwrap();
    let path = temp_file("most_freq.jsonl.gz", &encoder.finish().unwrap());
    let loaded = load_dataset(&path, LoadOptions::default()).unwrap();
    assert_eq!(
        (loaded.train, loaded.val, loaded.test),
        (dataset.train, dataset.val, dataset.test)
    );
    assert_eq!(loaded.input_vocab, dataset.input_vocab);
    assert_eq!(loaded.n_ctx, dataset.n_ctx);
}

#[test]
fn lines_without_split_are_split_81_9_10() {
    let lines: String = (0..100)
        .map(|i| {
            format!(
                "{{\"tokens\": [\"<s>\", \"w{i}\"], \"labels\": [\"<pad>\", \"y{}\"]}}\n",
                i % 3
            )
        })
        .collect();
    let path = temp_file("no_split.jsonl", lines.as_bytes());
    let dataset = load_dataset(&path, LoadOptions::default()).unwrap();
    assert_eq!(
        (dataset.train.len(), dataset.val.len(), dataset.test.len()),
        (81, 9, 10)
    );
    assert_eq!(dataset.output_vocab.tokens(), ["<pad>", "y0", "y1", "y2"]);
    let mixed =
        format!("{lines}{{\"tokens\": [\"a\"], \"labels\": [\"b\"], \"split\": \"test\"}}\n");
    let path = temp_file("mixed.jsonl", mixed.as_bytes());
    let error = load_dataset(&path, LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("mixed.jsonl:1: no `split`"), "{error}");
    let with_unk = load_dataset(
        &temp_file("no_split2.jsonl", lines.as_bytes()),
        LoadOptions {
            unk: true,
            ..LoadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(with_unk.input_vocab.tokens()[1], "<unk>");
    assert_eq!(with_unk.encode(Split::Test).unwrap().n, 10);
}

#[test]
fn reading_against_a_vocabulary_names_unknown_tokens() {
    let vocab =
        |tokens: &[&str]| Vocab::new(tokens.iter().map(|t| t.to_string()).collect()).unwrap();
    let input = vocab(&["<pad>", "<s>", "a", "b"]);
    let output = vocab(&["<pad>", "x"]);
    let text = "{\"tokens\": [\"<s>\", \"a\"], \"labels\": [\"<pad>\", \"x\"]}\n{\"tokens\": [\"<s>\", \"b\", \"c\"], \"labels\": [\"<pad>\", \"x\", \"x\"]}\n";
    let path = temp_file("eval.jsonl", text.as_bytes());
    let error = read_with_vocab(&path, &input, &output)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("eval.jsonl:2: unknown token `c` at position 2"),
        "{error}"
    );
    let good = temp_file("eval_ok.jsonl", text.lines().next().unwrap().as_bytes());
    assert_eq!(read_with_vocab(&good, &input, &output).unwrap().len(), 1);
    let missing = Path::new(env!("CARGO_TARGET_TMPDIR")).join("does-not-exist.jsonl");
    assert!(
        read_with_vocab(&missing, &input, &output)
            .unwrap_err()
            .to_string()
            .contains("cannot read")
    );
}

/// `bytes` gzip-compressed.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A line of `n` tokens `<s> a a ...` labelled `x`.
fn line_of(n: usize, split: &str) -> String {
    let tokens: Vec<&str> = (0..n).map(|i| if i == 0 { "<s>" } else { "a" }).collect();
    let labels = vec!["x"; n];
    format!(
        "{{\"split\": \"{split}\", \"tokens\": {}, \"labels\": {}}}\n",
        serde_json::to_string(&tokens).unwrap(),
        serde_json::to_string(&labels).unwrap()
    )
}

#[test]
fn a_byte_order_mark_is_skipped_in_plain_and_gzip_files() {
    let text = "\u{feff}{\"tokens\": [\"a\"], \"labels\": [\"x\"]}\n";
    assert_eq!(
        parse_jsonl(Path::new("bom.jsonl"), text.as_bytes())
            .unwrap()
            .len(),
        1
    );
    let path = temp_file("bom.jsonl.gz", &gzip(text.as_bytes()));
    let read = read_jsonl(&path).unwrap();
    assert_eq!((read.len(), read[0].line), (1, 1));
    assert_eq!(read[0].example.tokens, ["a"]);
    // Only at the very start: elsewhere it is a stray character and JSON rejects it.
    let late = format!("{}{text}", line_of(2, "train"));
    let error = parse_jsonl(Path::new("bom.jsonl"), late.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("bom.jsonl:2: bad JSON"), "{error}");
}

#[test]
fn a_line_longer_than_the_limit_is_an_error_by_default() {
    let text = format!("{}{}", line_of(3, "train"), line_of(2_000, "train"));
    let path = temp_file("long.jsonl", text.as_bytes());
    let error = load_dataset(&path, LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("long.jsonl:2: 2000 tokens, more than the maximum sequence length 512"),
        "{error}"
    );
    assert_eq!(LoadOptions::default().max_len, DEFAULT_MAX_LEN);
    let strict = LoadOptions {
        max_len: 2,
        ..LoadOptions::default()
    };
    let error = load_dataset(&path, strict).unwrap_err().to_string();
    assert!(
        error.contains("long.jsonl:1: 3 tokens, more than the maximum sequence length 2"),
        "{error}"
    );
}

#[test]
fn dropped_lines_are_counted_and_n_ctx_stays_within_the_limit() {
    let text: String = [
        line_of(3, "train"),
        line_of(2_000, "train"),
        line_of(3, "val"),
        line_of(600, "test"),
        line_of(2, "test"),
    ]
    .concat();
    let path = temp_file("drop.jsonl.gz", &gzip(text.as_bytes()));
    let options = LoadOptions {
        too_long: LengthPolicy::Drop,
        max_len: 4,
        ..LoadOptions::default()
    };
    let dataset = load_dataset(&path, options).unwrap();
    assert_eq!(dataset.dropped, 2);
    assert_eq!(dataset.n_ctx, 3);
    assert_eq!(
        (dataset.train.len(), dataset.val.len(), dataset.test.len()),
        (1, 1, 1)
    );
    assert_eq!(dataset.encode(Split::Test).unwrap().n_ctx, 3);
    // A validation line that fits the limit but not the training n_ctx is named up front.
    let wide_val = temp_file(
        "wide_val.jsonl",
        [line_of(3, "train"), line_of(4, "val")].concat().as_bytes(),
    );
    let error = load_dataset(&wide_val, options).unwrap_err().to_string();
    assert!(
        error.contains("wide_val.jsonl:2: 4 tokens, more than n_ctx = 3"),
        "{error}"
    );
    let all_long = temp_file("all_long.jsonl", line_of(9, "train").as_bytes());
    let error = load_dataset(&all_long, options).unwrap_err().to_string();
    assert!(
        error.contains("all 1 lines are longer than the maximum sequence length 4"),
        "{error}"
    );
}

#[test]
fn a_longer_context_admits_longer_held_out_lines() {
    // Length generalisation: training lines of 3 tokens, test lines of 5 and 6.
    let text: String = [
        line_of(3, "train"),
        line_of(2, "val"),
        line_of(5, "test"),
        line_of(6, "test"),
    ]
    .concat();
    let path = temp_file("lengthgen.jsonl", text.as_bytes());
    let error = load_dataset(&path, LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("lengthgen.jsonl:3: 5 tokens, more than n_ctx = 3")
            && error.contains("--n-ctx"),
        "{error}"
    );
    let longer = |n_ctx| LoadOptions {
        n_ctx: Some(n_ctx),
        ..LoadOptions::default()
    };
    let dataset = load_dataset(&path, longer(6)).unwrap();
    assert_eq!(dataset.n_ctx, 6);
    assert_eq!(dataset.test.len(), 2);
    let test = dataset.encode(Split::Test).unwrap();
    assert_eq!((test.n, test.n_ctx), (2, 6));
    // Never shorter than the training lines; too short for the test lines, or longer than
    // the line limit, is an error.
    let error = load_dataset(&path, longer(2)).unwrap_err().to_string();
    assert!(
        error.contains("5 tokens, more than n_ctx = 3 (the context asked for)"),
        "{error}"
    );
    let error = load_dataset(
        &path,
        LoadOptions {
            max_len: 8,
            ..longer(9)
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("n_ctx 9") && error.contains("8 tokens"),
        "{error}"
    );
}

#[test]
fn reading_for_a_model_checks_its_n_ctx_with_file_and_line() {
    let vocab =
        |tokens: &[&str]| Vocab::new(tokens.iter().map(|t| t.to_string()).collect()).unwrap();
    let (input, output) = (vocab(&["<pad>", "<s>", "a"]), vocab(&["<pad>", "x"]));
    let text = format!("{}\n{}", line_of(3, "test"), line_of(5_000, "test"));
    let path = temp_file("eval_long.jsonl", text.as_bytes());
    let error = read_for_model(&path, &input, &output, 8)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("eval_long.jsonl:3: 5000 tokens, more than the model's n_ctx = 8"),
        "{error}"
    );
    let error = read_with_vocab(&path, &input, &output)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("eval_long.jsonl:3: 5000 tokens, more than the maximum sequence length 512"),
        "{error}"
    );
    let fits = temp_file("eval_fits.jsonl", line_of(8, "test").as_bytes());
    assert_eq!(
        read_for_model(&fits, &input, &output, 8).unwrap()[0]
            .tokens
            .len(),
        8
    );
}

#[test]
fn corrupt_gzip_and_invalid_utf8_name_the_line() {
    let text: String = (0..50).map(|_| line_of(3, "train")).collect();
    let mut compressed = gzip(text.as_bytes());
    let middle = compressed.len() / 2;
    compressed.truncate(middle);
    let error = parse_jsonl(Path::new("cut.jsonl.gz"), &compressed)
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("cut.jsonl.gz:"), "{error}");
    let bad = [
        line_of(2, "train").as_bytes(),
        b"{\"tokens\": [\"\xff\"]}\n",
    ]
    .concat();
    let error = parse_jsonl(Path::new("bad.jsonl"), &bad)
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("bad.jsonl:2: not valid UTF-8"), "{error}");
}

/// Length generalisation on a counting task: a longer test line has a count (`3`) no training
/// line has. By default that is an error naming the line and the way out; with `all_labels`
/// the output vocabulary holds it, and every split encodes.
#[test]
fn a_held_out_label_no_training_line_has_needs_all_labels() {
    let text = [
        r#"{"split": "train", "tokens": ["<s>", "a", "a"], "labels": ["0", "1", "2"]}"#,
        r#"{"split": "val", "tokens": ["<s>", "a"], "labels": ["0", "1"]}"#,
        r#"{"split": "test", "tokens": ["<s>", "a", "a", "a"], "labels": ["0", "1", "2", "3"]}"#,
    ]
    .join("\n");
    let path = temp_file("unseen_label.jsonl", text.as_bytes());
    let options = LoadOptions {
        n_ctx: Some(4),
        ..LoadOptions::default()
    };
    let error = load_dataset(&path, options).unwrap_err().to_string();
    assert!(
        error.contains("unseen_label.jsonl:3: label `3` at position 3 of this test line")
            && error.contains("--all-labels"),
        "{error}"
    );
    let dataset = load_dataset(
        &path,
        LoadOptions {
            all_labels: true,
            ..options
        },
    )
    .unwrap();
    assert_eq!(dataset.output_vocab.tokens(), ["<pad>", "0", "1", "2", "3"]);
    assert_eq!(dataset.input_vocab.tokens(), ["<pad>", "<s>", "a"]);
    for split in Split::ALL {
        dataset.encode(split).unwrap();
    }
    // With `<unk>`, the unseen label maps to it, as before.
    let dataset = load_dataset(
        &path,
        LoadOptions {
            unk: true,
            ..options
        },
    )
    .unwrap();
    assert!(!dataset.output_vocab.tokens().contains(&"3".to_owned()));
    dataset.encode(Split::Test).unwrap();
}
