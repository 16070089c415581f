//! Adam (PyTorch's update rule, dense over every parameter as `torch.optim.Adam` does with
//! dense gradients: rows of tokens absent from a batch still decay their moments and move) and
//! gradient-norm clipping as `clip_grad_norm_` does it.

use rayon::prelude::*;

use super::model::StandardTransformer;

/// Adam's hyper-parameters and step count (the reference's: betas 0.9/0.999, eps 1e-8,
/// constant learning rate, no weight decay).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamSettings {
    /// Learning rate.
    pub lr: f32,
    /// First-moment decay.
    pub beta1: f32,
    /// Second-moment decay.
    pub beta2: f32,
    /// Denominator epsilon.
    pub eps: f32,
    /// Steps taken before this one.
    pub t: u64,
}

impl AdamSettings {
    /// The reference's settings with learning rate `lr`, before the first step.
    pub fn new(lr: f32) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            t: 0,
        }
    }
}

/// Elements per parallel Adam task.
const BLOCK: usize = 1 << 14;

impl StandardTransformer {
    /// One Adam update of every parameter from its gradient (step `t + 1`; `t` is advanced):
    /// `m ← β1 m + (1−β1) g`, `v ← β2 v + (1−β2) g²`,
    /// `p ← p − lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + eps)`.
    pub fn adam_step(&mut self, adam: &mut AdamSettings) {
        adam.t += 1;
        let t = adam.t.min(i32::MAX as u64) as i32;
        let bc1 = 1.0 - f64::from(adam.beta1).powi(t);
        let bc2 = 1.0 - f64::from(adam.beta2).powi(t);
        let step_size = (f64::from(adam.lr) / bc1) as f32;
        let bc2_sqrt = bc2.sqrt() as f32;
        let (b1, b2, eps) = (adam.beta1, adam.beta2, adam.eps);
        let p = &mut self.params;
        p.value
            .par_chunks_mut(BLOCK)
            .zip(p.grad.par_chunks(BLOCK))
            .zip(p.adam_m.par_chunks_mut(BLOCK))
            .zip(p.adam_v.par_chunks_mut(BLOCK))
            .for_each(|(((value, grad), m), v)| {
                for i in 0..value.len() {
                    let g = grad[i];
                    m[i] = b1 * m[i] + (1.0 - b1) * g;
                    v[i] = b2 * v[i] + (1.0 - b2) * g * g;
                    let denom = v[i].sqrt() / bc2_sqrt + eps;
                    value[i] -= step_size * m[i] / denom;
                }
            });
    }

    /// The L2 norm of all gradients.
    pub fn grad_norm(&self) -> f32 {
        let sq: f64 = self
            .params
            .grad
            .iter()
            .map(|&g| f64::from(g) * f64::from(g))
            .sum();
        sq.sqrt() as f32
    }

    /// Scales the gradients so their norm is at most `max_norm` (factor
    /// `max_norm / (norm + 1e-6)` when below 1, as PyTorch's `clip_grad_norm_`); returns the
    /// norm before clipping.
    pub fn clip_grad_norm(&mut self, max_norm: f32) -> f32 {
        let norm = self.grad_norm();
        let coef = max_norm / (norm + 1e-6);
        if coef < 1.0 {
            self.params.grad.iter_mut().for_each(|g| *g *= coef);
        }
        norm
    }
}
