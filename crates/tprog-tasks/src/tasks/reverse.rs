//! `reverse`: reverse the tokens between `<s>` and `</s>` (also the generator of `sort`).
//!
//! Symbols are `"0"` … `vocab_size − 4` (5 symbols for the paper's `vocab_size` 8, which counts
//! `<pad>`, `<s>` and `</s>`). The generator draws a length `l` uniformly in
//! `min_length ..= max_length − 2` (the reference's `randint(min, max − 1)`), then `l` symbols
//! uniformly; the input is `<s> w </s>`, so it is at most `max_length` tokens long. The label
//! at each content position is the reversed content; `<s>` and `</s>` are unscored (`<pad>`).
//!
//! ```
//! use tprog_tasks::{Task, TaskName};
//! let task = Task::with_defaults(TaskName::Reverse);
//! let tokens: Vec<String> = ["<s>", "4", "2", "0", "</s>"].map(String::from).into();
//! assert_eq!(task.label(&tokens)?, ["<pad>", "0", "2", "4", "<pad>"]);
//! # Ok::<(), tprog_tasks::TaskError>(())
//! ```

use super::{after_bos, digit_symbols, expect_symbols};
use crate::params::TaskParams;
use crate::rng::RandomState;
use crate::support::{Support, framed_words};
use crate::vocab::{BOS, EOS, PAD};

/// The content symbols for these parameters.
pub(crate) fn symbols(params: &TaskParams) -> Vec<String> {
    digit_symbols(params.vocab_size.saturating_sub(3))
}

/// Problems with parameters of `reverse` and `sort`.
pub(crate) fn check(params: &TaskParams, problems: &mut Vec<String>) {
    if params.vocab_size < 4 {
        problems.push(format!(
            "vocab_size must be at least 4 (it counts <pad>, <s>, </s> and the symbols), got {}",
            params.vocab_size
        ));
    }
    if params.vocab_size > 1000 {
        problems.push(format!(
            "vocab_size {} is larger than 1000",
            params.vocab_size
        ));
    }
    if params.min_length + 2 > params.max_length {
        problems.push(format!(
            "max_length must be at least min_length + 2 (content lengths are min_length..=max_length-2), got min_length {} and max_length {}",
            params.min_length, params.max_length
        ));
    }
}

/// One input `<s> w </s>`, drawn as the reference's `make_reverse`/`make_sort`.
pub(crate) fn sample(params: &TaskParams, rng: &mut RandomState) -> Vec<String> {
    let length = rng.randint(params.min_length, params.max_length - 1);
    let mut tokens = vec![BOS.to_string()];
    tokens.extend(rng.choice(&symbols(params), length));
    tokens.push(EOS.to_string());
    tokens
}

/// Checks the `<s> w </s>` frame and the symbols; returns `w`.
pub(crate) fn content<'a>(
    params: &TaskParams,
    tokens: &'a [String],
) -> Result<&'a [String], String> {
    let rest = after_bos(tokens)?;
    let content = match rest.split_last() {
        Some((last, content)) if last == EOS => content,
        _ => return Err(format!("the last token must be `{EOS}`")),
    };
    expect_symbols(content, 1, &symbols(params))?;
    Ok(content)
}

/// `<pad>`, the content reversed, `<pad>`.
pub(crate) fn label(params: &TaskParams, tokens: &[String]) -> Result<Vec<String>, String> {
    let content = content(params, tokens)?;
    Ok(framed(content.iter().rev().cloned()))
}

/// `<pad>`, `labels`, `<pad>`.
pub(crate) fn framed(labels: impl Iterator<Item = String>) -> Vec<String> {
    let mut out = vec![PAD.to_string()];
    out.extend(labels);
    out.push(PAD.to_string());
    out
}

/// Every `<s> w </s>` with `min_length <= |w| <= max_length - 2`.
pub(crate) fn support(params: &TaskParams) -> Support {
    framed_words(
        symbols(params),
        params.min_length..=params.max_length.saturating_sub(2),
        vec![BOS.to_string()],
        vec![EOS.to_string()],
    )
}
