//! The baselines Transformer Programs are compared against: the standard Transformer of the
//! paper's comparison (module `standard`) and the count baselines of the NLP tables (module
//! `counts`: the unigram tagger and multinomial naive Bayes).

pub mod counts;
pub mod standard;
