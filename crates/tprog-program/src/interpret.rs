//! The interpreter: runs a compiled program on one sequence or a parallel batch, with
//! caller-owned scratch buffers.
//!
//! Shapes (per sequence): N positions, C classes, k = d_var. Categorical variables live in
//! `cat: [variables × N]` (u32 values), numerical ones in `num: [variables × N]` (i64), logits in
//! `logits: [N × C]` (f32).

use rayon::prelude::*;

use crate::attention::select_closest;
use crate::compile::{Interpreter, NO_KEY, Step, Term};
use crate::error::ProgramError;
use crate::ir::{Module, Program};

/// Reusable per-sequence buffers; one per thread in batched runs.
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    pub(crate) cat: Vec<u32>,    // [categorical variables × N]
    pub(crate) num: Vec<i64>,    // [numerical variables × N]
    pub(crate) logits: Vec<f32>, // [N × C]
    pub(crate) column: Vec<u32>, // [N]
    pub(crate) sums: Vec<i64>,   // [k]
}

/// Predicted class indices and the logits of every class at every position.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Predicted class index per position.
    pub predictions: Vec<usize>,
    /// `logits[position][class]`, raw sums (masked classes are only excluded from the argmax).
    pub logits: Vec<Vec<f32>>,
}

impl Interpreter {
    /// The program being interpreted.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Maps token strings to input-vocabulary indices; an empty list is an error
    /// ([`ProgramError::Empty`]), as it is for every run.
    pub fn encode(&self, tokens: &[String]) -> Result<Vec<usize>, ProgramError> {
        if tokens.is_empty() {
            return Err(ProgramError::Empty);
        }
        tokens
            .iter()
            .enumerate()
            .map(|(position, token)| self.token_index(token, position))
            .collect()
    }

    /// The input-vocabulary index of `token` found at `position`.
    pub(crate) fn token_index(&self, token: &str, position: usize) -> Result<usize, ProgramError> {
        self.token_index
            .get(token)
            .copied()
            .ok_or_else(|| ProgramError::UnknownToken {
                token: token.to_string(),
                position,
            })
    }

    /// Runs the program on token strings and returns the predicted label at every position.
    pub fn run(&self, tokens: &[String]) -> Result<Vec<String>, ProgramError> {
        let predictions = self.run_indices(&self.encode(tokens)?)?;
        Ok(predictions
            .into_iter()
            .map(|class| self.program.output_vocab[class].clone())
            .collect())
    }

    /// Runs the program on token indices and returns the predicted class indices.
    pub fn run_indices(&self, tokens: &[usize]) -> Result<Vec<usize>, ProgramError> {
        let mut predictions = Vec::new();
        self.run_into(tokens, &mut Scratch::default(), &mut predictions)?;
        Ok(predictions)
    }

    /// Runs the program on token indices and returns predictions and logits.
    pub fn run_with_logits(&self, tokens: &[usize]) -> Result<Output, ProgramError> {
        let mut scratch = Scratch::default();
        let mut predictions = Vec::new();
        self.run_into(tokens, &mut scratch, &mut predictions)?;
        let logits = scratch
            .logits
            .chunks(self.classes().max(1))
            .take(tokens.len())
            .map(<[f32]>::to_vec)
            .collect();
        Ok(Output {
            predictions,
            logits,
        })
    }

    /// Runs many sequences of token indices in parallel and returns predictions and logits.
    pub fn run_batch_with_logits<S: AsRef<[usize]> + Sync>(
        &self,
        sequences: &[S],
    ) -> Result<Vec<Output>, ProgramError> {
        sequences
            .par_iter()
            .map(|tokens| self.run_with_logits(tokens.as_ref()))
            .collect()
    }

    /// Runs many sequences of token indices in parallel (rayon), one scratch per worker.
    pub fn run_batch<S: AsRef<[usize]> + Sync>(
        &self,
        sequences: &[S],
    ) -> Result<Vec<Vec<usize>>, ProgramError> {
        sequences
            .par_iter()
            .map_init(Scratch::default, |scratch, tokens| {
                let mut predictions = Vec::with_capacity(tokens.as_ref().len());
                self.run_into(tokens.as_ref(), scratch, &mut predictions)?;
                Ok(predictions)
            })
            .collect()
    }

    /// The allocation-free core: runs one sequence, reusing `scratch`, and writes the predicted
    /// class index of every position into `predictions` (cleared first).
    pub fn run_into(
        &self,
        tokens: &[usize],
        scratch: &mut Scratch,
        predictions: &mut Vec<usize>,
    ) -> Result<(), ProgramError> {
        self.execute(tokens, scratch, None)?;
        self.classify(tokens.len(), scratch, predictions);
        Ok(())
    }

    fn classes(&self) -> usize {
        self.program.output_vocab.len()
    }

    /// The one input rule of every run: 1 ..= `n_ctx` tokens of the input vocabulary, no `<pad>`.
    fn check_tokens(&self, tokens: &[usize]) -> Result<(), ProgramError> {
        if tokens.is_empty() {
            return Err(ProgramError::Empty);
        }
        if tokens.len() > self.program.n_ctx {
            return Err(ProgramError::TooLong {
                length: tokens.len(),
                n_ctx: self.program.n_ctx,
            });
        }
        let vocab_size = self.program.input_vocab.len();
        for (position, &index) in tokens.iter().enumerate() {
            if index >= vocab_size {
                return Err(ProgramError::TokenIndexOutOfRange {
                    index,
                    position,
                    vocab_size,
                });
            }
            if Some(index) == self.pad_index {
                return Err(ProgramError::PadToken {
                    token: self.program.input_vocab[index].clone(),
                    position,
                });
            }
        }
        Ok(())
    }

    /// Computes every variable at every position into `scratch`; with `record`, pushes the key
    /// chosen by each query of each categorical head (in module order).
    pub(crate) fn execute(
        &self,
        tokens: &[usize],
        scratch: &mut Scratch,
        mut record: Option<&mut Vec<Vec<usize>>>,
    ) -> Result<(), ProgramError> {
        self.check_tokens(tokens)?;
        let n = tokens.len();
        let k = self.program.d_var;
        let causal = self.program.causal;
        let Scratch {
            cat,
            num,
            column,
            sums,
            ..
        } = scratch;
        cat.clear();
        cat.resize(self.n_cat * n, 0);
        num.clear();
        num.resize(self.n_num * n, 0);
        column.clear();
        column.resize(n, 0);
        for step in &self.steps {
            match step {
                Step::Tokens { out } => {
                    for (cell, &token) in cat[out * n..(out + 1) * n].iter_mut().zip(tokens) {
                        *cell = token as u32;
                    }
                }
                Step::Positions { out } => {
                    for (position, cell) in cat[out * n..(out + 1) * n].iter_mut().enumerate() {
                        *cell = position as u32;
                    }
                }
                Step::Ones { out } => num[out * n..(out + 1) * n].fill(1),
                Step::Embedding { out, values } => {
                    for (cell, &token) in cat[out * n..(out + 1) * n].iter_mut().zip(tokens) {
                        *cell = values[token];
                    }
                }
                Step::NumericalEmbedding { out, values } => {
                    for (cell, &token) in num[out * n..(out + 1) * n].iter_mut().zip(tokens) {
                        *cell = values[token];
                    }
                }
                Step::CatHead {
                    out,
                    query,
                    key,
                    value,
                    predicate,
                } => {
                    let chosen =
                        cat_head(cat, column, n, causal, [*query, *key, *value], predicate);
                    cat[out * n..(out + 1) * n].copy_from_slice(column);
                    if let Some(record) = record.as_mut() {
                        record.push(chosen);
                    }
                }
                Step::NumHead {
                    out,
                    module,
                    query,
                    key,
                    value,
                    predicate,
                } => {
                    let slots = [*query, *key, *value, *out];
                    let dims = Dims { n, k, causal };
                    num_head(cat, num, sums, dims, slots, predicate).map_err(|position| {
                        ProgramError::Overflow {
                            module: self.program.modules[*module].output().to_string(),
                            position,
                        }
                    })?;
                }
                Step::CatMlp { out, inputs, table } => {
                    for i in 0..n {
                        let index = inputs
                            .iter()
                            .fold(0usize, |acc, &slot| acc * k + cat[slot * n + i] as usize);
                        cat[out * n + i] = table[index];
                    }
                }
                Step::NumMlp {
                    out,
                    module,
                    inputs,
                    ends,
                    values,
                } => {
                    if let Module::NumMlp(mlp) = &self.program.modules[*module] {
                        num_mlp(cat, num, (n, *out), inputs, mlp, (ends, values))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Fills `scratch.logits` (`[N × C]`) and the argmax over unmasked classes (ties → lowest).
    ///
    /// Each logit is summed in f32, left to right over the classifier's features, each term a
    /// separate multiply and add, exactly as the model does.
    fn classify(&self, n: usize, scratch: &mut Scratch, predictions: &mut Vec<usize>) {
        let classes = self.classes();
        let Scratch {
            cat, num, logits, ..
        } = scratch;
        logits.clear();
        logits.resize(n * classes, 0.0);
        predictions.clear();
        let pooled = self.program.classifier.pooled;
        for i in 0..n {
            let row = &mut logits[i * classes..(i + 1) * classes]; // [C]
            if pooled && i == 0 {
                self.pooled_logits(n, cat, num, row);
            } else {
                self.position_logits(n, i, cat, num, row);
            }
            let mut best: Option<(usize, f32)> = None;
            for (class, &logit) in row.iter().enumerate() {
                if self.masked[class] {
                    continue;
                }
                if best.is_none_or(|(_, top)| logit > top) {
                    best = Some((class, logit));
                }
            }
            predictions.push(best.map_or(0, |(class, _)| class));
        }
    }

    /// The logits of position `i` from its own features, into `row` (`[C]`, zeroed).
    fn position_logits(&self, n: usize, i: usize, cat: &[u32], num: &[i64], row: &mut [f32]) {
        let classes = self.classes();
        for term in &self.terms {
            match term {
                Term::Categorical { slot, weights } => {
                    let value = cat[slot * n + i] as usize;
                    let weights = &weights[value * classes..(value + 1) * classes];
                    for (logit, &weight) in row.iter_mut().zip(weights) {
                        *logit += weight;
                    }
                }
                Term::Numerical { slot, weights } => {
                    let value = num[slot * n + i] as f32;
                    for (logit, &weight) in row.iter_mut().zip(weights) {
                        let product = value * weight;
                        *logit += product;
                    }
                }
            }
        }
    }

    /// Position 0's logits under mean pooling, into `row` (`[C]`, zeroed). The model divides
    /// the sum of the features over the real positions by its padded width (`n_ctx`), then
    /// sums feature × weight over the features in stream order; a categorical variable's
    /// features are its values in increasing order, a value held by `c` positions has feature
    /// `c / n_ctx` (a value held nowhere adds a zero term, left out). Integer counts and sums
    /// are exact in f32 up to 2^24, as the model's sums of 0/1 (or small integer) features are.
    fn pooled_logits(&self, n: usize, cat: &[u32], num: &[i64], row: &mut [f32]) {
        let classes = self.classes();
        let width = self.program.n_ctx as f32;
        let mut counts = vec![0u32; self.program.d_var];
        for term in &self.terms {
            match term {
                Term::Categorical { slot, weights } => {
                    counts.fill(0);
                    for &value in &cat[slot * n..(slot + 1) * n] {
                        counts[value as usize] += 1;
                    }
                    for (value, &count) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
                        let feature = count as f32 / width;
                        let weights = &weights[value * classes..(value + 1) * classes];
                        for (logit, &weight) in row.iter_mut().zip(weights) {
                            let product = feature * weight;
                            *logit += product;
                        }
                    }
                }
                Term::Numerical { slot, weights } => {
                    let total: f32 = num[slot * n..(slot + 1) * n]
                        .iter()
                        .map(|&value| value as f32)
                        .sum();
                    let feature = total / width;
                    for (logit, &weight) in row.iter_mut().zip(weights) {
                        let product = feature * weight;
                        *logit += product;
                    }
                }
            }
        }
    }
}

impl Program {
    /// Convenience: compiles the program and runs it on one token sequence.
    pub fn run(&self, tokens: &[String]) -> Result<Vec<String>, ProgramError> {
        Interpreter::new(self)?.run(tokens)
    }

    /// Convenience: compiles the program and runs a batch of token-index sequences in parallel.
    pub fn run_batch<S: AsRef<[usize]> + Sync>(
        &self,
        sequences: &[S],
    ) -> Result<Vec<Vec<usize>>, ProgramError> {
        Interpreter::new(self)?.run_batch(sequences)
    }
}

/// A categorical head at every query position: the value at the closest key whose value the
/// predicate maps the query's value to (BOS, position 0, when none). Writes the values into
/// `column` (`[N]`) and returns the chosen key positions. `slots` are the query, key and value
/// variables' rows of `cat` (`[variables × N]`).
fn cat_head(
    cat: &[u32],
    column: &mut [u32],
    n: usize,
    causal: bool,
    slots: [usize; 3],
    predicate: &[u32],
) -> Vec<usize> {
    let [query, key, value] = slots;
    let keys = &cat[key * n..(key + 1) * n];
    let mut chosen_keys = Vec::with_capacity(n);
    for (i, cell) in column.iter_mut().enumerate() {
        let target = predicate[cat[query * n + i] as usize];
        let chosen = if target == NO_KEY {
            0
        } else {
            select_closest(i, n, causal, |j| keys[j] == target)
        };
        chosen_keys.push(chosen);
        *cell = cat[value * n + chosen];
    }
    chosen_keys
}

/// Positions, values per variable, and the attention mask's kind.
#[derive(Debug, Clone, Copy)]
struct Dims {
    n: usize,
    k: usize,
    causal: bool,
}

/// A numerical head: at every query position, the sum of the value over the keys matching the
/// predicate (every key, or the keys up to the query when causal). `slots` are the query, key,
/// value and output rows; `sums` (`[K]`) is scratch. Fails with the position of an overflow.
fn num_head(
    cat: &[u32],
    num: &mut [i64],
    sums: &mut Vec<i64>,
    dims: Dims,
    slots: [usize; 4],
    predicate: &[u32],
) -> Result<(), usize> {
    let Dims { n, k, causal } = dims;
    let [query, key, value, out] = slots;
    sums.clear();
    sums.resize(k, 0);
    // Non-causal: every key counts, so sum per key value first.
    if !causal {
        for j in 0..n {
            let slot = &mut sums[cat[key * n + j] as usize];
            *slot = slot.checked_add(num[value * n + j]).ok_or(j)?;
        }
    }
    for i in 0..n {
        if causal {
            let slot = &mut sums[cat[key * n + i] as usize];
            *slot = slot.checked_add(num[value * n + i]).ok_or(i)?;
        }
        let target = predicate[cat[query * n + i] as usize];
        num[out * n + i] = if target == NO_KEY {
            0
        } else {
            sums[target as usize]
        };
    }
    Ok(())
}

/// A numerical MLP: every position's input values (rows `inputs` of `num`) index the
/// run-length encoded table (`ends`, `values`); the class goes to row `out` of `cat`. A value
/// outside an input's domain is an error.
fn num_mlp(
    cat: &mut [u32],
    num: &[i64],
    (n, out): (usize, usize),
    inputs: &[usize],
    mlp: &crate::ir::NumMlpTable,
    (ends, values): (&[u64], &[u32]),
) -> Result<(), ProgramError> {
    for i in 0..n {
        let mut index = 0u64;
        for (&slot, domain) in inputs.iter().zip(&mlp.inputs) {
            let read = num[slot * n + i];
            if read < domain.min || read > domain.max {
                return Err(ProgramError::OutsideDomain {
                    module: mlp.output.clone(),
                    variable: domain.variable.clone(),
                    value: read,
                    position: i,
                    min: domain.min,
                    max: domain.max,
                });
            }
            // Differences fit in u64 (validated grid size), not always in i64.
            let size = domain.max.wrapping_sub(domain.min) as u64 + 1;
            index = index * size + read.wrapping_sub(domain.min) as u64;
        }
        let run = ends.partition_point(|&end| end <= index);
        cat[out * n + i] = values.get(run).copied().unwrap_or(0);
    }
    Ok(())
}
