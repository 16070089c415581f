//! Hand-built programs whose behaviour is checked by hand: the closest-match rule, numerical
//! sums, MLP tables, the classifier's argmax, JSON round trips and validation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use tprog_program::{
    Interpreter, MlpTable, Module, NumMlpInput, NumMlpTable, Program, ProgramError, Run, Selection,
};

/// The key chosen by every query of the head `attn` (which copies positions).
fn chosen(pairs: &[(&str, &str)], causal: bool, input: &str) -> Vec<usize> {
    let program = hand_program(vec![position_head("attn", pairs)], causal);
    let trace = Interpreter::new(&program)
        .unwrap()
        .trace(&words(input))
        .unwrap();
    let Selection::Closest(keys) = &trace.heads[0].selection else {
        panic!("not a cat head")
    };
    let copied = &trace
        .variables
        .iter()
        .find(|v| v.name == "attn")
        .unwrap()
        .values;
    assert_eq!(copied, &keys.iter().map(|&k| k as i64).collect::<Vec<_>>());
    keys.clone()
}

#[test]
fn closest_match_nearest_wins_and_bos_when_none() {
    // a→a, b→b, <s> matches nothing.
    let same = [("a", "a"), ("b", "b")];
    // positions:          0  1 2 3 4 5 6
    assert_eq!(
        chosen(&same, false, "<s> a b a b b a"),
        vec![0, 3, 4, 1, 5, 4, 3]
    );
}

#[test]
fn closest_match_left_on_equal_distance() {
    // b→a: the query b at 2 sees a at 1 and 3 (distance 1), and b at 4 sees a at 2 and 6.
    let cross = [("b", "a")];
    assert_eq!(chosen(&cross, false, "<s> a b a")[2], 1);
    assert_eq!(chosen(&cross, false, "<s> c a c b c a")[4], 2);
}

#[test]
fn closest_match_self_only_if_alone() {
    let same = [("a", "a")];
    assert_eq!(chosen(&same, false, "<s> a b b")[1], 1);
    // The reference program would pick self here (5 has fewer matches than its distance to 1).
    assert_eq!(chosen(&same, false, "<s> a b b b a")[5], 1);
    // <s> matching itself: only match for query 0, which is also BOS.
    assert_eq!(chosen(&[("<s>", "<s>")], false, "<s> a")[0], 0);
}

#[test]
fn closest_match_no_candidate_goes_to_bos() {
    assert_eq!(chosen(&[("a", "c")], false, "<s> a b a"), vec![0, 0, 0, 0]);
}

#[test]
fn causal_heads_only_look_left() {
    let same = [("a", "a")];
    assert_eq!(chosen(&same, false, "<s> a b a")[1], 3);
    assert_eq!(chosen(&same, true, "<s> a b a"), vec![0, 1, 0, 1]);
    assert_eq!(chosen(&[("a", "b")], true, "<s> a b")[1], 0);
}

#[test]
fn numerical_heads_sum_every_match_including_self_and_bos() {
    let identity = [("<s>", "<s>"), ("a", "a"), ("b", "b")];
    let modules = vec![
        count_head("count", 0, "ones", &identity),
        // Sums the counts of the keys with the same token: count², summed per token.
        count_head("count_sum", 1, "count", &identity),
    ];
    for (causal, counts, sums) in [
        (false, vec![1, 2, 1, 2], vec![1, 4, 1, 4]),
        (true, vec![1, 1, 1, 2], vec![1, 1, 1, 3]),
    ] {
        let program = hand_program(modules.clone(), causal);
        let trace = Interpreter::new(&program)
            .unwrap()
            .trace(&words("<s> a b a"))
            .unwrap();
        let values = |name: &str| {
            trace
                .variables
                .iter()
                .find(|v| v.name == name)
                .unwrap()
                .values
                .clone()
        };
        assert_eq!(values("count"), counts, "causal {causal}");
        assert_eq!(values("count_sum"), sums, "causal {causal}");
        let Selection::Sum(matches) = &trace.heads[0].selection else {
            panic!()
        };
        assert_eq!(matches[3], vec![false, true, false, true]);
    }
}

#[test]
fn mlp_tables_look_up_every_combination() {
    // mlp(tokens, positions) = (token + position) % 8; mlp2(positions, positions) = 7 - position.
    let table = (0..64).map(|i| (i / 8 + i % 8) % 8).collect();
    let diagonal = (0..64)
        .map(|i| if i / 8 == i % 8 { 7 - i % 8 } else { 0 })
        .collect();
    let program = hand_program(
        vec![
            Module::CatMlp(MlpTable {
                output: "mlp".into(),
                layer: 0,
                inputs: vec!["tokens".into(), "positions".into()],
                table,
            }),
            Module::CatMlp(MlpTable {
                output: "mlp2".into(),
                layer: 0,
                inputs: vec!["positions".into(), "positions".into()],
                table: diagonal,
            }),
        ],
        false,
    );
    let trace = Interpreter::new(&program)
        .unwrap()
        .trace(&words("<s> c a b"))
        .unwrap();
    let values = |name: &str| {
        trace
            .variables
            .iter()
            .find(|v| v.name == name)
            .unwrap()
            .values
            .clone()
    };
    assert_eq!(values("mlp"), vec![1, 5, 4, 6]);
    assert_eq!(values("mlp2"), vec![7, 6, 5, 4]);
}

fn count_mlp(min: i64, max: i64) -> Program {
    // num_mlp(count): 3 for counts 0..=1, 5 for 2, 6 for 3..=4.
    hand_program(
        vec![
            count_head("count", 0, "ones", &[("a", "a"), ("b", "b")]),
            Module::NumMlp(NumMlpTable {
                output: "num_mlp".into(),
                layer: 0,
                inputs: vec![NumMlpInput {
                    variable: "count".into(),
                    min,
                    max,
                }],
                runs: vec![
                    Run { value: 3, count: 2 },
                    Run { value: 5, count: 1 },
                    Run { value: 6, count: 2 },
                ],
            }),
        ],
        false,
    )
}

#[test]
fn numerical_mlp_is_exact_on_its_domain_and_an_error_outside() {
    let interpreter = Interpreter::new(&count_mlp(0, 4)).unwrap();
    let trace = interpreter.trace(&words("<s> a b a a c")).unwrap();
    let mlp = trace
        .variables
        .iter()
        .find(|v| v.name == "num_mlp")
        .unwrap();
    // counts: <s> 0, a 3, b 1, a 3, a 3, c 0
    assert_eq!(mlp.values, vec![3, 6, 3, 6, 6, 3]);
    let shifted = Interpreter::new(&count_mlp(1, 5)).unwrap();
    let error = shifted.run(&words("<s> a")).unwrap_err();
    assert!(
        matches!(
            error,
            ProgramError::OutsideDomain {
                value: 0,
                position: 0,
                min: 1,
                max: 5,
                ..
            }
        ),
        "{error}"
    );
}

fn classifier_program(features: Vec<tprog_program::Feature>, masked: &[&str]) -> Program {
    let mut program = hand_program(vec![], false);
    program.classifier.features = features;
    program.masked_classes = masked.iter().map(|c| c.to_string()).collect();
    program
}

#[test]
fn classifier_sums_in_f32_left_to_right_and_breaks_ties_low() {
    // tokens: <s> → [5, 0.1, 0.1, 0], a → [9, 0.2, 0.3, 0.1]; positions: 0.2 for y; ones: 0.25 for z.
    let mut tokens = vec![vec![0.0; 4]; 8];
    tokens[1] = vec![5.0, 0.1, 0.1, 0.0];
    tokens[2] = vec![9.0, 0.2, 0.3, 0.1];
    let positions = vec![vec![0.0, 0.0, 0.2, 0.0]; 8];
    let ones = vec![vec![0.0, 0.0, 0.0, 0.25]];
    let program = classifier_program(
        vec![
            feature("tokens", tokens),
            feature("positions", positions),
            feature("ones", ones),
        ],
        &["<pad>"],
    );
    let interpreter = Interpreter::new(&program).unwrap();
    let output = interpreter.run_with_logits(&[1, 2]).unwrap();
    let expected = |t: f32, p: f32, o: f32| {
        let mut sum = 0.0f32;
        sum += t;
        sum += p;
        sum += 1.0f32 * o;
        sum
    };
    assert_eq!(output.logits[1][2], expected(0.3, 0.2, 0.0));
    assert_eq!(output.logits[1][3], expected(0.1, 0.0, 0.25));
    // <pad> has the largest logit but is masked. Position 0: x = 0.1, y = 0.1 + 0.2, z = 0.25
    // → y; position 1: x = 0.2, y = 0.3 + 0.2, z = 0.1 + 0.25 → y.
    assert_eq!(output.predictions, vec![2, 2]);
    assert_eq!(interpreter.run(&words("<s> a")).unwrap(), words("y y"));

    // Exact ties go to the lowest class; masking <pad> and x leaves y and z tied → y.
    let tie = vec![vec![1.0, 0.5, 0.5, 0.5]; 8];
    let program = classifier_program(vec![feature("tokens", tie.clone())], &["<pad>"]);
    assert_eq!(program.run(&words("<s> a")).unwrap(), words("x x"));
    let program = classifier_program(vec![feature("tokens", tie)], &["<pad>", "x"]);
    assert_eq!(program.run(&words("<s> a")).unwrap(), words("y y"));
}

#[test]
fn inputs_are_checked() {
    let program = hand_program(vec![position_head("attn", &[("a", "a")])], false);
    let interpreter = Interpreter::new(&program).unwrap();
    let unknown = interpreter.run(&words("<s> a q")).unwrap_err();
    assert!(
        unknown.to_string().contains("\"q\" at position 2"),
        "{unknown}"
    );
    let long = interpreter.run(&words("<s> a a a a a a a a")).unwrap_err();
    assert!(
        matches!(
            long,
            ProgramError::TooLong {
                length: 9,
                n_ctx: 8
            }
        ),
        "{long}"
    );
    let pad = interpreter.run(&words("<s> <pad>")).unwrap_err();
    assert!(
        matches!(pad, ProgramError::PadToken { position: 1, .. }),
        "{pad}"
    );
    let index = interpreter.run_indices(&[1, 9]).unwrap_err();
    assert!(
        matches!(index, ProgramError::TokenIndexOutOfRange { index: 9, .. }),
        "{index}"
    );
    // One rule everywhere: an empty input is an error, whichever entry point.
    assert!(matches!(interpreter.run(&[]), Err(ProgramError::Empty)));
    assert!(matches!(interpreter.encode(&[]), Err(ProgramError::Empty)));
    assert!(matches!(
        interpreter.run_indices(&[]),
        Err(ProgramError::Empty)
    ));
    assert!(matches!(interpreter.trace(&[]), Err(ProgramError::Empty)));
}

#[test]
fn json_round_trip_is_exact() {
    let mut program = count_mlp(0, 4);
    program.classifier.features = vec![
        feature(
            "tokens",
            vec![vec![0.1, -1e-7, 3.4028235e38, f32::MIN_POSITIVE]; 8],
        ),
        feature("count", vec![vec![1.0 / 3.0, -0.0, 7.0, 1e-45]]),
    ];
    let json = program.to_json();
    assert!(json.contains("\"format_version\": 1"));
    let back = Program::from_json_str(&json).unwrap();
    assert_eq!(back, program);
    assert_eq!(
        Program::from_json_str(&format!("\u{feff}{json}")).unwrap(),
        program
    );
    for (a, b) in back
        .classifier
        .features
        .iter()
        .zip(&program.classifier.features)
    {
        for (x, y) in a.weights.iter().flatten().zip(b.weights.iter().flatten()) {
            assert_eq!(x.to_bits(), y.to_bits());
        }
    }
    let path = std::env::temp_dir().join(format!("tprog-program-{}.json", std::process::id()));
    program.to_json_file(&path).unwrap();
    assert_eq!(Program::from_json_file(&path).unwrap(), program);
    // A truncated file is an error that names the file.
    std::fs::write(&path, &json[..json.len() / 2]).unwrap();
    let error = Program::from_json_file(&path).unwrap_err().to_string();
    let lines = json[..json.len() / 2].lines().count();
    assert!(
        error.starts_with(&format!("{}:{lines}:", path.display()))
            && error.contains(": not a valid program: EOF while parsing"),
        "{error}"
    );
    assert!(
        !error.contains(" at line "),
        "the position is given once: {error}"
    );
    // A wrong version too.
    std::fs::write(
        &path,
        json.replace("\"format_version\": 1", "\"format_version\": 2"),
    )
    .unwrap();
    let error = Program::from_json_file(&path).unwrap_err().to_string();
    assert!(error.contains("format_version 2"), "{error}");
    std::fs::remove_file(&path).unwrap();
    let missing = Program::from_json_file(&path).unwrap_err();
    assert!(matches!(missing, ProgramError::Read { .. }));
}

#[test]
fn validation_reports_every_problem_at_once() {
    let mut table = (0..64).collect::<Vec<usize>>();
    table.pop(); // 63 entries, and values up to 62 ≥ d_var
    let mut program = hand_program(
        vec![
            position_head("attn", &[("a", "a")]),
            Module::CatMlp(MlpTable {
                output: "mlp".into(),
                layer: 0,
                inputs: vec!["tokens".into(), "later".into()],
                table,
            }),
            count_head("later", 0, "nowhere", &[("a", "a")]),
            position_head("attn", &[]),
        ],
        false,
    );
    if let Module::CatHead(head) = &mut program.modules[0] {
        head.predicate.key_of_query[2] = Some(11);
    }
    program.classifier.features = vec![
        feature("tokens", vec![vec![0.0; 3]; 8]),
        feature("ghost", vec![]),
    ];
    program.masked_classes.push("w".into());
    let problems = program.problems();
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let expect = [
        "predicate holds value 11",
        "input reads \"later\", which is defined at or after this module",
        "table has 63 entries, expected d_var^2 = 64",
        "table holds value 62",
        "value reads unknown variable \"nowhere\"",
        "variable \"attn\" is defined twice",
        "weight row 0 has 3 entries",
        "classifier.features[1] (ghost): unknown variable",
        "\"w\" is not in the output vocabulary",
    ];
    for needle in expect {
        assert!(
            text.iter().any(|t| t.contains(needle)),
            "missing {needle:?} in {text:#?}"
        );
    }
    let error = Program::from_json_str(&program.to_json())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(&format!("{} problem(s)", problems.len())),
        "{error}"
    );
    assert!(Interpreter::new(&program).is_err());
}
