//! Finite-difference checks of the whole backward pass, tensor by tensor (each tensor belongs
//! to one module), for configurations that together exercise every module: one-hot and learned
//! embeddings, learned numerical embedding, categorical and numerical heads and MLPs,
//! `selector_width`, causal masks and pooling; with softmax and seeded Gumbel-soft sampling.
#![allow(clippy::unwrap_used)]

use tprog_model::{Model, ModelConfig, Sampling};

fn base() -> ModelConfig {
    ModelConfig {
        n_heads_num: 2,
        n_heads_cat: 2,
        n_cat_mlps: 1,
        n_num_mlps: 1,
        d_mlp: 16,
        ..ModelConfig::readme_sort(8, 8, 6)
    }
}

/// A small batch with padding: 4 sequences of lengths 8, 6, 3, 5.
fn batch(vocab: u32, classes: u32) -> (Vec<u32>, Vec<u32>) {
    let lens = [8usize, 6, 3, 5];
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let mut s = 12345u32;
    for &len in &lens {
        for i in 0..8 {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let r = s >> 16;
            if i < len {
                x.push(1 + r % (vocab - 1));
                y.push(if i == 0 {
                    0
                } else {
                    1 + (r / 7) % (classes - 1)
                });
            } else {
                x.push(0);
                y.push(0);
            }
        }
    }
    (x, y)
}

fn check(config: ModelConfig, sampling: Sampling, what: &str) {
    let mut model: Model = config.init(3).unwrap();
    let (x, y) = batch(config.vocab_size as u32, config.n_classes as u32);
    let (b, n) = (4, 8);
    let seed = 99;
    model.zero_grad();
    model
        .loss_and_backward(&x, &y, b, n, sampling, seed)
        .unwrap();
    let specs = model.params().specs().to_vec();
    let mut checked = 0;
    for s in specs.iter().filter(|s| s.trainable) {
        let grad = model.params().grad_by_name(&s.name).unwrap().to_vec();
        // Directional derivative along the unit gradient g/|g| equals |g| when g is right
        // (any error in its direction makes it smaller). float32 central differences: a large
        // step suffers from curvature and ReLU kinks, a small one from the loss's rounding; the
        // tensor passes if either step agrees.
        let norm = grad
            .iter()
            .map(|g| f64::from(*g).powi(2))
            .sum::<f64>()
            .sqrt();
        if norm < 1e-6 {
            continue;
        }
        let dir: Vec<f32> = grad.iter().map(|g| (f64::from(*g) / norm) as f32).collect();
        let v0 = model
            .params()
            .get(model.params().id(&s.name).unwrap())
            .to_vec();
        let mut ok = false;
        let mut err = f64::INFINITY;
        for h in [1e-2f32, 3e-3, 1e-3] {
            let mut at = |sign: f32| {
                let id = model.params().id(&s.name).unwrap();
                for ((p, v), d) in model.params_mut().get_mut(id).iter_mut().zip(&v0).zip(&dir) {
                    *p = v + sign * h * d;
                }
                let l = model.loss(&x, &y, b, n, sampling, seed).unwrap();
                model.params_mut().get_mut(id).copy_from_slice(&v0);
                f64::from(l)
            };
            let (lp, lm) = (at(1.0), at(-1.0));
            let fd = (lp - lm) / f64::from(2.0 * h);
            // What the loss's float32 rounding alone can produce.
            let resolution = 4.0 * f64::from(f32::EPSILON) * lp.abs() / f64::from(2.0 * h);
            ok |= (fd - norm).abs() <= 2e-2 * norm + resolution;
            err = err.min((fd - norm).abs() / norm);
        }
        assert!(ok, "{what}: {} relative error {err}", s.name);
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn all_components_one_hot_softmax() {
    check(base(), Sampling::Softmax { tau: 1.0 }, "one-hot softmax");
}

#[test]
fn all_components_one_hot_gumbel_soft() {
    check(base(), Sampling::GumbelSoft { tau: 1.0 }, "one-hot gumbel");
}

#[test]
fn learned_embeddings_causal_selector_width() {
    let c = ModelConfig {
        one_hot_embed: false,
        count_only: false,
        n_vars_cat: 2,
        n_vars_num: 2,
        autoregressive: true,
        selector_width: true,
        ..base()
    };
    check(c.clone(), Sampling::Softmax { tau: 0.7 }, "learned softmax");
    check(c, Sampling::GumbelSoft { tau: 2.0 }, "learned gumbel");
}

#[test]
fn pooled_outputs() {
    let c = ModelConfig {
        pool_outputs: true,
        ..base()
    };
    check(c, Sampling::Softmax { tau: 1.0 }, "pooled");
}

#[test]
fn gumbel_hard_gradients_are_finite_and_nonzero() {
    let mut model = base().init(1).unwrap();
    let (x, y) = batch(8, 6);
    model
        .loss_and_backward(&x, &y, 4, 8, Sampling::GumbelHard { tau: 1.0 }, 5)
        .unwrap();
    assert!(model.params().grad.iter().all(|g| g.is_finite()));
    assert!(model.grad_norm() > 0.0);
}
