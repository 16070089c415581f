//! Passes on table entries: classifier features and rows, MLP cells and predicate rows, each
//! dropped (or merged into a larger group) where no prediction changes.

use super::check::{Checker, keep_harmless};
use super::structure::table_default;
use super::usage::Usage;
use crate::ir::{Module, Predicate, Program};

/// Drops whole classifier features where no prediction changes. Returns how many were dropped.
pub(crate) fn drop_features(program: &mut Program, checker: &Checker<'_>) -> usize {
    let names: Vec<String> = program
        .classifier
        .features
        .iter()
        .map(|f| f.variable.clone())
        .collect();
    let apply = |program: &mut Program, items: &[String]| {
        program
            .classifier
            .features
            .retain(|f| !items.contains(&f.variable));
    };
    keep_harmless(checker, program, &names, &apply)
}

/// Zeroes classifier rows (categorical feature, value) where no prediction changes.
pub(crate) fn drop_classifier_rows(
    program: &mut Program,
    usage: &Usage,
    checker: &Checker<'_>,
) -> usize {
    let mut rows = Vec::new();
    for (feature, seen) in program.classifier.features.iter().zip(&usage.features) {
        for (value, row) in feature.weights.iter().enumerate() {
            let used = seen.get(value).is_some_and(|&c| c > 0);
            if used && row.iter().any(|&w| w != 0.0) {
                rows.push((feature.variable.clone(), value));
            }
        }
    }
    let apply = |program: &mut Program, items: &[(String, usize)]| {
        for feature in &mut program.classifier.features {
            for (name, value) in items {
                if *name == feature.variable
                    && let Some(row) = feature.weights.get_mut(*value)
                {
                    row.iter_mut().for_each(|w| *w = 0.0);
                }
            }
        }
    };
    keep_harmless(checker, program, &rows, &apply)
}

/// Sets MLP cells to their table's default output where no prediction changes (the Python
/// emitter writes only the cells that differ from the default).
pub(crate) fn default_cells(program: &mut Program, usage: &Usage, checker: &Checker<'_>) -> usize {
    let mut kept = 0;
    for index in 0..program.modules.len() {
        let Module::CatMlp(mlp) = &program.modules[index] else {
            continue;
        };
        let used = &usage.cells[index];
        let default = table_default(&mlp.table, used);
        let cells: Vec<usize> = mlp
            .table
            .iter()
            .enumerate()
            .filter(|&(cell, &output)| output != default && used.get(cell).is_some_and(|&c| c > 0))
            .map(|(cell, _)| cell)
            .collect();
        let apply = |program: &mut Program, items: &[usize]| {
            if let Module::CatMlp(mlp) = &mut program.modules[index] {
                for &cell in items {
                    mlp.table[cell] = default;
                }
            }
        };
        kept += keep_harmless(checker, program, &cells, &apply);
    }
    kept
}

fn predicate_mut(module: &mut Module) -> Option<&mut Predicate> {
    match module {
        Module::CatHead(head) => Some(&mut head.predicate),
        Module::NumHead(head) => Some(&mut head.predicate),
        _ => None,
    }
}

/// Predicate rows: each matched query value first tries matching nothing, then joining the
/// largest group (the key value most query values select); kept where no prediction changes.
pub(crate) fn predicate_rows(program: &mut Program, checker: &Checker<'_>) -> usize {
    let mut kept = 0;
    for index in 0..program.modules.len() {
        let Some(predicate) = predicate_mut(&mut program.modules[index]).cloned() else {
            continue;
        };
        let rows: Vec<usize> = (0..predicate.key_of_query.len())
            .filter(|&q| predicate.key_of_query[q].is_some())
            .collect();
        let apply_none = |program: &mut Program, items: &[usize]| {
            if let Some(predicate) = predicate_mut(&mut program.modules[index]) {
                for &q in items {
                    predicate.key_of_query[q] = None;
                }
            }
        };
        kept += keep_harmless(checker, program, &rows, &apply_none);
        kept += regularise_offsets(program, index, checker);
        let Some(predicate) = predicate_mut(&mut program.modules[index]).cloned() else {
            continue;
        };
        // A predicate over positions with one offset (e.g. "the previous position") reads
        // better as it is than with rows merged into one group.
        if super::rename::offset(&predicate).is_some() {
            continue;
        }
        let Some(largest) = largest_group(&predicate) else {
            continue;
        };
        let rows: Vec<usize> = (0..predicate.key_of_query.len())
            .filter(|&q| predicate.key_of_query[q].is_some_and(|k| k != largest))
            .collect();
        let apply_merge = |program: &mut Program, items: &[usize]| {
            if let Some(predicate) = predicate_mut(&mut program.modules[index]) {
                for &q in items {
                    predicate.key_of_query[q] = Some(largest);
                }
            }
        };
        kept += keep_harmless(checker, program, &rows, &apply_merge);
    }
    kept
}

/// A predicate over positions whose rows mostly share one offset `key − query`: tries the
/// same offset on the other rows (kept where no prediction changes), so that the predicate
/// reads as one rule ("the previous position").
fn regularise_offsets(program: &mut Program, index: usize, checker: &Checker<'_>) -> usize {
    let positional = match &program.modules[index] {
        Module::CatHead(h) => (h.query.as_str(), h.key.as_str()),
        Module::NumHead(h) => (h.query.as_str(), h.key.as_str()),
        _ => return 0,
    };
    let is_positions = |name: &str| {
        program
            .inputs
            .iter()
            .any(|i| i.name == name && matches!(i.source, crate::ir::InputSource::Positions))
    };
    if !(is_positions(positional.0) && is_positions(positional.1)) {
        return 0;
    }
    let Some(predicate) = predicate_mut(&mut program.modules[index]).cloned() else {
        return 0;
    };
    let offsets: Vec<(usize, i64)> = predicate
        .key_of_query
        .iter()
        .enumerate()
        .filter_map(|(q, k)| k.map(|k| (q, k as i64 - q as i64)))
        .collect();
    let mut counts: std::collections::BTreeMap<i64, usize> = std::collections::BTreeMap::new();
    for &(_, d) in &offsets {
        *counts.entry(d).or_default() += 1;
    }
    let Some((&common, _)) = counts.iter().max_by_key(|&(&d, &c)| (c, -d.abs())) else {
        return 0;
    };
    let size = predicate.key_of_query.len() as i64;
    let rows: Vec<(usize, usize)> = offsets
        .iter()
        .filter(|&&(q, d)| d != common && (0..size).contains(&(q as i64 + common)))
        .map(|&(q, _)| (q, (q as i64 + common) as usize))
        .collect();
    let apply = |program: &mut Program, items: &[(usize, usize)]| {
        if let Some(predicate) = predicate_mut(&mut program.modules[index]) {
            for &(q, k) in items {
                predicate.key_of_query[q] = Some(k);
            }
        }
    };
    keep_harmless(checker, program, &rows, &apply)
}

/// The key value selected by the most query values (lowest on ties).
fn largest_group(predicate: &Predicate) -> Option<usize> {
    let size = predicate.key_of_query.len();
    let mut counts = vec![0u64; size.max(1)];
    for key in predicate.key_of_query.iter().flatten() {
        if let Some(count) = counts.get_mut(*key) {
            *count += 1;
        }
    }
    super::structure::most_frequent(&counts)
}

/// The classifier term of a feature whose variable never changes (a constant module, or the
/// `ones` input): the same weight vector at every position.
fn constant_term(program: &Program, feature: &crate::ir::Feature) -> Option<Vec<f32>> {
    let is_ones = program.inputs.iter().any(|input| {
        input.name == feature.variable && matches!(input.source, crate::ir::InputSource::Ones)
    });
    if is_ones {
        return feature.weights.first().cloned();
    }
    let module = program
        .modules
        .iter()
        .find(|m| m.output() == feature.variable)?;
    let value = super::structure::constant_value(module)?;
    feature.weights.get(value).cloned()
}

/// Folds the terms of constant features into the rows of another categorical feature (the same
/// vector added at every position), where no prediction changes; the constant feature is then
/// zero and dropped with its module. Returns how many were folded.
pub(crate) fn fold_constant_features(
    program: &mut Program,
    usage: &Usage,
    checker: &Checker<'_>,
) -> usize {
    let mut folded = 0;
    let mut index = 0;
    while index < program.classifier.features.len() {
        let Some(term) = constant_term(program, &program.classifier.features[index]) else {
            index += 1;
            continue;
        };
        if term.iter().all(|&w| w == 0.0) {
            index += 1;
            continue;
        }
        for target in 0..program.classifier.features.len() {
            let seen = usage.features.get(target).filter(|seen| !seen.is_empty());
            let Some(seen) = seen else { continue };
            if target == index
                || constant_term(program, &program.classifier.features[target]).is_some()
            {
                continue;
            }
            let mut candidate = program.clone();
            for (value, row) in candidate.classifier.features[target]
                .weights
                .iter_mut()
                .enumerate()
            {
                if seen.get(value).is_some_and(|&c| c > 0) {
                    row.iter_mut().zip(&term).for_each(|(w, t)| *w += t);
                }
            }
            candidate.classifier.features[index]
                .weights
                .iter_mut()
                .flatten()
                .for_each(|w| *w = 0.0);
            if checker.same(&candidate) {
                *program = candidate;
                folded += 1;
                break;
            }
        }
        index += 1;
    }
    folded
}
