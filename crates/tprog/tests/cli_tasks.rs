//! `tprog tasks` and `tprog data`: listings, generated summaries, and clear errors with a
//! non-zero exit for bad input.

#![allow(clippy::unwrap_used)]

mod common;
use common::{failure, stdout, tprog};

#[test]
fn tasks_lists_every_task_with_the_paper_settings() {
    let output = tprog(&["tasks"]);
    assert!(output.status.success());
    let text = stdout(&output);
    for name in [
        "reverse",
        "sort",
        "hist",
        "double_hist",
        "most_freq",
        "dyck1",
        "dyck2",
        "induction",
    ] {
        assert!(text.contains(name), "{name} missing from {text}");
    }
    assert!(text.contains("19530") && text.contains("335922"), "{text}");
}

#[test]
fn data_prints_sizes_vocabularies_and_examples() {
    let output = tprog(&["data", "--task", "sort", "--size", "100", "--show", "2"]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains("100 produced of 100 asked"), "{text}");
    assert!(text.contains("train 81 / val 9 / test 10"), "{text}");
    assert!(
        text.contains("input vocab (8): <pad> 0 1 2 3 4 </s> <s>"),
        "{text}"
    );
    assert!(text.contains("n_ctx: 8"), "{text}");
    assert_eq!(text.matches("  tokens: <s>").count(), 6, "{text}");
}

#[test]
fn data_says_when_fewer_examples_were_produced() {
    let output = tprog(&[
        "data",
        "--task",
        "reverse",
        "--max-length",
        "4",
        "--size",
        "100",
        "--show",
        "0",
    ]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(
        text.contains("30 produced of 100 asked (fewer than asked"),
        "{text}"
    );
}

#[test]
fn data_writes_jsonl_that_data_can_read_back() {
    let out = common::temp_path("tprog-cli-tasks", "hist.jsonl.gz");
    let _ = std::fs::remove_file(&out);
    let out_str = out.to_str().unwrap();
    let output = tprog(&["data", "--task", "hist", "--size", "50", "--out", out_str]);
    assert!(output.status.success());
    assert!(stdout(&output).contains("wrote 50 examples"));
    // A file is never replaced without --force.
    let written = std::fs::read(&out).unwrap();
    let stderr = failure(&["data", "--task", "hist", "--size", "60", "--out", out_str]);
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(std::fs::read(&out).unwrap(), written);
    let again = tprog(&["data", "--file", out_str, "--show", "1"]);
    assert!(again.status.success());
    assert!(
        stdout(&again).contains("train 40 / val 5 / test 5"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn unknown_task_lists_the_valid_ones() {
    let stderr = failure(&["data", "--task", "sorting"]);
    assert!(stderr.contains("unknown task `sorting`"), "{stderr}");
    assert!(
        stderr.contains("reverse, sort, hist, double_hist, most_freq, dyck1, dyck2, induction")
    );
}

#[test]
fn bad_parameters_are_reported_together() {
    let stderr = failure(&["data", "--task", "sort", "--vocab-size", "2"]);
    assert!(stderr.contains("vocab_size must be at least 4"), "{stderr}");
    let stderr = failure(&[
        "data",
        "--task",
        "hist",
        "--min-length",
        "9",
        "--max-length",
        "4",
    ]);
    assert!(
        stderr.contains("min_length 9 is greater than max_length 4"),
        "{stderr}"
    );
    let stderr = failure(&["data", "--task", "dyck1", "--size", "0"]);
    assert!(
        stderr.contains("dataset_size must be at least 1"),
        "{stderr}"
    );
    let stderr = failure(&["data", "--task", "sort", "--size", "0", "--vocab-size", "1"]);
    assert!(
        stderr.contains("dataset_size") && stderr.contains("vocab_size"),
        "{stderr}"
    );
    let stderr = failure(&["data", "--task", "sort", "--unique", "maybe"]);
    assert!(stderr.contains("maybe"), "{stderr}");
}

#[test]
fn malformed_jsonl_names_file_and_line() {
    let file = common::temp_path("tprog-cli-tasks", "broken.jsonl");
    std::fs::write(
        &file,
        "{\"tokens\": [\"a\"], \"labels\": [\"b\"]}\n{\"tokens\": [\"a\"]\n",
    )
    .unwrap();
    let stderr = failure(&["data", "--file", file.to_str().unwrap()]);
    assert!(stderr.contains("broken.jsonl:2: bad JSON"), "{stderr}");
    let empty = common::temp_path("tprog-cli-tasks", "empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let stderr = failure(&["data", "--file", empty.to_str().unwrap()]);
    assert!(stderr.contains("contains no examples"), "{stderr}");
    let stderr = failure(&[
        "data",
        "--file",
        common::temp_path("tprog-cli-tasks", "missing.jsonl")
            .to_str()
            .unwrap(),
    ]);
    assert!(stderr.contains("cannot read"), "{stderr}");
}
