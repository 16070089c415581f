//! Validation of a [`Program`]: one pass that reports every problem at once.

use std::collections::{HashMap, HashSet};

use crate::error::{Problem, Problems, ProgramError};
use crate::ir::{InputSource, Module, Predicate, Program, VariableKind};
use crate::python::reserved_python_names;

/// Largest table (`d_var^ℓ` cells for a categorical MLP) a program may declare.
pub const MAX_TABLE_CELLS: u64 = 1 << 24;

/// Collects problems with their location.
#[derive(Default)]
struct Report {
    problems: Vec<Problem>,
}

impl Report {
    fn push(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            location: location.into(),
            message: message.into(),
        });
    }
}

/// Where each variable is defined: its kind and its index in stream order (inputs, then modules).
type Definitions<'a> = HashMap<&'a str, (VariableKind, usize)>;

impl Program {
    /// Checks the whole program and returns every problem found, or `Ok(())`.
    pub fn validate(&self) -> Result<(), ProgramError> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ProgramError::Invalid(Problems(problems)))
        }
    }

    /// Every problem of the program (empty when it is valid).
    pub fn problems(&self) -> Vec<Problem> {
        let mut report = Report::default();
        self.check_header(&mut report);
        let definitions = self.check_names(&mut report);
        self.check_inputs(&mut report);
        for (index, module) in self.modules.iter().enumerate() {
            let location = format!("modules[{index}] ({})", module.output());
            self.check_module(&mut report, &definitions, index, module, &location);
        }
        self.check_classifier(&mut report, &definitions);
        report.problems
    }

    fn check_header(&self, report: &mut Report) {
        if self.d_var == 0 {
            report.push("d_var", "must be at least 1");
        }
        if self.n_ctx == 0 {
            report.push("n_ctx", "must be at least 1");
        }
        if self.input_vocab.is_empty() {
            report.push("input_vocab", "is empty");
        }
        if let Some(text) = &self.text {
            let markers = [
                ("text.bos", text.bos.as_ref()),
                ("text.eos", text.eos.as_ref()),
                ("text.unknown", Some(&text.unknown)),
            ];
            for (field, token) in markers {
                match token {
                    Some(token) if token == "<pad>" => {
                        report.push(field, "cannot be the padding token")
                    }
                    Some(token) if !self.input_vocab.contains(token) => {
                        report.push(field, format!("{token:?} is not in the input vocabulary"))
                    }
                    _ => {}
                }
            }
        }
        for (field, list) in [
            ("input_vocab", &self.input_vocab),
            ("output_vocab", &self.output_vocab),
            ("masked_classes", &self.masked_classes),
        ] {
            let mut seen = HashSet::new();
            for item in list {
                if !seen.insert(item) {
                    report.push(field, format!("{item:?} appears more than once"));
                }
            }
        }
        for class in &self.masked_classes {
            if !self.output_vocab.contains(class) {
                report.push(
                    "masked_classes",
                    format!("{class:?} is not in the output vocabulary"),
                );
            }
        }
        if self
            .output_vocab
            .iter()
            .all(|class| self.masked_classes.contains(class))
        {
            report.push("output_vocab", "no class can be predicted (all are masked)");
        }
    }

    /// Checks names (unique, usable as identifiers) and returns where each one is defined.
    fn check_names(&self, report: &mut Report) -> Definitions<'_> {
        let mut definitions = Definitions::new();
        let declared = self
            .inputs
            .iter()
            .map(|input| (input.name.as_str(), input.source.kind(), "inputs"))
            .chain(
                self.modules
                    .iter()
                    .map(|module| (module.output(), module.output_kind(), "modules")),
            );
        let reserved = reserved_python_names(self);
        for (order, (name, kind, list)) in declared.enumerate() {
            let index = if list == "inputs" {
                order
            } else {
                order - self.inputs.len()
            };
            let location = format!("{list}[{index}]");
            if !is_identifier(name) {
                report.push(
                    &location,
                    format!("variable name {name:?} is not an identifier ([A-Za-z][A-Za-z0-9_]*)"),
                );
            } else if reserved.contains(name) {
                report.push(
                    &location,
                    format!("variable name {name:?} is reserved (a keyword or a helper of the emitted code)"),
                );
            }
            if definitions.insert(name, (kind, order)).is_some() {
                report.push(&location, format!("variable {name:?} is defined twice"));
            }
        }
        definitions
    }

    fn check_inputs(&self, report: &mut Report) {
        for (index, input) in self.inputs.iter().enumerate() {
            let location = format!("inputs[{index}] ({})", input.name);
            match &input.source {
                InputSource::Tokens if self.input_vocab.len() > self.d_var => report.push(
                    location,
                    format!(
                        "one-hot tokens need the input vocabulary ({}) to fit in d_var ({})",
                        self.input_vocab.len(),
                        self.d_var
                    ),
                ),
                InputSource::Positions if self.n_ctx > self.d_var => report.push(
                    location,
                    format!(
                        "positions need n_ctx ({}) to fit in d_var ({})",
                        self.n_ctx, self.d_var
                    ),
                ),
                InputSource::Embedding { values } => {
                    self.check_per_token(report, &location, values.len());
                    for (token, &value) in values.iter().enumerate() {
                        if value >= self.d_var {
                            report.push(
                                &location,
                                format!(
                                    "value {value} of token {token} is not below d_var ({})",
                                    self.d_var
                                ),
                            );
                        }
                    }
                }
                InputSource::NumericalEmbedding { values } => {
                    self.check_per_token(report, &location, values.len())
                }
                _ => {}
            }
        }
    }

    fn check_per_token(&self, report: &mut Report, location: &str, length: usize) {
        if length != self.input_vocab.len() {
            report.push(
                location,
                format!(
                    "has {length} values but the input vocabulary has {} tokens",
                    self.input_vocab.len()
                ),
            );
        }
    }

    // Over 120 lines on purpose: one arm per module kind, each listing that kind's rules, so a
    // reader finds every rule of one IR type in one place.
    fn check_module(
        &self,
        report: &mut Report,
        definitions: &Definitions<'_>,
        index: usize,
        module: &Module,
        location: &str,
    ) {
        if index > 0 && module.layer() < self.modules[index - 1].layer() {
            report.push(
                location,
                format!(
                    "layer {} comes after a module of layer {}",
                    module.layer(),
                    self.modules[index - 1].layer()
                ),
            );
        }
        let own_order = self.inputs.len() + index;
        let cat = VariableKind::Categorical;
        let num = VariableKind::Numerical;
        let expected: Vec<(&str, &str, VariableKind)> = match module {
            Module::CatHead(head) => vec![
                ("query", &head.query, cat),
                ("key", &head.key, cat),
                ("value", &head.value, cat),
            ],
            Module::NumHead(head) => vec![
                ("query", &head.query, cat),
                ("key", &head.key, cat),
                ("value", &head.value, num),
            ],
            Module::CatMlp(mlp) => mlp
                .inputs
                .iter()
                .map(|name| ("input", name.as_str(), cat))
                .collect(),
            Module::NumMlp(mlp) => mlp
                .inputs
                .iter()
                .map(|input| ("input", input.variable.as_str(), num))
                .collect(),
        };
        for (role, name, kind) in expected {
            match definitions.get(name) {
                None => report.push(location, format!("{role} reads unknown variable {name:?}")),
                Some(&(_, order)) if order >= own_order => report.push(
                    location,
                    format!("{role} reads {name:?}, which is defined at or after this module"),
                ),
                Some(&(found, _)) if found != kind => report.push(
                    location,
                    format!("{role} reads {name:?}, which is {found:?}, expected {kind:?}"),
                ),
                Some(_) => {}
            }
        }
        match module {
            Module::CatHead(head) => self.check_predicate(report, location, &head.predicate),
            Module::NumHead(head) => self.check_predicate(report, location, &head.predicate),
            Module::CatMlp(mlp) => {
                if mlp.inputs.is_empty() {
                    report.push(location, "has no inputs");
                }
                let cells = u32::try_from(mlp.inputs.len())
                    .ok()
                    .and_then(|arity| (self.d_var as u64).checked_pow(arity))
                    .filter(|&cells| cells <= MAX_TABLE_CELLS);
                match cells {
                    None => report.push(
                        location,
                        format!(
                            "a table over {} inputs of d_var {} is too large",
                            mlp.inputs.len(),
                            self.d_var
                        ),
                    ),
                    Some(cells) if cells != mlp.table.len() as u64 => report.push(
                        location,
                        format!(
                            "table has {} entries, expected d_var^{} = {cells}",
                            mlp.table.len(),
                            mlp.inputs.len()
                        ),
                    ),
                    Some(_) => {}
                }
                self.check_values(report, location, "table", mlp.table.iter().copied());
            }
            Module::NumMlp(mlp) => {
                if mlp.inputs.is_empty() {
                    report.push(location, "has no inputs");
                }
                let mut cells: Option<u64> = Some(1);
                for input in &mlp.inputs {
                    if input.min > input.max {
                        report.push(
                            location,
                            format!(
                                "domain of {} is empty ({}..={})",
                                input.variable, input.min, input.max
                            ),
                        );
                    }
                    let size = (input.max as i128 - input.min as i128 + 1).max(0);
                    cells =
                        cells.and_then(|c| u64::try_from(size).ok().and_then(|s| c.checked_mul(s)));
                }
                let total = mlp
                    .runs
                    .iter()
                    .try_fold(0u64, |sum, run| sum.checked_add(run.count));
                if mlp.runs.iter().any(|run| run.count == 0) {
                    report.push(location, "a run has count 0");
                }
                match (cells, total) {
                    (Some(cells), Some(total)) if cells != total => report.push(
                        location,
                        format!("runs cover {total} cells but the input domains have {cells}"),
                    ),
                    (None, _) | (_, None) => report.push(location, "table size overflows 64 bits"),
                    _ => {}
                }
                self.check_values(
                    report,
                    location,
                    "runs",
                    mlp.runs.iter().map(|run| run.value),
                );
            }
        }
    }

    fn check_predicate(&self, report: &mut Report, location: &str, predicate: &Predicate) {
        if predicate.key_of_query.len() != self.d_var {
            report.push(
                location,
                format!(
                    "predicate has {} entries, expected d_var = {}",
                    predicate.key_of_query.len(),
                    self.d_var
                ),
            );
        }
        self.check_values(
            report,
            location,
            "predicate",
            predicate.key_of_query.iter().flatten().copied(),
        );
    }

    fn check_values(
        &self,
        report: &mut Report,
        location: &str,
        what: &str,
        values: impl Iterator<Item = usize>,
    ) {
        if let Some(bad) = values.filter(|&value| value >= self.d_var).max() {
            report.push(
                location,
                format!("{what} holds value {bad}, not below d_var ({})", self.d_var),
            );
        }
    }

    fn check_classifier(&self, report: &mut Report, definitions: &Definitions<'_>) {
        let mut seen = HashSet::new();
        let classes = self.output_vocab.len();
        for (index, feature) in self.classifier.features.iter().enumerate() {
            let location = format!("classifier.features[{index}] ({})", feature.variable);
            if !seen.insert(feature.variable.as_str()) {
                report.push(&location, "variable appears twice");
            }
            let rows = match definitions.get(feature.variable.as_str()) {
                None => {
                    report.push(&location, "unknown variable");
                    None
                }
                Some((VariableKind::Categorical, _)) => Some(self.d_var),
                Some((VariableKind::Numerical, _)) => Some(1),
            };
            if let Some(rows) = rows.filter(|&rows| rows != feature.weights.len()) {
                report.push(
                    &location,
                    format!("has {} weight rows, expected {rows}", feature.weights.len()),
                );
            }
            for (row_index, row) in feature.weights.iter().enumerate() {
                if row.len() != classes {
                    report.push(
                        &location,
                        format!("weight row {row_index} has {} entries, expected one per class ({classes})", row.len()),
                    );
                }
                if let Some(bad) = row.iter().find(|weight| !weight.is_finite()) {
                    report.push(&location, format!("weight row {row_index} holds {bad}"));
                }
            }
        }
    }
}

/// Whether `name` is an ASCII identifier that does not start with `_` or a digit.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
