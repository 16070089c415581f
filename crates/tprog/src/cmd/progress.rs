//! Training progress on standard error: a progress bar on a terminal; plain lines elsewhere
//! (nohup, a batch scheduler, CI), where a bar would show nothing for minutes.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tprog_train::{EpochRecord, Observer};

/// Plain lines are printed at most this often (and at every epoch's end when epochs are slower).
const PLAIN_EVERY: Duration = Duration::from_secs(30);

/// Progress callbacks for `tprog train`.
pub struct ProgressObserver {
    mode: Mode,
    n_epochs: usize,
    last_val: Option<f64>,
    last_line: Instant,
}

enum Mode {
    Quiet,
    Bar(ProgressBar),
    Plain,
}

impl ProgressObserver {
    /// A bar when standard error is a terminal, plain lines otherwise, nothing when quiet.
    pub fn new(quiet: bool) -> Self {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} steps, ETA {eta} · {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            Mode::Bar(bar)
        } else {
            Mode::Plain
        };
        Self {
            mode,
            n_epochs: 0,
            last_val: None,
            last_line: Instant::now(),
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Mode::Bar(bar) = &self.mode {
            bar.finish_and_clear();
        }
    }

    fn val(&self) -> String {
        self.last_val
            .map_or_else(|| "–".to_owned(), |v| format!("{:.2}%", 100.0 * v))
    }
}

impl Observer for ProgressObserver {
    fn on_start(&mut self, n_epochs: usize, steps_per_epoch: usize, first_epoch: usize) {
        self.n_epochs = n_epochs;
        if let Mode::Bar(bar) = &self.mode {
            bar.set_length((n_epochs * steps_per_epoch) as u64);
            bar.set_position((first_epoch * steps_per_epoch) as u64);
        }
    }

    fn on_step(&mut self, epoch: usize, step: usize, steps_per_epoch: usize, loss: f32, tau: f64) {
        // A model without a temperature (the standard Transformer) reports τ = 0: not shown.
        let message = if tau > 0.0 {
            format!(
                "epoch {}/{} step {}/{steps_per_epoch} loss {loss:.4} τ {tau:.3} val(discrete) {}",
                epoch + 1,
                self.n_epochs,
                step + 1,
                self.val()
            )
        } else {
            format!(
                "epoch {}/{} step {}/{steps_per_epoch} loss {loss:.4} val {}",
                epoch + 1,
                self.n_epochs,
                step + 1,
                self.val()
            )
        };
        match &self.mode {
            Mode::Quiet => {}
            Mode::Bar(bar) => {
                bar.set_position((epoch * steps_per_epoch + step + 1) as u64);
                bar.set_message(message);
            }
            Mode::Plain => {
                if self.last_line.elapsed() >= PLAIN_EVERY {
                    note!("{message}");
                    self.last_line = Instant::now();
                }
            }
        }
    }

    fn on_epoch(&mut self, record: &EpochRecord) {
        self.last_val = Some(record.val_acc);
        let (temperature, discrete) = if record.tau > 0.0 {
            (format!("  τ {:.4}", record.tau), " (discrete)")
        } else {
            (String::new(), "")
        };
        let line = format!(
            "epoch {:>4}/{}  loss {:.4}{temperature}  val acc{discrete} {:6.2}%{}  {:.2}s",
            record.epoch,
            self.n_epochs,
            record.loss,
            100.0 * record.val_acc,
            if record.best { " *" } else { "  " },
            record.seconds
        );
        match &self.mode {
            Mode::Quiet => {}
            Mode::Bar(bar) => {
                let every = (self.n_epochs / 10).max(1);
                if record.epoch % every == 0 || record.epoch == self.n_epochs {
                    bar.println(line);
                }
            }
            Mode::Plain => {
                let last = record.epoch == self.n_epochs || record.epoch == 1;
                if last || self.last_line.elapsed() >= PLAIN_EVERY || record.seconds >= 5.0 {
                    note!("{line}");
                    self.last_line = Instant::now();
                }
            }
        }
    }
}
