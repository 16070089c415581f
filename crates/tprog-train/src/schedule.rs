//! The temperature schedule: τ annealed per optimiser step, like the reference (docs/model.md §3).
//!
//! Per-epoch anchors are `geomspace(tau_init, tau_end, n_epochs)` (or `linspace`); within epoch `e`
//! the step temperatures interpolate from anchor `e` to anchor `e + 1` over the epoch's batches, and
//! the last epoch runs every step at `tau_end`.

use serde::{Deserialize, Serialize};

/// How the per-epoch anchors are spaced between `tau_init` and `tau_end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TauSchedule {
    /// Geometric spacing (the reference's default and every script's setting).
    #[default]
    Geomspace,
    /// Linear spacing.
    Linspace,
}

/// Value `i` of `n` evenly spaced values from `start` to `end` inclusive, geometric or linear
/// (numpy's `geomspace` / `linspace`).
fn spaced_at(start: f64, end: f64, n: usize, i: usize, kind: TauSchedule) -> f64 {
    if n <= 1 {
        return start;
    }
    let t = i as f64 / (n - 1) as f64;
    let value = match kind {
        TauSchedule::Geomspace => (start.ln() + t * (end.ln() - start.ln())).exp(),
        TauSchedule::Linspace => start + t * (end - start),
    };
    value.clamp(start.min(end), start.max(end))
}

/// Evenly spaced values from `start` to `end` inclusive (`n` of them), geometric or linear.
pub fn spaced(start: f64, end: f64, n: usize, kind: TauSchedule) -> Vec<f64> {
    (0..n).map(|i| spaced_at(start, end, n, i, kind)).collect()
}

/// The temperature of every optimiser step of a run, computed on demand (nothing is
/// allocated per epoch, so the number of epochs costs no memory).
#[derive(Debug, Clone)]
pub struct Temperatures {
    tau_init: f64,
    n_anchors: usize,
    steps_per_epoch: usize,
    kind: TauSchedule,
    tau_end: f64,
}

impl Temperatures {
    /// The schedule for `n_epochs` epochs of `steps_per_epoch` optimiser steps each: τ anneals
    /// over the `n_epochs` epochs. Epochs past the schedule (a run extended on resume) run at
    /// `tau_end`.
    pub fn new(
        tau_init: f64,
        tau_end: f64,
        n_epochs: usize,
        steps_per_epoch: usize,
        kind: TauSchedule,
    ) -> Self {
        Self {
            tau_init,
            n_anchors: n_epochs,
            steps_per_epoch,
            kind,
            tau_end,
        }
    }

    fn anchor(&self, epoch: usize) -> f64 {
        spaced_at(
            self.tau_init,
            self.tau_end,
            self.n_anchors,
            epoch,
            self.kind,
        )
    }

    /// τ at step `step` (0-based, within the epoch) of epoch `epoch` (0-based).
    pub fn at(&self, epoch: usize, step: usize) -> f64 {
        if epoch.saturating_add(1) >= self.n_anchors {
            return self.tau_end;
        }
        let (from, to) = (self.anchor(epoch), self.anchor(epoch + 1));
        let n = self.steps_per_epoch.max(1);
        if n == 1 {
            return from;
        }
        let t = step.min(n - 1) as f64 / (n - 1) as f64;
        match self.kind {
            TauSchedule::Geomspace => (from.ln() + t * (to.ln() - from.ln())).exp(),
            TauSchedule::Linspace => from + t * (to - from),
        }
    }

    /// The temperature the model is left at after training (`tau_end`).
    pub fn tau_end(&self) -> f64 {
        self.tau_end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geomspace_matches_numpy() {
        // np.geomspace(3.0, 0.01, 5) = [3., 0.72083, 0.17321, 0.04162, 0.01]
        let v = spaced(3.0, 0.01, 5, TauSchedule::Geomspace);
        let expected = [3.0, 0.720_843_424_3, 0.173_205_080_8, 0.041_617_914_7, 0.01];
        for (a, b) in v.iter().zip(expected) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }

    #[test]
    fn steps_interpolate_between_anchors_and_last_epoch_is_tau_end() {
        let temps = Temperatures::new(3.0, 0.01, 4, 3, TauSchedule::Geomspace);
        let anchors = spaced(3.0, 0.01, 4, TauSchedule::Geomspace);
        assert!((temps.at(0, 0) - 3.0).abs() < 1e-12);
        // The last step of epoch e and the first of e + 1 share anchor e + 1.
        assert!((temps.at(0, 2) - anchors[1]).abs() < 1e-12);
        assert!((temps.at(1, 0) - anchors[1]).abs() < 1e-12);
        // Middle step: geometric mean of the two anchors.
        let mid = (anchors[1] * anchors[2]).sqrt();
        assert!((temps.at(1, 1) - mid).abs() < 1e-12);
        for step in 0..3 {
            assert_eq!(temps.at(3, step), 0.01);
        }
        // Monotone decreasing over the run.
        let mut last = f64::INFINITY;
        for epoch in 0..4 {
            for step in 0..3 {
                let tau = temps.at(epoch, step);
                assert!(tau <= last + 1e-15);
                last = tau;
            }
        }
    }

    #[test]
    fn linspace_and_degenerate_sizes() {
        assert_eq!(
            spaced(1.0, 0.0, 3, TauSchedule::Linspace),
            vec![1.0, 0.5, 0.0]
        );
        assert!(spaced(1.0, 0.5, 0, TauSchedule::Geomspace).is_empty());
        let one = Temperatures::new(3.0, 0.01, 1, 10, TauSchedule::Geomspace);
        assert_eq!(one.at(0, 5), 0.01);
        // Epochs past the schedule (an extended run) stay at tau_end; huge schedules cost nothing.
        let huge = Temperatures::new(3.0, 0.01, usize::MAX, 10, TauSchedule::Geomspace);
        assert!((huge.at(0, 0) - 3.0).abs() < 1e-12);
        assert_eq!(huge.at(usize::MAX - 1, 0), 0.01);
        assert_eq!(one.at(7, 0), 0.01);
    }
}
