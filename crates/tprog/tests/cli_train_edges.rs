//! `tprog train` beyond the happy path: empty splits, progress output off a terminal, and an
//! interruption before anything was trained.

#![allow(clippy::unwrap_used)]

use std::process::Command;

mod common;
use common::{success, text};

/// A data file whose lines are all `"split": "train"`: val and test are empty, shown as "—"
/// (`null` in summary.json), never as 100 %, and the report says the last epoch is reported.
#[test]
fn empty_splits_are_shown_as_dashes_and_the_last_epoch_is_reported() {
    let dir = common::temp_dir("tprog-cli-train", "train-only");
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("train-only.jsonl");
    let line = r#"{"split": "train", "tokens": ["<s>", "3", "1", "</s>"], "labels": ["<pad>", "1", "3", "<pad>"]}"#;
    std::fs::write(&data, format!("{line}\n").repeat(40)).unwrap();
    let out = dir.join("run");
    let stdout = success(&[
        "train",
        "--data",
        data.to_str().unwrap(),
        "--preset",
        "tiny",
        "--epochs",
        "3",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let row = stdout.lines().find(|l| l.starts_with("0 ")).unwrap();
    assert_eq!(row.matches('—').count(), 2, "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert!(summary["val"]["token_acc"].is_null(), "{summary}");
    assert!(summary["test"]["token_acc"].is_null(), "{summary}");
    assert_eq!(summary["best_epoch"], 3, "{summary}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("| val | 0 | — | — |"), "{report}");
    assert!(report.contains("there is no validation split"), "{report}");
}

/// When standard error is not a terminal (nohup, a batch scheduler, CI), progress is plain
/// lines, not an invisible bar.
#[test]
fn progress_is_plain_lines_when_stderr_is_not_a_terminal() {
    let dir = common::temp_dir("tprog-cli-train", "plain-progress");
    let output = Command::new(env!("CARGO_BIN_EXE_tprog"))
        .args([
            "train", "--task", "sort", "--preset", "tiny", "--epochs", "3", "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("epoch    1/3"), "{stderr}");
    assert!(stderr.contains("epoch    3/3"), "{stderr}");
}

/// Ctrl-C before the first epoch ends: nothing to report, no program written for an untrained
/// model, exit code 130, and the message says how to continue.
#[cfg(unix)]
#[test]
fn ctrl_c_before_the_first_epoch_writes_no_program() {
    use std::io::{BufRead, BufReader};
    let dir = common::temp_dir("tprog-cli-train", "sigint-early");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tprog"))
        .args([
            "train", "--task", "sort", "--preset", "paper", "--quiet", "--out",
        ])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The handler is installed before the data is generated: wait for the data line.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.starts_with("data:"), "{first}");
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("before the first epoch"), "{rest}");
    assert!(rest.contains("--resume"), "{rest}");
    assert!(!dir.join("program.json").exists());
    assert!(!dir.join("summary.json").exists());
}
