//! Seeded-mutation fuzzing of the program loader, shared by `tests/fuzz_program.rs` (a fixed
//! set of seeds, run by `cargo test`) and `examples/fuzz_program.rs` (runs for a given time).
//!
//! Each case is drawn from its seed alone: the JSON of a random valid program (several
//! shapes), then one to four stacked mutations, either on the text (byte flips, truncation,
//! insertions, deletions) or on the parsed JSON tree (deleted keys, changed numbers, strings,
//! list elements removed, duplicated or swapped, values of the wrong type). The target loads
//! the text; loading must give a program or a clean error, and a program that loads (so
//! validates) must compile, run on valid token sequences, trace, export to Python and
//! round-trip through JSON without panicking. A panic is a finding.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use tprog_program::random::{RandomSpec, random_program};
use tprog_program::{Interpreter, Program, to_python};

/// The program shapes the corpus is drawn from (small, so a case runs in about a millisecond).
fn specs() -> Vec<RandomSpec> {
    let small = RandomSpec {
        vocab_size: 5,
        n_classes: 4,
        n_ctx: 5,
        d_var: 5,
        n_layers: 2,
        n_heads_cat: 1,
        n_heads_num: 1,
        n_cat_mlps: 1,
        n_num_mlps: 1,
        mlp_vars_in: 2,
        causal: false,
        embedding: false,
    };
    let causal = RandomSpec {
        causal: true,
        embedding: true,
        mlp_vars_in: 1,
        ..small.clone()
    };
    let wide = RandomSpec {
        n_layers: 1,
        n_heads_cat: 2,
        n_heads_num: 2,
        ..RandomSpec::sort_sized()
    };
    vec![small, causal, wide]
}

/// Valid program texts the mutations start from.
pub fn corpus() -> Vec<String> {
    let mut texts = Vec::new();
    for (i, spec) in specs().iter().enumerate() {
        for seed in 0..3 {
            texts.push(random_program(spec, 100 * i as u64 + seed).to_json());
        }
    }
    texts
}

/// Numbers that stress range checks.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "255",
    "256",
    "65536",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "1e308",
    "1e309",
    "-0.0",
    "0.5",
    "3.4028235e38",
    "1e-45",
    "1000000",
];

/// Every path (list of keys / indices) of `value`'s nodes.
fn paths(value: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(path.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                path.push(Value::String(key.clone()));
                paths(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.push(Value::from(index));
                paths(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The node at `path`.
fn node<'a>(value: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(value, |value, step| match step {
        Value::String(key) => &mut value[key.as_str()],
        _ => &mut value[step.as_u64().unwrap() as usize],
    })
}

/// One edit of the JSON tree.
fn mutate_tree(rng: &mut ChaCha8Rng, tree: &mut Value) {
    let mut all = Vec::new();
    paths(tree, &mut Vec::new(), &mut all);
    let path = all.choose(rng).unwrap().clone();
    let target = node(tree, &path);
    match rng.gen_range(0..7) {
        0 => {
            // Delete a key or a list element (the parent of the chosen node).
            if let Some((last, parent_path)) = path.split_last() {
                let parent = node(tree, parent_path);
                match (parent, last) {
                    (Value::Object(map), Value::String(key)) => {
                        map.remove(key);
                    }
                    (Value::Array(items), index) => {
                        items.remove(index.as_u64().unwrap() as usize);
                    }
                    _ => {}
                }
            }
        }
        1 => *target = serde_json::from_str(NUMBERS.choose(rng).unwrap()).unwrap_or(Value::Null),
        2 => {
            if let Some(n) = target.as_i64() {
                *target = Value::from(n + rng.gen_range(-2..=2));
            } else {
                *target = Value::from(rng.gen_range(-3i64..40));
            }
        }
        3 => {
            let strings = [
                "<pad>",
                "<s>",
                "tokens",
                "positions",
                "ones",
                "",
                "c0",
                "t1",
                "x",
            ];
            *target = Value::from(*strings.choose(rng).unwrap());
        }
        4 => {
            // Duplicate, swap or truncate a list.
            if let Value::Array(items) = target {
                if !items.is_empty() {
                    let i = rng.gen_range(0..items.len());
                    let j = rng.gen_range(0..items.len());
                    match rng.gen_range(0..3) {
                        0 => items.insert(j, items[i].clone()),
                        1 => items.swap(i, j),
                        _ => items.truncate(i),
                    }
                }
            }
        }
        5 => {
            let wrong = [
                Value::Null,
                Value::Bool(true),
                Value::Array(vec![]),
                serde_json::json!({}),
            ];
            *target = wrong.choose(rng).unwrap().clone();
        }
        _ => {
            // Copy another node over this one (a table where a table is expected, but wrong).
            let source = all.choose(rng).unwrap().clone();
            let copy = node(tree, &source).clone();
            *node(tree, &path) = copy;
        }
    }
}

/// One edit of the text.
fn mutate_text(rng: &mut ChaCha8Rng, text: &mut Vec<u8>) {
    match rng.gen_range(0..5) {
        0 if !text.is_empty() => {
            let i = rng.gen_range(0..text.len());
            text[i] ^= 1 << rng.gen_range(0..8);
        }
        1 => {
            let len = rng.gen_range(0..=text.len());
            text.truncate(len);
        }
        2 if !text.is_empty() => {
            let start = rng.gen_range(0..text.len());
            let end = (start + rng.gen_range(1..64)).min(text.len());
            text.drain(start..end);
        }
        3 => {
            let i = rng.gen_range(0..=text.len());
            let insert: [&[u8]; 10] = [
                "\u{feff}".as_bytes(),
                b"{",
                b"[",
                b"\"",
                b"0",
                b"-",
                b"\\u0000",
                b"1e999",
                b",",
                b"\xff",
            ];
            let piece = *insert.choose(rng).unwrap();
            text.splice(i..i, piece.iter().copied());
        }
        _ => {
            // Replace a number in the text.
            let digits: Vec<usize> = (0..text.len())
                .filter(|&i| text[i].is_ascii_digit())
                .collect();
            if let Some(&i) = digits.choose(rng) {
                let number = NUMBERS.choose(rng).unwrap().as_bytes();
                text.splice(i..i + 1, number.iter().copied());
            }
        }
    }
}

/// The text of case `seed` (may be invalid UTF-8, hence bytes).
pub fn case(seed: u64) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let corpus = corpus_cached();
    let text = corpus.choose(&mut rng).unwrap();
    let mutations = rng.gen_range(1..=4);
    if rng.gen_bool(0.6) {
        let mut tree: Value = serde_json::from_str(text).unwrap();
        for _ in 0..mutations {
            mutate_tree(&mut rng, &mut tree);
        }
        let mut bytes = serde_json::to_vec_pretty(&tree).unwrap();
        if rng.gen_bool(0.2) {
            mutate_text(&mut rng, &mut bytes);
        }
        bytes
    } else {
        let mut bytes = text.clone().into_bytes();
        for _ in 0..mutations {
            mutate_text(&mut rng, &mut bytes);
        }
        bytes
    }
}

/// The corpus, built once per thread.
fn corpus_cached() -> std::rc::Rc<Vec<String>> {
    thread_local! {
        static CORPUS: std::rc::Rc<Vec<String>> = std::rc::Rc::new(corpus());
    }
    CORPUS.with(std::rc::Rc::clone)
}

/// Valid inputs for `program`: `<s>`-first sequences of 1..=n_ctx (at most 24) tokens of its
/// vocabulary, never `<pad>`.
fn inputs(program: &Program, seed: u64) -> Vec<Vec<String>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let usable: Vec<&String> = program
        .input_vocab
        .iter()
        .filter(|t| *t != "<pad>")
        .collect();
    if usable.is_empty() {
        return Vec::new();
    }
    (0..6)
        .map(|_| {
            let length = rng.gen_range(1..=program.n_ctx.clamp(1, 24));
            (0..length)
                .map(|_| (*usable.choose(&mut rng).unwrap()).clone())
                .collect()
        })
        .collect()
}

/// The target: loads `bytes` and, when it is a program, exercises it.
pub fn execute(seed: u64, bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let program = match Program::from_json_str(text) {
        Ok(program) => program,
        Err(error) => {
            assert!(!error.to_string().is_empty());
            return false;
        }
    };
    let interpreter = Interpreter::new(&program).expect("a validated program compiles");
    for tokens in inputs(&program, seed) {
        // Errors (a numerical MLP outside its domain, an overflow) are fine; panics are not.
        if let Ok(labels) = interpreter.run(&tokens) {
            assert_eq!(labels.len(), tokens.len());
            let trace = interpreter
                .trace(&tokens)
                .expect("a run that succeeds traces");
            let _ = trace.to_table();
        }
    }
    let _ = to_python(&program);
    let again = Program::from_json_str(&program.to_json()).expect("the JSON of a program loads");
    assert!(again == program || format!("{again:?}") == format!("{program:?}"));
    true
}

/// What a fuzzing session found.
#[derive(Debug, Default)]
pub struct Summary {
    /// Cases run.
    pub executions: u64,
    /// Cases that loaded (and were then exercised further).
    pub loaded: u64,
    /// Cases that panicked: (seed, message).
    pub panics: Vec<(u64, String)>,
}

/// Runs the cases of `seeds` (stopping at `deadline`), catching panics.
pub fn run(seeds: impl Iterator<Item = u64>, deadline: Option<Instant>) -> Summary {
    let mut summary = Summary::default();
    for seed in seeds {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let bytes = case(seed);
        summary.executions += 1;
        let outcome = catch_unwind(AssertUnwindSafe(|| execute(seed, &bytes)));
        summary.loaded += u64::from(outcome.as_ref().is_ok_and(|&loaded| loaded));
        if let Err(payload) = outcome {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            summary.panics.push((seed, message));
        }
    }
    summary
}
