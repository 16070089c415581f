//! Trace mode: every variable at every position, each head's selection, logits and
//! predictions, with a plain-text rendering (positions as columns).

use std::fmt::Write as _;

use crate::compile::{Interpreter, Step};
use crate::error::ProgramError;
use crate::interpret::Scratch;
use crate::ir::{Module, VariableKind};
use crate::labels::Label;

/// Everything computed on one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The input tokens.
    pub tokens: Vec<String>,
    /// Every variable in stream order.
    pub variables: Vec<TracedVariable>,
    /// Every attention head in module order.
    pub heads: Vec<HeadTrace>,
    /// `logits[position][class]`.
    pub logits: Vec<Vec<f32>>,
    /// Predicted label per position.
    pub predictions: Vec<String>,
}

/// One variable's values at every position.
#[derive(Debug, Clone, PartialEq)]
pub struct TracedVariable {
    /// Variable name.
    pub name: String,
    /// Categorical or numerical.
    pub kind: VariableKind,
    /// Raw value per position (categorical index or integer).
    pub values: Vec<i64>,
    /// Printable label per position.
    pub labels: Vec<Label>,
}

/// What one attention head selected.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadTrace {
    /// The head's output variable.
    pub name: String,
    /// Its selection.
    pub selection: Selection,
}

/// A head's selection pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Categorical head: the key position chosen by each query position.
    Closest(Vec<usize>),
    /// Numerical head: `matches[query][key]`, the allowed keys that match (all are summed).
    Sum(Vec<Vec<bool>>),
}

impl Interpreter {
    /// Runs the program on `tokens` and records everything it computes.
    pub fn trace(&self, tokens: &[String]) -> Result<Trace, ProgramError> {
        let indices = self.encode(tokens)?;
        let n = indices.len();
        let mut scratch = Scratch::default();
        let mut chosen = Vec::new();
        self.execute(&indices, &mut scratch, Some(&mut chosen))?;
        let output = self.run_with_logits(&indices)?;
        let program = self.program();
        let labellings = program.labellings();
        let names = program
            .inputs
            .iter()
            .map(|input| input.name.as_str())
            .chain(program.modules.iter().map(Module::output));
        let mut variables = Vec::new();
        for name in names {
            let Some(&(kind, slot)) = self.slots.get(name) else {
                continue;
            };
            let values: Vec<i64> = match kind {
                VariableKind::Categorical => scratch.cat[slot * n..(slot + 1) * n]
                    .iter()
                    .map(|&v| i64::from(v))
                    .collect(),
                VariableKind::Numerical => scratch.num[slot * n..(slot + 1) * n].to_vec(),
            };
            let labelling = labellings
                .get(name)
                .copied()
                .unwrap_or(crate::Labelling::Index);
            let labels = values
                .iter()
                .map(|&v| program.label(labelling, v))
                .collect();
            variables.push(TracedVariable {
                name: name.to_string(),
                kind,
                values,
                labels,
            });
        }
        let mut chosen = chosen.into_iter();
        let mut heads = Vec::new();
        for (step, module) in self.steps[program.inputs.len()..]
            .iter()
            .zip(&program.modules)
        {
            let selection = match step {
                Step::CatHead { .. } => Selection::Closest(chosen.next().unwrap_or_default()),
                Step::NumHead {
                    query,
                    key,
                    predicate,
                    ..
                } => {
                    let cat = &scratch.cat;
                    Selection::Sum(
                        (0..n)
                            .map(|i| {
                                let target = predicate[cat[query * n + i] as usize];
                                (0..n)
                                    .map(|j| {
                                        (!program.causal || j <= i) && cat[key * n + j] == target
                                    })
                                    .collect()
                            })
                            .collect(),
                    )
                }
                _ => continue,
            };
            heads.push(HeadTrace {
                name: module.output().to_string(),
                selection,
            });
        }
        Ok(Trace {
            tokens: tokens.to_vec(),
            variables,
            heads,
            logits: output.logits,
            predictions: output
                .predictions
                .iter()
                .map(|&class| program.output_vocab[class].clone())
                .collect(),
        })
    }
}

impl Trace {
    /// Renders the variables as a table (one row per variable, positions as columns), then each
    /// head's selection as a query × key grid (`*` chosen or summed key, `.` otherwise).
    pub fn to_table(&self) -> String {
        let n = self.tokens.len();
        let mut rows: Vec<(String, Vec<String>)> = vec![(
            "position".to_string(),
            (0..n).map(|i| i.to_string()).collect(),
        )];
        for variable in &self.variables {
            rows.push((
                variable.name.clone(),
                variable.labels.iter().map(Label::to_string).collect(),
            ));
        }
        rows.push(("prediction".to_string(), self.predictions.clone()));
        let name_width = rows.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
        let column_width = rows
            .iter()
            .flat_map(|(_, cells)| cells.iter().map(String::len))
            .max()
            .unwrap_or(1);
        let mut text = String::new();
        for (name, cells) in &rows {
            let _ = write!(text, "{name:<name_width$}");
            for cell in cells {
                let _ = write!(text, "  {cell:>column_width$}");
            }
            text.push('\n');
        }
        for head in &self.heads {
            let _ = writeln!(text, "\n{} (rows: queries, columns: keys)", head.name);
            let _ = write!(text, "{:>4}", "");
            for key in 0..n {
                let _ = write!(text, " {key:>2}");
            }
            text.push('\n');
            for query in 0..n {
                let _ = write!(text, "{query:>4}");
                for key in 0..n {
                    let mark = match &head.selection {
                        Selection::Closest(chosen) => chosen.get(query) == Some(&key),
                        Selection::Sum(matches) => matches[query][key],
                    };
                    let _ = write!(text, " {:>2}", if mark { "*" } else { "." });
                }
                text.push('\n');
            }
        }
        text
    }
}
