//! One module per subcommand, and the output helpers they share.

pub mod data;
pub mod eval;
pub mod export;
pub mod import;
pub mod output;
pub mod progress;
pub mod run;
pub mod simplify;
pub mod tables;
pub mod tasks;
pub mod train;
pub mod verify;
