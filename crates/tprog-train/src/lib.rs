//! Training Transformer Programs (and the standard Transformer baseline, through the same
//! loop): the temperature schedule, the explicit training loop, evaluation of the discrete
//! model, run directories and checkpoints.

pub mod checkpoint;
pub mod config;
pub mod data;
/// Entity-level scores (they live with the labels, in `tprog-tasks`; the count baselines use them too).
pub use tprog_tasks::entity;
mod error;
pub mod eval;
pub mod glove;
pub mod import;
pub mod presets;
pub mod rundir;
pub mod schedule;
pub mod session;
pub mod trainable;
pub mod trainer;

pub use config::{DataShape, RunConfig, TaskSource, TrainConfig, TrainSampler};
pub use error::TrainError;
pub use eval::Accuracy;
pub use presets::{Architecture, Preset, Resolved, Shape};
pub use rundir::RunDir;
pub use schedule::{TauSchedule, Temperatures};
pub use trainable::{Predictor, Trainable};
pub use trainer::{EpochRecord, Observer, Outcome, Silent, Splits, train};
