//! One module per subcommand.

pub mod data;
pub mod run;
pub mod tasks;
