//! Finite-difference checks of the standard Transformer's backward pass (every tensor, with
//! padding, pooling and the causal mask), and the guarantees of the batch runner: the same
//! bits whatever the thread count, dropout only while training.

use tprog_baseline::standard::{StandardConfig, StandardTransformer};

fn config(pool: bool, causal: bool) -> StandardConfig {
    StandardConfig {
        d_model: 8,
        n_layers: 2,
        n_heads: 2,
        d_mlp: 6,
        dropout: 0.0,
        n_ctx: 6,
        vocab_size: 7,
        n_classes: 4,
        masked_classes: vec![0],
        pad_token: 0,
        autoregressive: causal,
        pool_outputs: pool,
    }
}

/// 10 sequences of 5 positions (more than `MAX_CHUNKS`, so chunks hold several examples),
/// with padding at the end of some.
fn batch(pool: bool) -> (Vec<u32>, Vec<u32>) {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for b in 0..10u32 {
        let len = 2 + (b as usize * 3) % 4;
        for i in 0..5u32 {
            let real = (i as usize) < len;
            x.push(if real { 1 + (b * 5 + i * 3) % 6 } else { 0 });
            let label = if pool {
                u32::from(i == 0) * (1 + b % 3)
            } else {
                1 + (b + i) % 3
            };
            y.push(if real { label } else { 0 });
        }
    }
    (x, y)
}

fn perturb(model: &mut StandardTransformer, index: usize, delta: f32) {
    model.params_mut().value[index] += delta;
}

fn gradcheck(pool: bool, causal: bool) {
    let mut model = config(pool, causal).init(3).expect("init");
    // Break the identical-layers symmetry of the initialisation a little.
    let values = &mut model.params_mut().value;
    for (i, v) in values.iter_mut().enumerate() {
        *v += 0.05 * ((i as f32) * 0.731).sin();
    }
    let (tokens, labels) = batch(pool);
    model.zero_grad();
    model
        .loss_and_backward(&tokens, &labels, 10, 5, 0)
        .expect("backward");
    let grad = model.params().grad.clone();
    let specs = model.params().specs().to_vec();
    let h = 1e-2f32;
    for spec in &specs {
        // A few entries of every tensor (for the token embedding: rows that occur).
        for j in [0, spec.len / 3, spec.len / 2 + 1, spec.len - 1] {
            let i = spec.offset + j;
            perturb(&mut model, i, h);
            let up = model.loss(&tokens, &labels, 10, 5).expect("loss");
            perturb(&mut model, i, -2.0 * h);
            let down = model.loss(&tokens, &labels, 10, 5).expect("loss");
            perturb(&mut model, i, h);
            let numeric = (up - down) / (2.0 * h);
            let tolerance = 2e-3 + 2e-2 * numeric.abs();
            assert!(
                (numeric - grad[i]).abs() < tolerance,
                "{} [{j}] (pool {pool}, causal {causal}): numeric {numeric} vs analytic {}",
                spec.name,
                grad[i]
            );
        }
    }
}

#[test]
fn gradients_match_finite_differences_per_token() {
    gradcheck(false, false);
}

#[test]
fn gradients_match_finite_differences_pooled() {
    gradcheck(true, false);
}

#[test]
fn gradients_match_finite_differences_causal() {
    gradcheck(false, true);
}

/// A step gives the same loss and gradient bits with 1 and with 3 threads.
#[test]
fn a_step_does_not_depend_on_the_thread_count() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| {
            let mut c = config(false, false);
            c.dropout = 0.3;
            let mut model = c.init(1).expect("init");
            let (tokens, labels) = batch(false);
            model.zero_grad();
            let loss = model
                .loss_and_backward(&tokens, &labels, 10, 5, 42)
                .expect("backward");
            (loss.to_bits(), model.params().grad.clone())
        })
    };
    assert_eq!(run(1), run(3));
}

/// Dropout acts in training only: evaluation is deterministic and differs from a training pass.
#[test]
fn dropout_only_while_training() {
    let mut c = config(false, false);
    c.dropout = 0.5;
    let mut model = c.init(1).expect("init");
    let (tokens, labels) = batch(false);
    let eval_a = model.loss(&tokens, &labels, 10, 5).expect("loss");
    let eval_b = model.loss(&tokens, &labels, 10, 5).expect("loss");
    assert_eq!(eval_a.to_bits(), eval_b.to_bits());
    let train_1 = model
        .loss_and_backward(&tokens, &labels, 10, 5, 1)
        .expect("train");
    let train_2 = model
        .loss_and_backward(&tokens, &labels, 10, 5, 2)
        .expect("train");
    assert_ne!(train_1, eval_a);
    assert_ne!(train_1, train_2);
}

/// Bad batches are errors, not panics.
#[test]
fn bad_batches_are_errors() {
    let mut model = config(false, false).init(0).expect("init");
    assert!(model.forward(&[1, 2, 3], 1, 4).is_err());
    assert!(model.forward(&[1, 2, 9], 1, 3).is_err());
    assert!(model.forward(&[1; 7], 1, 7).is_err());
    assert!(model.loss(&[1, 2], &[1, 9], 1, 2).is_err());
}
