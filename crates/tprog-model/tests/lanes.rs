//! The lane-parallel training step (eight examples per SIMD lane) against the per-example
//! passes it replaces: same loss and gradients up to rounding, for every module kind, every
//! relaxed sampler, padded and partial groups, pooling and causal masks.
#![allow(clippy::unwrap_used)]

use tprog_model::{Adam, BosDefault, ModelConfig, Sampling};

/// A deterministic batch of `b` sequences of length `n`, with padding and unscored positions.
fn batch(b: usize, n: usize, vocab: u32, classes: u32, seed: u64) -> (Vec<u32>, Vec<u32>) {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 33) as u32
    };
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for _ in 0..b {
        let len = 1 + next() as usize % n;
        for i in 0..n {
            let real = i < len;
            x.push(if real { 1 + next() % (vocab - 1) } else { 0 });
            y.push(if real && next() % 4 != 0 {
                1 + next() % (classes - 1)
            } else {
                0
            });
        }
    }
    (x, y)
}

fn configs() -> Vec<(&'static str, ModelConfig)> {
    let paper = ModelConfig::paper_rasp(8, 8, 8, 6);
    vec![
        ("readme", ModelConfig::readme_sort(8, 8, 6)),
        ("paper", paper.clone()),
        (
            "learned embeddings, pooled, k=9",
            ModelConfig {
                d_var: 9,
                n_vars_cat: 2,
                n_vars_num: 2,
                one_hot_embed: false,
                count_only: false,
                pool_outputs: true,
                n_classes: 3,
                masked_classes: vec![],
                ..paper.clone()
            },
        ),
        (
            "causal, selector width, 3 MLP inputs",
            ModelConfig {
                autoregressive: true,
                selector_width: true,
                mlp_vars_in: 3,
                d_mlp: 12,
                ..paper.clone()
            },
        ),
        (
            "causal, soft BOS default",
            ModelConfig {
                autoregressive: true,
                bos_default: BosDefault::Soft,
                ..paper
            },
        ),
    ]
}

#[test]
fn lanes_agree_with_the_per_example_passes() {
    let samplers = [
        Sampling::Softmax { tau: 0.7 },
        Sampling::GumbelSoft { tau: 1.3 },
        Sampling::GumbelHard { tau: 1.0 },
    ];
    for (name, config) in configs() {
        let v = config.vocab_size as u32;
        let c = config.n_classes as u32;
        for (si, &sampling) in samplers.iter().enumerate() {
            for b in [1usize, 13, 40] {
                let n = 8;
                let (x, y) = batch(b, n, v, c, (b * 31 + si) as u64);
                let mut fast = config.init(5).unwrap();
                let mut slow = config.init(5).unwrap();
                let seed = 17 + si as u64;
                let lf = fast
                    .loss_and_backward(&x, &y, b, n, sampling, seed)
                    .unwrap();
                let ls = slow
                    .loss_and_backward_per_example(&x, &y, b, n, sampling, seed)
                    .unwrap();
                let what = format!("{name}, {sampling:?}, batch {b}");
                assert!(lf.is_finite(), "{what}: loss {lf}");
                assert!(
                    (lf - ls).abs() <= 1e-5 * ls.abs().max(1.0),
                    "{what}: loss {lf} vs {ls}"
                );
                for spec in slow.params().specs() {
                    if !spec.trainable {
                        continue;
                    }
                    let gs = slow.params().grad_by_name(&spec.name).unwrap();
                    let gf = fast.params().grad_by_name(&spec.name).unwrap();
                    // Straight-through one-hot reads give exact-zero scores; their log's
                    // gradient is cut at the floor, so every gradient is finite.
                    for (i, (a, b)) in gf.iter().zip(gs).enumerate() {
                        assert!(
                            a.is_finite() && b.is_finite(),
                            "{what}: {}[{i}] {a} vs {b}",
                            spec.name
                        );
                    }
                    // Hard samples: a query matching nothing puts the reference BOS default on
                    // its steep slope (−1/1e-10 at s = 0), which amplifies the two paths'
                    // rounding differences.
                    let tolerance = if matches!(sampling, Sampling::GumbelHard { .. }) {
                        1e-3
                    } else {
                        2e-4
                    };
                    let scale = gs.iter().fold(1e-3f32, |m, g| m.max(g.abs()));
                    for (i, (a, b)) in gf.iter().zip(gs).enumerate() {
                        assert!(
                            (a - b).abs() <= tolerance * scale,
                            "{what}: {}[{i}] {a} vs {b} (scale {scale})",
                            spec.name
                        );
                    }
                }
            }
        }
    }
}

/// Two Adam steps (sampling, the lanes, the chunk sum, the sampler backprop and the update
/// all run in parallel) give the same bits at every thread count, for every chunk count; with
/// one-hot embeddings, and with a learned word embedding (sparse rows) and dropout.
#[test]
fn steps_are_identical_for_any_thread_count_and_chunk_count() {
    let paper = ModelConfig::paper_rasp(8, 8, 8, 6);
    let nlp = ModelConfig {
        one_hot_embed: false,
        n_vars_cat: 2,
        vocab_size: 300,
        dropout: 0.5,
        ..paper.clone()
    };
    for config in [paper, nlp] {
        let vocab = config.vocab_size as u32;
        let (x, y) = batch(77, 8, vocab, 6, 3);
        let run = |threads: usize, chunks: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut m = config.init(1).unwrap();
                m.set_step_chunks(chunks);
                let mut adam = Adam::new(0.05);
                let mut losses = Vec::new();
                for seed in [9, 10] {
                    m.zero_grad();
                    let sampling = Sampling::GumbelSoft { tau: 2.0 };
                    let loss = m.loss_and_backward(&x, &y, 77, 8, sampling, seed).unwrap();
                    losses.push(loss.to_bits());
                    adam.step(&mut m);
                }
                (losses, m.params().grad.clone(), m.params().value.clone())
            })
        };
        // 77 examples are 10 groups of 8: 1, 3 and 10 chunks (64 is capped at one per group).
        for chunks in [1, 3, 8, 64] {
            let one = run(1, chunks);
            for threads in [2, 3, 5] {
                assert!(
                    one == run(threads, chunks),
                    "vocab {vocab}: {chunks} chunks, {threads} threads"
                );
            }
        }
        // Other chunk counts sum in another order: close, not equal bit for bit (the dropout
        // masks and the word noise do not depend on the chunks).
        let (a, b) = (run(2, 8), run(2, 64));
        let scale = a.1.iter().fold(1e-3f32, |m, g| m.max(g.abs()));
        for (ga, gb) in a.1.iter().zip(&b.1) {
            assert!(
                (ga - gb).abs() <= 1e-5 * scale,
                "vocab {vocab}: {ga} vs {gb}"
            );
        }
    }
}
