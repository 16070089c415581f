//! Property tests on random programs: head selection equals a brute-force maximisation of the
//! model's position bias; batched runs equal single runs; nothing panics on arbitrary inputs,
//! arbitrary bytes or mutated JSON.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use tprog_program::random::{RandomSpec, random_program};
use tprog_program::{Interpreter, Program, Selection, position_bias};

fn small_spec(causal: bool, embedding: bool) -> RandomSpec {
    RandomSpec {
        vocab_size: 6,
        n_classes: 4,
        n_ctx: 7,
        d_var: 7,
        n_layers: 2,
        n_heads_cat: 2,
        n_heads_num: 1,
        n_cat_mlps: 1,
        n_num_mlps: 1,
        mlp_vars_in: 2,
        causal,
        embedding,
    }
}

/// The model's rule written as a maximisation: among allowed matching keys, the largest bias
/// `b(j − i)` with `M = n_ctx`, the lowest index on ties; BOS when nothing matches.
fn brute_force_key(query: usize, matches: &[bool], causal: bool, n_ctx: usize) -> usize {
    let mut best: Option<(usize, f64)> = None;
    for (key, &matched) in matches.iter().enumerate() {
        if !matched || (causal && key > query) {
            continue;
        }
        let bias = position_bias(key as isize - query as isize, n_ctx);
        if best.is_none_or(|(_, top)| bias > top) {
            best = Some((key, bias));
        }
    }
    best.map_or(0, |(key, _)| key)
}

fn tokens_strategy() -> impl Strategy<Value = Vec<usize>> {
    // <s> then ordinary tokens (indices 2..6), up to n_ctx = 7 positions.
    proptest::collection::vec(2usize..6, 0..7).prop_map(|rest| {
        let mut tokens = vec![1];
        tokens.extend(rest);
        tokens
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn head_selection_maximises_the_position_bias(
        seed in 0u64..1000,
        causal in any::<bool>(),
        tokens in tokens_strategy(),
    ) {
        let program = random_program(&small_spec(causal, seed % 2 == 0), seed);
        let interpreter = Interpreter::new(&program).unwrap();
        let words: Vec<String> = tokens.iter().map(|&t| program.input_vocab[t].clone()).collect();
        let trace = interpreter.trace(&words).unwrap();
        let value_of = |name: &str| trace.variables.iter().find(|v| v.name == name).unwrap().values.clone();
        let heads = program.modules.iter().filter_map(|m| match m {
            tprog_program::Module::CatHead(head) => Some(head),
            _ => None,
        });
        for (head, traced) in heads.zip(trace.heads.iter().filter(|h| matches!(h.selection, Selection::Closest(_)))) {
            let Selection::Closest(chosen) = &traced.selection else { unreachable!() };
            let (queries, keys, values) = (value_of(&head.query), value_of(&head.key), value_of(&head.value));
            for (i, &query) in queries.iter().enumerate() {
                let target = head.predicate.key_of_query[query as usize];
                let matches: Vec<bool> = keys.iter().map(|&k| Some(k as usize) == target).collect();
                let expected = brute_force_key(i, &matches, causal, program.n_ctx);
                prop_assert_eq!(chosen[i], expected, "head {} query {}", head.output, i);
                prop_assert_eq!(value_of(&head.output)[i], values[expected]);
            }
        }
    }

    #[test]
    fn batched_runs_equal_single_runs(seed in 0u64..1000, batch in proptest::collection::vec(tokens_strategy(), 1..20)) {
        let program = random_program(&small_spec(seed % 3 == 0, false), seed);
        let interpreter = Interpreter::new(&program).unwrap();
        let batched = interpreter.run_batch(&batch).unwrap();
        let with_logits = interpreter.run_batch_with_logits(&batch).unwrap();
        for ((tokens, predictions), output) in batch.iter().zip(&batched).zip(&with_logits) {
            prop_assert_eq!(&interpreter.run_with_logits(tokens).unwrap(), output);
            prop_assert_eq!(&interpreter.run_indices(tokens).unwrap(), predictions);
            prop_assert_eq!(&interpreter.run_with_logits(tokens).unwrap().predictions, predictions);
        }
    }

    #[test]
    fn interpreter_never_panics_on_arbitrary_tokens(
        seed in 0u64..100,
        tokens in proptest::collection::vec(0usize..12, 0..12),
        words in proptest::collection::vec("[<>/a-z0-9]{0,4}", 0..10),
    ) {
        let program = random_program(&small_spec(false, true), seed);
        let interpreter = Interpreter::new(&program).unwrap();
        let _ = interpreter.run_indices(&tokens);
        let _ = interpreter.run(&words);
        let _ = interpreter.trace(&words);
    }

    #[test]
    fn loading_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        prop_assert!(Program::from_json_str(&text).is_err());
    }

    #[test]
    fn loading_mutated_json_never_panics(
        seed in 0u64..50,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..6), 1..4),
    ) {
        let json = random_program(&small_spec(false, true), seed).to_json();
        let mut bytes = json.into_bytes();
        let replacements: [&[u8]; 6] = [b"", b"9", b"-1", b"null", b"\"x\"", b"99999999999999999999"];
        for (index, replacement) in edits {
            let at = index.index(bytes.len());
            let end = (at + 3).min(bytes.len());
            bytes.splice(at..end, replacements[replacement].iter().copied());
        }
        if let Ok(program) = Program::from_json_str(&String::from_utf8_lossy(&bytes)) {
            // Whatever still loads is valid and runs without panicking.
            let interpreter = Interpreter::new(&program).unwrap();
            let _ = interpreter.run_indices(&[1, 2, 3]);
            let _ = tprog_program::to_python(&program);
        }
    }

    #[test]
    fn weights_round_trip_through_json_bit_for_bit(bits in proptest::collection::vec(any::<u32>(), 4)) {
        let mut program = random_program(&small_spec(false, false), 1);
        let weights: Vec<f32> = bits.iter().map(|&b| f32::from_bits(b)).map(|w| if w.is_finite() { w } else { 0.5 }).collect();
        program.classifier.features[0].weights[0] = weights.clone();
        let back = Program::from_json_str(&program.to_json()).unwrap();
        let got: Vec<u32> = back.classifier.features[0].weights[0].iter().map(|w| w.to_bits()).collect();
        let want: Vec<u32> = weights.iter().map(|w| w.to_bits()).collect();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn random_programs_are_valid_for_many_shapes() {
    for seed in 0..40 {
        let mut spec = small_spec(seed % 2 == 0, seed % 3 == 0);
        spec.n_layers = 1 + (seed as usize % 3);
        spec.mlp_vars_in = 1 + (seed as usize % 2);
        let program = random_program(&spec, seed);
        assert_eq!(program.problems(), vec![], "seed {seed}");
    }
    let big = random_program(&RandomSpec::sort_sized(), 3);
    assert_eq!(big.problems(), vec![]);
}
