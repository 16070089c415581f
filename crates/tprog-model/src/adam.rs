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

    /// One update of every trainable parameter from its gradient (frozen tensors untouched):
    /// `m ← β1 m + (1−β1) g`, `v ← β2 v + (1−β2) g²`,
    /// `p ← p − lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + eps)`.
    pub fn step(&mut self, model: &mut Model) {
        self.t += 1;
        let t = self.t as i32;
        let bc1 = 1.0 - f64::from(self.beta1).powi(t);
        let bc2 = 1.0 - f64::from(self.beta2).powi(t);
        let step_size = (f64::from(self.lr) / bc1) as f32;
        let bc2_sqrt = bc2.sqrt() as f32;
        let (b1, b2, eps) = (self.beta1, self.beta2, self.eps);
        // Element-wise, so slices of every trainable tensor update in parallel with the same
        // result at any thread count.
        let slices = model.params_mut().trainable_slices(ADAM_SLICE);
        slices.into_par_iter().for_each(|t| {
            for (((p, m), v), &g) in t.value.iter_mut().zip(t.m).zip(t.v).zip(t.grad) {
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * g * g;
                let denom = v.sqrt() / bc2_sqrt + eps;
                *p -= step_size * *m / denom;
            }
        });
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
