//! The reference's trained README sort model (`trained_sort_readme`): its decompiled program
//! reproduces the reference's test-split predictions (97.90% accuracy), its Python export
//! prints the same labels, and exhaustive verification scores it on all 19,530 sort inputs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use tprog_decompile::{Examples, Vocabularies, decompile, verify, verify_exhaustive};
use tprog_model::Model;
use tprog_program::{Interpreter, Program, to_python};
use tprog_tasks::{Task, TaskName, TaskParams};

const TAG: &str = "trained_sort_readme";

fn trained() -> (Model, Program) {
    let json = common::fixture_json(TAG);
    let mut model = common::fixture_config(&json).init(0).unwrap();
    model
        .load_safetensors(&common::reference_dir().join(format!("{TAG}.safetensors")))
        .unwrap();
    let vocab = Vocabularies {
        input: common::strings(&json, "input_vocab"),
        output: common::strings(&json, "output_vocab"),
        name: "sort".into(),
        text: None,
    };
    let program = decompile(&model, &vocab).unwrap();
    (model, program)
}

/// The sort_10k test split as program inputs and padded `[n, 8]` token and label matrices.
struct TestSplit {
    sequences: Vec<Vec<String>>,
    labels: Vec<Vec<String>>,
    tokens: Vec<u32>,
    label_indices: Vec<u32>,
}

fn test_split(program: &Program) -> TestSplit {
    let rows = common::reference_split("sort_10k", "test");
    assert_eq!(rows.len(), 1000);
    let index = |list: &[String], s: &str| list.iter().position(|t| t == s).unwrap() as u32;
    let (mut tokens, mut label_indices) = (vec![0u32; rows.len() * 8], vec![0u32; rows.len() * 8]);
    for (r, (t, l)) in rows.iter().enumerate() {
        for p in 0..t.len() {
            tokens[r * 8 + p] = index(&program.input_vocab, &t[p]);
            label_indices[r * 8 + p] = index(&program.output_vocab, &l[p]);
        }
    }
    TestSplit {
        sequences: rows.iter().map(|(t, _)| t.clone()).collect(),
        labels: rows.iter().map(|(_, l)| l.clone()).collect(),
        tokens,
        label_indices,
    }
}

#[test]
fn program_reproduces_the_reference_test_predictions() {
    let (mut model, program) = trained();
    let split = test_split(&program);
    let (shape, reference) = common::fixture_tensor(TAG, "out.test_predictions_argmax");
    assert_eq!(shape, [1000, 8]);
    let interpreter = Interpreter::new(&program).unwrap();
    let (mut scored, mut equal, mut correct) = (0, 0, 0);
    for (r, sequence) in split.sequences.iter().enumerate() {
        let predicted = interpreter.run(sequence).unwrap();
        for (p, label) in split.labels[r].iter().enumerate() {
            if label == "<pad>" {
                continue;
            }
            scored += 1;
            let want = &program.output_vocab[reference[r * 8 + p] as usize];
            equal += usize::from(&predicted[p] == want);
            correct += usize::from(&predicted[p] == label);
        }
    }
    let accuracy = correct as f64 / scored as f64;
    eprintln!(
        "trained sort: {equal}/{scored} positions equal the reference; accuracy {accuracy:.4}"
    );
    assert_eq!(equal, scored);
    assert!((accuracy - 0.978_987).abs() < 1e-4, "accuracy {accuracy}");

    // And the program agrees with our own discrete model at every real position.
    let examples = Examples {
        tokens: &split.tokens,
        labels: Some(&split.label_indices),
        width: 8,
    };
    let agreement = verify(&mut model, &program, &examples).unwrap();
    eprintln!("trained sort: {agreement}");
    assert!(agreement.is_exact(), "{agreement}");
    assert_eq!(agreement.program_correct, correct);
}

const DRIVER: &str = r#"
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("program", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
for line in sys.stdin:
    print(json.dumps(module.run(json.loads(line))))
"#;

#[test]
fn python_export_prints_the_same_labels() {
    let available = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        eprintln!("note: python3 is not on PATH; skipping the Python export check");
        return;
    }
    let (_, program) = trained();
    let split = test_split(&program);
    let dir = std::env::temp_dir().join(format!("tprog-decompile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (file, driver) = (dir.join("sort.py"), dir.join("driver.py"));
    std::fs::write(&file, to_python(&program)).unwrap();
    std::fs::write(&driver, DRIVER).unwrap();
    let mut child = Command::new("python3")
        .arg(&driver)
        .arg(&file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input: String = split
        .sequences
        .iter()
        .map(|s| serde_json::to_string(s).unwrap() + "\n")
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(output.status.success());
    let printed: Vec<Vec<String>> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let interpreter = Interpreter::new(&program).unwrap();
    assert_eq!(printed.len(), split.sequences.len());
    let (_, reference) = common::fixture_tensor(TAG, "out.test_predictions_argmax");
    for (r, (sequence, labels)) in split.sequences.iter().zip(&printed).enumerate() {
        assert_eq!(&interpreter.run(sequence).unwrap(), labels, "{sequence:?}");
        for (p, gold) in split.labels[r].iter().enumerate() {
            if gold != "<pad>" {
                let want = &program.output_vocab[reference[r * 8 + p] as usize];
                assert_eq!(&labels[p], want, "{sequence:?} position {p}");
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn exhaustive_verification_over_every_sort_input() {
    let (_, program) = trained();
    let task = Task::new(
        TaskName::Sort,
        TaskParams {
            dataset_size: 10_000,
            ..TaskName::Sort.default_params()
        },
    )
    .unwrap();
    let start = Instant::now();
    let report = verify_exhaustive(&program, &task, 3).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    eprintln!(
        "exhaustive: {} sequences, {}/{} positions correct = {:.4}% exact accuracy, {} sequences \
         fully correct, in {seconds:.3} s",
        report.sequences,
        report.positions_correct,
        report.positions,
        100.0 * report.accuracy(),
        report.sequences_correct
    );
    assert_eq!(report.sequences, 19_530);
    assert!(report.accuracy() > 0.9 && report.accuracy() < 1.0);
    assert_eq!(report.counterexamples.len(), 3);
}
