//! One module per subcommand, and the output helpers they share.

pub mod analyze;
pub mod baseline;
pub mod data;
pub mod errors;
pub mod eval;
pub mod explain;
pub mod export;
pub mod graph;
pub mod import;
pub mod nlp;
pub mod output;
pub mod plot;
pub mod progress;
pub mod run;
pub mod simplify;
pub mod sweep;
pub mod sweep_results;
pub mod tables;
pub mod tasks;
pub mod train;
pub mod verify;
