//! Exhaustive verification: exact accuracy, sequence accuracy and the first counterexamples.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use tprog_program::{Interpreter, ProgramError, verify};

/// Every `<s>` + {a, b, c}^L for L = 0..=max_len, shortest first.
fn all_inputs(max_len: u32) -> Vec<Vec<String>> {
    let mut inputs = Vec::new();
    for length in 0..=max_len {
        for code in 0..3usize.pow(length) {
            let mut tokens = vec!["<s>".to_string()];
            let mut rest = code;
            for _ in 0..length {
                tokens.push(["a", "b", "c"][rest % 3].to_string());
                rest /= 3;
            }
            inputs.push(tokens);
        }
    }
    inputs
}

/// Predicts x for <s> and a, y for b, z for c.
fn token_classifier() -> tprog_program::Program {
    let mut program = hand_program(vec![], false);
    let mut rows = vec![vec![0.0; 4]; 8];
    rows[token("<s>")][1] = 1.0;
    rows[token("a")][1] = 1.0;
    rows[token("b")][2] = 1.0;
    rows[token("c")][3] = 1.0;
    program.classifier.features = vec![feature("tokens", rows)];
    program
}

#[test]
fn exact_accuracy_and_counterexamples() {
    let interpreter = Interpreter::new(&token_classifier()).unwrap();
    let inputs = all_inputs(7);
    // Gold labels: <s> unscored; a → x, b → y, c → z, except a final c, labelled x.
    let label = |tokens: &[String]| -> Result<Vec<String>, String> {
        Ok(tokens
            .iter()
            .enumerate()
            .map(|(i, t)| match t.as_str() {
                "<s>" => "<pad>",
                "a" => "x",
                "b" => "y",
                _ if i + 1 == tokens.len() => "x",
                _ => "z",
            })
            .map(String::from)
            .collect())
    };
    let report = verify(&interpreter, &inputs, label, 3).unwrap();
    let total: usize = (0..=7).map(|l| 3usize.pow(l)).sum();
    let scored: usize = (0..=7).map(|l| 3usize.pow(l) * l as usize).sum();
    let wrong: usize = (1..=7).map(|l| 3usize.pow(l - 1)).sum();
    assert_eq!(report.sequences, total);
    assert_eq!(report.positions, scored);
    assert_eq!(report.positions_correct, scored - wrong);
    assert_eq!(report.sequences_correct, total - wrong);
    assert!((report.accuracy() - (scored - wrong) as f64 / scored as f64).abs() < 1e-12);
    // The first counterexamples in input order: "<s> c", "<s> a c", "<s> b c".
    let first: Vec<String> = report
        .counterexamples
        .iter()
        .map(|c| c.tokens.join(" "))
        .collect();
    assert_eq!(first, vec!["<s> c", "<s> a c", "<s> b c"]);
    assert_eq!(report.counterexamples[0].index, 3);
    assert_eq!(report.counterexamples[0].expected, words("<pad> x"));
    assert_eq!(report.counterexamples[0].predicted, words("x z"));
}

#[test]
fn perfect_programs_score_one_and_errors_surface() {
    let interpreter = Interpreter::new(&token_classifier()).unwrap();
    let inputs = all_inputs(4);
    let gold = |tokens: &[String]| -> Result<Vec<String>, String> {
        Ok(tokens
            .iter()
            .map(|t| match t.as_str() {
                "<s>" => "<pad>",
                "a" => "x",
                "b" => "y",
                _ => "z",
            })
            .map(String::from)
            .collect())
    };
    let report = verify(&interpreter, &inputs, gold, 5).unwrap();
    assert_eq!((report.accuracy(), report.sequence_accuracy()), (1.0, 1.0));
    assert!(report.counterexamples.is_empty());

    let failing = |_: &[String]| -> Result<Vec<String>, String> { Err("no labels".into()) };
    let error = verify(&interpreter, &inputs, failing, 5).unwrap_err();
    assert!(matches!(error, ProgramError::Label { .. }), "{error}");
    let short = |_: &[String]| -> Result<Vec<String>, String> { Ok(vec![]) };
    let error = verify(&interpreter, &inputs[1..], short, 5).unwrap_err();
    assert!(matches!(error, ProgramError::LabelLength { .. }), "{error}");
    let unknown = vec![words("<s> q")];
    let error = verify(&interpreter, &unknown, gold, 5).unwrap_err();
    assert!(
        matches!(error, ProgramError::UnknownToken { .. }),
        "{error}"
    );
}
