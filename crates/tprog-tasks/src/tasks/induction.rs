//! `induction`: in-context associative recall (autoregressive).
//!
//! With `s = (vocab_size − 2) / 2` (4 for the paper's 10), the symbols are `s` letters `a`, `b`,
//! … and `s` digits `"0"` … `s − 1`. Each sequence draws `l` uniformly in `min_length / 2 ..=
//! max_length / 2`, a letter → digit map (not necessarily injective) and `l` letters, and
//! writes `<s> c1 d(c1) c2 d(c2) …`. Then, with probability ½, a random digit is inserted right
//! after `<s>`; otherwise a random query letter is appended. The reference's generator also
//! rejects repeated sequences (always, even without `unique`).
//!
//! Every letter is labelled with the digit that followed the letter's first earlier
//! occurrence, or `<unk>` when the letter has not occurred before (the reference's labels, which
//! are the map's digits); `<s>` and digits are unscored (`<pad>`).
//!
//! ```
//! use tprog_tasks::{Task, TaskName};
//! let task = Task::with_defaults(TaskName::Induction);
//! let tokens: Vec<String> =
//!     ["<s>", "c", "1", "b", "2", "c", "1", "b"].map(String::from).into();
//! assert_eq!(
//!     task.label(&tokens)?,
//!     ["<pad>", "<unk>", "<pad>", "<unk>", "<pad>", "1", "<pad>", "2"]
//! );
//! # Ok::<(), tprog_tasks::TaskError>(())
//! ```

use super::{after_bos, digit_symbols, expect_symbols};
use crate::params::TaskParams;
use crate::rng::RandomState;
use crate::support::{Support, power, words};
use crate::vocab::{BOS, PAD, UNK};

/// Letters available to the task.
const LETTERS: &str = "abcdefghijklmnopqrstuvwxyz";

/// The number of letters (= the number of digits).
fn size(params: &TaskParams) -> usize {
    params.vocab_size.saturating_sub(2) / 2
}

/// The letters `a`, `b`, … for these parameters.
fn letters(params: &TaskParams) -> Vec<String> {
    LETTERS
        .chars()
        .take(size(params))
        .map(String::from)
        .collect()
}

/// Problems with parameters of `induction`.
pub(crate) fn check(params: &TaskParams, problems: &mut Vec<String>) {
    if params.vocab_size < 4 {
        problems.push(format!(
            "vocab_size must be at least 4 ((vocab_size-2)/2 letters and as many digits), got {}",
            params.vocab_size
        ));
    }
    if params.vocab_size > 2 + 2 * LETTERS.len() + 1 {
        problems.push(format!(
            "vocab_size must be at most 55 (there are 26 letters), got {}",
            params.vocab_size
        ));
    }
}

/// One input, drawn as the reference's `make_induction` (before its duplicate check).
pub(crate) fn sample(params: &TaskParams, rng: &mut RandomState) -> Vec<String> {
    let size = size(params);
    let letters = letters(params);
    let digits = digit_symbols(size);
    let pairs = rng.randint(params.min_length / 2, params.max_length / 2 + 1);
    let letter_to_digit = rng.randint_many(0, size, size);
    let chosen = rng.randint_many(0, size, pairs);
    let mut tokens = vec![BOS.to_string()];
    for letter in chosen {
        tokens.push(letters[letter].clone());
        tokens.push(digits[letter_to_digit[letter]].clone());
    }
    if rng.randint(0, 2) != 0 {
        let digit = rng.randint(0, size);
        tokens.insert(1, digits[digit].clone());
    } else {
        let query = rng.randint(0, size);
        tokens.push(letters[query].clone());
    }
    tokens
}

/// `<pad>` at `<s>` and digits; at letters the digit after the first earlier occurrence, or
/// `<unk>`.
pub(crate) fn label(params: &TaskParams, tokens: &[String]) -> Result<Vec<String>, String> {
    let letters = letters(params);
    let digits = digit_symbols(size(params));
    let alphabet: Vec<String> = letters.iter().chain(&digits).cloned().collect();
    expect_symbols(after_bos(tokens)?, 1, &alphabet)?;
    let labels = tokens
        .iter()
        .enumerate()
        .map(|(position, token)| {
            if !letters.contains(token) {
                return PAD.to_string();
            }
            let earlier = tokens[..position].iter().position(|other| other == token);
            match earlier.and_then(|j| tokens.get(j + 1)) {
                Some(next) if digits.contains(next) => next.clone(),
                _ => UNK.to_string(),
            }
        })
        .collect();
    Ok(labels)
}

/// Stirling number of the second kind `S(n, k)` (ways to split `n` items into `k` blocks).
fn stirling2(n: usize, k: usize) -> u128 {
    let mut row = vec![0u128; k + 1];
    row[0] = 1;
    for i in 1..=n {
        for j in (1..=k.min(i)).rev() {
            row[j] = (j as u128)
                .saturating_mul(row[j])
                .saturating_add(row[j - 1]);
        }
        row[0] = 0;
    }
    row[k]
}

/// Every sequence the generator can produce: for each `l`, each letter word, each digit
/// assignment of its distinct letters (in order of first occurrence), each inserted digit and
/// then each query letter.
pub(crate) fn support(params: &TaskParams) -> Support {
    let n = size(params);
    let lengths = params.min_length / 2..=params.max_length / 2;
    let mut total: u128 = 0;
    for l in lengths.clone() {
        let mut per_length: u128 = 0;
        for k in 0..=l.min(n) {
            let falling = (0..k).fold(1u128, |acc, i| acc.saturating_mul((n - i) as u128));
            let term = stirling2(l, k)
                .saturating_mul(falling)
                .saturating_mul(power(n, k));
            per_length = per_length.saturating_add(term);
        }
        total = total.saturating_add(per_length.saturating_mul(2 * n as u128));
    }
    let letters = letters(params);
    let digits = digit_symbols(n);
    let sequences = lengths.flat_map(move |l| {
        let (letters, digits) = (letters.clone(), digits.clone());
        words(n, l).flat_map(move |word| {
            let mut distinct: Vec<usize> = Vec::new();
            for &letter in &word {
                if !distinct.contains(&letter) {
                    distinct.push(letter);
                }
            }
            let (letters, digits) = (letters.clone(), digits.clone());
            words(n, distinct.len()).flat_map(move |assignment| {
                let mut body = Vec::with_capacity(2 * word.len());
                for letter in &word {
                    let slot = distinct.iter().position(|d| d == letter).unwrap_or(0);
                    body.push(letters[*letter].clone());
                    body.push(digits[assignment[slot]].clone());
                }
                let (letters, digits) = (letters.clone(), digits.clone());
                (0..2 * n).map(move |variant| {
                    let mut tokens = vec![BOS.to_string()];
                    if variant < n {
                        tokens.push(digits[variant].clone());
                        tokens.extend(body.iter().cloned());
                    } else {
                        tokens.extend(body.iter().cloned());
                        tokens.push(letters[variant - n].clone());
                    }
                    tokens
                })
            })
        })
    });
    Support::new(total, sequences)
}
