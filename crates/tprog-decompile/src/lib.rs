//! Decompiling a discrete Transformer Program into a program (`tprog_program::Program`) that
//! provably computes the same thing, and checking that it does.
//!
//! [`decompile`] runs the passes in order: names of the stream's variables, inputs, then per
//! layer the attention heads (discrete reads and predicate tables) and the MLPs (evaluated on
//! every input they can receive), then the classifier. [`verify`] runs the discrete model and
//! the program side by side on examples and compares every real position;
//! [`verify_exhaustive`] scores a program on every input of a task.
//!
//! ```
//! use tprog_decompile::{Examples, Vocabularies, decompile, verify};
//! use tprog_model::ModelConfig;
//!
//! let vocab = Vocabularies {
//!     input: ["<pad>", "0", "1", "2", "3", "4", "</s>", "<s>"].map(String::from).to_vec(),
//!     output: ["<pad>", "0", "1", "2", "3", "4"].map(String::from).to_vec(),
//!     name: "sort".into(),
//!     text: None,
//! };
//! let mut model = ModelConfig::readme_sort(8, 8, 6).init(0)?;
//! let program = decompile(&model, &vocab)?;
//! let tokens = vec![7, 3, 1, 2, 6, 0, 0, 0]; // <s> 2 0 1 </s> <pad> <pad> <pad>
//! let agreement = verify(&mut model, &program, &Examples::unlabelled(&tokens, 8))?;
//! assert_eq!((agreement.positions, agreement.positions_agreeing), (5, 5));
//! # Ok::<(), tprog_decompile::DecompileError>(())
//! ```

mod classifier;
mod decompile;
mod error;
mod heads;
mod inputs;
mod mlps;
mod stream;
mod verify;

pub use decompile::{Vocabularies, decompile};
pub use error::DecompileError;
pub use verify::{Agreement, Disagreement, Examples, verify, verify_exhaustive};
