//! The synthetic tasks, one file each, with their encodings explained on each module's page.
//!
//! `reverse` owns the generator shared with `sort` (`<s> w </s>`), `hist` the one shared with
//! `double_hist` and `most_freq` (`<s> w`); both are one `framed` generator with a different
//! end token. `dyck` serves both `dyck1` and `dyck2`.

pub mod double_hist;
pub mod dyck;
mod framed;
pub mod hist;
pub mod induction;
pub mod most_freq;
pub mod reverse;
pub mod sort;

use crate::vocab::BOS;

/// The symbols `"0"`, `"1"`, ... `count - 1` as strings.
pub(crate) fn digit_symbols(count: usize) -> Vec<String> {
    (0..count).map(|i| i.to_string()).collect()
}

/// Checks that `tokens` starts with `<s>` and returns the rest.
pub(crate) fn after_bos(tokens: &[String]) -> Result<&[String], String> {
    match tokens.split_first() {
        Some((first, rest)) if first == BOS => Ok(rest),
        Some((first, _)) => Err(format!("position 0 must be `{BOS}`, got `{first}`")),
        None => Err("the sequence is empty".into()),
    }
}

/// Checks that every token of `content` (which starts at position `offset`) is in `alphabet`.
pub(crate) fn expect_symbols(
    content: &[String],
    offset: usize,
    alphabet: &[String],
) -> Result<(), String> {
    match content.iter().position(|token| !alphabet.contains(token)) {
        Some(i) => Err(format!(
            "token `{}` at position {} is not one of the task's symbols {alphabet:?}",
            content[i],
            i + offset
        )),
        None => Ok(()),
    }
}

/// How many times each token of `content` occurs in `content`, position by position.
pub(crate) fn counts(content: &[String]) -> Vec<usize> {
    let mut table: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for token in content {
        *table.entry(token.as_str()).or_default() += 1;
    }
    content.iter().map(|token| table[token.as_str()]).collect()
}
