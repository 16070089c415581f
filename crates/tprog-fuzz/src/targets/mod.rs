//! The fuzz targets, one file each: how its valid inputs are built, how they are mutated
//! (format-aware mutations live here, byte-level ones in [`crate::mutate`]), how they are
//! loaded and what the loader promises.

pub mod jsonl;
pub mod program;
pub mod pt;
pub mod rundir;

pub use jsonl::JsonlTarget;
pub use program::ProgramTarget;
pub use pt::PtTarget;
pub use rundir::RundirTarget;
