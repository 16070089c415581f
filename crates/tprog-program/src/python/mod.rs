//! The Python emitter: one self-contained, standard-library-only file that reads like the
//! reference's programs (a section per module, predicates grouped by key value, MLPs as
//! tables) but follows the model's semantics exactly, float32 logits included.

mod syntax;
mod tables;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::ir::{CatHead, InputSource, Module, NumHead, Program};
use crate::labels::{Label, Labelling};
pub(crate) use syntax::reserved_python_names;
use syntax::{float_literal, function_name, literal, map_call, parameters, set_literal};

/// Helpers and runtime text shared by every emitted program.
const LIBRARY: &str = include_str!("library.py");

/// Emits `program` as one self-contained Python file exposing `run(tokens) -> labels`.
///
/// The program should be valid (as every loaded or decompiled program is); the text written
/// for an invalid one is unspecified, but emission never panics.
pub fn to_python(program: &Program) -> String {
    Emitter {
        program,
        labellings: program.labellings(),
        text: String::new(),
    }
    .emit()
}

/// Writes one program's Python text.
pub(super) struct Emitter<'a> {
    program: &'a Program,
    labellings: HashMap<&'a str, Labelling>,
    text: String,
}

impl Emitter<'_> {
    /// Whether `variable` can hold `value` at run time. Only token-labelled variables are
    /// narrowed: they hold input tokens, never `<pad>` (rejected) or values beyond the vocabulary.
    pub(super) fn reachable(&self, variable: &str, value: i64) -> bool {
        match self.labellings.get(variable) {
            Some(Labelling::Tokens) => self
                .program
                .input_vocab
                .get(value as usize)
                .is_some_and(|token| token != "<pad>"),
            _ => true,
        }
    }

    pub(super) fn label(&self, variable: &str, value: i64) -> String {
        let labelling = self
            .labellings
            .get(variable)
            .copied()
            .unwrap_or(Labelling::Index);
        literal(&self.program.label(labelling, value))
    }

    fn line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }

    fn emit(mut self) -> String {
        let program = self.program;
        let tokens: Vec<String> = program
            .input_vocab
            .iter()
            .map(|t| literal(&Label::Token(t.clone())))
            .collect();
        let classes: Vec<String> = program
            .output_vocab
            .iter()
            .map(|t| literal(&Label::Token(t.clone())))
            .collect();
        let masked: Vec<String> = program
            .masked_classes
            .iter()
            .map(|t| literal(&Label::Token(t.clone())))
            .collect();
        let _ = write!(
            self.text,
            "# Transformer Program: {name}\n\
             \"\"\"A Transformer Program written by tprog (program format {version}).\n\n\
             Self-contained: Python standard library only, weights included, nothing runs on import.\n\
             `run(tokens)` returns one label per position; `run(tokens, return_logits=True)` also\n\
             returns the logits. {usage}\n\"\"\"\n\n\
             import bisect\nimport struct\nimport sys\n\n\
             INPUT_VOCAB = [{tokens}]\nCLASSES = [{classes}]\nMASKED_CLASSES = {masked}\n\
             N_CTX = {n_ctx}\nCAUSAL = {causal}\n",
            name = program.name.replace(|c: char| c.is_control(), " "),
            version = program.format_version,
            usage = if program.text.is_some() {
                "`run_words(words)` takes a sentence as words.\nCommand line: python3 this_file.py \"EU rejects German call\""
            } else {
                "Command line: python3 this_file.py \"<s> 3 1 4 </s>\""
            },
            tokens = tokens.join(", "),
            classes = classes.join(", "),
            masked = if masked.is_empty() {
                "set()".to_string()
            } else {
                set_literal(&masked, 0)
            },
            n_ctx = program.n_ctx,
            causal = if program.causal { "True" } else { "False" },
        );
        if let Some(provenance) = &program.provenance {
            let clean = |text: &str| text.replace(|c: char| c.is_control(), " ");
            let _ = write!(
                self.text,
                "# {}\n# Checked on {} sequences: {}\n",
                clean(&provenance.derivation),
                provenance.sequences,
                clean(&provenance.evidence)
            );
        }
        self.text.push_str(LIBRARY);
        if let Some(text) = &program.text {
            let marker = |token: &Option<String>| {
                token
                    .as_ref()
                    .map_or("None".to_string(), |t| literal(&Label::Token(t.clone())))
            };
            let flag = |on: bool| if on { "True" } else { "False" };
            let _ = write!(
                self.text,
                "\n\n# Learned on text: run_words(words) turns a sentence into tokens with these rules.\n\
                 TEXT = {{\"bos\": {}, \"eos\": {}, \"unknown\": {}, \"replace_numbers\": {}, \"lower\": {}}}\n",
                marker(&text.bos),
                marker(&text.eos),
                literal(&Label::Token(text.unknown.clone())),
                flag(text.replace_numbers),
                flag(text.lower)
            );
        }
        if program.classifier.pooled {
            self.line(
                "\n\n# A sequence classifier: position 0's label comes from the mean of every position's features.\nPOOLED = True",
            );
        }
        self.emit_embeddings();
        let mut layer = None;
        for module in &program.modules {
            if layer != Some(module.layer()) {
                layer = Some(module.layer());
                let _ = write!(
                    self.text,
                    "\n\n# {:-^93}\n",
                    format!(" layer {} ", module.layer())
                );
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

    /// Each embedding table grouped by value: one line per value listing its tokens (in
    /// vocabulary order, so the most frequent words first for text), inverted at import.
    fn emit_embeddings(&mut self) {
        for input in &self.program.inputs {
            let values: Vec<i64> = match &input.source {
                InputSource::Embedding { values } => values.iter().map(|&v| v as i64).collect(),
                InputSource::NumericalEmbedding { values } => values.clone(),
                _ => continue,
            };
            let mut groups: Vec<(i64, Vec<String>)> = Vec::new();
            for (token, &value) in self.program.input_vocab.iter().zip(&values) {
                let token = literal(&Label::Token(token.clone()));
                match groups.binary_search_by_key(&value, |(v, _)| *v) {
                    Ok(at) => groups[at].1.push(token),
                    Err(at) => groups.insert(at, (value, vec![token])),
                }
            }
            let _ = write!(
                self.text,
                "\n\n# {}: a value per token ({} tokens, {} values), listed by value\n_EMBEDDING_{} = _by_value({{\n",
                input.name,
                values.len(),
                groups.len(),
                input.name
            );
            for (value, tokens) in &groups {
                let list = set_literal(tokens, 4);
                let _ = writeln!(self.text, "    {value}: [{}],", &list[1..list.len() - 1]);
            }
            self.line("})");
        }
    }

    /// Writes `def name(q, k)` with one branch per key value, grouping the query values.
    fn emit_predicate(
        &mut self,
        function: &str,
        query: &str,
        key: &str,
        predicate: &crate::ir::Predicate,
    ) {
        let params = parameters(&[query, key], true);
        let _ = write!(
            self.text,
            "\ndef {function}({}, {}):\n",
            params[0], params[1]
        );
        let mut groups: Vec<(usize, Vec<String>)> = Vec::new();
        for (query_value, key_value) in predicate.key_of_query.iter().enumerate() {
            let Some(key_value) = *key_value else {
                continue;
            };
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
            let _ = writeln!(
                self.text,
                "    ({:?}, {}),",
                feature.variable,
                if is_numerical { "True" } else { "False" }
            );
        }
        // A simplified program zeroes the rows it does not need; those are left out (and read
        // as zeros). Decompiled programs list every row, as they always have.
        let sparse = program
            .classifier
            .features
            .iter()
            .flat_map(|f| &f.weights)
            .any(|row| row.iter().all(|&w| w == 0.0));
        if sparse {
            self.line("]\n# Rows not listed are all zero.\nCLASSIFIER_WEIGHTS = {");
        } else {
            self.line("]\nCLASSIFIER_WEIGHTS = {");
        }
        for feature in &program.classifier.features {
            let is_numerical = numerical.contains(feature.variable.as_str());
            for (value, row) in feature.weights.iter().enumerate() {
                if sparse && row.iter().all(|&w| w == 0.0) {
                    continue;
                }
                let label = if is_numerical {
                    "\"_\"".to_string()
                } else {
                    self.label(&feature.variable, value as i64)
                };
                let row: Vec<String> = row.iter().map(|&w| float_literal(w)).collect();
                let _ = writeln!(
                    self.text,
                    "    ({:?}, {label}): [{}],",
                    feature.variable,
                    row.join(", ")
                );
            }
        }
        self.line("}");
        if sparse {
            self.line(
                "CLASSIFIER_WEIGHTS = __import__(\"collections\").defaultdict(lambda: [0.0] * len(CLASSES), CLASSIFIER_WEIGHTS)",
            );
        }
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
        self.line(MAIN);
    }
}

/// The command-line entry point every emitted program ends with.
const MAIN: &str = "\n\ndef main(argv):\n    if len(argv) != 2:\n        example = \"EU rejects German call\" if TEXT else \"<s> 3 1 4 </s>\"\n        print(f\"usage: python3 {argv[0]} \\\"{example}\\\"\", file=sys.stderr)\n        return 2\n    try:\n        labels = run_words(argv[1].split()) if TEXT else run(argv[1].split())\n    except ValueError as error:\n        print(f\"error: {error}\", file=sys.stderr)\n        return 1\n    print(\" \".join(str(label) for label in labels))\n    return 0\n\n\nif __name__ == \"__main__\":\n    sys.exit(main(sys.argv))";

/// Lines of code of the program's modules alone: every line of each head's predicate function
/// and each MLP's table function (and a large table's run list), without blank lines and
/// comments. This is what the paper's Table 4 counts (the reference's `analyze_loc` sums the
/// formatted code of every head and MLP; the classifier's weights live in a CSV file there, and
/// the embeddings, `run` and the library are not counted).
pub fn module_python_lines(program: &Program) -> usize {
    program
        .modules
        .iter()
        .map(|module| {
            let mut emitter = Emitter {
                program,
                labellings: program.labellings(),
                text: String::new(),
            };
            match module {
                Module::CatHead(head) => emitter.emit_cat_head(module, head),
                Module::NumHead(head) => emitter.emit_num_head(module, head),
                Module::CatMlp(mlp) => emitter.emit_cat_mlp(module, mlp),
                Module::NumMlp(mlp) => emitter.emit_num_mlp(module, mlp),
            }
            emitter
                .text
                .lines()
                .filter(|line| {
                    let line = line.trim();
                    !line.is_empty() && !line.starts_with('#')
                })
                .count()
        })
        .sum()
}

/// Lines of the Python export of `program` that are its own: every line except the shared
/// runtime library (`select_closest`, `aggregate`, ...) and the command-line `main`, which are
/// the same in every program.
pub fn own_python_lines(program: &Program) -> usize {
    let fixed = LIBRARY.lines().count() + MAIN.lines().count();
    to_python(program).lines().count().saturating_sub(fixed)
}
