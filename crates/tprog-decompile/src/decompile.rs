//! `decompile`: discrete model → program, one pass after another (checks, names, inputs, then
//! per layer heads and MLPs, then the classifier).

use tprog_model::{Model, ModelConfig};
use tprog_program::{FORMAT_VERSION, Program, TextInput};
use tprog_tasks::Dataset;

use crate::stream::Stream;
use crate::{DecompileError, classifier, heads, inputs, mlps};

/// What the model does not store: the token and class strings, and the program's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocabularies {
    /// Input vocabulary in index order (`<pad>` first).
    pub input: Vec<String>,
    /// Output classes in index order (the classifier's columns).
    pub output: Vec<String>,
    /// The program's name (usually the task's).
    pub name: String,
    /// For text tasks: how words become input tokens (recorded in the program).
    pub text: Option<TextInput>,
}

impl Vocabularies {
    /// The vocabularies and task name of a dataset.
    pub fn from_dataset(dataset: &Dataset) -> Self {
        Self {
            input: dataset.input_vocab.tokens().to_vec(),
            output: dataset.output_vocab.tokens().to_vec(),
            name: dataset.task.clone(),
            text: None,
        }
    }
}

/// Decompiles the discrete (argmax) model into a program computing the same predictions (and
/// the same logits) at every position of every input.
pub fn decompile(model: &Model, vocab: &Vocabularies) -> Result<Program, DecompileError> {
    check_supported(model.config(), vocab)?;
    let mut stream = Stream::new(model.config(), &model.layout());
    let inputs = inputs::input_variables(model, &stream)?;
    let mut modules = Vec::new();
    for layer in 0..model.layout().n_layers {
        modules.extend(heads::cat_heads(model, layer, &stream)?);
        modules.extend(heads::num_heads(model, layer, &mut stream)?);
        modules.extend(mlps::cat_mlps(model, layer, &stream)?);
        modules.extend(mlps::num_mlps(model, layer, &stream)?);
    }
    let classifier = classifier::classifier(model, &stream);
    let config = model.config();
    let program = Program {
        format_version: FORMAT_VERSION,
        name: vocab.name.clone(),
        input_vocab: vocab.input.clone(),
        output_vocab: vocab.output.clone(),
        masked_classes: classifier::masked_classes(model, &vocab.output),
        n_ctx: config.n_ctx,
        d_var: config.d_var,
        causal: config.autoregressive,
        inputs,
        modules,
        classifier,
        provenance: None,
        text: vocab.text.clone(),
    };
    program.validate()?;
    Ok(program)
}

/// Refuses the configurations a program cannot express exactly; lists every problem at once.
fn check_supported(config: &ModelConfig, vocab: &Vocabularies) -> Result<(), DecompileError> {
    if vocab.input.len() != config.vocab_size {
        return Err(DecompileError::VocabularyMismatch {
            what: "input vocabulary",
            got: vocab.input.len(),
            expected: config.vocab_size,
        });
    }
    if vocab.output.len() != config.n_classes {
        return Err(DecompileError::VocabularyMismatch {
            what: "output vocabulary",
            got: vocab.output.len(),
            expected: config.n_classes,
        });
    }
    let mut problems = Vec::new();
    if !config.count_only && config.n_vars_num > 0 {
        problems.push(
            "count_only is off: the learned numerical embedding is real-valued and cannot be \
             tabulated (train with count_only)"
                .to_string(),
        );
    }
    if config.rel_pos_bias != "fixed" || config.attention_type != "cat" {
        problems.push(format!(
            "attention {:?} with bias {:?} (only \"cat\" with \"fixed\" has a closest-match form)",
            config.attention_type, config.rel_pos_bias
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(DecompileError::Unsupported(problems.join("; ")))
    }
}
