//! Training Transformer Programs: the temperature schedule, the explicit training loop,
//! evaluation of the discrete model, run directories and checkpoints.

mod error;
pub mod rundir;
pub mod schedule;

pub use error::TrainError;
pub use rundir::RunDir;
pub use schedule::{TauSchedule, Temperatures};
