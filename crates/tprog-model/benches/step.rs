//! Milliseconds per training step (forward + backward + Adam, Gumbel-soft) for the README sort
//! configuration and the paper's RASP configuration (k = 8, N = 8; k = 16, N = 16) at batch
//! 512, and the paper's NLP shapes on random tokens of a 10,002-word vocabulary: CoNLL (2
//! layers, 8 categorical heads, 4 embedding variables × 32, N 32, batch 32, dropout 0.5) and
//! classification (2 layers, 4 heads, 4 × 64, N 64, batch 128, pooled), with 1 and 2 threads:
//! the median of repeated timings after a warm-up.
//!
//! `cargo bench -p tprog-model --bench step` runs every config; arguments filter it:
//! `-- paper_k8 --threads 2 --steps 20` (the step count makes runs under `valgrind
//! --tool=callgrind` short; a config name matching nothing prints the list). `--threads 1,2,4`
//! times several thread counts, `--chunks N` sets `Model::set_step_chunks` (default 8), and
//! `--per-example` times the per-example backward (the test oracle) instead of the lanes.

use std::hint::black_box;
use std::time::Instant;

use tprog_model::{Adam, ModelConfig, Sampling};

const BATCH: usize = 512;

/// The paper's NLP model shapes (spec §11: conll.sh, classification.sh) with a learned
/// embedding of `vocab` words.
fn nlp(conll: bool) -> ModelConfig {
    let (k, n_ctx, heads) = if conll { (32, 32, 8) } else { (64, 64, 4) };
    ModelConfig {
        n_layers: 2,
        n_vars_cat: 4,
        d_var: k,
        n_heads_cat: heads,
        n_num_mlps: 0,
        one_hot_embed: false,
        dropout: if conll { 0.5 } else { 0.0 },
        pool_outputs: !conll,
        masked_classes: vec![0, 1],
        ..ModelConfig::readme_sort(n_ctx, 10_002, if conll { 11 } else { 8 })
    }
}

/// A deterministic batch of `b` sequences of `n` positions with random lengths and labels.
fn batch(b: usize, n: usize, vocab: u32, classes: u32) -> (Vec<u32>, Vec<u32>) {
    let mut s = 7u64;
    let mut next = || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (s >> 33) as u32
    };
    let (mut x, mut y) = (Vec::with_capacity(b * n), Vec::with_capacity(b * n));
    for _ in 0..b {
        let len = 2 + next() as usize % (n - 1);
        for i in 0..n {
            let real = i < len;
            x.push(if real { 1 + next() % (vocab - 1) } else { 0 });
            y.push(if real && i > 0 {
                1 + next() % (classes - 1)
            } else {
                0
            });
        }
    }
    (x, y)
}

/// Command-line options: config filter, thread counts, timed steps.
struct Options {
    filter: Option<String>,
    threads: Vec<usize>,
    steps: Option<usize>,
    chunks: usize,
    per_example: bool,
}

fn options() -> Options {
    let mut o = Options {
        filter: None,
        threads: vec![1, 2],
        steps: None,
        chunks: tprog_model::DEFAULT_STEP_CHUNKS,
        per_example: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => {
                if let Some(list) = args.next() {
                    o.threads = list.split(',').filter_map(|t| t.parse().ok()).collect();
                }
            }
            "--chunks" => {
                if let Some(c) = args.next().and_then(|v| v.parse().ok()) {
                    o.chunks = c;
                }
            }
            "--per-example" => o.per_example = true,
            "--steps" => o.steps = args.next().and_then(|v| v.parse().ok()),
            s if s.starts_with("--") => {} // `cargo bench` passes `--bench`.
            s => o.filter = Some(s.to_string()),
        }
    }
    o
}

fn main() {
    let opts = options();
    let configs = [
        (
            "readme_sort_k8_n8",
            ModelConfig::readme_sort(8, 8, 6),
            8,
            BATCH,
        ),
        ("paper_k8_n8", ModelConfig::paper_rasp(8, 8, 8, 6), 8, BATCH),
        (
            "paper_k16_n16",
            ModelConfig::paper_rasp(16, 16, 4, 4),
            16,
            BATCH,
        ),
        ("conll_paper", nlp(true), 32, 32),
        ("classify_paper", nlp(false), 64, 128),
    ];
    let selected: Vec<_> = configs
        .iter()
        .filter(|(name, _, _, _)| opts.filter.as_deref().is_none_or(|f| name.contains(f)))
        .collect();
    if selected.is_empty() {
        let names: Vec<_> = configs.iter().map(|c| c.0).collect();
        println!("no config matches; configs: {names:?}");
        return;
    }
    for &(name, ref config, n, batch_size) in selected {
        for &threads in &opts.threads {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool");
            let mut model = config.init(0).expect("valid preset");
            model.set_step_chunks(opts.chunks);
            let (x, y) = batch(
                batch_size,
                n,
                config.vocab_size as u32,
                config.n_classes as u32,
            );
            let mut adam = Adam::new(0.05);
            let mut seed = 0;
            let mut step = || {
                seed += 1;
                model.zero_grad();
                let sampling = Sampling::GumbelSoft { tau: 1.0 };
                let loss = if opts.per_example {
                    model.loss_and_backward_per_example(&x, &y, batch_size, n, sampling, seed)
                } else {
                    model.loss_and_backward(&x, &y, batch_size, n, sampling, seed)
                };
                let loss = loss.expect("valid batch");
                adam.step(&mut model);
                black_box(loss);
            };
            pool.install(|| {
                if let Some(steps) = opts.steps {
                    (0..steps).for_each(|_| step());
                    println!("{name} threads={threads}: {steps} steps");
                    return;
                }
                // Warm up for ~0.5 s, then time batches of steps for ~3 s.
                let start = Instant::now();
                while start.elapsed().as_secs_f64() < 0.5 {
                    step();
                }
                let mut times = Vec::new();
                let start = Instant::now();
                while times.len() < 5 || start.elapsed().as_secs_f64() < 3.0 {
                    let t = Instant::now();
                    step();
                    times.push(t.elapsed().as_secs_f64() * 1e3);
                }
                times.sort_by(f64::total_cmp);
                let q = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
                println!(
                    "{name:>18} threads={threads} chunks={}{}: median {:7.2} ms/step (p10 {:.2}, p90 {:.2}, {} steps)",
                    opts.chunks,
                    if opts.per_example { " per-example" } else { "" },
                    q(0.5),
                    q(0.1),
                    q(0.9),
                    times.len()
                );
            });
        }
    }
}
