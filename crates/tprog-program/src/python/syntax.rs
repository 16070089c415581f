//! Python syntax for the emitter: reserved names, function and parameter names, literals.

use std::collections::HashSet;

use crate::ir::{Module, Program};
use crate::labels::Label;

/// Python keywords, builtins used by the emitted code, its constants and helpers: no variable
/// may take these names.
const RESERVED: &[&str] = &[
    "False",
    "None",
    "True",
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "while",
    "with",
    "yield",
    "match",
    "case",
    "abs",
    "bool",
    "enumerate",
    "float",
    "len",
    "list",
    "min",
    "print",
    "range",
    "sum",
    "zip",
    "ValueError",
    "OverflowError",
    "struct",
    "sys",
    "bisect",
    "INPUT_VOCAB",
    "CLASSES",
    "MASKED_CLASSES",
    "N_CTX",
    "CAUSAL",
    "FEATURES",
    "CLASSIFIER_WEIGHTS",
    "select_closest",
    "select",
    "aggregate",
    "aggregate_sum",
    "run",
    "main",
    "return_logits",
];

/// Names a variable may not take in `program` (keywords, helpers, generated function names).
pub(crate) fn reserved_python_names(program: &Program) -> HashSet<String> {
    let mut names: HashSet<String> = RESERVED.iter().map(|name| name.to_string()).collect();
    names.extend(program.modules.iter().map(function_name));
    names
}

/// The name of the function a module is written as: `predicate_0_1` for `attn_0_1_outputs`,
/// `num_predicate_0_1`, `mlp_0_1`, `num_mlp_0_1`.
pub(super) fn function_name(module: &Module) -> String {
    let output = module.output();
    let stem = output.strip_suffix("_outputs").unwrap_or(output);
    match module {
        Module::CatHead(_) => match stem.strip_prefix("attn_") {
            Some(rest) => format!("predicate_{rest}"),
            None => format!("predicate_{stem}"),
        },
        Module::NumHead(_) => match stem.strip_prefix("num_attn_") {
            Some(rest) => format!("num_predicate_{rest}"),
            None => format!("num_predicate_{stem}"),
        },
        Module::CatMlp(_) => match stem.strip_prefix("mlp_") {
            Some(rest) => format!("mlp_{rest}"),
            None => format!("mlp_{stem}"),
        },
        Module::NumMlp(_) => match stem.strip_prefix("num_mlp_") {
            Some(rest) => format!("num_mlp_{rest}"),
            None => format!("num_mlp_{stem}"),
        },
    }
}

/// A Python literal for a label: a string literal for tokens, an integer otherwise.
pub(super) fn literal(label: &Label) -> String {
    match label {
        // JSON string syntax is valid Python string syntax.
        Label::Token(token) => serde_json::to_string(token).unwrap_or_default(),
        Label::Int(value) => value.to_string(),
    }
}

/// The exact decimal of an f32 (its f64 value's shortest form), so Python reads the same float.
pub(super) fn float_literal(weight: f32) -> String {
    format!("{:?}", f64::from(weight))
}

/// `{a, b, c}` wrapped inside the braces so that no line grows past about 100 columns.
pub(super) fn set_literal(items: &[String], indent: usize) -> String {
    let mut text = String::from("{");
    let mut line = indent + 1;
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            text.push(',');
            if line + item.len() + 2 > 96 {
                text.push('\n');
                text.push_str(&" ".repeat(indent + 4));
                line = indent + 4;
            } else {
                text.push(' ');
                line += 2;
            }
        }
        text.push_str(item);
        line += item.len();
    }
    text.push('}');
    text
}

/// Parameter names for the variables a function reads: singular forms (`positions` →
/// `position`), `q_`/`k_` or numbered when they would clash.
pub(super) fn parameters(variables: &[&str], head: bool) -> Vec<String> {
    let singular: Vec<String> = variables
        .iter()
        .map(|name| name.strip_suffix('s').unwrap_or(name).to_string())
        .collect();
    let distinct: HashSet<&String> = singular.iter().collect();
    if distinct.len() == singular.len() {
        singular
    } else if head {
        vec![format!("q_{}", singular[0]), format!("k_{}", singular[1])]
    } else {
        singular
            .iter()
            .enumerate()
            .map(|(i, name)| format!("{name}_{i}"))
            .collect()
    }
}

/// `(a,)` or `(a, b)`: a Python tuple.
pub(super) fn tuple_literal(items: &[String]) -> String {
    if items.len() == 1 {
        format!("({},)", items[0])
    } else {
        format!("({})", items.join(", "))
    }
}

/// A lookup key: the value itself for one input, a tuple `(a, b)` for several.
pub(super) fn key_literal(items: &[String]) -> String {
    if items.len() == 1 {
        items[0].clone()
    } else {
        format!("({})", items.join(", "))
    }
}

/// `out = [f(_a0, _a1) for _a0, _a1 in zip(x, y)]` (or `for _a0 in x` for one input).
pub(super) fn map_call(output: &str, function: &str, inputs: &[&str]) -> String {
    if let [input] = inputs {
        return format!("{output} = [{function}(_a0) for _a0 in {input}]");
    }
    let args: Vec<String> = (0..inputs.len()).map(|i| format!("_a{i}")).collect();
    format!(
        "{output} = [{function}({args}) for {args} in zip({inputs})]",
        args = args.join(", "),
        inputs = inputs.join(", ")
    )
}
