//! Milliseconds per training step (forward + backward + Adam, dropout on) of the standard
//! Transformer in the two shapes the reference's PyTorch was timed in, with 1 and 2 threads:
//! the median of repeated timings after a warm-up. The batches are random tokens with every
//! position real (what the reference was timed on).
//!
//! * `conll`: d_model 128, 3 layers, 4 heads, d_mlp 64, N 32, batch 32, vocabulary 10,002,
//!   11 classes, dropout 0.5 (reference: 85 ms/step with 2 threads).
//! * `classification`: d_model 64, 2 layers, 4 heads, d_mlp 64, N 64, batch 128, vocabulary
//!   10,002, 6 classes, pooled, dropout 0.5 (reference: 137 ms/step with 2 threads).
//!
//! `cargo bench -p tprog-baseline --bench step`; arguments filter it:
//! `-- conll --threads 2 --steps 20`.

use std::hint::black_box;
use std::time::Instant;

use tprog_baseline::standard::{Adam, StandardConfig};

/// A deterministic batch of `b` full-length sequences of `n` random tokens and labels.
fn batch(b: usize, n: usize, vocab: u32, classes: u32, pooled: bool) -> (Vec<u32>, Vec<u32>) {
    let mut s = 7u64;
    let mut next = || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (s >> 33) as u32
    };
    let (mut x, mut y) = (Vec::with_capacity(b * n), Vec::with_capacity(b * n));
    for _ in 0..b {
        for i in 0..n {
            x.push(1 + next() % (vocab - 1));
            let scored = !pooled || i == 0;
            y.push(if scored {
                2 + next() % (classes - 2)
            } else {
                0
            });
        }
    }
    (x, y)
}

struct Options {
    filter: Option<String>,
    threads: Vec<usize>,
    steps: Option<usize>,
}

fn options() -> Options {
    let mut o = Options {
        filter: None,
        threads: vec![1, 2],
        steps: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => {
                if let Some(t) = args.next().and_then(|v| v.parse().ok()) {
                    o.threads = vec![t];
                }
            }
            "--steps" => o.steps = args.next().and_then(|v| v.parse().ok()),
            s if s.starts_with("--") => {} // `cargo bench` passes `--bench`.
            s => o.filter = Some(s.to_string()),
        }
    }
    o
}

/// (name, config, batch size, reference ms/step with 2 threads)
fn shapes() -> Vec<(&'static str, StandardConfig, usize, f64)> {
    let base = |d_model, n_layers, d_mlp, n_ctx, n_classes, pool| StandardConfig {
        d_model,
        n_layers,
        n_heads: 4,
        d_mlp,
        dropout: 0.5,
        n_ctx,
        vocab_size: 10_002,
        n_classes,
        masked_classes: vec![0, 1],
        pad_token: 0,
        autoregressive: false,
        pool_outputs: pool,
    };
    vec![
        ("conll", base(128, 3, 64, 32, 11, false), 32, 85.0),
        ("classification", base(64, 2, 64, 64, 6, true), 128, 137.0),
    ]
}

fn main() {
    let opts = options();
    let shapes = shapes();
    let selected: Vec<_> = shapes
        .iter()
        .filter(|(name, ..)| opts.filter.as_deref().is_none_or(|f| name.contains(f)))
        .collect();
    if selected.is_empty() {
        let names: Vec<_> = shapes.iter().map(|s| s.0).collect();
        println!("no shape matches; shapes: {names:?}");
        return;
    }
    for &(name, ref config, b, reference) in selected {
        for &threads in &opts.threads {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool");
            let mut model = config.init(0).expect("valid shape");
            let n = config.n_ctx;
            let classes = config.n_classes as u32;
            let (x, y) = batch(b, n, config.vocab_size as u32, classes, config.pool_outputs);
            let mut adam = Adam::new(5e-3);
            let mut seed = 0;
            let mut step = || {
                seed += 1;
                model.zero_grad();
                let loss = model
                    .loss_and_backward(&x, &y, b, n, seed)
                    .expect("valid batch");
                model.adam_step(&mut adam);
                black_box(loss);
            };
            pool.install(|| {
                if let Some(steps) = opts.steps {
                    (0..steps).for_each(|_| step());
                    println!("{name} threads={threads}: {steps} steps");
                    return;
                }
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
                    "{name:>14} threads={threads}: median {:7.2} ms/step (p10 {:.2}, p90 {:.2}, \
                     {} steps; reference PyTorch, 2 threads: {reference} ms)",
                    q(0.5),
                    q(0.1),
                    q(0.9),
                    times.len()
                );
            });
        }
    }
}
