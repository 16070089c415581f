//! One module per subcommand.

pub mod data;
pub mod eval;
pub mod export;
pub mod import;
pub mod learn;
pub mod program;
pub mod progress;
pub mod run;
pub mod tasks;
pub mod train;
pub mod verify;
