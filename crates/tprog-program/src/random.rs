//! Random valid programs with the model's layout, for tests and benchmarks (cargo feature
//! `testing`, off by default).

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ir::{
    CatHead, Classifier, FORMAT_VERSION, Feature, InputSource, InputVariable, MlpTable, Module,
    NumHead, NumMlpInput, NumMlpTable, Predicate, Program, Run,
};

/// The shape of a random program (reference flag names where they exist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RandomSpec {
    /// Input vocabulary size including `<pad>` (at most `d_var`).
    pub vocab_size: usize,
    /// Number of output classes including the masked `<pad>`.
    pub n_classes: usize,
    /// Context length (at most `d_var`).
    pub n_ctx: usize,
    /// Cardinality of categorical variables.
    pub d_var: usize,
    /// Number of layers.
    pub n_layers: usize,
    /// Categorical heads per layer.
    pub n_heads_cat: usize,
    /// Numerical heads per layer.
    pub n_heads_num: usize,
    /// Categorical MLPs per layer.
    pub n_cat_mlps: usize,
    /// Numerical MLPs per layer.
    pub n_num_mlps: usize,
    /// Inputs per MLP.
    pub mlp_vars_in: usize,
    /// Causal attention.
    pub causal: bool,
    /// Add a learned categorical embedding variable besides the one-hot tokens.
    pub embedding: bool,
}

impl RandomSpec {
    /// A sort-sized program: k = 8, N = 8, 3 layers of 2 + 2 heads and 1 + 1 MLPs.
    pub fn sort_sized() -> Self {
        RandomSpec {
            vocab_size: 8,
            n_classes: 6,
            n_ctx: 8,
            d_var: 8,
            n_layers: 3,
            n_heads_cat: 2,
            n_heads_num: 2,
            n_cat_mlps: 1,
            n_num_mlps: 1,
            mlp_vars_in: 2,
            causal: false,
            embedding: false,
        }
    }
}

/// A random valid program of the given shape; the same seed gives the same program.
///
/// Input tokens are `<pad>`, `<s>`, then `t0`, `t1`, ...; classes are `<pad>` (masked), then
/// `c0`, `c1`, ... Numerical MLP domains cover the exact reachable range of their inputs.
// Over 120 lines on purpose: it builds one program top to bottom (inputs, then each layer's
// modules, then the classifier) and reads best as one sequence; it is a test generator.
pub fn random_program(spec: &RandomSpec, seed: u64) -> Program {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let k = spec.d_var;
    let mut input_vocab = vec!["<pad>".to_string(), "<s>".to_string()];
    input_vocab.extend((0..spec.vocab_size.saturating_sub(2)).map(|i| format!("t{i}")));
    let mut output_vocab = vec!["<pad>".to_string()];
    output_vocab.extend((0..spec.n_classes.saturating_sub(1)).map(|i| format!("c{i}")));
    let mut inputs = vec![
        InputVariable {
            name: "tokens".into(),
            source: InputSource::Tokens,
        },
        InputVariable {
            name: "positions".into(),
            source: InputSource::Positions,
        },
    ];
    if spec.embedding {
        let values = (0..input_vocab.len())
            .map(|_| rng.gen_range(0..k))
            .collect();
        inputs.push(InputVariable {
            name: "var0_embeddings".into(),
            source: InputSource::Embedding { values },
        });
    }
    inputs.push(InputVariable {
        name: "ones".into(),
        source: InputSource::Ones,
    });
    // Categorical variables available so far, and numerical ones with their largest value.
    let mut cat: Vec<String> = inputs[..inputs.len() - 1]
        .iter()
        .map(|i| i.name.clone())
        .collect();
    let mut num: Vec<(String, i64)> = vec![("ones".into(), 1)];
    let mut modules = Vec::new();
    let predicate = |rng: &mut ChaCha8Rng| Predicate {
        key_of_query: (0..k)
            .map(|_| {
                if rng.gen_bool(0.1) {
                    None
                } else {
                    Some(rng.gen_range(0..k))
                }
            })
            .collect(),
    };
    for layer in 0..spec.n_layers {
        let before = cat.clone();
        let mut new_cat = Vec::new();
        for h in 0..spec.n_heads_cat {
            let output = format!("attn_{layer}_{h}_outputs");
            modules.push(Module::CatHead(CatHead {
                output: output.clone(),
                layer,
                query: pick(&mut rng, &before),
                key: pick(&mut rng, &before),
                value: pick(&mut rng, &before),
                predicate: predicate(&mut rng),
            }));
            new_cat.push(output);
        }
        let num_before = num.clone();
        for h in 0..spec.n_heads_num {
            let output = format!("num_attn_{layer}_{h}_outputs");
            let (value, largest) = num_before
                .choose(&mut rng)
                .cloned()
                .unwrap_or(("ones".into(), 1));
            modules.push(Module::NumHead(NumHead {
                output: output.clone(),
                layer,
                query: pick(&mut rng, &before),
                key: pick(&mut rng, &before),
                value,
                predicate: predicate(&mut rng),
            }));
            num.push((output, largest * spec.n_ctx as i64));
        }
        cat.extend(new_cat);
        let mut mlp_outputs = Vec::new();
        for m in 0..spec.n_cat_mlps {
            let output = format!("mlp_{layer}_{m}_outputs");
            let reads: Vec<String> = (0..spec.mlp_vars_in)
                .map(|_| pick(&mut rng, &cat))
                .collect();
            let cells = k.pow(reads.len() as u32);
            let table = (0..cells).map(|_| rng.gen_range(0..k)).collect();
            modules.push(Module::CatMlp(MlpTable {
                output: output.clone(),
                layer,
                inputs: reads,
                table,
            }));
            mlp_outputs.push(output);
        }
        for m in 0..spec.n_num_mlps {
            let output = format!("num_mlp_{layer}_{m}_outputs");
            let reads: Vec<(String, i64)> = (0..spec.mlp_vars_in)
                .filter_map(|_| num.choose(&mut rng).cloned())
                .collect();
            modules.push(Module::NumMlp(random_num_mlp(
                &mut rng,
                output.clone(),
                layer,
                &reads,
                k,
            )));
            mlp_outputs.push(output);
        }
        cat.extend(mlp_outputs);
    }
    let mut features = Vec::new();
    let classes = output_vocab.len();
    let row = |rng: &mut ChaCha8Rng| -> Vec<f32> {
        (0..classes).map(|_| rng.gen_range(-1.0f32..1.0)).collect()
    };
    for name in &cat {
        features.push(Feature {
            variable: name.clone(),
            weights: (0..k).map(|_| row(&mut rng)).collect(),
        });
    }
    for (name, _) in &num {
        features.push(Feature {
            variable: name.clone(),
            weights: vec![row(&mut rng)],
        });
    }
    Program {
        format_version: FORMAT_VERSION,
        name: format!("random_{seed}"),
        input_vocab,
        output_vocab,
        masked_classes: vec!["<pad>".into()],
        n_ctx: spec.n_ctx,
        d_var: k,
        causal: spec.causal,
        inputs,
        modules,
        classifier: Classifier {
            features,
            pooled: false,
        },
        provenance: None,
        text: None,
    }
}

fn pick(rng: &mut ChaCha8Rng, names: &[String]) -> String {
    names
        .choose(rng)
        .cloned()
        .unwrap_or_else(|| "tokens".into())
}

/// A numerical MLP whose output depends on which of three random intervals each input is in.
fn random_num_mlp(
    rng: &mut ChaCha8Rng,
    output: String,
    layer: usize,
    reads: &[(String, i64)],
    k: usize,
) -> NumMlpTable {
    let inputs: Vec<NumMlpInput> = reads
        .iter()
        .map(|(name, largest)| NumMlpInput {
            variable: name.clone(),
            min: 0,
            max: *largest,
        })
        .collect();
    let cuts: Vec<[i64; 2]> = inputs
        .iter()
        .map(|input| {
            let mut cut = [rng.gen_range(0..=input.max), rng.gen_range(0..=input.max)];
            cut.sort_unstable();
            cut
        })
        .collect();
    let buckets: Vec<usize> = (0..3usize.pow(inputs.len() as u32))
        .map(|_| rng.gen_range(0..k))
        .collect();
    let mut runs: Vec<Run> = Vec::new();
    let mut point: Vec<i64> = vec![0; inputs.len()];
    loop {
        let bucket = point.iter().zip(&cuts).fold(0, |acc, (&value, cut)| {
            acc * 3 + cut.iter().filter(|&&c| value > c).count()
        });
        let value = buckets[bucket];
        match runs.last_mut() {
            Some(run) if run.value == value => run.count += 1,
            _ => runs.push(Run { value, count: 1 }),
        }
        // Advance the row-major grid point (last input fastest).
        let mut carried = true;
        for (slot, input) in point.iter_mut().zip(&inputs).rev() {
            if *slot < input.max {
                *slot += 1;
                carried = false;
                break;
            }
            *slot = 0;
        }
        if carried {
            break;
        }
    }
    NumMlpTable {
        output,
        layer,
        inputs,
        runs,
    }
}
