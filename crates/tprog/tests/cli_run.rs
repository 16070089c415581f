//! `tprog run`: labels for `--tokens` and `--input`, the `--trace` table, and clear errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

mod common;
use common::{failure, tprog};

use tprog_program::random::{RandomSpec, random_program};
use tprog_program::{Interpreter, Program};

fn program_file(name: &str) -> (Program, PathBuf) {
    let program = random_program(&RandomSpec::sort_sized(), 4);
    let path = common::temp_path("tprog-cli-run", name);
    program.to_json_file(&path).unwrap();
    (program, path)
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(String::from).collect()
}

#[test]
fn run_prints_the_labels_of_tokens_and_of_each_jsonl_line() {
    let (program, path) = program_file("labels.json");
    let path = path.to_str().unwrap();
    let interpreter = Interpreter::new(&program).unwrap();
    let expected = interpreter.run(&words("<s> t3 t1 t4")).unwrap().join(" ");
    let out = success_of(&tprog(&["run", path, "--tokens", "<s> t3 t1 t4"]));
    assert_eq!(out.trim(), expected);

    let input = common::temp_path("tprog-cli-run", "inputs.jsonl");
    std::fs::write(
        &input,
        "{\"tokens\": [\"<s>\", \"t0\"], \"labels\": [\"<pad>\", \"c1\"]}\n\n{\"tokens\": [\"<s>\", \"t5\", \"t2\"]}\n",
    )
    .unwrap();
    let out = success_of(&tprog(&["run", path, "--input", input.to_str().unwrap()]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        interpreter.run(&words("<s> t0")).unwrap().join(" ")
    );
    assert_eq!(
        lines[1],
        interpreter.run(&words("<s> t5 t2")).unwrap().join(" ")
    );
}

#[test]
fn trace_prints_variables_by_position_and_head_grids() {
    let (program, path) = program_file("trace.json");
    let out = success_of(&tprog(&[
        "run",
        path.to_str().unwrap(),
        "--tokens",
        "<s> t3 t1",
        "--trace",
    ]));
    let tokens_row = out.lines().find(|l| l.starts_with("tokens ")).unwrap();
    assert_eq!(
        tokens_row.split_whitespace().collect::<Vec<_>>(),
        ["tokens", "<s>", "t3", "t1"]
    );
    assert!(out.lines().any(|l| l.starts_with("prediction ")));
    for module in &program.modules {
        assert!(
            out.contains(module.output()),
            "{} missing from\n{out}",
            module.output()
        );
    }
    assert!(out.contains("attn_0_0_outputs (rows: queries, columns: keys)"));
}

#[test]
fn errors_are_clear() {
    let (_, path) = program_file("errors.json");
    let path = path.to_str().unwrap();
    let unknown = failure(&["run", path, "--tokens", "<s> nope"]);
    assert!(unknown.contains("\"nope\" at position 1"), "{unknown}");
    let long = failure(&["run", path, "--tokens", "<s> t1 t1 t1 t1 t1 t1 t1 t1"]);
    assert!(long.contains("n_ctx is 8"), "{long}");
    let missing = failure(&["run", "/nonexistent/program.json", "--tokens", "<s>"]);
    assert!(missing.contains("/nonexistent/program.json"), "{missing}");
    let no_input = failure(&["run", path]);
    assert!(no_input.contains("--tokens"), "{no_input}");

    let truncated = common::temp_path("tprog-cli-run", "truncated.json");
    let text = std::fs::read_to_string(path).unwrap();
    std::fs::write(&truncated, &text[..text.len() / 3]).unwrap();
    let error = failure(&["run", truncated.to_str().unwrap(), "--tokens", "<s>"]);
    assert!(
        error.contains("truncated.json") && error.contains("EOF"),
        "{error}"
    );

    let invalid = common::temp_path("tprog-cli-run", "invalid.json");
    std::fs::write(&invalid, text.replace("\"d_var\": 8", "\"d_var\": 4")).unwrap();
    let error = failure(&["run", invalid.to_str().unwrap(), "--tokens", "<s>"]);
    assert!(
        error.contains("invalid.json") && error.contains("problem(s)"),
        "{error}"
    );

    let bad_line = common::temp_path("tprog-cli-run", "bad.jsonl");
    std::fs::write(&bad_line, "{\"tokens\": [\"<s>\"]}\n{\"tokens\": 3}\n").unwrap();
    let error = failure(&["run", path, "--input", bad_line.to_str().unwrap()]);
    assert!(error.contains("bad.jsonl:2"), "{error}");
}

/// The standard output of a run that must have succeeded.
fn success_of(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        common::text(&output.stderr)
    );
    common::stdout(output)
}
