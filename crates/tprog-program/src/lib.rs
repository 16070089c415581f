//! The Transformer Program IR: named variables, `select`/`aggregate` heads, MLP lookup tables
//! and a linear classifier; validation, an interpreter (batched, with trace), exhaustive
//! verification, and emitters (JSON, Python).
//!
//! The semantics are the discretized model's (docs/model.md §4–§7), so a program decompiled from
//! a model computes exactly what the model computes, logits included.
//!
//! ```
//! use tprog_program::random::{random_program, RandomSpec};
//! use tprog_program::{Interpreter, Program};
//!
//! let program = random_program(&RandomSpec::sort_sized(), 7);
//! let reloaded = Program::from_json_str(&program.to_json()).unwrap();
//! assert_eq!(program, reloaded);
//! let tokens: Vec<String> = ["<s>", "t3", "t1", "t4"].iter().map(|t| t.to_string()).collect();
//! let labels = Interpreter::new(&program).unwrap().run(&tokens).unwrap();
//! assert_eq!(labels.len(), 4);
//! assert!(labels.iter().all(|label| label != "<pad>"));
//! ```

mod attention;
mod compile;
mod error;
pub mod explain;
pub mod graph;
mod interpret;
mod ir;
mod labels;
mod python;
#[cfg(feature = "testing")]
pub mod random;
pub mod simplify;
mod text;
mod trace;
mod validate;
mod verify;

pub use attention::{position_bias, select_closest};
pub use compile::Interpreter;
pub use error::{Problem, Problems, ProgramError};
pub use interpret::{Output, Scratch};
pub use ir::{
    CatHead, Classifier, FORMAT_VERSION, Feature, InputSource, InputVariable, MlpTable, Module,
    NumHead, NumMlpInput, NumMlpTable, Predicate, Program, Provenance, Run, TextInput,
    VariableKind,
};
pub use labels::{Label, Labelling};
pub use python::{module_python_lines, own_python_lines, to_python};
pub use trace::{HeadTrace, Selection, Trace, TracedVariable};
pub use validate::MAX_TABLE_CELLS;
pub use verify::{Counterexample, VerifyReport, verify};
