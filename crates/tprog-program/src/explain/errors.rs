//! The wrong predictions of a program on labelled inputs, grouped by (position, expected,
//! predicted) and by the module outputs the members of a group share, each group with a count
//! and the explanation of one representative against its expected class.

use std::collections::{BTreeMap, HashSet};

use super::{PositionChain, chain};
use crate::compile::Interpreter;
use crate::error::ProgramError;
use crate::ir::Program;

/// Members of a group traced to find what they share.
const TRACED: usize = 500;

/// Wrong predictions with the same position, expected and predicted label.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorGroup {
    /// The position.
    pub position: usize,
    /// The expected label.
    pub expected: String,
    /// The predicted label.
    pub predicted: String,
    /// How many inputs are wrong this way.
    pub count: usize,
    /// Module outputs (and inputs) with the same value in every traced member: the shared
    /// circuit state of the group, `(variable, value)`.
    pub shared: Vec<(String, String)>,
    /// Distinct combinations of classifier-feature values among the traced members.
    pub signatures: usize,
    /// The representative input (the first one wrong this way).
    pub representative: Vec<String>,
    /// Its explanation at the position, against the expected label.
    pub chain: PositionChain,
}

/// Every wrong prediction, grouped.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorReport {
    /// Inputs scored.
    pub sequences: usize,
    /// Scored positions (label not `<pad>`).
    pub positions: usize,
    /// Wrong positions.
    pub wrong: usize,
    /// Inputs with at least one wrong position.
    pub wrong_sequences: usize,
    /// Groups, largest first.
    pub groups: Vec<ErrorGroup>,
}

/// Finds and groups the wrong predictions of `program` on `tokens` with `labels`.
pub fn find_errors(
    program: &Program,
    tokens: &[Vec<String>],
    labels: &[Vec<String>],
) -> Result<ErrorReport, ProgramError> {
    let interpreter = Interpreter::new(program)?;
    let encoded = tokens
        .iter()
        .map(|t| interpreter.encode(t))
        .collect::<Result<Vec<_>, _>>()?;
    let predictions = interpreter.run_batch(&encoded)?;
    let mut report = ErrorReport {
        sequences: tokens.len(),
        positions: 0,
        wrong: 0,
        wrong_sequences: 0,
        groups: Vec::new(),
    };
    let mut groups: BTreeMap<(usize, String, String), Vec<usize>> = BTreeMap::new();
    for (index, (predicted, expected)) in predictions.iter().zip(labels).enumerate() {
        let mut wrong = false;
        for (position, (&class, want)) in predicted.iter().zip(expected).enumerate() {
            if want == "<pad>" {
                continue;
            }
            report.positions += 1;
            let got = &program.output_vocab[class];
            if got != want {
                wrong = true;
                report.wrong += 1;
                groups
                    .entry((position, want.clone(), got.clone()))
                    .or_default()
                    .push(index);
            }
        }
        report.wrong_sequences += usize::from(wrong);
    }
    for ((position, expected, predicted), members) in groups {
        report.groups.push(group(
            program,
            &interpreter,
            tokens,
            (position, expected, predicted),
            &members,
        )?);
    }
    report
        .groups
        .sort_by(|a, b| b.count.cmp(&a.count).then(a.position.cmp(&b.position)));
    Ok(report)
}

fn group(
    program: &Program,
    interpreter: &Interpreter,
    tokens: &[Vec<String>],
    (position, expected, predicted): (usize, String, String),
    members: &[usize],
) -> Result<ErrorGroup, ProgramError> {
    let features: Vec<&str> = program
        .classifier
        .features
        .iter()
        .map(|f| f.variable.as_str())
        .collect();
    let mut shared: Option<Vec<(String, String)>> = None;
    let mut signatures = HashSet::new();
    let mut first = None;
    for &member in members.iter().take(TRACED) {
        let trace = interpreter.trace(&tokens[member])?;
        let state: Vec<(String, String)> = trace
            .variables
            .iter()
            .map(|v| {
                (
                    v.name.clone(),
                    v.labels
                        .get(position)
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                )
            })
            .collect();
        let signature: Vec<String> = state
            .iter()
            .filter(|(name, _)| features.contains(&name.as_str()))
            .map(|(_, v)| v.clone())
            .collect();
        signatures.insert(signature);
        shared = Some(match shared {
            None => state,
            Some(previous) => previous
                .into_iter()
                .filter(|pair| state.contains(pair))
                .collect(),
        });
        if first.is_none() {
            first = Some(trace);
        }
    }
    let trace = match first {
        Some(trace) => trace,
        None => interpreter.trace(&tokens[members[0]])?,
    };
    let versus = program.class_index(&expected);
    Ok(ErrorGroup {
        position,
        count: members.len(),
        shared: shared.unwrap_or_default(),
        signatures: signatures.len(),
        representative: tokens[members[0]].clone(),
        chain: chain(program, &trace, position, versus),
        expected,
        predicted,
    })
}
