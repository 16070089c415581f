//! `hist`: label each token with its number of occurrences (also the generator of
//! `double_hist` and `most_freq`).
//!
//! Symbols are `"0"` … `vocab_size − 3` (6 symbols for the paper's `vocab_size` 8, which counts
//! `<pad>` and `<s>`). The generator draws a length `l` uniformly in `min_length ..=
//! max_length − 1` (the reference's `randint(min, max)`), then `l` symbols uniformly; the input
//! is `<s> w`. The label at each content position is the count of that token in `w`, as a
//! string; `<s>` is unscored (`<pad>`).
//!
//! ```
//! use tprog_tasks::{Task, TaskName};
//! let task = Task::with_defaults(TaskName::Hist);
//! let tokens: Vec<String> = ["<s>", "5", "2", "5", "5"].map(String::from).into();
//! assert_eq!(task.label(&tokens)?, ["<pad>", "3", "1", "3", "3"]);
//! # Ok::<(), tprog_tasks::TaskError>(())
//! ```

use super::counts;
use super::framed::Frame;
use crate::params::TaskParams;
use crate::rng::RandomState;
use crate::support::Support;
use crate::vocab::PAD;

/// `<s> w`.
const FRAME: Frame = Frame { end: None };

/// Problems with parameters of `hist`, `double_hist` and `most_freq`.
pub(crate) fn check(params: &TaskParams, problems: &mut Vec<String>) {
    FRAME.check(params, problems);
}

/// One input `<s> w`, drawn as the reference's `make_hist` (and `make_double_hist`,
/// `make_most_freq`, which draw identically).
pub(crate) fn sample(params: &TaskParams, rng: &mut RandomState) -> Vec<String> {
    FRAME.sample(params, rng)
}

/// Checks `<s>` and the symbols; returns the content after `<s>`.
pub(crate) fn content<'a>(
    params: &TaskParams,
    tokens: &'a [String],
) -> Result<&'a [String], String> {
    FRAME.content(params, tokens)
}

/// `<pad>`, then each token's count.
pub(crate) fn label(params: &TaskParams, tokens: &[String]) -> Result<Vec<String>, String> {
    let content = content(params, tokens)?;
    let mut labels = vec![PAD.to_string()];
    labels.extend(counts(content).into_iter().map(|count| count.to_string()));
    Ok(labels)
}

/// Every `<s> w` with `min_length <= |w| <= max_length - 1`.
pub(crate) fn support(params: &TaskParams) -> Support {
    FRAME.support(params)
}
