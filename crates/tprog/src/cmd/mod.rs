//! One module per subcommand, and the output helpers they share.

pub mod baseline;
pub mod data;
pub mod eval;
pub mod export;
pub mod import;
pub mod nlp;
pub mod output;
pub mod progress;
pub mod run;
pub mod tables;
pub mod tasks;
pub mod train;
pub mod verify;
