//! Compiling a validated [`Program`] for the interpreter: variables become slot indices,
//! predicates and tables flat arrays, classifier rows flat `[k × C]` blocks.

use std::collections::HashMap;

use crate::error::ProgramError;
use crate::ir::{InputSource, Module, Program, VariableKind};

/// Marks a predicate entry that matches no key value.
pub(crate) const NO_KEY: u32 = u32::MAX;

/// One compiled module or input; slots index `cat` or `num` rows.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Tokens {
        out: usize,
    },
    Positions {
        out: usize,
    },
    Ones {
        out: usize,
    },
    Embedding {
        out: usize,
        values: Vec<u32>,
    },
    NumericalEmbedding {
        out: usize,
        values: Vec<i64>,
    },
    CatHead {
        out: usize,
        query: usize,
        key: usize,
        value: usize,
        predicate: Vec<u32>,
    },
    NumHead {
        out: usize,
        module: usize,
        query: usize,
        key: usize,
        value: usize,
        predicate: Vec<u32>,
    },
    CatMlp {
        out: usize,
        inputs: Vec<usize>,
        table: Vec<u32>,
    },
    NumMlp {
        out: usize,
        module: usize,
        inputs: Vec<usize>,
        ends: Vec<u64>,
        values: Vec<u32>,
    },
}

/// One classifier term: a variable's slot and its weights (`[k × C]` or `[C]`).
#[derive(Debug, Clone)]
pub(crate) enum Term {
    Categorical { slot: usize, weights: Vec<f32> },
    Numerical { slot: usize, weights: Vec<f32> },
}

/// A program compiled for execution.
#[derive(Debug, Clone)]
pub struct Interpreter {
    pub(crate) program: Program,
    pub(crate) steps: Vec<Step>,
    pub(crate) terms: Vec<Term>,
    /// Slot of every variable, by name.
    pub(crate) slots: HashMap<String, (VariableKind, usize)>,
    pub(crate) n_cat: usize,
    pub(crate) n_num: usize,
    pub(crate) masked: Vec<bool>,
    pub(crate) token_index: HashMap<String, usize>,
    pub(crate) pad_index: Option<usize>,
}

impl Interpreter {
    /// Validates and compiles `program`.
    pub fn new(program: &Program) -> Result<Self, ProgramError> {
        program.validate()?;
        // Names are unique and every read names an earlier variable of the right kind
        // (validated), so slots can be assigned in one pass over the stream.
        let mut slots = HashMap::new();
        let (mut n_cat, mut n_num) = (0, 0);
        let declared = program
            .inputs
            .iter()
            .map(|input| (input.name.as_str(), input.source.kind()))
            .chain(
                program
                    .modules
                    .iter()
                    .map(|m| (m.output(), m.output_kind())),
            );
        for (name, kind) in declared {
            let counter = match kind {
                VariableKind::Categorical => &mut n_cat,
                VariableKind::Numerical => &mut n_num,
            };
            slots.insert(name.to_string(), (kind, *counter));
            *counter += 1;
        }
        let slot = |name: &str| slots.get(name).map_or(0, |&(_, slot)| slot);
        let mut steps: Vec<Step> = program
            .inputs
            .iter()
            .map(|input| input_step(slot(&input.name), &input.source))
            .collect();
        for (index, module) in program.modules.iter().enumerate() {
            steps.push(module_step(index, module, &slot));
        }
        let terms = program
            .classifier
            .features
            .iter()
            .filter_map(|feature| {
                let &(kind, slot) = slots.get(&feature.variable)?;
                let weights = feature.weights.concat();
                Some(match kind {
                    VariableKind::Categorical => Term::Categorical { slot, weights },
                    VariableKind::Numerical => Term::Numerical { slot, weights },
                })
            })
            .collect();
        let masked = program
            .output_vocab
            .iter()
            .map(|class| program.masked_classes.contains(class))
            .collect();
        let token_index = program
            .input_vocab
            .iter()
            .enumerate()
            .map(|(index, token)| (token.clone(), index))
            .collect();
        let pad_index = program.input_vocab.iter().position(|t| t == "<pad>");
        Ok(Interpreter {
            program: program.clone(),
            steps,
            terms,
            slots,
            n_cat,
            n_num,
            masked,
            token_index,
            pad_index,
        })
    }
}

/// The step that fills input variable `out`.
fn input_step(out: usize, source: &InputSource) -> Step {
    match source {
        InputSource::Tokens => Step::Tokens { out },
        InputSource::Positions => Step::Positions { out },
        InputSource::Ones => Step::Ones { out },
        InputSource::Embedding { values } => Step::Embedding {
            out,
            values: values.iter().map(|&v| v as u32).collect(),
        },
        InputSource::NumericalEmbedding { values } => Step::NumericalEmbedding {
            out,
            values: values.clone(),
        },
    }
}

/// A predicate as the key value each query value selects (`NO_KEY`: none).
fn key_of_query(predicate: &crate::ir::Predicate) -> Vec<u32> {
    predicate
        .key_of_query
        .iter()
        .map(|key| key.map_or(NO_KEY, |key| key as u32))
        .collect()
}

/// The step computing module `index`, its variables resolved to slots by `slot`.
fn module_step(index: usize, module: &Module, slot: &dyn Fn(&str) -> usize) -> Step {
    let out = slot(module.output());
    match module {
        Module::CatHead(head) => Step::CatHead {
            out,
            query: slot(&head.query),
            key: slot(&head.key),
            value: slot(&head.value),
            predicate: key_of_query(&head.predicate),
        },
        Module::NumHead(head) => Step::NumHead {
            out,
            module: index,
            query: slot(&head.query),
            key: slot(&head.key),
            value: slot(&head.value),
            predicate: key_of_query(&head.predicate),
        },
        Module::CatMlp(mlp) => Step::CatMlp {
            out,
            inputs: mlp.inputs.iter().map(|name| slot(name)).collect(),
            table: mlp.table.iter().map(|&v| v as u32).collect(),
        },
        Module::NumMlp(mlp) => Step::NumMlp {
            out,
            module: index,
            inputs: mlp
                .inputs
                .iter()
                .map(|input| slot(&input.variable))
                .collect(),
            ends: mlp
                .runs
                .iter()
                .scan(0u64, |end, run| {
                    *end += run.count;
                    Some(*end)
                })
                .collect(),
            values: mlp.runs.iter().map(|run| run.value as u32).collect(),
        },
    }
}
