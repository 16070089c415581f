//! Milliseconds per training step (forward + backward + Adam, Gumbel-soft, batch 512) for the
//! README sort configuration and the paper's RASP configuration (k = 8, N = 8; k = 16, N = 16).
//! Run with `cargo bench -p tprog-model --bench step`.

use std::hint::black_box;

use criterion::{Criterion, criterion_main};
use tprog_model::{Adam, ModelConfig, Sampling};

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

fn step(c: &mut Criterion) {
    let configs = [
        ("readme_sort_k8_n8", ModelConfig::readme_sort(8, 8, 6), 8),
        ("paper_k8_n8", ModelConfig::paper_rasp(8, 8, 8, 6), 8),
        ("paper_k16_n16", ModelConfig::paper_rasp(16, 16, 4, 4), 16),
    ];
    let mut group = c.benchmark_group("train_step_b512");
    group.sample_size(10);
    for (name, config, n) in configs {
        let mut model = config.init(0).expect("valid preset");
        let (x, y) = batch(512, n, config.vocab_size as u32, config.n_classes as u32);
        let mut adam = Adam::new(0.05);
        let mut seed = 0;
        group.bench_function(name, |bench| {
            bench.iter(|| {
                seed += 1;
                model.zero_grad();
                let loss = model
                    .loss_and_backward(&x, &y, 512, n, Sampling::GumbelSoft { tau: 1.0 }, seed)
                    .expect("valid batch");
                adam.step(&mut model);
                black_box(loss)
            })
        });
    }
    group.finish();
}

/// The criterion entry points (the macros generate undocumented functions).
mod entry {
    #![allow(missing_docs)]
    use super::step;
    use criterion::criterion_group;
    criterion_group!(benches, step);
}

criterion_main!(entry::benches);
