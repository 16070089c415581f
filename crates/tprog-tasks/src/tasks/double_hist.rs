//! `double_hist`: label each token with the number of distinct tokens that occur as often as it.
//!
//! Inputs are drawn exactly as for [`super::hist`] (`<s> w`, symbols `"0"` … `vocab_size − 3`,
//! content length `min_length ..= max_length − 1`). With `count(t)` the occurrences of `t` in
//! `w`, the label at a position holding `t` is the number of distinct symbols `u` of `w` with
//! `count(u) == count(t)`, as a string; `<s>` is unscored (`<pad>`).
//!
//! In `<s> 5 2 5 3`, `5` occurs twice (the only symbol with count 2) and `2`, `3` once each (two
//! symbols with count 1):
//!
//! ```
//! use tprog_tasks::{Task, TaskName};
//! let task = Task::with_defaults(TaskName::DoubleHist);
//! let tokens: Vec<String> = ["<s>", "5", "2", "5", "3"].map(String::from).into();
//! assert_eq!(task.label(&tokens)?, ["<pad>", "1", "2", "1", "2"]);
//! # Ok::<(), tprog_tasks::TaskError>(())
//! ```

use std::collections::{HashMap, HashSet};

use super::counts;
use super::hist::content;
use crate::params::TaskParams;
use crate::vocab::PAD;

/// `<pad>`, then for each token the number of distinct tokens sharing its count.
pub(crate) fn label(params: &TaskParams, tokens: &[String]) -> Result<Vec<String>, String> {
    let content = content(params, tokens)?;
    let counts = counts(content);
    let mut symbols_per_count: HashMap<usize, HashSet<&str>> = HashMap::new();
    for (token, &count) in content.iter().zip(&counts) {
        symbols_per_count
            .entry(count)
            .or_default()
            .insert(token.as_str());
    }
    let mut labels = vec![PAD.to_string()];
    labels.extend(
        counts
            .iter()
            .map(|count| symbols_per_count[count].len().to_string()),
    );
    Ok(labels)
}
