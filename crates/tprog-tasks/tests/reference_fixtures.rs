//! Contract with the reference's data (`tests/fixtures/reference/data`): our labelling functions give
//! every fixture label, and our seeded generator reproduces every dataset example for example.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use tprog_tasks::jsonl::read_jsonl;
use tprog_tasks::{Example, Split, Task, TaskName, TaskParams};

fn data_dir() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/reference/data"
    ))
    .into()
}

fn settings() -> Value {
    let text = std::fs::read_to_string(data_dir().join("datasets.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The generator parameters recorded for `name` in datasets.json.
fn params_of(entry: &Value) -> TaskParams {
    let number = |key: &str| entry[key].as_u64().unwrap() as usize;
    TaskParams {
        vocab_size: number("vocab_size_arg"),
        min_length: number("min_length"),
        max_length: number("max_length"),
        dataset_size: number("dataset_size_arg"),
        seed: entry["seed"].as_u64().unwrap(),
        unique: entry["unique"].as_u64().unwrap() == 1,
    }
}

/// The fixture file's examples of each split, in file order.
fn fixture_splits(file: &str) -> [Vec<Example>; 3] {
    let mut splits: [Vec<Example>; 3] = Default::default();
    for e in read_jsonl(&data_dir().join(file)).unwrap() {
        let index = Split::ALL.iter().position(|s| Some(*s) == e.split).unwrap();
        splits[index].push(e.example);
    }
    splits
}

/// Every fixture dataset: (file, task, parameters, datasets.json entry if any).
fn cases() -> Vec<(String, Task, Option<Value>)> {
    let settings = settings();
    let mut cases = Vec::new();
    for name in TaskName::ALL {
        let entry = settings[name.as_str()].clone();
        let task = Task::new(name, params_of(&entry)).unwrap();
        cases.push((format!("{name}.jsonl.gz"), task, Some(entry)));
    }
    let sort_10k = TaskParams {
        dataset_size: 10_000,
        ..TaskName::Sort.default_params()
    };
    cases.push((
        "sort_10k.jsonl.gz".into(),
        Task::new(TaskName::Sort, sort_10k).unwrap(),
        None,
    ));
    cases
}

#[test]
fn our_labels_equal_every_fixture_label() {
    for (file, task, _) in cases() {
        let mut checked = 0;
        for split in fixture_splits(&file) {
            for example in split {
                let labels = task.label(&example.tokens).unwrap();
                assert_eq!(labels, example.labels, "{file}: {:?}", example.tokens);
                checked += 1;
            }
        }
        assert!(checked >= 10_000, "{file}: only {checked} examples");
    }
}

#[test]
fn generator_reproduces_every_fixture_dataset_exactly() {
    for (file, task, entry) in cases() {
        let dataset = task.generate().unwrap();
        let [train, val, test] = fixture_splits(&file);
        assert_eq!(dataset.train.len(), train.len(), "{file} train size");
        assert_eq!(dataset.val.len(), val.len(), "{file} val size");
        assert_eq!(dataset.test.len(), test.len(), "{file} test size");
        assert!(dataset.train == train, "{file}: train differs");
        assert!(dataset.val == val, "{file}: val differs");
        assert!(dataset.test == test, "{file}: test differs");
        assert_eq!(dataset.causal, task.causal());
        if let Some(entry) = entry {
            let strings = |key: &str| -> Vec<String> {
                entry[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().into())
                    .collect()
            };
            assert_eq!(
                dataset.input_vocab.tokens(),
                strings("input_vocab"),
                "{file}"
            );
            assert_eq!(
                dataset.output_vocab.tokens(),
                strings("output_vocab"),
                "{file}"
            );
            assert_eq!(
                dataset.n_ctx as u64,
                entry["n_ctx"].as_u64().unwrap(),
                "{file}"
            );
            assert_eq!(
                dataset.train.len() as u64,
                entry["n_train"].as_u64().unwrap()
            );
            assert_eq!(dataset.val.len() as u64, entry["n_val"].as_u64().unwrap());
            assert_eq!(dataset.test.len() as u64, entry["n_test"].as_u64().unwrap());
        }
    }
}
