//! Names after what a module computes, where that is recognisable: a head whose query
//! position p selects key p − 1 copies `previous_token`, a numerical head summing ones over
//! equal tokens counts them, a constant is a constant.

use std::collections::{HashMap, HashSet};

use super::structure::constant_value;
use crate::ir::{InputSource, Module, Predicate, Program};

/// The common offset `key − query` of a predicate over positions (`None` if rows disagree or
/// none matches).
pub(crate) fn offset(predicate: &Predicate) -> Option<i64> {
    let mut offsets = predicate
        .key_of_query
        .iter()
        .enumerate()
        .filter_map(|(q, k)| k.map(|k| k as i64 - q as i64));
    let first = offsets.next()?;
    offsets.all(|d| d == first).then_some(first)
}

/// Whether every matching row selects the query's own value (and at least one row matches).
fn identity(predicate: &Predicate) -> bool {
    let mut matched = predicate
        .key_of_query
        .iter()
        .enumerate()
        .filter_map(|(q, k)| k.map(|k| (q, k)))
        .peekable();
    matched.peek().is_some() && matched.all(|(q, k)| q == k)
}

fn singular(name: &str) -> &str {
    match name {
        "tokens" => "token",
        "positions" => "position",
        other => other,
    }
}

/// A descriptive name for `module`, if its computation has a recognisable shape.
fn describe(
    program: &Program,
    module: &Module,
    sources: &HashMap<&str, &InputSource>,
) -> Option<String> {
    let is =
        |name: &str, wanted: fn(&InputSource) -> bool| sources.get(name).is_some_and(|s| wanted(s));
    let positions = |s: &InputSource| matches!(s, InputSource::Positions);
    let ones = |s: &InputSource| matches!(s, InputSource::Ones);
    if let Some(value) = constant_value(module) {
        return Some(format!("constant_{value}"));
    }
    match module {
        Module::CatHead(head) => {
            let value = singular(&head.value);
            if head.predicate.key_of_query.iter().all(Option::is_none) {
                return Some(format!("{value}_at_bos"));
            }
            if is(&head.query, positions) && is(&head.key, positions) {
                return Some(match offset(&head.predicate)? {
                    -1 => format!("previous_{value}"),
                    1 => format!("next_{value}"),
                    d if d < 0 => format!("{value}_{}_back", -d),
                    d => format!("{value}_{d}_ahead"),
                });
            }
            if head.query == head.key && identity(&head.predicate) {
                return Some(format!("{value}_where_same_{}", singular(&head.query)));
            }
            None
        }
        Module::NumHead(head) => {
            if !is(&head.value, ones) {
                return None;
            }
            if head.query == head.key && identity(&head.predicate) {
                return Some(format!("count_same_{}", singular(&head.query)));
            }
            let keys: HashSet<usize> = head
                .predicate
                .key_of_query
                .iter()
                .flatten()
                .copied()
                .collect();
            if keys.len() == 1 && head.key == "tokens" {
                let key = keys.into_iter().next()?;
                let token = program.input_vocab.get(key)?;
                let clean: String = token.chars().filter(char::is_ascii_alphanumeric).collect();
                return Some(format!(
                    "count_{}",
                    if clean.is_empty() {
                        key.to_string()
                    } else {
                        clean
                    }
                ));
            }
            None
        }
        _ => None,
    }
}

/// Renames module outputs after what they compute (unique names, never a reserved or existing
/// one). Returns the renames made, old → new.
pub(crate) fn rename(program: &mut Program) -> Vec<(String, String)> {
    let sources: HashMap<&str, &InputSource> = program
        .inputs
        .iter()
        .map(|input| (input.name.as_str(), &input.source))
        .collect();
    let mut taken: HashSet<String> = program.inputs.iter().map(|i| i.name.clone()).collect();
    taken.extend(program.modules.iter().map(|m| m.output().to_string()));
    taken.extend(crate::python::reserved_python_names(program));
    let mut renames = Vec::new();
    for module in &program.modules {
        let Some(stem) = describe(program, module, &sources) else {
            continue;
        };
        let mut name = stem.clone();
        let mut suffix = 2;
        while taken.contains(&name) {
            name = format!("{stem}_{suffix}");
            suffix += 1;
        }
        taken.insert(name.clone());
        renames.push((module.output().to_string(), name));
    }
    drop(sources);
    let map: HashMap<String, String> = renames.iter().cloned().collect();
    let renamed = |name: &mut String| {
        if let Some(new) = map.get(name.as_str()) {
            *name = new.clone();
        }
    };
    let mut candidate = program.clone();
    for module in &mut candidate.modules {
        match module {
            Module::CatHead(h) => [&mut h.output, &mut h.query, &mut h.key, &mut h.value]
                .into_iter()
                .for_each(renamed),
            Module::NumHead(h) => [&mut h.output, &mut h.query, &mut h.key, &mut h.value]
                .into_iter()
                .for_each(renamed),
            Module::CatMlp(m) => {
                renamed(&mut m.output);
                m.inputs.iter_mut().for_each(renamed);
            }
            Module::NumMlp(m) => {
                renamed(&mut m.output);
                m.inputs.iter_mut().for_each(|i| renamed(&mut i.variable));
            }
        }
    }
    candidate
        .classifier
        .features
        .iter_mut()
        .for_each(|f| renamed(&mut f.variable));
    if candidate.validate().is_ok() {
        *program = candidate;
        renames
    } else {
        Vec::new()
    }
}
