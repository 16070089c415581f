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

use super::framed::Frame;
use crate::params::TaskParams;
use crate::rng::RandomState;
use crate::support::Support;
use crate::vocab::{EOS, PAD};

/// `<s> w </s>`.
const FRAME: Frame = Frame { end: Some(EOS) };

/// Problems with parameters of `reverse` and `sort`.
pub(crate) fn check(params: &TaskParams, problems: &mut Vec<String>) {
    FRAME.check(params, problems);
}

/// One input `<s> w </s>`, drawn as the reference's `make_reverse`/`make_sort`.
pub(crate) fn sample(params: &TaskParams, rng: &mut RandomState) -> Vec<String> {
    FRAME.sample(params, rng)
}

/// Checks the `<s> w </s>` frame and the symbols; returns `w`.
pub(crate) fn content<'a>(
    params: &TaskParams,
    tokens: &'a [String],
) -> Result<&'a [String], String> {
    FRAME.content(params, tokens)
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
    FRAME.support(params)
}
