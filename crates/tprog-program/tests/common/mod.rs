//! Hand-built program fixtures shared by the integration tests.
#![allow(dead_code, missing_docs, clippy::unwrap_used)]

use tprog_program::{
    CatHead, Classifier, FORMAT_VERSION, Feature, InputSource, InputVariable, Module, NumHead,
    Predicate, Program,
};

/// Tokens `<pad> <s> a b c`, classes `<pad> x y z` (`<pad>` masked), k = 8, n_ctx = 8, with the
/// inputs tokens, positions, ones, the given modules and no classifier features.
pub fn hand_program(modules: Vec<Module>, causal: bool) -> Program {
    Program {
        format_version: FORMAT_VERSION,
        name: "hand".into(),
        input_vocab: ["<pad>", "<s>", "a", "b", "c"].map(String::from).to_vec(),
        output_vocab: ["<pad>", "x", "y", "z"].map(String::from).to_vec(),
        masked_classes: vec!["<pad>".into()],
        n_ctx: 8,
        d_var: 8,
        causal,
        inputs: vec![
            InputVariable {
                name: "tokens".into(),
                source: InputSource::Tokens,
            },
            InputVariable {
                name: "positions".into(),
                source: InputSource::Positions,
            },
            InputVariable {
                name: "ones".into(),
                source: InputSource::Ones,
            },
        ],
        modules,
        classifier: Classifier {
            features: vec![],
            pooled: false,
        },
        provenance: None,
        text: None,
    }
}

/// Token index of a hand-program token.
pub fn token(name: &str) -> usize {
    ["<pad>", "<s>", "a", "b", "c"]
        .iter()
        .position(|t| *t == name)
        .unwrap()
}

/// A predicate over token values from `(query token, key token)` pairs.
pub fn token_predicate(pairs: &[(&str, &str)]) -> Predicate {
    let mut key_of_query = vec![None; 8];
    for (query, key) in pairs {
        key_of_query[token(query)] = Some(token(key));
    }
    Predicate { key_of_query }
}

/// A categorical head over tokens that copies positions (so its output is the chosen key).
pub fn position_head(output: &str, pairs: &[(&str, &str)]) -> Module {
    Module::CatHead(CatHead {
        output: output.into(),
        layer: 0,
        query: "tokens".into(),
        key: "tokens".into(),
        value: "positions".into(),
        predicate: token_predicate(pairs),
    })
}

/// A numerical head over tokens summing `value`.
pub fn count_head(output: &str, layer: usize, value: &str, pairs: &[(&str, &str)]) -> Module {
    Module::NumHead(NumHead {
        output: output.into(),
        layer,
        query: "tokens".into(),
        key: "tokens".into(),
        value: value.into(),
        predicate: token_predicate(pairs),
    })
}

/// `"<s> a b"` as owned strings.
pub fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(String::from).collect()
}

/// A classifier feature with a weight row per value (`rows` rows of `classes` weights).
pub fn feature(variable: &str, rows: Vec<Vec<f32>>) -> Feature {
    Feature {
        variable: variable.into(),
        weights: rows,
    }
}
