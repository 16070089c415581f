//! The MLP passes: each MLP frozen in argmax mode (through the model crate, the same code as
//! its batched forward) and evaluated on every input combination. Categorical MLPs become
//! `d_var^ℓ` tables; numerical MLPs become run-length tables over the integer grid their
//! inputs can reach (docs/model.md §9: the reference enumerates too few values; we enumerate all).
//! A grid is tabulated in parallel chunks, each run-length encoded as it is evaluated, so its
//! memory is that of its runs, not of its cells.

use rayon::prelude::*;
use tprog_model::{DiscreteMlp, Model, ReadSite};
use tprog_program::{MAX_TABLE_CELLS, MlpTable, Module, NumMlpInput, NumMlpTable, Run};

use crate::DecompileError;
use crate::stream::Stream;

/// The largest numerical-MLP grid tabulated: 2^26 cells, a few seconds of MLP evaluations. The
/// largest grid of the paper's presets is 4097² ≈ 2^24 (two numerical heads of the third layer
/// at length 16 read by one MLP).
pub(crate) const MAX_NUM_MLP_CELLS: u64 = 1 << 26;

/// Cells per parallel chunk of a numerical-MLP grid.
const CHUNK_CELLS: u64 = 1 << 14;

/// The distinct variables read (first appearance order) and, for each read, its position
/// among them. Reading one variable twice gives a table over that variable alone, as in the
/// reference.
fn distinct_inputs(choices: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let mut distinct: Vec<usize> = Vec::new();
    let slots = choices
        .iter()
        .map(|&c| {
            distinct.iter().position(|&d| d == c).unwrap_or_else(|| {
                distinct.push(c);
                distinct.len() - 1
            })
        })
        .collect();
    (distinct, slots)
}

/// The categorical MLPs of `layer`, each tabulated over every combination of its inputs.
pub(crate) fn cat_mlps(
    model: &Model,
    layer: usize,
    stream: &Stream,
) -> Result<Vec<Module>, DecompileError> {
    let layout = model.layout();
    let k = layout.k;
    (0..layout.cat_mlps)
        .map(|m| {
            let mlp = model.discrete_cat_mlp(layer, m)?;
            let choices = model.read_choices(ReadSite::CatMlp(layer, m))?; // [ℓ] block indices
            let (distinct, slots) = distinct_inputs(&choices);
            let arity = u32::try_from(distinct.len()).unwrap_or(u32::MAX);
            let output = stream.cat_name(layout.cat_mlp_block(layer, m))?.to_string();
            let cells = (k as u64)
                .checked_pow(arity)
                .filter(|&c| c <= MAX_TABLE_CELLS)
                .ok_or_else(|| DecompileError::TableTooLarge {
                    module: output.clone(),
                    domains: format!("{} inputs of {k} values", distinct.len()),
                    cells: (k as u128).saturating_pow(arity),
                    limit: MAX_TABLE_CELLS,
                })? as usize;
            // Cell index = Σ_r value_r · k^(u−1−r), first distinct input most significant.
            let table = (0..cells)
                .into_par_iter()
                .map_init(
                    || {
                        let values = vec![0usize; distinct.len()];
                        (values, vec![0usize; slots.len()], mlp.scratch())
                    },
                    |(values, reads, scratch), cell| {
                        let mut rest = cell;
                        for v in values.iter_mut().rev() {
                            *v = rest % k;
                            rest /= k;
                        }
                        for (read, &slot) in reads.iter_mut().zip(&slots) {
                            *read = values[slot];
                        }
                        mlp.eval_cat_with(reads, scratch)
                    },
                )
                .collect::<Result<Vec<usize>, _>>()?;
            Ok(Module::CatMlp(MlpTable {
                output,
                layer,
                inputs: distinct
                    .iter()
                    .map(|&b| stream.cat_name(b).map(str::to_string))
                    .collect::<Result<_, _>>()?,
                table,
            }))
        })
        .collect()
}

/// The numerical MLPs of `layer`, each tabulated over the whole grid its inputs can reach.
pub(crate) fn num_mlps(
    model: &Model,
    layer: usize,
    stream: &Stream,
) -> Result<Vec<Module>, DecompileError> {
    let layout = model.layout();
    (0..layout.num_mlps)
        .map(|m| {
            let mlp = model.discrete_num_mlp(layer, m)?;
            let choices = model.read_choices(ReadSite::NumMlp(layer, m))?; // [ℓ] x_num indices
            let output = stream.cat_name(layout.num_mlp_block(layer, m))?.to_string();
            num_mlp_table(&mlp, &choices, output, layer, stream).map(Module::NumMlp)
        })
        .collect()
}

/// Tabulates one numerical MLP reading the `x_num` scalars `choices`.
fn num_mlp_table(
    mlp: &DiscreteMlp,
    choices: &[usize],
    output: String,
    layer: usize,
    stream: &Stream,
) -> Result<NumMlpTable, DecompileError> {
    let (distinct, slots) = distinct_inputs(choices);
    let mut inputs = Vec::with_capacity(distinct.len());
    for &index in &distinct {
        let (min, max) = stream.range(index)?;
        inputs.push(NumMlpInput {
            variable: stream.num_name(index)?.to_string(),
            min,
            max,
        });
    }
    let sizes: Vec<u64> = inputs.iter().map(|i| (i.max - i.min) as u64 + 1).collect();
    let cells = sizes
        .iter()
        .fold(1u128, |c, &s| c.saturating_mul(u128::from(s)));
    if cells > u128::from(MAX_NUM_MLP_CELLS) {
        let domains = inputs
            .iter()
            .map(|i| format!("{} in {}..={}", i.variable, i.min, i.max))
            .collect::<Vec<_>>()
            .join(" x ");
        return Err(DecompileError::TableTooLarge {
            module: output,
            domains,
            cells,
            limit: MAX_NUM_MLP_CELLS,
        });
    }
    let cells = cells as u64;
    // Row-major over the grid, first input most significant; values are exact in f32 (|v| ≤ 2^24).
    let chunks = (0..cells.div_ceil(CHUNK_CELLS))
        .into_par_iter()
        .map_init(
            || {
                (
                    vec![0f32; inputs.len()],
                    vec![0f32; slots.len()],
                    mlp.scratch(),
                )
            },
            |(values, reads, scratch), chunk| {
                let start = chunk * CHUNK_CELLS;
                let mut runs = Vec::new();
                for cell in start..(start + CHUNK_CELLS).min(cells) {
                    let mut rest = cell;
                    for ((v, &size), input) in values.iter_mut().zip(&sizes).zip(&inputs).rev() {
                        *v = (input.min + (rest % size) as i64) as f32;
                        rest /= size;
                    }
                    for (read, &slot) in reads.iter_mut().zip(&slots) {
                        *read = values[slot];
                    }
                    let value = mlp.eval_num_with(reads, scratch)?;
                    push_run(&mut runs, Run { value, count: 1 });
                }
                Ok(runs)
            },
        )
        .collect::<Result<Vec<Vec<Run>>, tprog_model::ModelError>>()?;
    let mut runs = Vec::new();
    for run in chunks.into_iter().flatten() {
        push_run(&mut runs, run);
    }
    Ok(NumMlpTable {
        output,
        layer,
        inputs,
        runs,
    })
}

/// Appends `run` to `runs`, merging it into the last run when their values are equal.
fn push_run(runs: &mut Vec<Run>, run: Run) {
    match runs.last_mut() {
        Some(last) if last.value == run.value => last.count += run.count,
        _ => runs.push(run),
    }
}

/// Run-length encoding of a table.
#[cfg(test)]
fn run_length(values: &[usize]) -> Vec<Run> {
    let mut runs = Vec::new();
    for &value in values {
        push_run(&mut runs, Run { value, count: 1 });
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_reads_collapse_to_one_input() {
        assert_eq!(distinct_inputs(&[3, 3]), (vec![3], vec![0, 0]));
        assert_eq!(distinct_inputs(&[2, 5, 2]), (vec![2, 5], vec![0, 1, 0]));
    }

    #[test]
    fn run_length_counts_consecutive_equal_outputs() {
        let runs = run_length(&[1, 1, 4, 4, 4, 1]);
        let pairs: Vec<(usize, u64)> = runs.iter().map(|r| (r.value, r.count)).collect();
        assert_eq!(pairs, [(1, 2), (4, 3), (1, 1)]);
    }

    #[test]
    fn chunked_runs_merge_into_the_runs_of_the_whole_table() {
        let values: Vec<usize> = (0..1000).map(|i| (i / 7 + i / 300) % 3).collect();
        let whole = run_length(&values);
        for chunk in [1, 6, 7, 64, 999, 1000] {
            let mut merged = Vec::new();
            for part in values.chunks(chunk) {
                for run in run_length(part) {
                    push_run(&mut merged, run);
                }
            }
            assert_eq!(merged, whole, "chunks of {chunk}");
        }
    }
}
