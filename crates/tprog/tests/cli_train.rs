//! `tprog train`, `tprog eval`, `tprog import-reference`: a whole tiny run end to end, and clear
//! errors with a non-zero exit for bad input.

#![allow(clippy::unwrap_used)]

use std::process::Command;

mod common;
use common::{failure, reference, success, text};

#[test]
fn tiny_run_end_to_end_then_eval_and_resume() {
    let dir = common::temp_dir("tprog-cli-train", "tiny");
    let out = dir.to_str().unwrap();
    let stdout = success(&[
        "train", "--task", "sort", "--preset", "tiny", "--out", out, "--quiet",
    ]);
    assert!(
        stdout.contains("train %") && stdout.contains(out),
        "{stdout}"
    );
    for file in [
        "config.json",
        "model.safetensors",
        "metrics.jsonl",
        "report.md",
        "program.svg",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    // The circuit picture is written with the program and the report links it.
    let svg = std::fs::read_to_string(dir.join("program.svg")).unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{svg}");
    assert!(svg.trim_end().ends_with("</svg>"));
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(report.contains("(program.svg)"), "{report}");
    // So are the training curves.
    let curves = std::fs::read_to_string(dir.join("curves.svg")).unwrap();
    assert!(curves.contains("<svg") && curves.trim_end().ends_with("</svg>"));
    assert!(curves.contains("validation accuracy") && curves.contains("best epoch"));
    assert!(report.contains("(curves.svg)"), "{report}");
    // Never overwrite a run by accident.
    let stderr = failure(&["train", "--task", "sort", "--preset", "tiny", "--out", out]);
    assert!(stderr.contains("--resume"), "{stderr}");
    // Eval prints every split.
    let stdout = success(&["eval", out]);
    for split in ["train", "val", "test"] {
        assert!(stdout.contains(split), "{stdout}");
    }
    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert!(summary.contains("\"interrupted\": false"), "{summary}");
    // Resuming a finished run trains nothing more and reports again.
    let stdout = success(&["train", "--resume", out, "--quiet"]);
    assert!(stdout.contains("test %"), "{stdout}");

    // Eval on a file with a token the run never saw names it.
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"tokens\": [\"<s>\", \"1\", \"</s>\"], \"labels\": [\"<pad>\", \"1\", \"<pad>\"]}\n\
         {\"tokens\": [\"<s>\", \"9\", \"</s>\"], \"labels\": [\"<pad>\", \"1\", \"<pad>\"]}\n",
    )
    .unwrap();
    let stderr = failure(&["eval", out, "--data", bad.to_str().unwrap()]);
    assert!(
        stderr.contains('9') && stderr.contains("bad.jsonl:2"),
        "{stderr}"
    );
}

/// Ctrl-C (SIGINT) stops after the current epoch, writes the program of the best model so far
/// and a summary marked `"interrupted": true`; `--resume` then finishes the run.
#[cfg(unix)]
#[test]
fn sigint_keeps_the_run_and_resume_finishes_it() {
    let dir = common::temp_dir("tprog-cli-train", "sigint");
    let out = dir.to_str().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_tprog"))
        .args([
            "train", "--task", "sort", "--preset", "tiny", "--epochs", "100", "--out", out,
            "--quiet",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let metrics = dir.join("metrics.jsonl");
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&metrics).map_or(0, |m| m.lines().count()) < 2 {
        assert!(started.elapsed().as_secs() < 120, "no epoch finished");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    // Interrupted after saving: exit code 130, so `tprog train ... && next` stops.
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert!(summary.contains("\"interrupted\": true"), "{summary}");
    let epochs = std::fs::read_to_string(&metrics).unwrap().lines().count();
    assert!(epochs < 100, "{epochs} epochs");
    success(&["train", "--resume", out, "--quiet"]);
    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert!(summary.contains("\"interrupted\": false"), "{summary}");
    assert!(summary.contains("\"epochs\": 100"), "{summary}");
}

#[test]
fn several_seeds_report_each_and_the_best() {
    let dir = common::temp_dir("tprog-cli-train", "seeds");
    let stdout = success(&[
        "train",
        "--task",
        "hist",
        "--preset",
        "tiny",
        "--epochs",
        "2",
        "--seeds",
        "0..1",
        "--out",
        dir.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(stdout.contains("best by validation"), "{stdout}");
    assert!(dir.join("seed0/model.safetensors").is_file());
    assert!(dir.join("seed1/model.safetensors").is_file());
}

/// A program stage that fails after training (here: program.json cannot be written) keeps the
/// finished results, says how to retry, and `--resume` then writes the program.
#[test]
fn a_failed_program_stage_keeps_the_trained_results() {
    let dir = common::temp_dir("tprog-cli-train", "no-program");
    let out = dir.to_str().unwrap();
    success(&[
        "train", "--task", "sort", "--preset", "tiny", "--epochs", "2", "--out", out, "--quiet",
    ]);
    for file in ["summary.json", "report.md", "program.json"] {
        std::fs::remove_file(dir.join(file)).unwrap();
    }
    // A non-empty directory where program.json goes: the export's rename onto it fails.
    std::fs::create_dir_all(dir.join("program.json/blocker")).unwrap();
    let stderr = failure(&["train", "--resume", out, "--quiet"]);
    assert!(
        stderr.contains("program.json") && stderr.contains("--resume"),
        "{stderr}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert!(
        summary["test"]["token_acc"].as_f64().unwrap() > 0.0,
        "{summary}"
    );
    assert!(
        summary["program_error"]
            .as_str()
            .unwrap()
            .contains("program.json"),
        "{summary}"
    );
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        report.contains("No program") && report.contains("| test |"),
        "{report}"
    );
    assert!(dir.join("model.safetensors").is_file());

    std::fs::remove_dir_all(dir.join("program.json")).unwrap();
    success(&["train", "--resume", out, "--quiet"]);
    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert!(!summary.contains("program_error"), "{summary}");
    assert!(summary.contains("\"all_agree\": true"), "{summary}");
    assert!(dir.join("program.json").is_file());
}

#[test]
fn the_bos_default_comes_from_the_preset_or_the_flag() {
    let config = |extra: &[&str]| {
        let dir = common::temp_dir("tprog-cli-train", "bos");
        let out = dir.to_str().unwrap();
        let mut args = vec![
            "train",
            "--task",
            "induction",
            "--preset",
            "tiny",
            "--epochs",
            "1",
            "--out",
            out,
            "--overwrite",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        success(&args);
        std::fs::read_to_string(dir.join("config.json")).unwrap()
    };
    assert!(config(&[]).contains("\"bos_default\": \"soft\""));
    let flagged = config(&["--bos-default", "reference"]);
    assert!(
        flagged.contains("\"bos_default\": \"reference\""),
        "{flagged}"
    );
    let stderr = failure(&["train", "--task", "induction", "--bos-default", "hard"]);
    assert!(
        stderr.contains("reference") && stderr.contains("soft"),
        "{stderr}"
    );
}

/// The finding behind the induction presets' soft BOS default, kept as a check: with the
/// reference's default (absent while training) the model only learns to answer `<unk>`
/// (≈ 67 %); with the soft one the same seed learns the induction circuit. 30 epochs instead
/// of 250 (τ anneals faster), about 8 s per run.
#[test]
fn induction_learns_with_the_soft_bos_default() {
    let test_accuracy = |bos: &str| {
        let dir = common::temp_dir("tprog-cli-train", &format!("induction-{bos}"));
        success(&[
            "train",
            "--task",
            "induction",
            "--epochs",
            "30",
            "--seed",
            "0",
            "--bos-default",
            bos,
            "--out",
            dir.to_str().unwrap(),
            "--quiet",
        ]);
        let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
        let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
        assert_eq!(summary["config"]["model"]["bos_default"], bos);
        summary["test"]["token_acc"].as_f64().unwrap()
    };
    let soft = test_accuracy("soft");
    let reference = test_accuracy("reference");
    assert!(soft >= 0.99, "soft BOS default: test accuracy {soft}");
    assert!(
        reference < 0.8,
        "reference BOS default: test accuracy {reference} (it was ≈ 0.67; if training now \
         learns induction without the soft default, the presets' choice should be revisited)"
    );
}

#[test]
fn bad_input_is_a_clear_error() {
    let stderr = failure(&["train", "--task", "sorting"]);
    assert!(
        stderr.contains("reverse") && stderr.contains("induction"),
        "{stderr}"
    );
    let stderr = failure(&["train", "--task", "sort", "--preset", "papers"]);
    assert!(
        stderr.contains("paper") && stderr.contains("readme"),
        "{stderr}"
    );
    let stderr = failure(&["train", "--task", "sort", "--seeds", "3..1"]);
    assert!(stderr.contains("empty"), "{stderr}");
    let dir = common::temp_dir("tprog-cli-train", "badcfg");
    let stderr = failure(&[
        "train",
        "--task",
        "sort",
        "--preset",
        "tiny",
        "--lr=-1",
        "--batch-size",
        "0",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("lr") && stderr.contains("batch_size"),
        "{stderr}"
    );
    let stderr = failure(&["eval", "/nonexistent/run"]);
    assert!(stderr.contains("not a tprog run directory"), "{stderr}");
    // A corrupted checkpoint file.
    let corrupt = common::temp_dir("tprog-cli-train", "corrupt.pt");
    std::fs::write(&corrupt, b"PK\x03\x04 definitely not a zip").unwrap();
    let out = common::temp_dir("tprog-cli-train", "corrupt-run");
    let stderr = failure(&[
        "import-reference",
        corrupt.to_str().unwrap(),
        &reference("trained_sort_readme.args.json"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stderr.contains("corrupt.pt"), "{stderr}");
}

#[test]
fn import_reference_reproduces_the_reference_accuracy() {
    let out = common::temp_dir("tprog-cli-train", "imported");
    let stdout = success(&[
        "import-reference",
        &reference("trained_sort_readme.model.pt"),
        &reference("trained_sort_readme.args.json"),
        "--out",
        out.to_str().unwrap(),
    ]);
    let test_row = stdout.lines().find(|l| l.starts_with("test")).unwrap();
    assert!(test_row.contains("97.90"), "{stdout}");
    let run = out.to_str().unwrap();
    // The import wrote the program like a trained run: `tprog run` works right away.
    for file in [
        "program.json",
        "program.py",
        "program.svg",
        "summary.json",
        "report.md",
    ] {
        assert!(out.join(file).is_file(), "{file} missing after the import");
    }
    let labels = success(&[
        "run",
        out.join("program.json").to_str().unwrap(),
        "--tokens",
        "<s> 3 1 2 </s>",
    ]);
    assert!(!labels.trim().is_empty(), "{labels}");

    // Program == model on every split, and its exact accuracy over all 19,530 sort inputs.
    let stdout = success(&["verify", run, "--exhaustive"]);
    assert!(
        stdout.contains("the program equals the discrete model at every position"),
        "{stdout}"
    );
    assert!(
        stdout.contains("19530 inputs") && stdout.contains("97.8728%"),
        "{stdout}"
    );

    // Exports: JSON runs with `tprog run`, Python with python3 (when present).
    let json = out.join("exported.json");
    success(&[
        "export",
        run,
        "--format",
        "json",
        "--out",
        json.to_str().unwrap(),
    ]);
    let labels = success(&[
        "run",
        json.to_str().unwrap(),
        "--tokens",
        "<s> 3 1 4 0 </s>",
    ]);
    let python = out.join("exported.py");
    success(&["export", run, "--out", python.to_str().unwrap()]);
    match Command::new("python3")
        .arg(&python)
        .arg("<s> 3 1 4 0 </s>")
        .output()
    {
        Ok(output) => {
            assert!(output.status.success(), "{}", text(&output.stderr));
            assert_eq!(text(&output.stdout).trim(), labels.trim());
        }
        Err(_) => eprintln!("python3 not found: the Python export was not run"),
    }
}

/// `verify` checks the files the run saved, not a fresh decompilation: an edited
/// `program.json` that answers differently, or a `program.py` that is not its export, fails.
#[test]
fn verify_checks_the_saved_program_files() {
    let dir = common::temp_dir("tprog-cli-train", "verify-saved");
    let out = dir.to_str().unwrap();
    success(&[
        "train", "--task", "sort", "--preset", "tiny", "--out", out, "--quiet",
    ]);
    let stdout = success(&["verify", out]);
    assert!(stdout.contains("equals the discrete model"), "{stdout}");

    // program.py that is not the export of program.json.
    let py = dir.join("program.py");
    let original_py = std::fs::read_to_string(&py).unwrap();
    std::fs::write(&py, original_py.replacen("def ", "def broken_", 1)).unwrap();
    let stderr = failure(&["verify", out]);
    assert!(
        stderr.contains("program.py") && stderr.contains("not the Python export"),
        "{stderr}"
    );
    std::fs::write(&py, &original_py).unwrap();
    success(&["verify", out]);

    // program.json whose classifier answers differently: every weight negated.
    let json_path = dir.join("program.json");
    let original_json = std::fs::read_to_string(&json_path).unwrap();
    let mut program: serde_json::Value = serde_json::from_str(&original_json).unwrap();
    for feature in program["classifier"]["features"].as_array_mut().unwrap() {
        for row in feature["weights"].as_array_mut().unwrap() {
            for weight in row.as_array_mut().unwrap() {
                *weight = (-weight.as_f64().unwrap()).into();
            }
        }
    }
    std::fs::write(&json_path, program.to_string()).unwrap();
    // program.py no longer matches either; remove it to test program.json alone.
    std::fs::remove_file(&py).unwrap();
    let stderr = failure(&["verify", out]);
    assert!(stderr.contains("FAITHFULNESS FAILURE"), "{stderr}");
    std::fs::write(&json_path, &original_json).unwrap();
    let stdout = success(&["verify", out]);
    assert!(stdout.contains("equals the discrete model"), "{stdout}");

    // Export reads the saved program: it works after the data file or task settings are gone,
    // and never overwrites a file without --force, nor a file of the run at all.
    let exported = dir.join("exported.py");
    success(&["export", out, "--out", exported.to_str().unwrap()]);
    let again = failure(&["export", out, "--out", exported.to_str().unwrap()]);
    assert!(again.contains("--force"), "{again}");
    success(&[
        "export",
        out,
        "--out",
        exported.to_str().unwrap(),
        "--force",
    ]);
    let model = dir.join("model.safetensors");
    let before = std::fs::read(&model).unwrap();
    let stderr = failure(&[
        "export",
        out,
        "--format",
        "json",
        "--out",
        model.to_str().unwrap(),
        "--force",
    ]);
    assert!(stderr.contains("is a file of the run"), "{stderr}");
    assert_eq!(std::fs::read(&model).unwrap(), before);
}
