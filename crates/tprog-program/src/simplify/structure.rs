//! Passes on the program's structure: forget what the evidence never uses, drop modules no
//! path reaches the classifier through, and replace modules by constants (or a head by its
//! BOS default).

use std::collections::HashSet;

use super::check::{Checker, keep_harmless};
use super::usage::Usage;
use crate::ir::{CatHead, MlpTable, Module, Program, VariableKind};

/// The output value with the highest count (lowest value on ties); `None` if nothing counted.
pub(crate) fn most_frequent(counts: &[u64]) -> Option<usize> {
    let mut best: Option<(usize, u64)> = None;
    for (value, &count) in counts.iter().enumerate() {
        if count > 0 && best.is_none_or(|(_, top)| count > top) {
            best = Some((value, count));
        }
    }
    best.map(|(value, _)| value)
}

/// The most frequent output among the used cells of a table (by number of cells, as the Python
/// emitter chooses its default), or among all cells when none is used.
pub(crate) fn table_default(table: &[usize], used: &[u64]) -> usize {
    let k = table.iter().copied().max().unwrap_or(0) + 1;
    let mut counts = vec![0u64; k];
    let any_used = used.iter().any(|&c| c > 0);
    for (cell, &output) in table.iter().enumerate() {
        if !any_used || used.get(cell).is_some_and(|&c| c > 0) {
            counts[output] += 1;
        }
    }
    most_frequent(&counts).unwrap_or(0)
}

/// Sets what the evidence never reaches to its most neutral value: predicate rows of unseen
/// query values match nothing, unread table cells take the table's default, classifier rows of
/// unseen values become zero. Predictions on the evidence cannot change.
pub(crate) fn forget_unused(program: &mut Program, usage: &Usage) {
    for (index, module) in program.modules.iter_mut().enumerate() {
        match module {
            Module::CatHead(CatHead { predicate, .. })
            | Module::NumHead(crate::ir::NumHead { predicate, .. }) => {
                for (query, key) in predicate.key_of_query.iter_mut().enumerate() {
                    if usage.queries[index].get(query).is_none_or(|&c| c == 0) {
                        *key = None;
                    }
                }
            }
            Module::CatMlp(mlp) => {
                let used = &usage.cells[index];
                let default = table_default(&mlp.table, used);
                for (cell, output) in mlp.table.iter_mut().enumerate() {
                    if used.get(cell).is_none_or(|&c| c == 0) {
                        *output = default;
                    }
                }
            }
            Module::NumMlp(_) => {}
        }
    }
    if let Some(anchor) = anchor(program) {
        for module in &mut program.modules {
            let constant = constant_value(module).is_some();
            match module {
                Module::CatHead(head)
                    if head.predicate.key_of_query.iter().all(Option::is_none) =>
                {
                    head.query = anchor.clone();
                    head.key = anchor.clone();
                }
                Module::CatMlp(mlp) if constant => mlp.inputs = vec![anchor.clone()],
                _ => {}
            }
        }
    }
    for (feature, seen) in program.classifier.features.iter_mut().zip(&usage.features) {
        if seen.is_empty() {
            continue;
        }
        for (value, row) in feature.weights.iter_mut().enumerate() {
            if seen.get(value).is_none_or(|&c| c == 0) {
                row.iter_mut().for_each(|w| *w = 0.0);
            }
        }
    }
}

/// Removes classifier features whose weights are all zero (they add nothing), then every module
/// whose output no path reaches the classifier through. Returns whether anything was removed.
pub(crate) fn drop_dead(program: &mut Program) -> bool {
    let features = program.classifier.features.len();
    program
        .classifier
        .features
        .retain(|f| f.weights.iter().flatten().any(|&w| w != 0.0));
    let mut live: HashSet<String> = program
        .classifier
        .features
        .iter()
        .map(|f| f.variable.clone())
        .collect();
    let mut keep = vec![false; program.modules.len()];
    for (index, module) in program.modules.iter().enumerate().rev() {
        if live.contains(module.output()) {
            keep[index] = true;
            live.extend(module.reads().into_iter().map(str::to_string));
        }
    }
    let modules = program.modules.len();
    let mut flags = keep.into_iter();
    program.modules.retain(|_| flags.next().unwrap_or(true));
    features != program.classifier.features.len() || modules != program.modules.len()
}

/// The first categorical input variable (what a constant module nominally reads).
fn anchor(program: &Program) -> Option<String> {
    program
        .inputs
        .iter()
        .find(|input| input.source.kind() == VariableKind::Categorical)
        .map(|input| input.name.clone())
}

/// Whether `module` is already a constant (a one-input table with a single output value).
pub(crate) fn constant_value(module: &Module) -> Option<usize> {
    match module {
        Module::CatMlp(mlp) if mlp.inputs.len() == 1 => {
            let first = *mlp.table.first()?;
            mlp.table.iter().all(|&v| v == first).then_some(first)
        }
        _ => None,
    }
}

/// `module` replaced by a constant `value` (same output name and layer), if it is categorical.
fn as_constant(program: &Program, module: &Module, value: usize) -> Option<Module> {
    if module.output_kind() != VariableKind::Categorical {
        return None;
    }
    Some(Module::CatMlp(MlpTable {
        output: module.output().to_string(),
        layer: module.layer(),
        inputs: vec![anchor(program)?],
        table: vec![value; program.d_var],
    }))
}

/// Replaces every categorical module whose output takes one value on the evidence by that
/// constant, then tries the most frequent value for the others (kept where no prediction
/// changes). Returns how many modules became constants.
pub(crate) fn constants(program: &mut Program, usage: &Usage, checker: &Checker<'_>) -> usize {
    let mut fixed = 0;
    let mut candidates = Vec::new();
    for (index, counts) in usage.outputs.iter().enumerate() {
        let module = &program.modules[index];
        if counts.is_empty() || constant_value(module).is_some() {
            continue;
        }
        let Some(value) = most_frequent(counts) else {
            continue;
        };
        let Some(constant) = as_constant(program, module, value) else {
            continue;
        };
        if counts.iter().filter(|&&c| c > 0).count() == 1 {
            program.modules[index] = constant;
            fixed += 1;
        } else {
            candidates.push((index, constant));
        }
    }
    let apply = |program: &mut Program, items: &[(usize, Module)]| {
        for (index, constant) in items {
            program.modules[*index] = constant.clone();
        }
    };
    fixed + keep_harmless(checker, program, &candidates, &apply)
}

/// Folds constants into the tables that read them: the constant input is dropped and the table
/// keeps the slice at the constant's value (a table left with no input becomes a constant).
/// Exact: predictions cannot change.
pub(crate) fn fold_constants(program: &mut Program) -> bool {
    let k = program.d_var;
    let mut changed = false;
    for index in 0..program.modules.len() {
        let constants: Vec<(String, usize)> = program.modules[..index]
            .iter()
            .filter_map(|m| Some((m.output().to_string(), constant_value(m)?)))
            .collect();
        let Module::CatMlp(mlp) = &program.modules[index] else {
            continue;
        };
        if constant_value(&program.modules[index]).is_some() {
            continue;
        }
        let Some(position) = mlp
            .inputs
            .iter()
            .position(|input| constants.iter().any(|(name, _)| name == input))
        else {
            continue;
        };
        let value = constants
            .iter()
            .find(|(name, _)| *name == mlp.inputs[position])
            .map_or(0, |(_, v)| *v);
        let mut inputs = mlp.inputs.clone();
        inputs.remove(position);
        let stride = k.pow((mlp.inputs.len() - 1 - position) as u32);
        let table: Vec<usize> = (0..k.pow(inputs.len() as u32))
            .map(|rest| {
                // Re-insert the constant's digit at `position` of the full index.
                let high = rest / stride;
                let low = rest % stride;
                mlp.table[(high * k + value) * stride + low]
            })
            .collect();
        let folded = if inputs.is_empty() {
            as_constant(program, &program.modules[index], table[0])
        } else {
            Some(Module::CatMlp(MlpTable {
                output: mlp.output.clone(),
                layer: mlp.layer,
                inputs,
                table,
            }))
        };
        if let Some(folded) = folded {
            program.modules[index] = folded;
            changed = true;
        }
    }
    changed
}

/// Tries each head with its BOS default (a predicate that matches nothing, so every query
/// copies the value at position 0); kept where no prediction changes.
pub(crate) fn heads_to_bos(program: &mut Program, checker: &Checker<'_>) -> usize {
    let Some(anchor) = anchor(program) else {
        return 0;
    };
    let candidates: Vec<usize> = program
        .modules
        .iter()
        .enumerate()
        .filter(|(_, m)| match m {
            Module::CatHead(head) => {
                head.predicate.key_of_query.iter().any(Option::is_some) || head.query != anchor
            }
            _ => false,
        })
        .map(|(index, _)| index)
        .collect();
    let apply = |program: &mut Program, items: &[usize]| {
        for &index in items {
            if let Module::CatHead(head) = &mut program.modules[index] {
                head.predicate
                    .key_of_query
                    .iter_mut()
                    .for_each(|k| *k = None);
                head.query = anchor.clone();
                head.key = anchor.clone();
            }
        }
    };
    keep_harmless(checker, program, &candidates, &apply)
}
