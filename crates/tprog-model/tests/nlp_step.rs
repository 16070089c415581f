//! The training step at NLP scale: dropout (only while training, fixed by the step's seed) and
//! a learned word embedding sampled and trained only in the columns of the batch's words, with
//! Adam still exactly the dense rule on every word.
#![allow(clippy::unwrap_used)]

use tprog_model::{Adam, ModelConfig, Sampling};

/// Learned embeddings over a vocabulary of 40 words, categorical and numerical modules.
fn learned(dropout: f32) -> ModelConfig {
    ModelConfig {
        one_hot_embed: false,
        n_vars_cat: 2,
        n_heads_num: 1,
        n_num_mlps: 1,
        d_mlp: 16,
        dropout,
        ..ModelConfig::readme_sort(8, 40, 5)
    }
}

/// `b` sequences of 8 positions; every token is drawn from `words`.
fn batch(b: usize, words: &[u32], seed: u64) -> (Vec<u32>, Vec<u32>) {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 33) as usize
    };
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for _ in 0..b {
        let len = 2 + next() % 7;
        for i in 0..8 {
            let real = i < len;
            x.push(if real { words[next() % words.len()] } else { 0 });
            y.push(if real { 1 + (next() % 4) as u32 } else { 0 });
        }
    }
    (x, y)
}

#[test]
fn dropout_changes_the_training_step_and_nothing_else() {
    let (x, y) = batch(12, &(1..40).collect::<Vec<_>>(), 1);
    let mut with = learned(0.5).init(2).unwrap();
    let mut without = learned(0.0).init(2).unwrap();
    assert_eq!(with.params().value, without.params().value);
    let s = Sampling::GumbelSoft { tau: 1.0 };
    let (a, b) = (
        with.loss_and_backward(&x, &y, 12, 8, s, 7).unwrap(),
        without.loss_and_backward(&x, &y, 12, 8, s, 7).unwrap(),
    );
    assert!((a - b).abs() > 1e-3, "dropout changed nothing: {a} vs {b}");
    // The same seed draws the same masks; another seed other masks.
    with.zero_grad();
    assert_eq!(
        a.to_bits(),
        with.loss_and_backward(&x, &y, 12, 8, s, 7)
            .unwrap()
            .to_bits()
    );
    let grad = with.params().grad.clone();
    with.zero_grad();
    let c = with.loss_and_backward(&x, &y, 12, 8, s, 8).unwrap();
    without.zero_grad();
    let d = without.loss_and_backward(&x, &y, 12, 8, s, 8).unwrap();
    assert!((c - d).abs() > 1e-3 && c != a);
    with.zero_grad();
    with.loss_and_backward(&x, &y, 12, 8, s, 7).unwrap();
    assert_eq!(grad, with.params().grad);
    // Evaluation, relaxed or discrete, never drops anything.
    for sampling in [s, Sampling::Softmax { tau: 0.5 }] {
        assert_eq!(
            with.loss(&x, &y, 12, 8, sampling, 3).unwrap().to_bits(),
            without.loss(&x, &y, 12, 8, sampling, 3).unwrap().to_bits()
        );
    }
    assert_eq!(
        with.forward(&x, 12, 8, Sampling::Argmax, 0)
            .unwrap()
            .to_vec(),
        without
            .forward(&x, 12, 8, Sampling::Argmax, 0)
            .unwrap()
            .to_vec()
    );
    assert_eq!(
        with.predict(&x, 12, 8).unwrap(),
        without.predict(&x, 12, 8).unwrap()
    );
}

#[test]
fn a_sequence_sees_the_same_word_noise_whatever_else_the_batch_holds() {
    // Sequence 0 is the same in both batches; the others use disjoint sets of words, so the
    // word columns sampled differ. Sequence 0's logits must not change.
    let (x0, _) = batch(1, &[3, 4, 5], 2);
    let (xa, _) = batch(5, &[10, 11, 12, 13], 3);
    let (xb, _) = batch(5, &[20, 21, 22, 30, 31, 39], 4);
    let mut model = learned(0.0).init(4).unwrap();
    let s = Sampling::GumbelSoft { tau: 0.7 };
    let mut run = |rest: &[u32]| {
        let x: Vec<u32> = x0.iter().chain(rest).copied().collect();
        model.forward(&x, 6, 8, s, 11).unwrap()[..8 * 5].to_vec()
    };
    let (a, b) = (run(&xa), run(&xb));
    assert_eq!(a, b);
    // The noise matters: another seed changes them.
    let x: Vec<u32> = x0.iter().chain(&xa).copied().collect();
    assert_ne!(a, model.forward(&x, 6, 8, s, 12).unwrap()[..8 * 5].to_vec());
}

/// PyTorch's Adam update of one value, written out in `f32` as `Adam` documents it.
struct DenseAdam {
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
}

impl DenseAdam {
    fn step(&mut self, lr: f32, value: &mut [f32], grad: &[f32]) {
        self.t += 1;
        let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        // The bias corrections in f64 of the f32 betas, as PyTorch computes them.
        let step_size = (f64::from(lr) / (1.0 - f64::from(b1).powi(self.t))) as f32;
        let bc2_sqrt = (1.0 - f64::from(b2).powi(self.t)).sqrt() as f32;
        for (((p, m), v), &g) in value.iter_mut().zip(&mut self.m).zip(&mut self.v).zip(grad) {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *p -= step_size * *m / (v.sqrt() / bc2_sqrt + eps);
        }
    }
}

#[test]
fn adam_on_a_word_embedding_is_the_dense_rule_with_absent_words_at_zero_gradient() {
    // Words 1..20 in even steps, 20..40 in odd ones: every word is absent from half the steps.
    let low: Vec<u32> = (1..20).collect();
    let high: Vec<u32> = (20..40).collect();
    let mut model = learned(0.5).init(6).unwrap();
    let id = model.params().id("embed.W_E").unwrap();
    let mut expected = model.params().get(id).to_vec();
    let mut dense = DenseAdam {
        m: vec![0.0; expected.len()],
        v: vec![0.0; expected.len()],
        t: 0,
    };
    let mut adam = Adam::new(0.05);
    let column = |buf: &[f32], w: usize| -> Vec<f32> { (0..16).map(|r| buf[r * 40 + w]).collect() };
    let mut previous = None;
    for step in 0..6u64 {
        let words = if step % 2 == 0 { &low } else { &high };
        let (x, y) = batch(10, words, step);
        model.zero_grad();
        model
            .loss_and_backward(&x, &y, 10, 8, Sampling::GumbelSoft { tau: 1.5 }, step)
            .unwrap();
        let grad = model.params().grad_of(id).to_vec();
        // Absent words have exactly no gradient; present ones have one. (The word checked
        // absent was present in the step before: its moments are not zero.)
        let absent = previous.unwrap_or(25);
        assert!(column(&grad, absent).iter().all(|&g| g == 0.0));
        let present = x[1] as usize;
        assert!(column(&grad, present).iter().any(|&g| g != 0.0));
        let before = column(model.params().get(id), absent);
        adam.step(&mut model);
        dense.step(0.05, &mut expected, &grad);
        assert_eq!(model.params().get(id), &expected[..], "step {step}");
        // An absent word seen before still moves on its decaying moments.
        if previous.is_some() {
            assert_ne!(
                column(model.params().get(id), absent),
                before,
                "step {step}"
            );
        }
        previous = Some(present);
    }
}
