//! The program as a circuit picture: inputs, every head and MLP with what it reads, and the
//! classifier, layer by layer, emitted as Graphviz DOT or as a self-laid-out SVG (no external
//! tool). Heads are labelled with a summary of their predicate.

mod dot;
mod svg;

pub use dot::to_dot;
pub use svg::to_svg;
pub(crate) use svg::xml;

use crate::ir::{InputSource, Module, Predicate, Program};
use crate::labels::Labelling;

/// How a module reads a variable (the arrow's role).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A head's query.
    Query,
    /// A head's key.
    Key,
    /// A head's value.
    Value,
    /// An MLP input.
    Input,
    /// A classifier feature.
    Feature,
}

impl Role {
    /// A short word for the role.
    pub fn word(self) -> &'static str {
        match self {
            Role::Query => "query",
            Role::Key => "key",
            Role::Value => "value",
            Role::Input => "input",
            Role::Feature => "feature",
        }
    }
}

/// One box of the picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The variable it defines (`classifier` for the classifier).
    pub name: String,
    /// What kind of box: `input`, `head`, `numerical head`, `MLP`, `numerical MLP`,
    /// `classifier`.
    pub kind: &'static str,
    /// The column: 0 inputs, then two per layer (heads, MLPs), then the classifier.
    pub column: usize,
    /// A one-line summary of what it computes.
    pub summary: String,
}

/// One arrow: `from` is read by `to`.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// Index of the node read.
    pub from: usize,
    /// Index of the reading node.
    pub to: usize,
    /// How it is read.
    pub role: Role,
}

/// The circuit of a program: nodes in stream order and the classifier last.
#[derive(Debug, Clone, PartialEq)]
pub struct Circuit {
    /// The program's name.
    pub name: String,
    /// Boxes.
    pub nodes: Vec<Node>,
    /// Arrows.
    pub edges: Vec<Edge>,
}

/// A one-line description of a predicate, with query and key values labelled.
pub fn predicate_summary(
    program: &Program,
    query: &str,
    key: &str,
    predicate: &Predicate,
) -> String {
    let labellings = program.labellings();
    let label = |name: &str, value: usize| {
        let labelling = labellings.get(name).copied().unwrap_or(Labelling::Index);
        program.label(labelling, value as i64).to_string()
    };
    let rows: Vec<(usize, usize)> = predicate
        .key_of_query
        .iter()
        .enumerate()
        .filter_map(|(q, k)| k.map(|k| (q, k)))
        .collect();
    if rows.is_empty() {
        return "matches nothing: every query reads position 0 (BOS)".to_string();
    }
    let offsets: Vec<i64> = rows.iter().map(|&(q, k)| k as i64 - q as i64).collect();
    let offset = offsets
        .iter()
        .all(|&d| d == offsets[0])
        .then_some(offsets[0]);
    let coverage = if rows.len() == predicate.key_of_query.len() {
        String::new()
    } else {
        format!(
            " ({} of {} query values)",
            rows.len(),
            predicate.key_of_query.len()
        )
    };
    if query == key {
        match offset {
            Some(0) => return format!("{key} == {query}{coverage}"),
            Some(d) if d < 0 => return format!("{key} == {query} − {}{coverage}", -d),
            Some(d) => return format!("{key} == {query} + {d}{coverage}"),
            None => {}
        }
    }
    if let [only] = rows
        .iter()
        .map(|&(_, k)| k)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()[..]
    {
        return format!("{key} == {}{coverage}", label(key, only));
    }
    let shown: Vec<String> = rows
        .iter()
        .take(4)
        .map(|&(q, k)| format!("{}→{}", label(query, q), label(key, k)))
        .collect();
    let more = if rows.len() > 4 { ", …" } else { "" };
    format!("{} rows: {}{more}", rows.len(), shown.join(", "))
}

/// A one-line summary of a module.
pub fn module_summary(program: &Program, module: &Module) -> String {
    match module {
        Module::CatHead(h) => format!(
            "copy {} where {}",
            h.value,
            predicate_summary(program, &h.query, &h.key, &h.predicate)
        ),
        Module::NumHead(h) => format!(
            "sum {} where {}",
            h.value,
            predicate_summary(program, &h.query, &h.key, &h.predicate)
        ),
        Module::CatMlp(m) => {
            let first = m.table.first().copied().unwrap_or(0);
            if m.inputs.len() == 1 && m.table.iter().all(|&v| v == first) {
                return format!("constant {first}");
            }
            let mut counts = vec![0usize; program.d_var.max(1)];
            for &v in &m.table {
                if let Some(c) = counts.get_mut(v) {
                    *c += 1;
                }
            }
            let default = (0..counts.len())
                .max_by_key(|&v| (counts[v], usize::MAX - v))
                .unwrap_or(0);
            let special = m.table.iter().filter(|&&v| v != default).count();
            format!(
                "table over ({}): {special} cells ≠ default {default}",
                m.inputs.join(", ")
            )
        }
        Module::NumMlp(m) => {
            let domains: Vec<String> = m
                .inputs
                .iter()
                .map(|i| format!("{} in {}..={}", i.variable, i.min, i.max))
                .collect();
            format!("table over {}: {} runs", domains.join(", "), m.runs.len())
        }
    }
}

impl Circuit {
    /// The circuit of `program`.
    pub fn of(program: &Program) -> Circuit {
        let mut nodes = Vec::new();
        for input in &program.inputs {
            let summary = match &input.source {
                InputSource::Tokens => "the input token".to_string(),
                InputSource::Positions => "the position".to_string(),
                InputSource::Ones => "1 everywhere".to_string(),
                InputSource::Embedding { .. } => "a value per token".to_string(),
                InputSource::NumericalEmbedding { .. } => "a number per token".to_string(),
            };
            nodes.push(Node {
                name: input.name.clone(),
                kind: "input",
                column: 0,
                summary,
            });
        }
        let last_layer = program.modules.iter().map(Module::layer).max().unwrap_or(0);
        let find = |nodes: &[Node], name: &str| nodes.iter().position(|n| n.name == name);
        let mut edges = Vec::new();
        for module in &program.modules {
            let (kind, offset, roles): (&str, usize, Vec<Role>) = match module {
                Module::CatHead(_) => ("head", 1, vec![Role::Query, Role::Key, Role::Value]),
                Module::NumHead(_) => (
                    "numerical head",
                    1,
                    vec![Role::Query, Role::Key, Role::Value],
                ),
                Module::CatMlp(m) => ("MLP", 2, vec![Role::Input; m.inputs.len()]),
                Module::NumMlp(m) => ("numerical MLP", 2, vec![Role::Input; m.inputs.len()]),
            };
            let index = nodes.len();
            for (read, role) in module.reads().into_iter().zip(roles) {
                if let Some(from) = find(&nodes, read) {
                    let duplicate = edges
                        .iter()
                        .any(|e: &Edge| e.from == from && e.to == index && e.role == role);
                    if !duplicate {
                        edges.push(Edge {
                            from,
                            to: index,
                            role,
                        });
                    }
                }
            }
            nodes.push(Node {
                name: module.output().to_string(),
                kind,
                column: 2 * module.layer() + offset,
                summary: module_summary(program, module),
            });
        }
        let classifier = nodes.len();
        for feature in &program.classifier.features {
            if let Some(from) = find(&nodes, &feature.variable) {
                edges.push(Edge {
                    from,
                    to: classifier,
                    role: Role::Feature,
                });
            }
        }
        nodes.push(Node {
            name: "classifier".to_string(),
            kind: "classifier",
            column: 2 * last_layer + 3,
            summary: format!(
                "{} features → {} classes{}",
                program.classifier.features.len(),
                program.output_vocab.len(),
                if program.classifier.pooled {
                    " (position 0: mean over the sentence)"
                } else {
                    ""
                }
            ),
        });
        Circuit {
            name: program.name.clone(),
            nodes,
            edges,
        }
    }
}
