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

use super::{after_bos, counts, digit_symbols, expect_symbols};
use crate::params::TaskParams;
use crate::rng::RandomState;
use crate::support::{Support, framed_words};
use crate::vocab::{BOS, PAD};

/// The content symbols for these parameters.
pub(crate) fn symbols(params: &TaskParams) -> Vec<String> {
    digit_symbols(params.vocab_size.saturating_sub(2))
}

/// Problems with parameters of `hist`, `double_hist` and `most_freq`.
pub(crate) fn check(params: &TaskParams, problems: &mut Vec<String>) {
    if params.vocab_size < 3 {
        problems.push(format!(
            "vocab_size must be at least 3 (it counts <pad>, <s> and the symbols), got {}",
            params.vocab_size
        ));
    }
    if params.vocab_size > 1000 {
        problems.push(format!(
            "vocab_size {} is larger than 1000",
            params.vocab_size
        ));
    }
    if params.min_length + 1 > params.max_length {
        problems.push(format!(
            "max_length must be at least min_length + 1 (content lengths are min_length..=max_length-1), got min_length {} and max_length {}",
            params.min_length, params.max_length
        ));
    }
}

/// One input `<s> w`, drawn as the reference's `make_hist` (and `make_double_hist`,
/// `make_most_freq`, which draw identically).
pub(crate) fn sample(params: &TaskParams, rng: &mut RandomState) -> Vec<String> {
    let length = rng.randint(params.min_length, params.max_length);
    let mut tokens = vec![BOS.to_string()];
    tokens.extend(rng.choice(&symbols(params), length));
    tokens
}

/// Checks `<s>` and the symbols; returns the content after `<s>`.
pub(crate) fn content<'a>(
    params: &TaskParams,
    tokens: &'a [String],
) -> Result<&'a [String], String> {
    let content = after_bos(tokens)?;
    expect_symbols(content, 1, &symbols(params))?;
    Ok(content)
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
    framed_words(
        symbols(params),
        params.min_length..=params.max_length.saturating_sub(1),
        vec![BOS.to_string()],
        vec![],
    )
}
