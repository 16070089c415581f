//! Natural-language data: loaders for the formats users have (CoNLL columns, TREC labels, one
//! sentence a line, CSV), encodings, a Treebank word tokenizer and the reference's
//! preprocessing of CoNLL-2003 NER and text classification (spec §10.2–10.3).
//!
//! [`load_nlp`] reads one of the paper's [`NlpTask`]s from a data directory (the task's folder,
//! e.g. `conll2003/train.txt`, or the file directly in the directory) and returns a
//! [`Dataset`](crate::Dataset) like the synthetic tasks': `<s> words </s>` examples, a
//! 10,002-token input vocabulary, labels per token (NER) or at position 0 (classification).

pub mod conll;
pub mod csv;
pub mod encoding;
pub mod labelled;
pub mod prepare;
mod task;
pub mod tokenize;

pub use encoding::Encoding;
pub use prepare::{NlpOptions, SplitCounts, SplitStats, split_stats};
pub use task::{NlpData, NlpTask, load_nlp};
