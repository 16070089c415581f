//! A summary of what a program learned, read off the program and a set of inputs, in the spirit
//! of the paper's NER case study: for each embedding variable, its most frequent words per
//! value; for each head, where it looks (relative offsets, the start) and the word pairs it
//! links; for each class, the classifier rows that favour it most.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::compile::Interpreter;
use crate::error::ProgramError;
use crate::ir::{InputSource, Module, Program};
use crate::trace::Selection;

/// One value of an embedding variable.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingValue {
    /// The value.
    pub value: usize,
    /// Vocabulary words with this value.
    pub words: usize,
    /// Occurrences in the inputs of words with this value.
    pub occurrences: usize,
    /// The most frequent of them in the inputs (then vocabulary order), with their counts.
    pub top: Vec<(String, usize)>,
}

/// An embedding variable's values, the most used first.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingSummary {
    /// The variable.
    pub variable: String,
    /// Its values that some vocabulary word has.
    pub values: Vec<EmbeddingValue>,
}

/// Where a categorical head looks, over every query position of the inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadSummary {
    /// The head's output variable.
    pub head: String,
    /// Variables read: query, key, value.
    pub reads: [String; 3],
    /// Query positions seen.
    pub queries: usize,
    /// Share of queries that selected position 0 (the start token, also the default when
    /// nothing matches).
    pub start: f64,
    /// The most frequent key offsets (key position − query position) among the other
    /// queries, with their shares of all queries.
    pub offsets: Vec<(i64, f64)>,
    /// The most frequent (query token, selected token) pairs, with counts.
    pub pairs: Vec<(String, String, usize)>,
}

/// One classifier row that favours a class.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassFeature {
    /// The variable.
    pub variable: String,
    /// Its value's label.
    pub value: String,
    /// The row's weight for the class minus its mean weight over the predictable classes.
    pub score: f32,
    /// For an embedding variable: its most frequent words with this value.
    pub words: Vec<String>,
}

/// The strongest classifier rows of one class.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassSummary {
    /// The class.
    pub class: String,
    /// Its rows, strongest first.
    pub features: Vec<ClassFeature>,
}

/// Everything [`analyze`] finds.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Inputs read.
    pub sequences: usize,
    /// Per embedding variable.
    pub embeddings: Vec<EmbeddingSummary>,
    /// Per categorical head.
    pub heads: Vec<HeadSummary>,
    /// Per predictable class.
    pub classes: Vec<ClassSummary>,
}

/// Summarises `program` on `inputs` (token sequences it accepts), keeping `top` entries of
/// every list.
pub fn analyze(
    program: &Program,
    inputs: &[Vec<String>],
    top: usize,
) -> Result<Analysis, ProgramError> {
    let interpreter = Interpreter::new(program)?;
    let mut frequency = vec![0usize; program.input_vocab.len()];
    for tokens in inputs {
        for index in interpreter.encode(tokens)? {
            frequency[index] += 1;
        }
    }
    let embeddings: Vec<EmbeddingSummary> = program
        .inputs
        .iter()
        .filter_map(|input| match &input.source {
            InputSource::Embedding { values } => Some(embedding_summary(
                program,
                &input.name,
                values,
                &frequency,
                top,
            )),
            _ => None,
        })
        .collect();
    let heads = head_summaries(program, &interpreter, inputs, top)?;
    let words_of: HashMap<(&str, usize), Vec<String>> = embeddings
        .iter()
        .flat_map(|e| {
            e.values.iter().map(|v| {
                let words = v.top.iter().take(4).map(|(w, _)| w.clone()).collect();
                ((e.variable.as_str(), v.value), words)
            })
        })
        .collect();
    let classes = class_summaries(program, &words_of, top);
    Ok(Analysis {
        sequences: inputs.len(),
        embeddings,
        heads,
        classes,
    })
}

fn embedding_summary(
    program: &Program,
    name: &str,
    values: &[usize],
    frequency: &[usize],
    top: usize,
) -> EmbeddingSummary {
    let mut by_value: Vec<EmbeddingValue> = (0..program.d_var)
        .map(|value| EmbeddingValue {
            value,
            words: 0,
            occurrences: 0,
            top: Vec::new(),
        })
        .collect();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); program.d_var];
    for (token, &value) in values.iter().enumerate() {
        if program.input_vocab[token] == "<pad>" || value >= program.d_var {
            continue;
        }
        by_value[value].words += 1;
        by_value[value].occurrences += frequency[token];
        members[value].push(token);
    }
    for (entry, mut tokens) in by_value.iter_mut().zip(members) {
        // Stable: equal counts keep vocabulary order (the training frequency order for text).
        tokens.sort_by(|a, b| frequency[*b].cmp(&frequency[*a]));
        entry.top = tokens
            .into_iter()
            .take(top)
            .map(|t| (program.input_vocab[t].clone(), frequency[t]))
            .collect();
    }
    by_value.retain(|v| v.words > 0);
    by_value.sort_by(|a, b| {
        b.occurrences
            .cmp(&a.occurrences)
            .then(a.value.cmp(&b.value))
    });
    EmbeddingSummary {
        variable: name.to_string(),
        values: by_value,
    }
}

fn head_summaries(
    program: &Program,
    interpreter: &Interpreter,
    inputs: &[Vec<String>],
    top: usize,
) -> Result<Vec<HeadSummary>, ProgramError> {
    let heads: Vec<&crate::ir::CatHead> = program
        .modules
        .iter()
        .filter_map(|m| match m {
            Module::CatHead(head) => Some(head),
            _ => None,
        })
        .collect();
    let mut queries = vec![0usize; heads.len()];
    let mut start = vec![0usize; heads.len()];
    let mut offsets: Vec<HashMap<i64, usize>> = vec![HashMap::new(); heads.len()];
    let mut pairs: Vec<HashMap<(String, String), usize>> = vec![HashMap::new(); heads.len()];
    for tokens in inputs {
        let trace = interpreter.trace(tokens)?;
        let closest = trace.heads.iter().filter_map(|h| match &h.selection {
            Selection::Closest(chosen) => Some(chosen),
            Selection::Sum(_) => None,
        });
        for (h, chosen) in closest.enumerate() {
            for (query, &key) in chosen.iter().enumerate() {
                queries[h] += 1;
                if key == 0 {
                    start[h] += 1;
                } else {
                    *offsets[h].entry(key as i64 - query as i64).or_default() += 1;
                }
                *pairs[h]
                    .entry((tokens[query].clone(), tokens[key].clone()))
                    .or_default() += 1;
            }
        }
    }
    Ok(heads
        .iter()
        .enumerate()
        .map(|(h, head)| {
            let total = queries[h].max(1) as f64;
            let mut offset_list: Vec<(i64, usize)> =
                offsets[h].iter().map(|(&o, &c)| (o, c)).collect();
            offset_list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut pair_list: Vec<(String, String, usize)> = pairs[h]
                .iter()
                .map(|((q, k), &c)| (q.clone(), k.clone(), c))
                .collect();
            pair_list.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
            HeadSummary {
                head: head.output.clone(),
                reads: [head.query.clone(), head.key.clone(), head.value.clone()],
                queries: queries[h],
                start: start[h] as f64 / total,
                offsets: offset_list
                    .into_iter()
                    .take(top)
                    .map(|(o, c)| (o, c as f64 / total))
                    .collect(),
                pairs: pair_list.into_iter().take(top).collect(),
            }
        })
        .collect())
}

fn class_summaries(
    program: &Program,
    words_of: &HashMap<(&str, usize), Vec<String>>,
    top: usize,
) -> Vec<ClassSummary> {
    let labellings = program.labellings();
    let predictable: Vec<usize> = (0..program.output_vocab.len())
        .filter(|&c| !program.masked_classes.contains(&program.output_vocab[c]))
        .collect();
    predictable
        .iter()
        .map(|&class| {
            let mut features: Vec<ClassFeature> = Vec::new();
            for feature in &program.classifier.features {
                let labelling = labellings
                    .get(feature.variable.as_str())
                    .copied()
                    .unwrap_or(crate::Labelling::Index);
                for (value, row) in feature.weights.iter().enumerate() {
                    let mean = predictable.iter().map(|&c| row[c]).sum::<f32>()
                        / predictable.len().max(1) as f32;
                    let value_label = if labelling == crate::Labelling::Numeric {
                        "(per unit)".to_string()
                    } else {
                        program.label(labelling, value as i64).to_string()
                    };
                    features.push(ClassFeature {
                        variable: feature.variable.clone(),
                        value: value_label,
                        score: row[class] - mean,
                        words: words_of
                            .get(&(feature.variable.as_str(), value))
                            .cloned()
                            .unwrap_or_default(),
                    });
                }
            }
            features.sort_by(|a, b| b.score.total_cmp(&a.score));
            features.truncate(top);
            ClassSummary {
                class: program.output_vocab[class].clone(),
                features,
            }
        })
        .collect()
}

impl Analysis {
    /// Plain text: embeddings, heads, classes, `top` entries each.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "read on {} inputs", self.sequences);
        for embedding in &self.embeddings {
            let _ = writeln!(
                text,
                "\nembedding {} ({} values in use), most used values first:",
                embedding.variable,
                embedding.values.len()
            );
            for value in &embedding.values {
                let words: Vec<String> = value
                    .top
                    .iter()
                    .map(|(w, c)| format!("{w} ({c})"))
                    .collect();
                let _ = writeln!(
                    text,
                    "  {:>3}: {} words, {} occurrences: {}",
                    value.value,
                    value.words,
                    value.occurrences,
                    words.join(", ")
                );
            }
        }
        for head in &self.heads {
            let [query, key, value] = &head.reads;
            let _ = writeln!(
                text,
                "\nhead {} (query {query}, key {key}, copies {value}), over {} queries:",
                head.head, head.queries
            );
            let mut places = vec![format!("start {:.1}%", 100.0 * head.start)];
            places.extend(
                head.offsets
                    .iter()
                    .map(|(o, share)| format!("{o:+} {:.1}%", 100.0 * share)),
            );
            let _ = writeln!(text, "  selects: {}", places.join(", "));
            let pairs: Vec<String> = head
                .pairs
                .iter()
                .map(|(q, k, c)| format!("{q} → {k} ({c})"))
                .collect();
            let _ = writeln!(text, "  query → selected: {}", pairs.join(", "));
        }
        for class in &self.classes {
            let _ = writeln!(text, "\nclass {}: strongest classifier rows", class.class);
            for f in &class.features {
                let words = if f.words.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", f.words.join(", "))
                };
                let _ = writeln!(
                    text,
                    "  {:+.3}  {} = {}{words}",
                    f.score, f.variable, f.value
                );
            }
        }
        text
    }
}
