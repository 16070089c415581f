//! `tprog train --model standard`: the standard Transformer baseline through the same run
//! directory, progress, best-by-validation epoch, `eval` and `--resume`, and a report that says
//! there is no program.

#![allow(clippy::unwrap_used)]

mod common;
use common::{failure, success};

fn summary(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// A small baseline trains, reports its accuracy without a program, evaluates, and resumes to
/// more epochs.
#[test]
fn standard_baseline_trains_evaluates_and_resumes() {
    let dir = common::temp_dir("tprog-cli-standard", "sort");
    let out = dir.to_str().unwrap();
    let stdout = success(&[
        "train",
        "--task",
        "sort",
        "--preset",
        "tiny",
        "--model",
        "standard",
        "--d-model",
        "16",
        "--layers",
        "1",
        "--heads",
        "2",
        "--d-mlp",
        "16",
        "--epochs",
        "3",
        "--out",
        out,
        "--quiet",
    ]);
    assert!(stdout.lines().any(|l| l.starts_with("0 ")), "{stdout}");
    for file in [
        "config.json",
        "model.safetensors",
        "checkpoint.safetensors",
        "metrics.jsonl",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    assert!(!dir.join("program.json").exists());
    let first = summary(&dir);
    assert_eq!(first["architecture"], "standard", "{first}");
    assert_eq!(first["config"]["standard"]["d_model"], 16, "{first}");
    assert!(first.get("program_error").is_none(), "{first}");
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        report.contains("No program: this run trained the standard Transformer"),
        "{report}"
    );

    // `eval` reproduces the summary's test accuracy.
    let eval = success(&["eval", out]);
    let test_row = eval.lines().find(|l| l.starts_with("test")).unwrap();
    let reported = format!(
        "{:.2}",
        100.0 * first["test"]["token_acc"].as_f64().unwrap()
    );
    assert!(test_row.contains(&reported), "{eval} vs {reported}");

    // `--resume --epochs 5` extends the run from its checkpoint.
    success(&["train", "--resume", out, "--epochs", "5", "--quiet"]);
    let resumed = summary(&dir);
    assert_eq!(resumed["epochs"], 5, "{resumed}");
    let metrics = std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap();
    assert_eq!(metrics.lines().count(), 5);

    // There is no program to verify or export.
    let error = failure(&["verify", out]);
    assert!(error.contains("standard Transformer baseline"), "{error}");
}

/// Resuming an unfinished baseline run gives the same model as training it straight through.
#[test]
fn resumed_baseline_equals_an_uninterrupted_one() {
    let straight = common::temp_dir("tprog-cli-standard", "straight");
    let split = common::temp_dir("tprog-cli-standard", "split");
    let args = |out: &str, epochs: &str| {
        vec![
            "train".to_owned(),
            "--task".into(),
            "reverse".into(),
            "--preset".into(),
            "tiny".into(),
            "--model".into(),
            "standard".into(),
            "--dropout".into(),
            "0.1".into(),
            "--epochs".into(),
            epochs.into(),
            "--out".into(),
            out.into(),
            "--quiet".into(),
        ]
    };
    let run = |a: Vec<String>| success(&a.iter().map(String::as_str).collect::<Vec<_>>());
    run(args(straight.to_str().unwrap(), "4"));
    run(args(split.to_str().unwrap(), "2"));
    success(&[
        "train",
        "--resume",
        split.to_str().unwrap(),
        "--epochs",
        "4",
        "--quiet",
    ]);
    let checkpoint =
        |dir: &std::path::Path| std::fs::read(dir.join("checkpoint.safetensors")).unwrap();
    assert_eq!(checkpoint(&straight), checkpoint(&split));
}

/// Standard-only flags without `--model standard` are a usage error naming the flag.
#[test]
fn standard_flags_need_the_standard_model() {
    let error = failure(&[
        "train",
        "--task",
        "sort",
        "--preset",
        "tiny",
        "--d-model",
        "32",
    ]);
    assert!(
        error.contains("--d-model") && error.contains("--model standard"),
        "{error}"
    );
    let error = failure(&[
        "train",
        "--task",
        "sort",
        "--preset",
        "tiny",
        "--model",
        "standard",
        "--d-model",
        "30",
        "--heads",
        "4",
    ]);
    assert!(error.contains("multiple of n_heads"), "{error}");
}
