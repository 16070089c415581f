//! Finite-difference checks of the whole backward pass, tensor by tensor (each tensor belongs
//! to one module), for configurations that together exercise every module: one-hot and learned
//! embeddings, learned numerical embedding, categorical and numerical heads and MLPs,
//! `selector_width`, causal masks and pooling; with softmax and seeded Gumbel-soft sampling;
//! and dropout, whose masks a fixed seed fixes (the differences then take the training loss).
#![allow(clippy::unwrap_used)]

use tprog_model::{BosDefault, Model, ModelConfig, Sampling};

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

/// A model's training loss on one batch, with a fixed noise seed.
struct Objective<'a> {
    x: &'a [u32],
    y: &'a [u32],
    sampling: Sampling,
    /// Take the loss of the training step (`loss_and_backward`, dropout on, its masks fixed by
    /// the seed) instead of the evaluation loss (`loss`, never any dropout).
    training: bool,
}

impl Objective<'_> {
    /// Central differences of the loss along `dir` in tensor `name`, for steps 1e-2, 3e-3 and
    /// 1e-3 (float32: a large step suffers from curvature and ReLU kinks, a small one from the
    /// loss's rounding), each with the error the loss's rounding alone can produce.
    fn differences(&self, model: &mut Model, name: &str, dir: &[f32]) -> Vec<(f64, f64)> {
        let id = model.params().id(name).unwrap();
        let v0 = model.params().get(id).to_vec();
        let mut out = Vec::new();
        for h in [1e-2f32, 3e-3, 1e-3] {
            let mut at = |sign: f32| {
                for ((p, v), d) in model.params_mut().get_mut(id).iter_mut().zip(&v0).zip(dir) {
                    *p = v + sign * h * d;
                }
                let l = if self.training {
                    model.zero_grad();
                    model.loss_and_backward(self.x, self.y, 4, 8, self.sampling, 99)
                } else {
                    model.loss(self.x, self.y, 4, 8, self.sampling, 99)
                };
                let l = l.unwrap();
                model.params_mut().get_mut(id).copy_from_slice(&v0);
                f64::from(l)
            };
            let (lp, lm) = (at(1.0), at(-1.0));
            let fd = (lp - lm) / f64::from(2.0 * h);
            let resolution = 4.0 * f64::from(f32::EPSILON) * lp.abs() / f64::from(2.0 * h);
            out.push((fd, resolution));
        }
        out
    }
}

/// A model set up for finite differences: MLP biases start at 0, and a numerical input can be
/// exactly 0 (an empty sum), which puts hidden units on their ReLU kink, where a finite
/// difference sees half the slope: move the biases off 0 so that every difference measures a
/// derivative.
fn model_for_differences(config: &ModelConfig) -> Model {
    let mut model: Model = config.init(3).unwrap();
    for spec in model.params().specs().to_vec() {
        if spec.name.ends_with("b_in") {
            let id = model.params().id(&spec.name).unwrap();
            for (i, v) in model.params_mut().get_mut(id).iter_mut().enumerate() {
                *v = 0.05 + 0.01 * (i % 7) as f32;
            }
        }
    }
    model
}

/// Absolute tolerance on the derivative along a unit direction, on top of the loss's rounding:
/// what a tensor whose analytic gradient is (near) zero must show numerically. A backward that
/// wrongly returns zeros for a tensor that matters gives derivatives far above it.
const ZERO_GRADIENT_TOLERANCE: f64 = 1e-4;

/// Checks the analytic gradient `grad` of tensor `name` against finite differences of the
/// loss: along `grad` itself (when it is not zero) and along two random directions (always,
/// so a zero gradient must match a near-zero numeric one).
fn check_tensor(
    model: &mut Model,
    objective: &Objective<'_>,
    name: &str,
    grad: &[f32],
) -> Result<(), String> {
    let norm = grad
        .iter()
        .map(|g| f64::from(*g).powi(2))
        .sum::<f64>()
        .sqrt();
    if norm >= 1e-6 {
        // Along the unit gradient g/|g| the derivative equals |g| when g is right (any error
        // in its direction makes it smaller). The tensor passes if any step agrees.
        let dir: Vec<f32> = grad.iter().map(|g| (f64::from(*g) / norm) as f32).collect();
        let diffs = objective.differences(model, name, &dir);
        let ok = diffs
            .iter()
            .any(|&(fd, res)| (fd - norm).abs() <= 2e-2 * norm + res);
        let err = diffs
            .iter()
            .map(|&(fd, _)| (fd - norm).abs() / norm)
            .fold(f64::INFINITY, f64::min);
        if !ok {
            return Err(format!("{name} relative error {err}"));
        }
    }
    // An error orthogonal to the gradient shows up there only to second order; random
    // directions see every error to first order: the derivative along d must be g·d.
    let mut state = 0x2545_F491_4F6C_DD1Du64 ^ name.len() as u64;
    for _ in 0..2 {
        let mut dir: Vec<f32> = (0..grad.len())
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
            })
            .collect();
        let len = dir.iter().map(|d| d * d).sum::<f32>().sqrt();
        dir.iter_mut().for_each(|d| *d /= len);
        let gd: f64 = grad.iter().zip(&dir).map(|(g, d)| f64::from(g * d)).sum();
        let diffs = objective.differences(model, name, &dir);
        let ok = diffs.iter().any(|&(fd, res)| {
            (fd - gd).abs() <= 3e-2 * gd.abs() + 2e-3 * norm + ZERO_GRADIENT_TOLERANCE + res
        });
        if !ok {
            return Err(format!(
                "{name} along a random direction: g·d {gd}, differences {diffs:?}, norm {norm}"
            ));
        }
    }
    Ok(())
}

fn check(config: ModelConfig, sampling: Sampling, what: &str) {
    let mut model = model_for_differences(&config);
    let (x, y) = batch(config.vocab_size as u32, config.n_classes as u32);
    model.zero_grad();
    model.loss_and_backward(&x, &y, 4, 8, sampling, 99).unwrap();
    let objective = Objective {
        x: &x,
        y: &y,
        sampling,
        training: config.dropout > 0.0,
    };
    let specs = model.params().specs().to_vec();
    let grads: Vec<Vec<f32>> = specs
        .iter()
        .map(|s| model.params().grad_by_name(&s.name).unwrap().to_vec())
        .collect();
    let mut checked = 0;
    for (s, grad) in specs.iter().zip(grads).filter(|(s, _)| s.trainable) {
        if let Err(e) = check_tensor(&mut model, &objective, &s.name, &grad) {
            panic!("{what}: {e}");
        }
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn a_backward_returning_zeros_fails_the_check() {
    // The check of every tensor, fed an all-zero gradient in place of the right one, must
    // reject each tensor whose true gradient is not negligible (a wrongly-zero backward).
    let config = base();
    let mut model = model_for_differences(&config);
    let (x, y) = batch(8, 6);
    let sampling = Sampling::Softmax { tau: 1.0 };
    model.zero_grad();
    model.loss_and_backward(&x, &y, 4, 8, sampling, 99).unwrap();
    let objective = Objective {
        x: &x,
        y: &y,
        sampling,
        training: false,
    };
    let mut rejected = 0;
    for s in model
        .params()
        .specs()
        .to_vec()
        .iter()
        .filter(|s| s.trainable)
    {
        let grad = model.params().grad_by_name(&s.name).unwrap().to_vec();
        let norm = grad.iter().map(|g| f64::from(*g).powi(2)).sum::<f64>();
        if norm.sqrt() < 1e-2 {
            continue;
        }
        let zeros = vec![0.0; grad.len()];
        let result = check_tensor(&mut model, &objective, &s.name, &zeros);
        assert!(result.is_err(), "zeros pass for {}", s.name);
        rejected += 1;
    }
    assert!(rejected > 5, "{rejected}");
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
fn dropout_through_every_site() {
    // Every site: categorical and numerical heads, both MLP kinds' hidden layers and outputs;
    // one-hot and learned embeddings, pooled too. (At p = 0.3 the masks of seed 99 put a hidden
    // unit of blocks.1.num_mlp next to its ReLU kink: its differences along a random direction
    // then change with the step, −1.5e-3, −1.0e-3, −1.2e-3, around the derivative −2.2e-3.)
    let c = ModelConfig {
        dropout: 0.25,
        ..base()
    };
    check(c.clone(), Sampling::Softmax { tau: 1.0 }, "dropout softmax");
    check(
        c.clone(),
        Sampling::GumbelSoft { tau: 1.0 },
        "dropout gumbel",
    );
    let learned = ModelConfig {
        one_hot_embed: false,
        n_vars_cat: 2,
        pool_outputs: true,
        dropout: 0.5,
        ..c
    };
    check(
        learned,
        Sampling::Softmax { tau: 0.7 },
        "dropout, learned, pooled",
    );
}

#[test]
fn soft_bos_default_causal() {
    // Causal rows have few keys, so the soft default relu(1 − s) is active on many of them.
    let c = ModelConfig {
        autoregressive: true,
        bos_default: BosDefault::Soft,
        ..base()
    };
    check(
        c.clone(),
        Sampling::Softmax { tau: 1.0 },
        "soft BOS softmax",
    );
    // At a low τ the predicates are nearly one-hot: many queries match nothing, and their
    // attention hangs on the default.
    // (Categorical modules only: numerical MLPs get ReLU kinks at this τ.)
    let cat_only = ModelConfig {
        n_heads_num: 0,
        n_num_mlps: 0,
        ..c.clone()
    };
    check(
        cat_only,
        Sampling::Softmax { tau: 0.3 },
        "soft BOS softmax, low τ",
    );
    check(c, Sampling::GumbelSoft { tau: 2.0 }, "soft BOS gumbel");
}

#[test]
fn the_bos_default_changes_training_not_the_discrete_model() {
    let reference = ModelConfig {
        autoregressive: true,
        ..base()
    };
    let soft = ModelConfig {
        bos_default: BosDefault::Soft,
        ..reference.clone()
    };
    let (x, y) = batch(8, 6);
    let mut a: Model = reference.init(3).unwrap();
    let mut b: Model = soft.init(3).unwrap();
    let tau = Sampling::Softmax { tau: 1.0 };
    let (la, lb) = (
        a.loss(&x, &y, 4, 8, tau, 1).unwrap(),
        b.loss(&x, &y, 4, 8, tau, 1).unwrap(),
    );
    assert!(
        (la - lb).abs() > 1e-4,
        "the soft default is never active: {la} vs {lb}"
    );
    let discrete_a = a.forward(&x, 4, 8, Sampling::Argmax, 0).unwrap().to_vec();
    let discrete_b = b.forward(&x, 4, 8, Sampling::Argmax, 0).unwrap().to_vec();
    assert_eq!(discrete_a, discrete_b);
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

#[test]
fn zero_scores_give_finite_gradients() {
    // Straight-through samples are one-hot: most attention scores are exactly 0, and through
    // three layers the slope of their log (1e20 at 0) used to overflow to ∞ and NaN on both
    // paths (this test failed before the fix). Both paths, twenty seeds.
    let config = ModelConfig::paper_rasp(8, 8, 8, 6);
    let (x, y) = batch(8, 6);
    for seed in 0..20 {
        let hard = Sampling::GumbelHard { tau: 1.0 };
        let mut lanes = config.init(seed).unwrap();
        lanes.loss_and_backward(&x, &y, 4, 8, hard, seed).unwrap();
        let mut per_example = config.init(seed).unwrap();
        per_example
            .loss_and_backward_per_example(&x, &y, 4, 8, hard, seed)
            .unwrap();
        for model in [&lanes, &per_example] {
            for spec in model.params().specs() {
                let g = model.params().grad_by_name(&spec.name).unwrap();
                assert!(
                    g.iter().all(|v| v.is_finite()),
                    "seed {seed}: {}",
                    spec.name
                );
            }
        }
    }
}
