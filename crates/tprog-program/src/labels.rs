//! Value labels: how each variable's values are printed (token strings or integers).

use std::collections::HashMap;
use std::fmt;

use crate::ir::{InputSource, Module, Program};

/// How the values of a variable are labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labelling {
    /// Token strings of the input vocabulary; values beyond the vocabulary by their index.
    Tokens,
    /// Categorical values labelled by their index `0..d_var` (positions, MLP outputs,
    /// embeddings).
    Index,
    /// Numerical values (integers).
    Numeric,
}

/// A printable value of a variable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Label {
    /// A token string.
    Token(String),
    /// An integer (an index or a numerical value).
    Int(i64),
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Token(token) => f.write_str(token),
            Label::Int(value) => write!(f, "{value}"),
        }
    }
}

impl Program {
    /// The labelling of every variable, by name. A categorical head's output is labelled like
    /// the variable it copies. Unknown names (invalid programs) are labelled by index.
    pub fn labellings(&self) -> HashMap<&str, Labelling> {
        let mut labellings = HashMap::new();
        for input in &self.inputs {
            let labelling = match input.source {
                InputSource::Tokens => Labelling::Tokens,
                InputSource::Positions | InputSource::Embedding { .. } => Labelling::Index,
                InputSource::Ones | InputSource::NumericalEmbedding { .. } => Labelling::Numeric,
            };
            labellings.insert(input.name.as_str(), labelling);
        }
        for module in &self.modules {
            let labelling = match module {
                Module::CatHead(head) => labellings
                    .get(head.value.as_str())
                    .copied()
                    .unwrap_or(Labelling::Index),
                Module::NumHead(_) => Labelling::Numeric,
                Module::CatMlp(_) | Module::NumMlp(_) => Labelling::Index,
            };
            labellings.insert(module.output(), labelling);
        }
        labellings
    }

    /// The label of `value` under `labelling`.
    pub fn label(&self, labelling: Labelling, value: i64) -> Label {
        match labelling {
            Labelling::Tokens => usize::try_from(value)
                .ok()
                .and_then(|index| self.input_vocab.get(index))
                .map_or(Label::Int(value), |token| Label::Token(token.clone())),
            Labelling::Index | Labelling::Numeric => Label::Int(value),
        }
    }
}
