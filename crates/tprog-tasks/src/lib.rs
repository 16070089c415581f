//! Tasks for tprog: vocabularies, the paper's synthetic task generators (one file a task, each
//! reproducing the reference's random draws), JSONL loaders for user data, the reference's
//! seeded 81/9/10 split, and the paper's NLP data sets ([`text`]: CoNLL, TREC, MR, Subj and AG
//! News loaders, a Treebank word tokenizer and the reference's preprocessing).
//!
//! A [`Task`] is a [`TaskName`] with validated [`TaskParams`] (defaults = the paper's settings).
//! It labels any input sequence ([`Task::label`]), enumerates every input its generator can
//! produce ([`Task::support`], for exhaustive verification) and generates a [`Dataset`]
//! ([`Task::generate`]) whose splits encode into padded index matrices ([`Dataset::encode`]).
//!
//! ```
//! use tprog_tasks::{Split, Task, TaskName, TaskParams};
//!
//! let params = TaskParams { dataset_size: 300, ..TaskName::Sort.default_params() };
//! let task = Task::new(TaskName::Sort, params)?;
//! let dataset = task.generate()?;
//! assert_eq!((dataset.train.len(), dataset.val.len(), dataset.test.len()), (243, 27, 30));
//! assert_eq!(dataset.input_vocab.tokens(), ["<pad>", "0", "1", "2", "3", "4", "</s>", "<s>"]);
//!
//! let train = dataset.encode(Split::Train)?; // tokens and labels: [n, n_ctx]
//! assert_eq!((train.n, train.n_ctx), (243, 8));
//! let first = &dataset.train[0];
//! assert_eq!(dataset.input_vocab.decode(&train.tokens_row(0)[..first.tokens.len()])?, first.tokens);
//! assert_eq!(task.label(&first.tokens)?, first.labels);
//! # Ok::<(), tprog_tasks::TaskError>(())
//! ```

mod dataset;
pub mod entity;
mod error;
mod generate;
pub mod jsonl;
pub mod normal;
mod params;
pub mod rng;
pub mod split;
mod support;
mod task;
pub mod tasks;
pub mod text;
mod vocab;

pub use dataset::{Dataset, EncodedSplit, Example, Split, encode_examples};
pub use error::TaskError;
pub use params::{MAX_DATASET_SIZE, MAX_LENGTH, TaskParams};
pub use support::{SUPPORT_LIMIT, Support};
pub use task::{Task, TaskName};
pub use vocab::{BOS, EOS, PAD, SEP, UNK, Vocab};
