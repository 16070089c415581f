//! `dyck1` and `dyck2`: classify every prefix of a bracket string (autoregressive).
//!
//! Symbols are `( )` for dyck1 and `( ) { }` for dyck2 (`vocab_size` is the number of bracket
//! types, 1 or 2, as the reference forces it). Inputs are `<s> w` with exactly
//! `max_length − 1` brackets. With probability ½ the generator draws them uniformly;
//! otherwise it builds a balanced string of `n` steps (`n` uniform in `min_length / 2 ..=
//! max_length / 2`; each step picks a bracket type, then either appends `()` or wraps the
//! string as `( … )`), truncates it to `max_length − 1` brackets or pads it with uniform ones.
//!
//! Labels follow a stack: an opener is `P`; a closer that matches the top of the stack pops it
//! and is `T` if the stack is now empty, else `P`; the first closer that does not match makes
//! that position and every later one `F`. `<s>` is unscored (`<pad>`).
//!
//! ```
//! use tprog_tasks::{Task, TaskName};
//! let task = Task::with_defaults(TaskName::Dyck2);
//! let tokens: Vec<String> = ["<s>", "(", "{", "}", ")", "(", "}", "("].map(String::from).into();
//! assert_eq!(task.label(&tokens)?, ["<pad>", "P", "P", "P", "T", "P", "F", "F"]);
//! # Ok::<(), tprog_tasks::TaskError>(())
//! ```

use super::{after_bos, expect_symbols};
use crate::params::TaskParams;
use crate::rng::RandomState;
use crate::support::{Support, framed_words};
use crate::vocab::{BOS, PAD};

/// Bracket pairs in the reference's order.
const PAIRS: [(&str, &str); 2] = [("(", ")"), ("{", "}")];

/// The brackets `( )` (and `{ }` when `types` is 2).
fn symbols(types: usize) -> Vec<String> {
    PAIRS[..types]
        .iter()
        .flat_map(|&(open, close)| [open.to_string(), close.to_string()])
        .collect()
}

/// Problems with parameters of `dyck<types>`.
pub(crate) fn check(types: usize, params: &TaskParams, problems: &mut Vec<String>) {
    if params.vocab_size != types {
        problems.push(format!(
            "vocab_size of dyck{types} is the number of bracket types and must be {types}, got {}",
            params.vocab_size
        ));
    }
    if params.max_length < 2 {
        problems.push(format!(
            "max_length must be at least 2 (inputs are <s> and max_length-1 brackets), got {}",
            params.max_length
        ));
    }
}

/// The reference's `sample_dyck`: a balanced string of `min_depth..=max_depth` steps.
fn balanced(
    types: usize,
    min_depth: usize,
    max_depth: usize,
    rng: &mut RandomState,
) -> Vec<String> {
    let steps = rng.randint(min_depth, max_depth + 1);
    let mut brackets: Vec<String> = Vec::new();
    for _ in 0..steps {
        let (open, close) = PAIRS[rng.randint(0, types)];
        if rng.randint(0, 2) == 0 {
            brackets.push(open.to_string());
            brackets.push(close.to_string());
        } else {
            brackets.insert(0, open.to_string());
            brackets.push(close.to_string());
        }
    }
    brackets
}

/// One input, drawn as the reference's `make_dyck_pft`.
pub(crate) fn sample(types: usize, params: &TaskParams, rng: &mut RandomState) -> Vec<String> {
    let length = params.max_length - 1;
    let symbols = symbols(types);
    let brackets = if rng.randint(0, 2) != 0 {
        let mut brackets = balanced(types, params.min_length / 2, params.max_length / 2, rng);
        if brackets.len() < length {
            let padding = rng.choice(&symbols, length - brackets.len());
            brackets.extend(padding);
        } else {
            brackets.truncate(length);
        }
        brackets
    } else {
        rng.choice(&symbols, length)
    };
    let mut tokens = vec![BOS.to_string()];
    tokens.extend(brackets);
    tokens
}

/// `<pad>`, then `P`/`T`/`F` per prefix.
pub(crate) fn label(types: usize, tokens: &[String]) -> Result<Vec<String>, String> {
    let content = after_bos(tokens)?;
    expect_symbols(content, 1, &symbols(types))?;
    let mut labels = vec![PAD.to_string()];
    let mut stack: Vec<&str> = Vec::new();
    for token in content {
        let token = token.as_str();
        if let Some(&(open, _)) = PAIRS.iter().find(|(open, _)| *open == token) {
            stack.push(open);
            labels.push("P".into());
            continue;
        }
        let matching = PAIRS
            .iter()
            .find(|(_, close)| *close == token)
            .map(|&(open, _)| open);
        if stack.last().copied() != matching {
            labels.resize(tokens.len(), "F".into());
            return Ok(labels);
        }
        stack.pop();
        labels.push(if stack.is_empty() { "T" } else { "P" }.into());
    }
    Ok(labels)
}

/// Every `<s> w` with `max_length - 1` brackets (the uniform branch reaches all of them).
pub(crate) fn support(types: usize, params: &TaskParams) -> Support {
    let length = params.max_length.saturating_sub(1);
    framed_words(
        symbols(types),
        length..=length,
        vec![BOS.to_string()],
        vec![],
    )
}
