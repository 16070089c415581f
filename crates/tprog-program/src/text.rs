//! Sentences given as words: the program's [`TextInput`] rules turn them into input tokens
//! (as the training data were prepared), and the labels come back one per word, or one per
//! sentence for a sequence classifier.

use std::sync::LazyLock;

use regex::Regex;

use crate::compile::Interpreter;
use crate::error::ProgramError;
use crate::ir::{Program, TextInput};

impl TextInput {
    /// `word` as the training data hold it: lower-cased, then digit runs replaced, as set.
    pub fn normalise(&self, word: &str) -> String {
        static DIGITS: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"\d+").expect("constant pattern"));
        let word = if self.lower {
            word.to_lowercase()
        } else {
            word.to_owned()
        };
        if self.replace_numbers {
            DIGITS.replace_all(&word, "@").into_owned()
        } else {
            word
        }
    }
}

impl Program {
    /// The input tokens of a sentence given as words: each word normalised, any word outside
    /// the input vocabulary (or spelled like the padding token) replaced by the unknown-word
    /// token, the whole wrapped in the sentence markers. Errors for a program without text
    /// rules and for an empty sentence.
    pub fn words_to_tokens(&self, words: &[String]) -> Result<Vec<String>, ProgramError> {
        let text = self.text.as_ref().ok_or(ProgramError::NotText)?;
        if words.is_empty() {
            return Err(ProgramError::Empty);
        }
        let known = |token: &str| token != "<pad>" && self.input_vocab.iter().any(|t| t == token);
        let mut tokens = Vec::with_capacity(words.len() + 2);
        tokens.extend(text.bos.clone());
        for word in words {
            let word = text.normalise(word);
            tokens.push(if known(&word) {
                word
            } else {
                text.unknown.clone()
            });
        }
        tokens.extend(text.eos.clone());
        Ok(tokens)
    }
}

impl Interpreter {
    /// Runs a sentence given as words: one label per word (the markers' positions dropped), or
    /// for a sequence classifier the sentence's one label.
    pub fn run_words(&self, words: &[String]) -> Result<Vec<String>, ProgramError> {
        let program = self.program();
        let tokens = program.words_to_tokens(words)?;
        let labels = self.run(&tokens)?;
        if program.classifier.pooled {
            return Ok(labels.into_iter().take(1).collect());
        }
        let skip = usize::from(program.text.as_ref().is_some_and(|t| t.bos.is_some()));
        Ok(labels.into_iter().skip(skip).take(words.len()).collect())
    }
}
