//! Sweeps of tprog runs: a TOML file names a preset, tasks, a grid over training and model
//! parameters and seeds ([`Sweep`]); each run is a `tprog train` process with its own run
//! directory under one sweep directory. The runs go on this machine, N at a time
//! ([`local::run_local`]), or to a Slurm cluster as one array job ([`slurm`]); restarting a
//! sweep skips finished runs and resumes interrupted ones ([`state`]). [`status::status`] says
//! where every run stands; [`collect::collect`] reads every `summary.json` into one table with
//! the best seed of each configuration, and [`grid_plot::draw`] draws it.
//!
//! ```
//! use std::path::Path;
//! use tprog_sweep::Sweep;
//!
//! let sweep = Sweep::parse(
//!     r#"
//!     name = "layers"
//!     preset = "tiny"
//!     tasks = ["sort"]
//!     seeds = [0, 1]
//!     [grid]
//!     n_layers = [1, 2]
//!     "#,
//!     Path::new("layers.toml"),
//! )?;
//! assert_eq!(sweep.runs.len(), 4);
//! assert_eq!(sweep.runs[1].dir, "sort/n_layers=2/seed0");
//! # Ok::<(), tprog_sweep::SweepError>(())
//! ```

pub mod collect;
mod error;
pub mod flags;
pub mod grid_plot;
mod layout;
pub mod local;
pub mod lock;
pub mod manifest;
pub mod result;
pub mod slurm;
mod spec;
pub mod state;
pub mod status;

pub use error::SweepError;
pub use spec::{DEFAULT_LAYOUT, MAX_RUNS, RunSpec, SlurmSettings, Sweep};
