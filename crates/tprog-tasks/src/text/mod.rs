//! Natural-language data: loaders for the formats users have (CoNLL columns, TREC labels, one
//! sentence a line, CSV), encodings, a Treebank word tokenizer and the reference's
//! preprocessing of CoNLL-2003 NER and text classification (spec §10.2–10.3).

pub mod conll;
pub mod csv;
pub mod encoding;
pub mod labelled;
pub mod tokenize;
