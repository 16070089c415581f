//! The Python emitter: one self-contained, standard-library-only file that reads like the
//! reference's programs (a section per module, predicates grouped by key value, MLPs as
//! tables) but follows the model's semantics exactly, float32 logits included.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use crate::ir::{CatHead, InputSource, MlpTable, Module, NumHead, NumMlpTable, Program};
use crate::labels::{Label, Labelling};

/// Helpers and runtime text shared by every emitted program.
const LIBRARY: &str = include_str!("python_library.py");

/// Numerical MLPs with at most this many grid cells are written as sets of keys; larger ones
/// as a run-length table.
const MAX_SET_CELLS: u64 = 4096;

/// Python keywords, builtins used by the emitted code, its constants and helpers: no variable
/// may take these names.
const RESERVED: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if",
    "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
    "while", "with", "yield", "match", "case", "abs", "bool", "enumerate", "float", "len",
    "list", "min", "print", "range", "sum", "zip", "ValueError", "OverflowError", "struct", "sys",
    "bisect", "INPUT_VOCAB", "CLASSES", "MASKED_CLASSES", "N_CTX", "CAUSAL", "FEATURES",
    "CLASSIFIER_WEIGHTS", "select_closest", "select", "aggregate", "aggregate_sum", "run",
    "main", "return_logits",
];

/// Names a variable may not take in `program` (keywords, helpers, generated function names).
pub(crate) fn reserved_python_names(program: &Program) -> HashSet<String> {
    let mut names: HashSet<String> = RESERVED.iter().map(|name| name.to_string()).collect();
    names.extend(program.modules.iter().map(function_name));
    names
}

/// The name of the function a module is written as: `predicate_0_1` for `attn_0_1_outputs`,
/// `num_predicate_0_1`, `mlp_0_1`, `num_mlp_0_1`.
fn function_name(module: &Module) -> String {
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
fn literal(label: &Label) -> String {
    match label {
        // JSON string syntax is valid Python string syntax.
        Label::Token(token) => serde_json::to_string(token).unwrap_or_default(),
        Label::Int(value) => value.to_string(),
    }
}

/// The exact decimal of an f32 (its f64 value's shortest form), so Python reads the same float.
fn float_literal(weight: f32) -> String {
    format!("{:?}", f64::from(weight))
}

/// `{a, b, c}` wrapped inside the braces so that no line grows past about 100 columns.
fn set_literal(items: &[String], indent: usize) -> String {
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
fn parameters(variables: &[&str], head: bool) -> Vec<String> {
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
        singular.iter().enumerate().map(|(i, name)| format!("{name}_{i}")).collect()
    }
}

/// Emits `program` as one self-contained Python file exposing `run(tokens) -> labels`.
pub fn to_python(program: &Program) -> String {
    Emitter { program, labellings: program.labellings(), text: String::new() }.emit()
}

struct Emitter<'a> {
    program: &'a Program,
    labellings: HashMap<&'a str, Labelling>,
    text: String,
}

impl Emitter<'_> {
    fn label(&self, variable: &str, value: i64) -> String {
        let labelling = self.labellings.get(variable).copied().unwrap_or(Labelling::Index);
        literal(&self.program.label(labelling, value))
    }

    fn line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }

    fn emit(mut self) -> String {
        let program = self.program;
        let tokens: Vec<String> = program.input_vocab.iter().map(|t| literal(&Label::Token(t.clone()))).collect();
        let classes: Vec<String> = program.output_vocab.iter().map(|t| literal(&Label::Token(t.clone()))).collect();
        let masked: Vec<String> = program.masked_classes.iter().map(|t| literal(&Label::Token(t.clone()))).collect();
        let _ = write!(
            self.text,
            "# Transformer Program: {name}\n\
             \"\"\"A Transformer Program written by tprog (program format {version}).\n\n\
             Self-contained: Python standard library only, weights included, nothing runs on import.\n\
             `run(tokens)` returns one label per position; `run(tokens, return_logits=True)` also\n\
             returns the logits. Command line: python3 this_file.py \"<s> 3 1 4 </s>\"\n\"\"\"\n\n\
             import bisect\nimport struct\nimport sys\n\n\
             INPUT_VOCAB = {tokens}\nCLASSES = {classes}\nMASKED_CLASSES = {masked}\n\
             N_CTX = {n_ctx}\nCAUSAL = {causal}\n",
            name = program.name.replace(|c: char| c.is_control(), " "),
            version = program.format_version,
            tokens = format!("[{}]", tokens.join(", ")),
            classes = format!("[{}]", classes.join(", ")),
            masked = if masked.is_empty() { "set()".to_string() } else { set_literal(&masked, 0) },
            n_ctx = program.n_ctx,
            causal = if program.causal { "True" } else { "False" },
        );
        self.text.push_str(LIBRARY);
        self.emit_embeddings();
        let mut layer = None;
        for module in &program.modules {
            if layer != Some(module.layer()) {
                layer = Some(module.layer());
                let _ = write!(self.text, "\n\n# {:-^93}\n", format!(" layer {} ", module.layer()));
            }
            match module {
                Module::CatHead(head) => self.emit_cat_head(module, head),
                Module::NumHead(head) => self.emit_num_head(module, head),
                Module::CatMlp(mlp) => self.emit_cat_mlp(module, mlp),
                Module::NumMlp(mlp) => self.emit_num_mlp(module, mlp),
            }
        }
        self.emit_classifier();
        self.emit_run();
        self.text
    }

    fn emit_embeddings(&mut self) {
        for input in &self.program.inputs {
            let values: Vec<String> = match &input.source {
                InputSource::Embedding { values } => values.iter().map(|v| v.to_string()).collect(),
                InputSource::NumericalEmbedding { values } => values.iter().map(|v| v.to_string()).collect(),
                _ => continue,
            };
            let entries: Vec<String> = self
                .program
                .input_vocab
                .iter()
                .zip(values)
                .map(|(token, value)| format!("{}: {value}", literal(&Label::Token(token.clone()))))
                .collect();
            let _ = write!(self.text, "\n\n# {}: a value per token\n_EMBEDDING_{} = {}\n", input.name, input.name, set_literal(&entries, 0));
        }
    }

    /// Writes `def name(q, k)` with one branch per key value, grouping the query values.
    fn emit_predicate(&mut self, function: &str, query: &str, key: &str, predicate: &crate::ir::Predicate) {
        let params = parameters(&[query, key], true);
        let _ = write!(self.text, "\ndef {function}({}, {}):\n", params[0], params[1]);
        let mut groups: Vec<(usize, Vec<String>)> = Vec::new();
        for (query_value, key_value) in predicate.key_of_query.iter().enumerate() {
            let Some(key_value) = *key_value else { continue };
            let label = self.label(query, query_value as i64);
            match groups.iter_mut().find(|(k, _)| *k == key_value) {
                Some((_, members)) => members.push(label),
                None => groups.push((key_value, vec![label])),
            }
        }
        for (index, (key_value, members)) in groups.iter().enumerate() {
            let keyword = if index == 0 { "if" } else { "elif" };
            let _ = write!(
                self.text,
                "    {keyword} {} in {}:\n        return {} == {}\n",
                params[0],
                set_literal(members, 4),
                params[1],
                self.label(key, *key_value as i64)
            );
        }
        self.line("    return False");
    }

    fn emit_cat_head(&mut self, module: &Module, head: &CatHead) {
        let function = function_name(module);
        let _ = write!(
            self.text,
            "\n\n# {}: query {}, key {}, copies {} from the closest match\n",
            head.output, head.query, head.key, head.value
        );
        self.emit_predicate(&function, &head.query, &head.key, &head.predicate);
    }

    fn emit_num_head(&mut self, module: &Module, head: &NumHead) {
        let function = function_name(module);
        let _ = write!(
            self.text,
            "\n\n# {}: query {}, key {}, sums {} over every match\n",
            head.output, head.query, head.key, head.value
        );
        self.emit_predicate(&function, &head.query, &head.key, &head.predicate);
    }

    /// Writes a lookup function: one `if key in {...}: return v` branch per output value except
    /// the most frequent one, which is the default (`cells` = (key literal, output) pairs).
    fn emit_table(&mut self, signature: &str, key: &str, prelude: &str, cells: Vec<(String, usize)>) {
        let mut by_output: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for (key_literal, output) in cells {
            by_output.entry(output).or_default().push(key_literal);
        }
        let mut outputs: Vec<(usize, Vec<String>)> = by_output.into_iter().collect();
        // Most frequent first; lower output value on equal counts.
        outputs.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        let _ = write!(self.text, "\ndef {signature}:\n    _key = {key}\n{prelude}");
        let default = outputs.first().map_or(0, |(output, _)| *output);
        for (index, (output, keys)) in outputs.iter().skip(1).enumerate() {
            let keyword = if index == 0 { "if" } else { "elif" };
            let _ = write!(self.text, "    {keyword} _key in {}:\n        return {output}\n", set_literal(keys, 4));
        }
        let _ = writeln!(self.text, "    return {default}");
    }

    fn emit_cat_mlp(&mut self, module: &Module, mlp: &MlpTable) {
        let function = function_name(module);
        let k = self.program.d_var;
        let _ = write!(self.text, "\n\n# {}: a table over ({})\n", mlp.output, mlp.inputs.join(", "));
        // Reading one variable several times: only the diagonal is reachable.
        let mut distinct: Vec<&str> = Vec::new();
        for input in &mlp.inputs {
            if !distinct.contains(&input.as_str()) {
                distinct.push(input);
            }
        }
        let params = parameters(&distinct, false);
        let mut cells = Vec::new();
        for (index, &output) in mlp.table.iter().enumerate() {
            // Decode the row-major index into one value per input (first input most significant).
            let mut rest = index;
            let mut values = vec![0usize; mlp.inputs.len()];
            for slot in values.iter_mut().rev() {
                *slot = rest % k;
                rest /= k;
            }
            let mut chosen: Vec<Option<usize>> = vec![None; distinct.len()];
            let consistent = mlp.inputs.iter().zip(&values).all(|(input, &value)| {
                let position = distinct.iter().position(|d| d == input).unwrap_or(0);
                *chosen[position].get_or_insert(value) == value
            });
            if !consistent {
                continue;
            }
            let labels: Vec<String> = distinct
                .iter()
                .zip(&chosen)
                .map(|(name, value)| self.label(name, value.unwrap_or(0) as i64))
                .collect();
            cells.push((key_literal(&labels), output));
        }
        let signature = format!("{function}({})", params.join(", "));
        self.emit_table(&signature, &key_literal(&params), "", cells);
    }

    fn emit_num_mlp(&mut self, module: &Module, mlp: &NumMlpTable) {
        let function = function_name(module);
        let names: Vec<&str> = mlp.inputs.iter().map(|input| input.variable.as_str()).collect();
        let params = parameters(&names, false);
        let domains: Vec<String> = mlp.inputs.iter().map(|input| format!("({}, {})", input.min, input.max)).collect();
        let domains = format!("({},)", domains.join(", "));
        let values = format!("({},)", params.join(", "));
        let signature = format!("{function}({})", params.join(", "));
        let _ = write!(
            self.text,
            "\n\n# {}: an exact table over ({}), domains {}\n",
            mlp.output,
            names.join(", "),
            domains
        );
        let cells: u64 = mlp.runs.iter().map(|run| run.count).sum();
        if cells > MAX_SET_CELLS {
            let constant = format!("_RUNS_{}", function.to_uppercase());
            let mut end = 0;
            let runs: Vec<String> = mlp
                .runs
                .iter()
                .map(|run| {
                    end += run.count;
                    format!("({end}, {})", run.value)
                })
                .collect();
            let _ = write!(
                self.text,
                "{constant} = [{}]\n\n\ndef {signature}:\n    return _lookup_runs({:?}, {values}, {domains}, {constant})\n",
                runs.join(", "),
                mlp.output
            );
            return;
        }
        let mut grid = Vec::new();
        let mut outputs = mlp.runs.iter().flat_map(|run| std::iter::repeat_n(run.value, run.count as usize));
        let mut point: Vec<i64> = mlp.inputs.iter().map(|input| input.min).collect();
        'cells: loop {
            let Some(output) = outputs.next() else { break };
            let labels: Vec<String> = point.iter().map(|v| v.to_string()).collect();
            grid.push((key_literal(&labels), output));
            // Advance the row-major grid point (last input fastest).
            for (slot, input) in point.iter_mut().zip(&mlp.inputs).rev() {
                if *slot < input.max {
                    *slot += 1;
                    continue 'cells;
                }
                *slot = input.min;
            }
            break;
        }
        let prelude = format!("    _check_domain({:?}, {values}, {domains})\n", mlp.output);
        self.emit_table(&signature, &key_literal(&params), &prelude, grid);
    }

    fn emit_classifier(&mut self) {
        let program = self.program;
        let numerical: HashSet<&str> = program
            .inputs
            .iter()
            .filter(|input| input.source.kind() == crate::ir::VariableKind::Numerical)
            .map(|input| input.name.as_str())
            .chain(program.modules.iter().filter_map(|m| match m {
                Module::NumHead(head) => Some(head.output.as_str()),
                _ => None,
            }))
            .collect();
        let _ = write!(
            self.text,
            "\n\n# {:-^93}\n# logit[c] = sum over FEATURES in this order of the weight row of the feature's value\n\
             # (categorical) or value * weight row (numerical), in float32. One weight per class in CLASSES.\n\
             FEATURES = [\n",
            " classifier "
        );
        for feature in &program.classifier.features {
            let is_numerical = numerical.contains(feature.variable.as_str());
            let _ = writeln!(self.text, "    ({:?}, {}),", feature.variable, if is_numerical { "True" } else { "False" });
        }
        self.line("]\nCLASSIFIER_WEIGHTS = {");
        for feature in &program.classifier.features {
            let is_numerical = numerical.contains(feature.variable.as_str());
            for (value, row) in feature.weights.iter().enumerate() {
                let label = if is_numerical { "\"_\"".to_string() } else { self.label(&feature.variable, value as i64) };
                let row: Vec<String> = row.iter().map(|&w| float_literal(w)).collect();
                let _ = writeln!(self.text, "    ({:?}, {label}): [{}],", feature.variable, row.join(", "));
            }
        }
        self.line("}");
    }

    fn emit_run(&mut self) {
        let program = self.program;
        self.line("\n\ndef run(tokens, return_logits=False):");
        self.line("    \"\"\"The label of every position (and the logits if asked).\"\"\"");
        self.line("    _input = _check_input(tokens)");
        self.line("    _n = len(_input)");
        for input in &program.inputs {
            let name = &input.name;
            let expression = match input.source {
                InputSource::Tokens => "list(_input)".to_string(),
                InputSource::Positions => "list(range(_n))".to_string(),
                InputSource::Ones => "[1] * _n".to_string(),
                InputSource::Embedding { .. } | InputSource::NumericalEmbedding { .. } => {
                    format!("[_EMBEDDING_{name}[t] for t in _input]")
                }
            };
            let _ = writeln!(self.text, "    {name} = {expression}");
        }
        let mut layer = None;
        for module in &program.modules {
            if layer != Some(module.layer()) {
                layer = Some(module.layer());
                let _ = writeln!(self.text, "\n    # layer {}", module.layer());
            }
            let function = function_name(module);
            let line = match module {
                Module::CatHead(head) => format!(
                    "{} = aggregate(select_closest({}, {}, {function}), {})",
                    head.output, head.key, head.query, head.value
                ),
                Module::NumHead(head) => format!(
                    "{} = aggregate_sum(select({}, {}, {function}), {})",
                    head.output, head.key, head.query, head.value
                ),
                Module::CatMlp(mlp) => {
                    let mut distinct: Vec<&str> = Vec::new();
                    for input in &mlp.inputs {
                        if !distinct.contains(&input.as_str()) {
                            distinct.push(input);
                        }
                    }
                    map_call(&mlp.output, &function, &distinct)
                }
                Module::NumMlp(mlp) => {
                    let names: Vec<&str> = mlp.inputs.iter().map(|i| i.variable.as_str()).collect();
                    map_call(&mlp.output, &function, &names)
                }
            };
            let _ = writeln!(self.text, "    {line}");
        }
        let features: Vec<String> = program
            .classifier
            .features
            .iter()
            .map(|feature| format!("{:?}: {}", feature.variable, feature.variable))
            .collect();
        let _ = writeln!(self.text, "\n    _values = {}", set_literal(&features, 4));
        self.line("    return _classify(_values, _n, return_logits)");
        self.line(
            "\n\ndef main(argv):\n    if len(argv) != 2:\n        print(f\"usage: python3 {argv[0]} \\\"<s> 3 1 4 </s>\\\"\", file=sys.stderr)\n        return 2\n    try:\n        labels = run(argv[1].split())\n    except ValueError as error:\n        print(f\"error: {error}\", file=sys.stderr)\n        return 1\n    print(\" \".join(str(label) for label in labels))\n    return 0\n\n\nif __name__ == \"__main__\":\n    sys.exit(main(sys.argv))",
        );
    }
}

/// A lookup key: the value itself for one input, a tuple `(a, b)` for several.
fn key_literal(items: &[String]) -> String {
    if items.len() == 1 {
        items[0].clone()
    } else {
        format!("({})", items.join(", "))
    }
}

/// `out = [f(_a0, _a1) for _a0, _a1 in zip(x, y)]` (or `for _a0 in x` for one input).
fn map_call(output: &str, function: &str, inputs: &[&str]) -> String {
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
