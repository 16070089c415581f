//! What a program actually uses on a set of inputs: the query values each head sees, the table
//! cells each MLP reads, the values each classifier feature takes, and each module's output
//! values. Anything never used can change without changing a prediction on those inputs.

use rayon::prelude::*;

use crate::compile::{Interpreter, Step, Term};
use crate::interpret::Scratch;

/// Use counts of one program over a set of inputs (indices follow the program's modules and
/// classifier features).
#[derive(Debug, Clone, Default)]
pub(crate) struct Usage {
    /// Per module: how often each query value was seen (heads), `[k]`; empty otherwise.
    pub(crate) queries: Vec<Vec<u64>>,
    /// Per module: how often each table cell was read (categorical MLPs); empty otherwise.
    pub(crate) cells: Vec<Vec<u64>>,
    /// Per module: how often each output value occurred (categorical outputs), `[k]`.
    pub(crate) outputs: Vec<Vec<u64>>,
    /// Per module: the distinct values of a numerical output (capped at two: constant or not).
    pub(crate) numeric: Vec<Vec<i64>>,
    /// Per classifier feature: how often each value occurred (categorical), `[k]`.
    pub(crate) features: Vec<Vec<u64>>,
}

impl Usage {
    fn empty(interpreter: &Interpreter) -> Usage {
        let program = interpreter.program();
        let k = program.d_var;
        let first = program.inputs.len();
        let mut usage = Usage::default();
        for step in &interpreter.steps[first..] {
            let (queries, cells, outputs) = match step {
                Step::CatHead { .. } => (k, 0, k),
                Step::NumHead { .. } => (k, 0, 0),
                Step::CatMlp { table, .. } => (0, table.len(), k),
                _ => (0, 0, k),
            };
            usage.queries.push(vec![0; queries]);
            usage.cells.push(vec![0; cells]);
            usage.outputs.push(vec![0; outputs]);
            usage.numeric.push(Vec::new());
        }
        for term in &interpreter.terms {
            let size = match term {
                Term::Categorical { .. } => k,
                Term::Numerical { .. } => 0,
            };
            usage.features.push(vec![0; size]);
        }
        usage
    }

    fn add(mut self, other: Usage) -> Usage {
        let pairs = [
            (&mut self.queries, &other.queries),
            (&mut self.cells, &other.cells),
            (&mut self.outputs, &other.outputs),
            (&mut self.features, &other.features),
        ];
        for (mine, theirs) in pairs {
            for (a, b) in mine.iter_mut().zip(theirs) {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
            }
        }
        for (a, b) in self.numeric.iter_mut().zip(&other.numeric) {
            for &value in b {
                note_numeric(a, value);
            }
        }
        self
    }

    /// Records one executed sequence of `n` positions.
    fn record(&mut self, interpreter: &Interpreter, scratch: &Scratch, n: usize) {
        let program = interpreter.program();
        let k = program.d_var;
        let first = program.inputs.len();
        let cat = &scratch.cat;
        for (module, step) in interpreter.steps[first..].iter().enumerate() {
            let rows = |slot: usize| &cat[slot * n..(slot + 1) * n];
            match step {
                Step::CatHead { query, out, .. } => {
                    count(&mut self.queries[module], rows(*query));
                    count(&mut self.outputs[module], rows(*out));
                }
                Step::NumHead { query, out, .. } => {
                    count(&mut self.queries[module], rows(*query));
                    for &value in &scratch.num[out * n..(out + 1) * n] {
                        note_numeric(&mut self.numeric[module], value);
                    }
                }
                Step::CatMlp { inputs, out, .. } => {
                    for i in 0..n {
                        let index = inputs
                            .iter()
                            .fold(0usize, |acc, &slot| acc * k + cat[slot * n + i] as usize);
                        self.cells[module][index] += 1;
                    }
                    count(&mut self.outputs[module], rows(*out));
                }
                Step::NumMlp { out, .. } => count(&mut self.outputs[module], rows(*out)),
                _ => {}
            }
        }
        for (feature, term) in interpreter.terms.iter().enumerate() {
            if let Term::Categorical { slot, .. } = term {
                count(&mut self.features[feature], &cat[slot * n..(slot + 1) * n]);
            }
        }
    }
}

fn count(counts: &mut [u64], values: &[u32]) {
    for &value in values {
        if let Some(cell) = counts.get_mut(value as usize) {
            *cell += 1;
        }
    }
}

fn note_numeric(values: &mut Vec<i64>, value: i64) {
    if values.len() < 2 && !values.contains(&value) {
        values.push(value);
    }
}

/// Runs `interpreter` on every input and counts what it uses. Inputs the program cannot run
/// are skipped (they cannot be evidence).
pub(crate) fn collect(interpreter: &Interpreter, inputs: &[Vec<usize>]) -> Usage {
    inputs
        .par_iter()
        .fold(
            || (Scratch::default(), Usage::empty(interpreter)),
            |(mut scratch, mut usage), tokens| {
                if interpreter.execute(tokens, &mut scratch, None).is_ok() {
                    usage.record(interpreter, &scratch, tokens.len());
                }
                (scratch, usage)
            },
        )
        .map(|(_, usage)| usage)
        .reduce(|| Usage::empty(interpreter), Usage::add)
}
