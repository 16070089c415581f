//! Adam (the program model's [`tprog_model::Adam`], dense over every parameter as
//! `torch.optim.Adam` does with dense gradients: rows of tokens absent from a batch still decay
//! their moments and move) and gradient-norm clipping as `clip_grad_norm_` does it.

use rayon::prelude::*;
use tprog_model::Adam;

use super::model::StandardTransformer;

/// Elements per parallel Adam task.
const BLOCK: usize = 1 << 14;

impl StandardTransformer {
    /// One Adam update of every parameter from its gradient (step `t + 1`; `t` is advanced),
    /// the program model's update rule ([`tprog_model::AdamUpdate::apply`]).
    pub fn adam_step(&mut self, adam: &mut Adam) {
        let update = adam.next_update();
        let p = &mut self.params;
        p.value
            .par_chunks_mut(BLOCK)
            .zip(p.grad.par_chunks(BLOCK))
            .zip(p.adam_m.par_chunks_mut(BLOCK))
            .zip(p.adam_v.par_chunks_mut(BLOCK))
            .for_each(|(((value, grad), m), v)| update.apply(value, grad, m, v));
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
