//! Training Transformer Programs: the temperature schedule, the explicit training loop,
//! evaluation of the discrete model, run directories and checkpoints.

pub mod checkpoint;
pub mod config;
pub mod data;
pub mod entity;
mod error;
pub mod eval;
pub mod import;
pub mod presets;
pub mod rundir;
pub mod schedule;
pub mod session;
pub mod trainer;

pub use config::{DataShape, RunConfig, TaskSource, TrainConfig, TrainSampler};
pub use error::TrainError;
pub use eval::Accuracy;
pub use presets::{Preset, Resolved, Shape};
pub use rundir::RunDir;
pub use schedule::{TauSchedule, Temperatures};
pub use trainer::{EpochRecord, Observer, Outcome, Silent, Splits, train};
