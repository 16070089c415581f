//! `sort`: sort the tokens between `<s>` and `</s>`.
//!
//! Inputs are drawn exactly as for [`super::reverse`] (`<s> w </s>`, symbols `"0"` …
//! `vocab_size − 4`, content length `min_length ..= max_length − 2`). The label at each content
//! position is the content sorted in string order (the reference's Python `sorted`, so `"10"`
//! sorts before `"2"` if such symbols exist); `<s>` and `</s>` are unscored (`<pad>`).
//!
//! ```
//! use tprog_tasks::{Task, TaskName};
//! let task = Task::with_defaults(TaskName::Sort);
//! let tokens: Vec<String> = ["<s>", "4", "2", "0", "2", "</s>"].map(String::from).into();
//! assert_eq!(task.label(&tokens)?, ["<pad>", "0", "2", "2", "4", "<pad>"]);
//! # Ok::<(), tprog_tasks::TaskError>(())
//! ```

use super::reverse::{content, framed};
use crate::params::TaskParams;

/// `<pad>`, the content sorted, `<pad>`.
pub(crate) fn label(params: &TaskParams, tokens: &[String]) -> Result<Vec<String>, String> {
    let mut sorted = content(params, tokens)?.to_vec();
    sorted.sort();
    Ok(framed(sorted.into_iter()))
}
