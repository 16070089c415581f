//! The program IR: plain serde data describing a decompiled Transformer Program.
//!
//! A [`Program`] is the discrete model written as named variables and modules. Every categorical
//! variable takes values `0..d_var`; numerical variables hold integers. The residual stream order
//! (which fixes the classifier's summation order in the model) is the declaration order: input
//! variables first, then each module's output in module order.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ProgramError;

/// The only file format version this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// A decompiled Transformer Program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// File format version; always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Name of the program (usually the task name); used in emitted code.
    pub name: String,
    /// Input vocabulary in index order (token index = position in this list).
    pub input_vocab: Vec<String>,
    /// Output classes in index order (the classifier's columns).
    pub output_vocab: Vec<String>,
    /// Output classes that are never predicted (e.g. `<pad>`, and `<unk>` when the model masks it).
    pub masked_classes: Vec<String>,
    /// Context length of the model (`n_ctx`); it fixes the attention bias and the longest input.
    pub n_ctx: usize,
    /// Cardinality `k` of every categorical variable.
    pub d_var: usize,
    /// Whether attention is causal (a query sees only keys at or left of itself).
    pub causal: bool,
    /// Input variables, in stream order.
    pub inputs: Vec<InputVariable>,
    /// Modules in execution order (per layer: categorical heads, numerical heads, categorical
    /// MLPs, numerical MLPs).
    pub modules: Vec<Module>,
    /// The linear classifier over all variables.
    pub classifier: Classifier,
    /// For a program derived from another one (e.g. by `tprog simplify`): how it was derived and
    /// on which inputs its predictions were checked. Absent in decompiled programs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// For a program learned on text (NER, sentence classification): how a sentence given as
    /// words becomes its input tokens. Absent for the synthetic tasks, whose inputs are tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextInput>,
}

/// How words become input tokens, as the training data were prepared: the words are normalised
/// (digit runs replaced, lower-cased), wrapped in the sentence markers, and every word outside
/// the vocabulary becomes the unknown-word token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextInput {
    /// Token put before the words (`<s>`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bos: Option<String>,
    /// Token put after the words (`</s>`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eos: Option<String>,
    /// Token standing for every word outside the input vocabulary (`<unk>`).
    pub unknown: String,
    /// Every maximal run of decimal digits (Unicode `Nd`) becomes `@` (`19.5` → `@.@`), after
    /// lower-casing.
    #[serde(default)]
    pub replace_numbers: bool,
    /// Words are lower-cased.
    #[serde(default)]
    pub lower: bool,
}

/// How a derived program was obtained and checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// What was done, e.g. `simplified`.
    pub derivation: String,
    /// The inputs on which the derived program's predictions were checked to equal the
    /// original's, e.g. `exhaustive: all 19530 inputs of the task's support`.
    pub evidence: String,
    /// Number of input sequences checked.
    pub sequences: usize,
}

/// Whether a variable is categorical (values `0..d_var`) or numerical (integers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VariableKind {
    /// A categorical variable with values `0..d_var`.
    Categorical,
    /// A numerical variable holding an integer.
    Numerical,
}

/// An input variable of the program, computed from the tokens alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputVariable {
    /// Variable name, e.g. `tokens`, `positions`, `ones`, `var0_embeddings`.
    pub name: String,
    /// How the variable is computed from the input.
    pub source: InputSource,
}

/// How an input variable is computed from a token sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum InputSource {
    /// Categorical: the token's index in the input vocabulary (one-hot embedding).
    Tokens,
    /// Categorical: the position in the sequence.
    Positions,
    /// Numerical: 1 at every position.
    Ones,
    /// Categorical: a learned embedding variable, a table token index → value.
    Embedding {
        /// `values[t]` is the value of token index `t`; one entry per input-vocabulary token.
        values: Vec<usize>,
    },
    /// Numerical: a table token index → integer.
    NumericalEmbedding {
        /// `values[t]` is the value of token index `t`; one entry per input-vocabulary token.
        values: Vec<i64>,
    },
}

impl InputSource {
    /// The kind of variable this source produces.
    pub fn kind(&self) -> VariableKind {
        match self {
            InputSource::Tokens | InputSource::Positions | InputSource::Embedding { .. } => {
                VariableKind::Categorical
            }
            InputSource::Ones | InputSource::NumericalEmbedding { .. } => VariableKind::Numerical,
        }
    }
}

/// A one-to-one predicate: each query value selects at most one key value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Predicate {
    /// `key_of_query[q]` is the key value matched by query value `q` (`None`: matches nothing).
    /// Length `d_var`.
    pub key_of_query: Vec<Option<usize>>,
}

impl Predicate {
    /// Whether query value `query` matches key value `key`.
    pub fn matches(&self, query: usize, key: usize) -> bool {
        self.key_of_query.get(query).copied().flatten() == Some(key)
    }
}

/// A module of the program; each defines one new variable named `output`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Module {
    /// Categorical attention head: select the closest match, aggregate by copying.
    CatHead(CatHead),
    /// Numerical attention head: select every match, aggregate by summing.
    NumHead(NumHead),
    /// Categorical MLP: a lookup table over categorical inputs.
    CatMlp(MlpTable),
    /// Numerical MLP: a lookup table over integer inputs, with a categorical output.
    NumMlp(NumMlpTable),
}

impl Module {
    /// The name of the variable this module defines.
    pub fn output(&self) -> &str {
        match self {
            Module::CatHead(m) => &m.output,
            Module::NumHead(m) => &m.output,
            Module::CatMlp(m) => &m.output,
            Module::NumMlp(m) => &m.output,
        }
    }

    /// The layer this module belongs to.
    pub fn layer(&self) -> usize {
        match self {
            Module::CatHead(m) => m.layer,
            Module::NumHead(m) => m.layer,
            Module::CatMlp(m) => m.layer,
            Module::NumMlp(m) => m.layer,
        }
    }

    /// The kind of the variable this module defines.
    pub fn output_kind(&self) -> VariableKind {
        match self {
            Module::NumHead(_) => VariableKind::Numerical,
            _ => VariableKind::Categorical,
        }
    }

    /// The names of the variables this module reads, in argument order.
    pub fn reads(&self) -> Vec<&str> {
        match self {
            Module::CatHead(m) => vec![&m.query, &m.key, &m.value],
            Module::NumHead(m) => vec![&m.query, &m.key, &m.value],
            Module::CatMlp(m) => m.inputs.iter().map(String::as_str).collect(),
            Module::NumMlp(m) => m.inputs.iter().map(|i| i.variable.as_str()).collect(),
        }
    }
}

/// Categorical attention head (`select_closest` + `aggregate`).
///
/// For query position `i`, the candidates are the allowed keys `j` (all, or `j ≤ i` when causal)
/// whose key value equals `predicate(query value at i)`. The nearest candidate wins, the left one
/// on equal distance, `i` itself only if it is the only candidate, position 0 (BOS) if there is
/// none. The output is the value variable at the chosen position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatHead {
    /// Name of the output variable (categorical, labelled like `value`).
    pub output: String,
    /// Layer of the head.
    pub layer: usize,
    /// Categorical variable read at the query position.
    pub query: String,
    /// Categorical variable read at the key positions.
    pub key: String,
    /// Categorical variable copied from the chosen position.
    pub value: String,
    /// Which key value each query value selects.
    pub predicate: Predicate,
}

/// Numerical attention head (`select` + `aggregate_sum`): the output at `i` is the sum of the
/// value variable over every allowed key `j` that matches (self and BOS included, no default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumHead {
    /// Name of the output variable (numerical).
    pub output: String,
    /// Layer of the head.
    pub layer: usize,
    /// Categorical variable read at the query position.
    pub query: String,
    /// Categorical variable read at the key positions.
    pub key: String,
    /// Numerical variable summed over the matching positions.
    pub value: String,
    /// Which key value each query value selects.
    pub predicate: Predicate,
}

/// Categorical MLP as a lookup table over every combination of its categorical inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpTable {
    /// Name of the output variable (categorical, values labelled by index).
    pub output: String,
    /// Layer of the MLP.
    pub layer: usize,
    /// Categorical input variables (the same variable may appear twice).
    pub inputs: Vec<String>,
    /// Output value for each input combination, row-major with the first input most significant:
    /// index `Σ_r value_r · k^(ℓ−1−r)`. Length `d_var^ℓ`.
    pub table: Vec<usize>,
}

/// One integer input of a numerical MLP, with the inclusive domain its table covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumMlpInput {
    /// Numerical variable read.
    pub variable: String,
    /// Smallest tabulated value.
    pub min: i64,
    /// Largest tabulated value (inclusive).
    pub max: i64,
}

/// A run of equal outputs in a numerical MLP's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    /// Output value (categorical, `0..d_var`).
    pub value: usize,
    /// Number of consecutive grid cells with this output (at least 1).
    pub count: u64,
}

/// Numerical MLP as an exact table over the integer grid of its inputs' domains.
///
/// Reading an input outside its domain is an error at run time, never a silent default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumMlpTable {
    /// Name of the output variable (categorical, values labelled by index).
    pub output: String,
    /// Layer of the MLP.
    pub layer: usize,
    /// Numerical inputs with their domains.
    pub inputs: Vec<NumMlpInput>,
    /// Run-length encoded outputs over the grid, row-major with the first input most significant.
    pub runs: Vec<Run>,
}

/// The classifier's weights for one variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    /// Variable read.
    pub variable: String,
    /// Categorical: `d_var` rows, row `v` added when the variable has value `v`. Numerical: one
    /// row, multiplied by the value. Each row has one weight per output class.
    pub weights: Vec<Vec<f32>>,
}

/// Linear classifier without bias: `logit[c] = Σ_features term[c]`, summed in f32 left to right
/// in the order of `features` (the model's stream order: categorical then numerical variables).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Classifier {
    /// Features in summation order.
    pub features: Vec<Feature>,
    /// Sequence classification (the model's `pool_outputs`): position 0 is classified from the
    /// mean of every position's features instead of its own, the mean dividing by `n_ctx` (the
    /// model's padded width) as the model does. Each categorical feature then contributes
    /// `(count of positions holding value v) / n_ctx × row v`, summed over the values in
    /// increasing order; each numerical one `(sum of its values) / n_ctx × row`. Every other
    /// position is classified from its own features, as without pooling.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pooled: bool,
}

impl Program {
    /// Parses a program from JSON text (a leading UTF-8 byte-order mark is skipped) and
    /// validates it.
    pub fn from_json_str(text: &str) -> Result<Self, ProgramError> {
        let program: Program = serde_json::from_str(without_bom(text))
            .map_err(|error| ProgramError::Parse { file: None, error })?;
        program.check_version(None)?;
        program.validate()?;
        Ok(program)
    }

    /// Reads a program from a JSON file and validates it; errors name the file (and, for a
    /// parse error, the 1-based line and column: `program.json:12:5: ...`).
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Self, ProgramError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ProgramError::Read {
            file: path.to_path_buf(),
            source,
        })?;
        let program: Program =
            serde_json::from_str(without_bom(&text)).map_err(|error| ProgramError::Parse {
                file: Some(path.to_path_buf()),
                error,
            })?;
        program.check_version(Some(path))?;
        program.validate().map_err(|error| match error {
            ProgramError::Invalid(problems) => ProgramError::InvalidFile {
                file: path.to_path_buf(),
                problems,
            },
            other => other,
        })?;
        Ok(program)
    }

    /// Pretty-printed, versioned JSON.
    pub fn to_json(&self) -> String {
        // Serialising plain data (strings, integers, finite floats) cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Writes [`Program::to_json`] to a file.
    pub fn to_json_file(&self, path: impl AsRef<Path>) -> Result<(), ProgramError> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json() + "\n").map_err(|source| ProgramError::Write {
            file: path.to_path_buf(),
            source,
        })
    }

    fn check_version(&self, file: Option<&Path>) -> Result<(), ProgramError> {
        if self.format_version == FORMAT_VERSION {
            Ok(())
        } else {
            Err(ProgramError::Version {
                file: file.map(Path::to_path_buf),
                found: self.format_version,
            })
        }
    }

    /// The index of `class` in the output vocabulary.
    pub fn class_index(&self, class: &str) -> Option<usize> {
        self.output_vocab.iter().position(|c| c == class)
    }
}

/// `text` without a leading UTF-8 byte-order mark (some editors write one).
fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}
