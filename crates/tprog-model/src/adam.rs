//! Adam (the reference's settings: betas 0.9/0.999, eps 1e-8, constant learning rate, no weight decay) with
//! PyTorch's update rule, and gradient-norm clipping as `clip_grad_norm_` does it.

use rayon::prelude::*;

use crate::Model;

/// Parameters per unit of parallel work of an Adam step.
const ADAM_SLICE: usize = 1 << 14;

/// The Adam optimiser; its moments live in the model's [`crate::Params`].
#[derive(Debug, Clone, PartialEq)]
pub struct Adam {
    /// Learning rate.
    pub lr: f32,
    /// First-moment decay.
    pub beta1: f32,
    /// Second-moment decay.
    pub beta2: f32,
    /// Denominator epsilon.
    pub eps: f32,
    /// Steps taken so far.
    pub t: u64,
}

impl Adam {
    /// Adam with the reference's defaults and learning rate `lr`.
    pub fn new(lr: f32) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            t: 0,
        }
    }

    /// One update of every trainable parameter from its gradient (frozen tensors untouched),
    /// as [`AdamUpdate::apply`] says.
    pub fn step(&mut self, model: &mut Model) {
        let update = self.next_update();
        // Element-wise, so slices of every trainable tensor update in parallel with the same
        // result at any thread count.
        let slices = model.params_mut().trainable_slices(ADAM_SLICE);
        slices
            .into_par_iter()
            .for_each(|t| update.apply(t.value, t.grad, t.m, t.v));
    }

    /// Advances the step count and returns that step's update, with PyTorch's bias
    /// corrections for it (any parameter store applies it: the standard baseline's too).
    pub fn next_update(&mut self) -> AdamUpdate {
        self.t += 1;
        let t = self.t.min(i32::MAX as u64) as i32;
        let bc1 = 1.0 - f64::from(self.beta1).powi(t);
        let bc2 = 1.0 - f64::from(self.beta2).powi(t);
        AdamUpdate {
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            step_size: (f64::from(self.lr) / bc1) as f32,
            bc2_sqrt: bc2.sqrt() as f32,
        }
    }
}

/// One Adam step's constants (see [`Adam::next_update`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamUpdate {
    beta1: f32,
    beta2: f32,
    eps: f32,
    /// `lr / (1 − β1^t)`.
    step_size: f32,
    /// `sqrt(1 − β2^t)`.
    bc2_sqrt: f32,
}

impl AdamUpdate {
    /// Updates parameters `value` with gradients `grad` and moments `m`, `v` (all the same
    /// length): `m ← β1 m + (1−β1) g`, `v ← β2 v + (1−β2) g²`,
    /// `p ← p − lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + eps)`.
    pub fn apply(&self, value: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32]) {
        let (b1, b2) = (self.beta1, self.beta2);
        for (((p, m), v), &g) in value.iter_mut().zip(m).zip(v).zip(grad) {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            let denom = v.sqrt() / self.bc2_sqrt + self.eps;
            *p -= self.step_size * *m / denom;
        }
    }
}

impl Model {
    /// The L2 norm of the gradients of all trainable parameters.
    pub fn grad_norm(&self) -> f32 {
        let p = self.params();
        let sq: f64 = p
            .specs()
            .iter()
            .filter(|s| s.trainable)
            .flat_map(|s| &p.grad[s.offset..s.offset + s.len])
            .map(|&g| f64::from(g) * f64::from(g))
            .sum();
        sq.sqrt() as f32
    }

    /// Scales the gradients so their norm is at most `max_norm` (PyTorch's
    /// `clip_grad_norm_`: factor `max_norm / (norm + 1e-6)` when below 1); returns the norm
    /// before clipping.
    pub fn clip_grad_norm(&mut self, max_norm: f32) -> f32 {
        let norm = self.grad_norm();
        let coef = max_norm / (norm + 1e-6);
        if coef < 1.0 {
            let p = self.params_mut();
            for (o, len) in p.trainable_ranges() {
                p.grad[o..o + len].iter_mut().for_each(|g| *g *= coef);
            }
        }
        norm
    }
}
