//! GloVe initialisation of a learned token embedding, as the reference does it (`--do_glove 1`):
//!
//! 1. every vocabulary word is looked up in a GloVe text file, case-sensitively; a word GloVe
//!    lacks gets a standard normal vector (numpy's `randn`, drawn here from
//!    `RandomState(seed)` in vocabulary order: the reference draws from numpy's global state,
//!    which no seed of ours reproduces);
//! 2. the `V × d` matrix is projected to `n_vars_cat · k` dimensions by sklearn's
//!    `GaussianRandomProjection(random_state=0)`: components `normal(0, 1/sqrt(n), (n, d))` from
//!    `RandomState(0)`, then `vectors @ componentsᵀ` in float64, rounded to float32;
//! 3. `embed.W_E` (`n × V`) is the transpose: embedding variable `v` is projected columns
//!    `v·k … v·k + k − 1`.
//!
//! The standard Transformer baseline is initialised the same way with `n = d_model` (the
//! reference's `Embed` of `--standard --do_glove 1`; the paper's CoNLL baseline used GloVe):
//! its `embed.token` (`V × d_model`, the transpose of the reference's `embed.W_E`) is the
//! projected matrix itself ([`initialise_standard`]).
//!
//! The paper used the 840B-token 300-d vectors; any GloVe text file works (one word and `d`
//! numbers a line, separated by spaces; the word itself may contain spaces, as in 840B), plain
//! or gzipped (`.gz`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use tprog_baseline::standard::StandardTransformer;
use tprog_model::Model;
use tprog_tasks::normal::LegacyNormal;

use crate::TrainError;

/// Why a GloVe file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum GloveError {
    /// The file could not be read.
    #[error("cannot read GloVe file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is not a word followed by numbers, or has another width than the first line.
    #[error("{}:{line}: {problem}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// The model has no learned token embedding of the vectors' shape.
    #[error("{problem}")]
    NoEmbedding {
        /// What does not fit.
        problem: String,
    },
}

impl From<GloveError> for TrainError {
    fn from(e: GloveError) -> Self {
        TrainError::InvalidConfig {
            problems: vec![e.to_string()],
        }
    }
}

/// The GloVe vectors of the words asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct GloveVectors {
    /// Vector width `d`.
    pub dim: usize,
    /// Word → its vector (only the words asked for that the file has).
    pub vectors: HashMap<String, Vec<f64>>,
}

/// Reads the vectors of `wanted` (case-sensitive) from a GloVe text file, checking every line.
pub fn read_glove(path: &Path, wanted: &[String]) -> Result<GloveVectors, GloveError> {
    let io = |source| GloveError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    // A `.gz` file (as GloVe subsets are often shipped) is read through gzip.
    let file: Box<dyn std::io::Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let wanted: std::collections::HashSet<&str> = wanted.iter().map(String::as_str).collect();
    let mut dim = None;
    let mut vectors = HashMap::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io)?;
        let malformed = |problem: String| GloveError::Malformed {
            path: path.to_path_buf(),
            line: index + 1,
            problem,
        };
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(' ').collect();
        // The width is the number of trailing numeric fields of the first line.
        let d = match dim {
            Some(d) => d,
            None => {
                let d = fields
                    .iter()
                    .rev()
                    .take_while(|f| f.parse::<f64>().is_ok())
                    .count();
                let d = d.min(fields.len().saturating_sub(1));
                if d == 0 {
                    return Err(malformed("expected a word followed by numbers".into()));
                }
                dim = Some(d);
                d
            }
        };
        if fields.len() <= d {
            return Err(malformed(format!(
                "expected a word and {d} numbers, found {} fields",
                fields.len()
            )));
        }
        let word = fields[..fields.len() - d].join(" ");
        if !wanted.contains(word.as_str()) || vectors.contains_key(&word) {
            continue;
        }
        let values = fields[fields.len() - d..]
            .iter()
            .map(|f| {
                f.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| malformed(format!("{f:?} is not a finite number")))
            })
            .collect::<Result<Vec<f64>, _>>()?;
        vectors.insert(word, values);
    }
    Ok(GloveVectors {
        dim: dim.unwrap_or(0),
        vectors,
    })
}

/// The `V × d` matrix of `vocab`'s vectors (row-major) and the number of words GloVe lacks,
/// which get `randn(d)` from `RandomState(seed)` in vocabulary order.
pub fn vocabulary_vectors(glove: &GloveVectors, vocab: &[String], seed: u32) -> (Vec<f64>, usize) {
    let mut rng = LegacyNormal::new(seed);
    let mut out = Vec::with_capacity(vocab.len() * glove.dim);
    let mut missing = 0;
    for word in vocab {
        match glove.vectors.get(word) {
            Some(v) => out.extend_from_slice(v),
            None => {
                missing += 1;
                out.extend(rng.normal(0.0, 1.0, glove.dim));
            }
        }
    }
    (out, missing)
}

/// sklearn's `GaussianRandomProjection(n_components, random_state).components_`:
/// `n_components × dim`, row-major.
pub fn projection_components(n_components: usize, dim: usize, random_state: u32) -> Vec<f64> {
    let scale = 1.0 / (n_components as f64).sqrt();
    LegacyNormal::new(random_state).normal(0.0, scale, n_components * dim)
}

/// `vectors @ componentsᵀ` (`V × n`, row-major) in float64, rounded to float32.
pub fn project(vectors: &[f64], components: &[f64], dim: usize) -> Vec<f32> {
    let n = components.len() / dim.max(1);
    let mut out = Vec::with_capacity(vectors.len() / dim.max(1) * n);
    for v in vectors.chunks_exact(dim) {
        for c in components.chunks_exact(dim) {
            let dot: f64 = v.iter().zip(c).map(|(a, b)| a * b).sum();
            out.push(dot as f32);
        }
    }
    out
}

/// Steps 1 and 2: the `V × n_components` projected vectors of `vocab` (row-major), read from
/// `path`, missing words drawn from `RandomState(seed)`, projected with `RandomState(0)`.
pub fn projected_vocabulary(
    path: &Path,
    vocab: &[String],
    seed: u64,
    n_components: usize,
) -> Result<Vec<f32>, GloveError> {
    let glove = read_glove(path, vocab)?;
    let (vectors, _missing) = vocabulary_vectors(&glove, vocab, seed as u32);
    let components = projection_components(n_components, glove.dim, 0);
    Ok(project(&vectors, &components, glove.dim))
}

/// The whole initialisation: reads `path` for `vocab`, draws the missing words from
/// `RandomState(seed)`, projects to the height of `embed.W_E` with `RandomState(0)` and writes
/// the transpose into the model.
pub fn initialise(
    model: &mut Model,
    path: &Path,
    vocab: &[String],
    seed: u64,
) -> Result<(), GloveError> {
    let n_components = model
        .params()
        .by_name("embed.W_E")
        .map(|w| w.len() / vocab.len().max(1))
        .unwrap_or(0);
    init_embedding(
        model,
        &projected_vocabulary(path, vocab, seed, n_components)?,
    )
}

/// The same initialisation for the standard Transformer: the vocabulary's vectors projected to
/// `d_model` dimensions become `embed.token` (`V × d_model`) as they are.
pub fn initialise_standard(
    model: &mut StandardTransformer,
    path: &Path,
    vocab: &[String],
    seed: u64,
) -> Result<(), GloveError> {
    let d_model = model.config().d_model;
    init_standard_embedding(model, &projected_vocabulary(path, vocab, seed, d_model)?)
}

/// Writes projected vectors (`V × d_model`, from [`project`]) into a standard Transformer's
/// `embed.token`.
pub fn init_standard_embedding(
    model: &mut StandardTransformer,
    projected: &[f32],
) -> Result<(), GloveError> {
    let (v, d) = (model.config().vocab_size, model.config().d_model);
    let Some(token) = model.params_mut().by_name_mut("embed.token") else {
        return Err(GloveError::NoEmbedding {
            problem: "the standard Transformer has no token embedding (embed.token)".into(),
        });
    };
    if projected.len() != token.len() {
        return Err(GloveError::NoEmbedding {
            problem: format!(
                "embed.token is {v}×{d} but the projected vectors hold {} values",
                projected.len()
            ),
        });
    }
    token.copy_from_slice(projected);
    Ok(())
}

/// Writes the projected vectors (`V × n`, from [`project`]) into the model's `embed.W_E`
/// (`n × V`) as its transpose.
pub fn init_embedding(model: &mut Model, projected: &[f32]) -> Result<(), GloveError> {
    let params = model.params_mut();
    let learned = params
        .id("embed.W_E")
        .filter(|&id| params.spec(id).trainable && params.spec(id).shape.len() == 2);
    let Some(id) = learned else {
        return Err(GloveError::NoEmbedding {
            problem: "the model has no learned token embedding (embed.W_E); GloVe needs \
                      learned embeddings (not --one-hot-embed)"
                .into(),
        });
    };
    let (n, v) = (params.spec(id).shape[0], params.spec(id).shape[1]);
    if projected.len() != n * v {
        return Err(GloveError::NoEmbedding {
            problem: format!(
                "embed.W_E is {n}×{v} but the projected vectors hold {} values",
                projected.len()
            ),
        });
    }
    let w = params.get_mut(id);
    for word in 0..v {
        for r in 0..n {
            w[r * v + word] = projected[word * n + r];
        }
    }
    Ok(())
}
