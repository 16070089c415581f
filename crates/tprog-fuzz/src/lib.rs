//! Seeded-mutation fuzzing of everything tprog reads from a file, on a stable toolchain.
//!
//! | target | what is loaded |
//! |---|---|
//! | `program` | `Program` JSON → validate → compile → run on valid tokens, trace, Python, JSON round trip |
//! | `jsonl` | `.jsonl` / `.jsonl.gz` datasets with random length limits and policies |
//! | `rundir` | `model.safetensors`, `checkpoint.safetensors` (with its loop state), `config.json` (→ validate → build the model), `state.json` |
//! | `pt` | the reference's zip + pickle checkpoints (the fixture `tests/fixtures/reference/trained_sort_readme.model.pt`) |
//!
//! Each target ([`targets`]) builds valid inputs, draws the case of a seed from the seed alone
//! ([`rng::Rng`]; byte-level mutations in [`mutate`], format-aware ones in the target), loads it
//! the way tprog does and checks the loader's promises. The one loop ([`driver::run`]) runs a
//! target over consecutive seeds inside `catch_unwind`, counts executions, loaded inputs,
//! refusals and panics, and saves each panicking input to
//! `$TMPDIR/fuzz_<target>_crash_<seed>.bin` (rebuild it with `target.case(seed)`).
//!
//! How to run:
//!
//! ```text
//! cargo test -p tprog-fuzz                      # a fixed seed range per target (CI)
//! cargo run --release -p tprog-fuzz -- --target all --seconds 600 [--seed S]
//! scripts/fuzz.sh 600                           # every target, release with overflow checks
//! ```

pub mod driver;
pub mod mutate;
pub mod rng;
pub mod targets;

use std::path::PathBuf;

pub use driver::{Limits, Outcome, Panic, Summary, Target, run};
pub use rng::Rng;

/// Why a target could not be set up (its valid inputs could not be built).
#[derive(Debug, thiserror::Error)]
pub enum FuzzError {
    /// A fixture could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A fixture is not a zip archive we can take apart.
    #[error("cannot unzip {}: {source}", path.display())]
    Zip {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: zip::result::ZipError,
    },
    /// An unmutated input is refused by its loader: the target would test nothing.
    #[error("the unmutated {what} does not load: {message}")]
    SeedRefused {
        /// The input.
        what: String,
        /// The loader's error.
        message: String,
    },
    /// A seed file could not be written or read back as JSON.
    #[error("JSON of {what}: {source}")]
    Json {
        /// What was (de)serialised.
        what: &'static str,
        /// The cause.
        source: serde_json::Error,
    },
    /// The run whose files seed the `rundir` target could not be built.
    #[error(transparent)]
    Train(#[from] tprog_train::TrainError),
}
