//! Explanations of single predictions: for one input, at each position, which key each head
//! selected and by which predicate row, the MLP table entries hit, and the classifier's features
//! ranked by their contribution to the winning logit against the runner-up (or against a given
//! class, e.g. the expected one of a wrong prediction). Rendered as text or as one
//! self-contained HTML page.

mod analysis;
mod errors;
mod html;

pub use analysis::{
    Analysis, ClassFeature, ClassSummary, EmbeddingSummary, EmbeddingValue, HeadSummary, analyze,
};
pub use errors::{ErrorGroup, ErrorReport, find_errors};
pub use html::to_html;

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::compile::Interpreter;
use crate::error::ProgramError;
use crate::ir::{Module, Program, VariableKind};
use crate::trace::{Selection, Trace};

/// What one module did at one position.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleStep {
    /// The module's output variable.
    pub module: String,
    /// For a categorical head, the key position selected.
    pub selected: Option<usize>,
    /// One sentence.
    pub text: String,
}

/// One classifier feature's share of a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    /// The variable.
    pub variable: String,
    /// Its value at the position (label).
    pub value: String,
    /// Its term in the predicted class's logit.
    pub to_predicted: f32,
    /// Its term in the compared class's logit.
    pub to_other: f32,
}

impl Contribution {
    /// How much this feature favours the predicted class over the compared one.
    pub fn margin(&self) -> f32 {
        self.to_predicted - self.to_other
    }
}

/// The chain of one position's prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionChain {
    /// The position.
    pub position: usize,
    /// The predicted class.
    pub predicted: String,
    /// The class it is compared with (runner-up, or the one asked for).
    pub other: Option<String>,
    /// Logit of the predicted class minus the other's.
    pub gap: f32,
    /// Every module, in execution order.
    pub steps: Vec<ModuleStep>,
    /// Classifier features, most favourable to the prediction first.
    pub contributions: Vec<Contribution>,
}

/// Explanations of every position of one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The program's name.
    pub program: String,
    /// The input tokens.
    pub tokens: Vec<String>,
    /// The predicted labels.
    pub predictions: Vec<String>,
    /// One chain per position.
    pub positions: Vec<PositionChain>,
}

/// Explains every position of `tokens` (each against its runner-up class).
pub fn explain(program: &Program, tokens: &[String]) -> Result<Explanation, ProgramError> {
    let interpreter = Interpreter::new(program)?;
    let trace = interpreter.trace(tokens)?;
    let positions = (0..tokens.len())
        .map(|position| chain(program, &trace, position, None))
        .collect();
    Ok(Explanation {
        program: program.name.clone(),
        tokens: tokens.to_vec(),
        predictions: trace.predictions.clone(),
        positions,
    })
}

/// The chain of `position` in `trace`, comparing the predicted class with `versus` (a class
/// index) or, without it, with the best other unmasked class.
pub fn chain(
    program: &Program,
    trace: &Trace,
    position: usize,
    versus: Option<usize>,
) -> PositionChain {
    let values: HashMap<&str, (i64, String)> = trace
        .variables
        .iter()
        .map(|v| {
            let value = v.values.get(position).copied().unwrap_or(0);
            let label = v
                .labels
                .get(position)
                .map(ToString::to_string)
                .unwrap_or_default();
            (v.name.as_str(), (value, label))
        })
        .collect();
    let logits = trace.logits.get(position).cloned().unwrap_or_default();
    let predicted = program
        .class_index(&trace.predictions[position])
        .unwrap_or(0);
    let other = versus.or_else(|| {
        (0..logits.len())
            .filter(|&c| {
                c != predicted && !program.masked_classes.contains(&program.output_vocab[c])
            })
            .max_by(|&a, &b| logits[a].total_cmp(&logits[b]).then(b.cmp(&a)))
    });
    let steps = program
        .modules
        .iter()
        .map(|module| module_step(program, trace, &values, module, position))
        .collect();
    let mut contributions: Vec<Contribution> = if program.classifier.pooled && position == 0 {
        pooled_contributions(program, trace, predicted, other)
    } else {
        program
            .classifier
            .features
            .iter()
            .map(|feature| {
                let (value, label) = values
                    .get(feature.variable.as_str())
                    .cloned()
                    .unwrap_or((0, String::new()));
                let numerical = feature.weights.len() == 1
                    && trace
                        .variables
                        .iter()
                        .any(|v| v.name == feature.variable && v.kind == VariableKind::Numerical);
                let term = |class: usize| -> f32 {
                    if numerical {
                        value as f32 * feature.weights[0].get(class).copied().unwrap_or(0.0)
                    } else {
                        feature
                            .weights
                            .get(value as usize)
                            .and_then(|row| row.get(class))
                            .copied()
                            .unwrap_or(0.0)
                    }
                };
                Contribution {
                    variable: feature.variable.clone(),
                    value: label,
                    to_predicted: term(predicted),
                    to_other: other.map_or(0.0, term),
                }
            })
            .collect()
    };
    contributions.sort_by(|a, b| b.margin().total_cmp(&a.margin()));
    PositionChain {
        position,
        predicted: program.output_vocab[predicted].clone(),
        other: other.map(|c| program.output_vocab[c].clone()),
        gap: other.map_or(0.0, |c| logits[predicted] - logits[c]),
        steps,
        contributions,
    }
}

/// Position 0 of a sequence classifier: each (variable, value) held somewhere in the sentence
/// contributes `count / n_ctx × weight` (a numerical variable `sum / n_ctx × weight`).
fn pooled_contributions(
    program: &Program,
    trace: &Trace,
    predicted: usize,
    other: Option<usize>,
) -> Vec<Contribution> {
    let width = program.n_ctx as f32;
    let mut contributions = Vec::new();
    for feature in &program.classifier.features {
        let Some(variable) = trace.variables.iter().find(|v| v.name == feature.variable) else {
            continue;
        };
        let row = |index: usize, class: usize| -> f32 {
            feature
                .weights
                .get(index)
                .and_then(|row| row.get(class))
                .copied()
                .unwrap_or(0.0)
        };
        if variable.kind == VariableKind::Numerical {
            let total: i64 = variable.values.iter().sum();
            let x = total as f32 / width;
            contributions.push(Contribution {
                variable: feature.variable.clone(),
                value: format!("sum {total}"),
                to_predicted: x * row(0, predicted),
                to_other: other.map_or(0.0, |c| x * row(0, c)),
            });
            continue;
        }
        let mut counts: Vec<(i64, usize, String)> = Vec::new();
        for (value, label) in variable.values.iter().zip(&variable.labels) {
            match counts.iter_mut().find(|(v, _, _)| v == value) {
                Some(entry) => entry.1 += 1,
                None => counts.push((*value, 1, label.to_string())),
            }
        }
        counts.sort_by_key(|(value, _, _)| *value);
        for (value, count, label) in counts {
            let x = count as f32 / width;
            let index = value as usize;
            contributions.push(Contribution {
                variable: feature.variable.clone(),
                value: format!("{label} (x{count})"),
                to_predicted: x * row(index, predicted),
                to_other: other.map_or(0.0, |c| x * row(index, c)),
            });
        }
    }
    contributions
}

fn module_step(
    program: &Program,
    trace: &Trace,
    values: &HashMap<&str, (i64, String)>,
    module: &Module,
    position: usize,
) -> ModuleStep {
    let get = |name: &str| values.get(name).cloned().unwrap_or((0, String::new()));
    let label_at = |name: &str, at: usize| {
        trace
            .variables
            .iter()
            .find(|v| v.name == name)
            .and_then(|v| v.labels.get(at))
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    let selection = trace
        .heads
        .iter()
        .find(|h| h.name == module.output())
        .map(|h| &h.selection);
    let (out_value, out_label) = get(module.output());
    let _ = out_value;
    let mut selected = None;
    let text = match module {
        Module::CatHead(h) => {
            let (q, q_label) = get(&h.query);
            let row = h.predicate.key_of_query.get(q as usize).copied().flatten();
            let chosen = match selection {
                Some(Selection::Closest(chosen)) => chosen.get(position).copied().unwrap_or(0),
                _ => 0,
            };
            selected = Some(chosen);
            match row {
                None => format!(
                    "query {}={q_label} matches no key (no predicate row): BOS default, position 0 → {}={out_label}",
                    h.query, h.value
                ),
                Some(k) => {
                    let key_label = program.label(
                        program
                            .labellings()
                            .get(h.key.as_str())
                            .copied()
                            .unwrap_or(crate::Labelling::Index),
                        k as i64,
                    );
                    let found = label_at(&h.key, chosen) == key_label.to_string();
                    if found {
                        format!(
                            "query {}={q_label} selects {}={key_label} (row {q_label}→{key_label}); closest match at position {chosen} → {}={out_label}",
                            h.query, h.key, h.value
                        )
                    } else {
                        format!(
                            "query {}={q_label} selects {}={key_label} (row {q_label}→{key_label}); no such key: BOS default, position 0 → {}={out_label}",
                            h.query, h.key, h.value
                        )
                    }
                }
            }
        }
        Module::NumHead(h) => {
            let (q, q_label) = get(&h.query);
            let matched: Vec<usize> = match selection {
                Some(Selection::Sum(matches)) => matches
                    .get(position)
                    .map(|row| (0..row.len()).filter(|&j| row[j]).collect())
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            let row = h.predicate.key_of_query.get(q as usize).copied().flatten();
            match row {
                None => format!("query {}={q_label} matches no key: sum 0", h.query),
                Some(k) => {
                    let labelling = program
                        .labellings()
                        .get(h.key.as_str())
                        .copied()
                        .unwrap_or(crate::Labelling::Index);
                    let key_label = program.label(labelling, k as i64);
                    format!(
                        "query {}={q_label} selects {}={key_label}; matched positions {matched:?}; sum of {} = {out_label}",
                        h.query, h.key, h.value
                    )
                }
            }
        }
        Module::CatMlp(m) => {
            let reads: Vec<String> = m
                .inputs
                .iter()
                .map(|i| format!("{i}={}", get(i).1))
                .collect();
            format!("table entry ({}) → {out_label}", reads.join(", "))
        }
        Module::NumMlp(m) => {
            let reads: Vec<String> = m
                .inputs
                .iter()
                .map(|i| format!("{}={}", i.variable, get(&i.variable).1))
                .collect();
            format!("table entry ({}) → {out_label}", reads.join(", "))
        }
    };
    ModuleStep {
        module: module.output().to_string(),
        selected,
        text,
    }
}

impl PositionChain {
    /// The chain as indented text; `top` limits the features listed.
    pub fn to_text(&self, top: usize) -> String {
        let mut text = String::new();
        let versus = self.other.as_deref().unwrap_or("-");
        let _ = writeln!(
            text,
            "position {}: predicted {} (logit gap {:.3} over {versus})",
            self.position, self.predicted, self.gap
        );
        for step in &self.steps {
            let _ = writeln!(text, "  {}: {}", step.module, step.text);
        }
        let _ = writeln!(
            text,
            "  classifier, features by contribution to {} over {versus}:",
            self.predicted
        );
        for c in self.contributions.iter().take(top) {
            let _ = writeln!(
                text,
                "    {:+9.3}  {}={}  ({:.3} vs {:.3})",
                c.margin(),
                c.variable,
                c.value,
                c.to_predicted,
                c.to_other
            );
        }
        if self.contributions.len() > top {
            let _ = writeln!(text, "    … {} more", self.contributions.len() - top);
        }
        text
    }
}
