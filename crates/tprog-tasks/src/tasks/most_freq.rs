//! `most_freq`: list the distinct tokens from the most to the least frequent.
//!
//! Inputs are drawn exactly as for [`super::hist`] (`<s> w`, symbols `"0"` … `vocab_size − 3`,
//! content length `min_length ..= max_length − 1`). The distinct symbols of `w` are ordered by
//! decreasing count, ties broken by first occurrence; content position `t` (1-based) is
//! labelled with the `t`-th of them, and the positions past the number of distinct symbols are
//! labelled `<s>` (scored, as in the reference); `<s>` itself is unscored (`<pad>`).
//!
//! ```
//! use tprog_tasks::{Task, TaskName};
//! let task = Task::with_defaults(TaskName::MostFreq);
//! let tokens: Vec<String> = ["<s>", "2", "5", "5", "3", "5", "3"].map(String::from).into();
//! assert_eq!(task.label(&tokens)?, ["<pad>", "5", "3", "2", "<s>", "<s>", "<s>"]);
//! # Ok::<(), tprog_tasks::TaskError>(())
//! ```

use super::counts;
use super::hist::content;
use crate::params::TaskParams;
use crate::vocab::{BOS, PAD};

/// `<pad>`, the distinct tokens by (decreasing count, first index), then `<s>` fillers.
pub(crate) fn label(params: &TaskParams, tokens: &[String]) -> Result<Vec<String>, String> {
    let content = content(params, tokens)?;
    let counts = counts(content);
    // (−count, first index) of each distinct token, as the reference sorts them.
    let mut order: Vec<(usize, usize)> = Vec::new();
    for (index, token) in content.iter().enumerate() {
        if content[..index].iter().all(|earlier| earlier != token) {
            order.push((counts[index], index));
        }
    }
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut labels = vec![PAD.to_string()];
    labels.extend(order.iter().map(|&(_, index)| content[index].clone()));
    labels.resize(tokens.len(), BOS.to_string());
    Ok(labels)
}
