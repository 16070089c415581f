//! The program loader and interpreter. Each case: the JSON of a random valid program (several
//! shapes), then one to four stacked mutations, either on the text (byte flips, truncation,
//! insertions, deletions, numbers) or on the parsed JSON tree (deleted keys, changed numbers
//! and strings, list elements removed, duplicated or swapped, values of the wrong type, one
//! node copied over another). Loading must give a program or a clean error, and a program that
//! loads (so validates) must compile, run on valid token sequences, trace, export to Python and
//! round-trip through JSON without panicking.

use serde_json::Value;
use tprog_program::random::{RandomSpec, random_program};
use tprog_program::{Interpreter, Program, to_python};

use crate::driver::{Outcome, Target};
use crate::mutate::{self, Digit};
use crate::rng::Rng;

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

/// Strings a program uses (names, special tokens).
const STRINGS: &[&str] = &[
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

/// Pieces spliced into the text.
const PIECES: &[&[u8]] = &[
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

/// The program target: its corpus of valid program texts.
#[derive(Debug, Clone)]
pub struct ProgramTarget {
    corpus: Vec<String>,
}

impl ProgramTarget {
    /// The target, with its corpus (three shapes, three programs each).
    pub fn new() -> Self {
        let mut corpus = Vec::new();
        for (i, spec) in specs().iter().enumerate() {
            for seed in 0..3 {
                corpus.push(random_program(spec, 100 * i as u64 + seed).to_json());
            }
        }
        Self { corpus }
    }

    /// The valid program texts the mutations start from.
    pub fn corpus(&self) -> &[String] {
        &self.corpus
    }
}

impl Default for ProgramTarget {
    fn default() -> Self {
        Self::new()
    }
}

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

/// The node at `path` (indexing a missing node yields `Null` rather than a panic).
fn node<'a>(value: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(value, |value, step| match step {
        Value::String(key) => &mut value[key.as_str()],
        _ => &mut value[step.as_u64().unwrap_or(0) as usize],
    })
}

/// One edit of the JSON tree.
fn mutate_tree(rng: &mut Rng, tree: &mut Value) {
    let mut all = Vec::new();
    paths(tree, &mut Vec::new(), &mut all);
    let Some(path) = rng.choose(&all).cloned() else {
        return;
    };
    match rng.below(7) {
        0 => {
            // Delete a key or a list element (the parent of the chosen node).
            if let Some((last, parent_path)) = path.split_last() {
                match (node(tree, parent_path), last) {
                    (Value::Object(map), Value::String(key)) => {
                        map.remove(key);
                    }
                    (Value::Array(items), index) => {
                        let index = index.as_u64().unwrap_or(0) as usize;
                        if index < items.len() {
                            items.remove(index);
                        }
                    }
                    _ => {}
                }
            }
        }
        1 => {
            let number = rng.choose(NUMBERS).copied().unwrap_or("0");
            *node(tree, &path) = serde_json::from_str(number).unwrap_or(Value::Null);
        }
        2 => {
            let target = node(tree, &path);
            *target = match target.as_i64() {
                Some(n) => Value::from(n.saturating_add(rng.between(-2, 2))),
                None => Value::from(rng.between(-3, 39)),
            };
        }
        3 => *node(tree, &path) = Value::from(rng.choose(STRINGS).copied().unwrap_or("")),
        4 => {
            // Duplicate, swap or truncate a list.
            if let Value::Array(items) = node(tree, &path)
                && !items.is_empty()
            {
                let i = rng.below(items.len());
                let j = rng.below(items.len());
                match rng.below(3) {
                    0 => items.insert(j, items[i].clone()),
                    1 => items.swap(i, j),
                    _ => items.truncate(i),
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
            *node(tree, &path) = wrong[rng.below(wrong.len())].clone();
        }
        _ => {
            // Copy another node over this one (a table where a table is expected, but wrong).
            if let Some(source) = rng.choose(&all) {
                let copy = node(tree, source).clone();
                *node(tree, &path) = copy;
            }
        }
    }
}

/// One edit of the text.
fn mutate_text(rng: &mut Rng, text: &mut Vec<u8>) {
    match rng.below(5) {
        0 => mutate::flip_bit(rng, text),
        1 => mutate::truncate(rng, text),
        2 => mutate::delete(rng, text, 63),
        3 => mutate::splice_fragment(rng, text, PIECES),
        _ => {
            let number = rng.choose(NUMBERS).copied().unwrap_or("0");
            mutate::replace_digit(rng, text, Digit::Any, number.as_bytes());
        }
    }
}

/// Valid inputs for `program`: sequences of 1..=n_ctx (at most 24) tokens of its vocabulary,
/// never `<pad>`.
fn inputs(program: &Program, seed: u64) -> Vec<Vec<String>> {
    let mut rng = Rng::new(seed ^ 0x5eed_1a7e);
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
            let length = 1 + rng.below(program.n_ctx.clamp(1, 24));
            (0..length)
                .filter_map(|_| rng.choose(&usable).map(|t| (*t).clone()))
                .collect()
        })
        .collect()
}

impl Target for ProgramTarget {
    type Case = Vec<u8>;

    fn name(&self) -> &'static str {
        "program"
    }

    fn case(&self, seed: u64) -> Vec<u8> {
        let mut rng = Rng::new(seed);
        let Some(text) = rng.choose(&self.corpus) else {
            return Vec::new();
        };
        let mutations = 1 + rng.below(4);
        let tree = serde_json::from_str::<Value>(text).ok();
        match tree {
            Some(mut tree) if rng.chance(0.6) => {
                for _ in 0..mutations {
                    mutate_tree(&mut rng, &mut tree);
                }
                let mut bytes = serde_json::to_vec_pretty(&tree).unwrap_or_default();
                if rng.chance(0.2) {
                    mutate_text(&mut rng, &mut bytes);
                }
                bytes
            }
            _ => {
                let mut bytes = text.clone().into_bytes();
                for _ in 0..mutations {
                    mutate_text(&mut rng, &mut bytes);
                }
                bytes
            }
        }
    }

    fn bytes<'a>(&self, case: &'a Vec<u8>) -> &'a [u8] {
        case
    }

    fn execute(&self, seed: u64, bytes: &Vec<u8>) -> Outcome {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Outcome::Refused("not UTF-8");
        };
        let program = match Program::from_json_str(text) {
            Ok(program) => program,
            Err(error) => {
                assert!(!error.to_string().is_empty(), "an error says something");
                return Outcome::Refused("invalid program");
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
        let again =
            Program::from_json_str(&program.to_json()).expect("the JSON of a program loads");
        assert!(again == program || format!("{again:?}") == format!("{program:?}"));
        Outcome::Loaded
    }
}
