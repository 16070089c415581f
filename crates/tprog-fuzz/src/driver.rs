//! The one fuzzing loop: runs a [`Target`] over consecutive seeds until a deadline, each case
//! inside `catch_unwind`, counting executions, loaded inputs, refusals (by kind) and panics, and
//! saving every panicking input to `$TMPDIR/fuzz_<target>_crash_<seed>.bin`.
//!
//! While a case runs, the panic hook records the message and location instead of printing
//! them; outside a case (a failing test's own assertion) the previous hook runs as usual.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Once;
use std::time::{Duration, Instant};

/// What a target did with one input (a panic is caught by the driver, not returned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It loaded, and was then exercised further.
    Loaded,
    /// It was refused with a clean error of this kind (an error variant's name, or a file).
    Refused(&'static str),
}

/// A fuzz target: how to build the case of a seed and how to load it.
pub trait Target {
    /// One input (its bytes plus whatever else the loader is given).
    type Case;

    /// The target's name (`program`, `jsonl`, `rundir`, `pt`).
    fn name(&self) -> &'static str;

    /// The case of `seed`, drawn from the seed alone.
    fn case(&self, seed: u64) -> Self::Case;

    /// The bytes to save when the case panics.
    fn bytes<'a>(&self, case: &'a Self::Case) -> &'a [u8];

    /// A one-line description of the case for a panic report (its mutations, its file…).
    fn describe(&self, _case: &Self::Case) -> String {
        String::new()
    }

    /// Loads the case the way tprog does and checks the loader's promises; a broken promise
    /// is a panic.
    fn execute(&self, seed: u64, case: &Self::Case) -> Outcome;
}

/// One panicking case.
#[derive(Debug, Clone)]
pub struct Panic {
    /// Its seed (the case is `target.case(seed)`).
    pub seed: u64,
    /// The panic's message and location.
    pub message: String,
    /// The target's description of the case.
    pub description: String,
    /// Where its input was saved, if that worked.
    pub saved: Option<PathBuf>,
}

/// What a fuzzing session found.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// Cases run.
    pub executions: u64,
    /// Cases that loaded.
    pub loaded: u64,
    /// Clean refusals by kind.
    pub refused: BTreeMap<&'static str, u64>,
    /// Cases that panicked.
    pub panics: Vec<Panic>,
    /// Time spent.
    pub elapsed: Duration,
}

/// When to stop, and how often to print progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Stop at this instant, even if seeds remain.
    pub deadline: Option<Instant>,
    /// Print a progress line to stderr this often.
    pub report_every: Option<Duration>,
}

thread_local! {
    /// True while this thread runs a case.
    static IN_CASE: Cell<bool> = const { Cell::new(false) };
    /// The last panic of a case on this thread: message and location.
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Installs (once per process) the hook that records a case's panic instead of printing it.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_CASE.with(Cell::get) {
                previous(info);
                return;
            }
            let location = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let message = payload_text(info.payload());
            LAST_PANIC.with(|last| *last.borrow_mut() = format!("{message}{location}"));
        }));
    });
}

/// The text of a panic payload (`&str` or `String`), or an empty string.
fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Writes a panicking input to `$TMPDIR/fuzz_<name>_crash_<seed>.bin`.
fn save(name: &str, seed: u64, bytes: &[u8]) -> Option<PathBuf> {
    let path = std::env::temp_dir().join(format!("fuzz_{name}_crash_{seed}.bin"));
    std::fs::write(&path, bytes).ok().map(|()| path)
}

/// Runs `target` on the cases of `seeds` until they run out or the deadline passes.
pub fn run<T: Target>(target: &T, seeds: impl Iterator<Item = u64>, limits: Limits) -> Summary {
    install_hook();
    let start = Instant::now();
    let mut next_report = limits.report_every.map(|every| start + every);
    let mut summary = Summary::default();
    for seed in seeds {
        let now = Instant::now();
        if limits.deadline.is_some_and(|d| now >= d) {
            break;
        }
        if let (Some(at), Some(every)) = (next_report, limits.report_every)
            && now >= at
        {
            eprintln!(
                "{}: {:.0} s, {} executions ({} loaded), {} panics",
                target.name(),
                start.elapsed().as_secs_f64(),
                summary.executions,
                summary.loaded,
                summary.panics.len()
            );
            next_report = Some(at + every);
        }
        let case = target.case(seed);
        summary.executions += 1;
        IN_CASE.with(|c| c.set(true));
        let outcome = catch_unwind(AssertUnwindSafe(|| target.execute(seed, &case)));
        IN_CASE.with(|c| c.set(false));
        match outcome {
            Ok(Outcome::Loaded) => summary.loaded += 1,
            Ok(Outcome::Refused(kind)) => *summary.refused.entry(kind).or_default() += 1,
            Err(payload) => {
                let recorded = LAST_PANIC.with(|last| std::mem::take(&mut *last.borrow_mut()));
                let message = if recorded.is_empty() {
                    payload_text(payload.as_ref())
                } else {
                    recorded
                };
                summary.panics.push(Panic {
                    seed,
                    message,
                    description: target.describe(&case),
                    saved: save(target.name(), seed, target.bytes(&case)),
                });
            }
        }
    }
    summary.elapsed = start.elapsed();
    summary
}
