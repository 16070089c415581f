//! A progress bar for training: epoch, step, loss, τ, discrete validation accuracy, ETA.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tprog_train::{EpochRecord, Observer};

/// Draws training progress on stderr (nothing when quiet or not a terminal).
pub struct ProgressBarObserver {
    bar: ProgressBar,
    n_epochs: usize,
    last_val: Option<f64>,
    quiet: bool,
}

impl ProgressBarObserver {
    /// A bar over `n_epochs` epochs.
    pub fn new(n_epochs: usize, quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden())
        } else {
            ProgressBar::new(0)
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} steps, ETA {eta} · {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self {
            bar,
            n_epochs,
            last_val: None,
            quiet,
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for ProgressBarObserver {
    fn on_step(&mut self, epoch: usize, step: usize, steps_per_epoch: usize, loss: f32, tau: f64) {
        if self.bar.length() == Some(0) {
            self.bar
                .set_length((self.n_epochs * steps_per_epoch) as u64);
        }
        self.bar
            .set_position((epoch * steps_per_epoch + step + 1) as u64);
        let val = self
            .last_val
            .map_or_else(|| "–".to_owned(), |v| format!("{:.2}%", 100.0 * v));
        self.bar.set_message(format!(
            "epoch {}/{} loss {loss:.4} τ {tau:.3} val(discrete) {val}",
            epoch + 1,
            self.n_epochs
        ));
    }

    fn on_epoch(&mut self, record: &EpochRecord) {
        self.last_val = Some(record.val_acc);
        if self.quiet {
            return;
        }
        let every = (self.n_epochs / 10).max(1);
        if record.epoch % every == 0 || record.epoch == self.n_epochs {
            self.bar.println(format!(
                "epoch {:>4}  loss {:.4}  τ {:.4}  val acc (discrete) {:6.2}%{}  {:.2}s",
                record.epoch,
                record.loss,
                record.tau,
                100.0 * record.val_acc,
                if record.best { " *" } else { "  " },
                record.seconds
            ));
        }
    }
}
