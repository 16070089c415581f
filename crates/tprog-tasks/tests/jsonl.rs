//! The JSONL loader: splits, gzip, error messages naming file, line and problem.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

use tprog_tasks::jsonl::{LoadOptions, load_dataset, parse_jsonl, read_with_vocab, write_jsonl};
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
            r#"{"tokens": [], "labels": []}"#.to_string(),
            "`tokens` is empty",
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
