//! Entity-level scores against seqeval 1.2.2 (`tests/fixtures/reference/seqeval_cases.json`:
//! 68 small corpora, 8 hand-picked edge cases and 60 random ones, with seqeval's precision,
//! recall and F1 in strict IOB2 mode and in its default mode). Every score must agree to 1e-9.

#![allow(clippy::unwrap_used)]

use serde_json::Value;
use tprog_train::entity::{EntityMode, entity_scores};

fn corpus(value: &Value) -> Vec<Vec<String>> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s.as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn scores_match_seqeval_on_every_case() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/reference/seqeval_cases.json"
    );
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(fixture["library"], "seqeval 1.2.2");
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 68);
    let mut failures = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let gold = corpus(&case["gold"]);
        let pred = corpus(&case["pred"]);
        for (mode, key) in [
            (EntityMode::StrictIob2, "strict_iob2"),
            (EntityMode::Default, "default"),
        ] {
            let scores = entity_scores(&gold, &pred, mode).unwrap();
            for (name, ours) in [
                ("precision", scores.precision),
                ("recall", scores.recall),
                ("f1", scores.f1),
            ] {
                let expected = case[key][name].as_f64().unwrap();
                if (ours - expected).abs() > 1e-9 {
                    failures.push(format!(
                        "case {index} {key} {name}: seqeval {expected}, ours {ours}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
