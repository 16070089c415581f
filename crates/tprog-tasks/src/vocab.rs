//! Vocabularies: tokens in index order with `<pad>` at 0, built from a training split as the
//! reference's `get_tokenizer` does.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::TaskError;

/// Padding token; index 0 of every vocabulary; as a label it means "not scored".
pub const PAD: &str = "<pad>";
/// Beginning-of-sequence token; every synthetic input starts with it.
pub const BOS: &str = "<s>";
/// End-of-sequence token (reverse and sort inputs end with it).
pub const EOS: &str = "</s>";
/// Unknown token; present when a vocabulary maps unseen tokens to one index (and a label of
/// the induction task).
pub const UNK: &str = "<unk>";
/// Separator token (defined by the reference, unused by its tasks).
pub const SEP: &str = "<sep>";

/// A vocabulary: tokens in index order, `<pad>` at index 0.
///
/// Serialised as the plain list of its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Vocab {
    tokens: Vec<String>,
    index: HashMap<String, u32>,
}

impl Vocab {
    /// A vocabulary with these tokens in this order; the first must be `<pad>` and no token may
    /// repeat.
    pub fn new(tokens: Vec<String>) -> Result<Self, TaskError> {
        if tokens.first().map(String::as_str) != Some(PAD) {
            return Err(TaskError::InvalidVocab {
                reason: format!("the first token must be `{PAD}`, got {:?}", tokens.first()),
            });
        }
        if tokens.len() > u32::MAX as usize {
            return Err(TaskError::InvalidVocab {
                reason: format!("{} tokens do not fit 32-bit indices", tokens.len()),
            });
        }
        let mut index = HashMap::with_capacity(tokens.len());
        for (position, token) in tokens.iter().enumerate() {
            if index.insert(token.clone(), position as u32).is_some() {
                return Err(TaskError::InvalidVocab {
                    reason: format!("token `{token}` appears twice (again at index {position})"),
                });
            }
        }
        Ok(Self { tokens, index })
    }

    /// The reference's rule for synthetic tasks: `<pad>`, then `<unk>` if `unk`, then every
    /// other token of `sequences` once, in code-point (Python string) order.
    pub fn from_sequences<'a>(
        sequences: impl IntoIterator<Item = &'a [String]>,
        unk: bool,
    ) -> Self {
        let specials: Vec<&str> = if unk { vec![PAD, UNK] } else { vec![PAD] };
        let rest: BTreeSet<&str> = sequences
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(|token| !specials.contains(token))
            .collect();
        let tokens: Vec<String> = specials.into_iter().chain(rest).map(String::from).collect();
        let index = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        Self { tokens, index }
    }

    /// The tokens in index order.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the vocabulary is empty (never, since `<pad>` is always present).
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The index of `token`, if present.
    pub fn index_of(&self, token: &str) -> Option<u32> {
        self.index.get(token).copied()
    }

    /// Whether `token` is in the vocabulary.
    pub fn contains(&self, token: &str) -> bool {
        self.index.contains_key(token)
    }

    /// The token at `index`, if any.
    pub fn token(&self, index: u32) -> Option<&str> {
        self.tokens.get(index as usize).map(String::as_str)
    }

    /// Token indices of `tokens`; an unknown token maps to `<unk>` if the vocabulary has it and
    /// is otherwise an error naming the token and its position.
    pub fn encode(&self, tokens: &[String]) -> Result<Vec<u32>, TaskError> {
        let unk = self.index_of(UNK);
        tokens
            .iter()
            .enumerate()
            .map(|(position, token)| {
                self.index_of(token)
                    .or(unk)
                    .ok_or_else(|| TaskError::UnknownToken {
                        token: token.clone(),
                        position,
                        vocab_len: self.len(),
                    })
            })
            .collect()
    }

    /// The tokens of `indices`; an index outside the vocabulary is an error.
    pub fn decode(&self, indices: &[u32]) -> Result<Vec<String>, TaskError> {
        indices
            .iter()
            .map(|&index| {
                self.token(index)
                    .map(String::from)
                    .ok_or(TaskError::IndexOutOfRange {
                        index,
                        vocab_len: self.len(),
                    })
            })
            .collect()
    }
}

impl TryFrom<Vec<String>> for Vocab {
    type Error = TaskError;

    fn try_from(tokens: Vec<String>) -> Result<Self, Self::Error> {
        Self::new(tokens)
    }
}

impl From<Vocab> for Vec<String> {
    fn from(vocab: Vocab) -> Self {
        vocab.tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(tokens: &[&str]) -> Vec<String> {
        tokens.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn sorts_by_code_point_with_pad_first() {
        let train = [
            strings(&["<s>", "3", "1", "</s>"]),
            strings(&["<s>", "0", "</s>"]),
        ];
        let vocab = Vocab::from_sequences(train.iter().map(Vec::as_slice), false);
        assert_eq!(
            vocab.tokens(),
            strings(&["<pad>", "0", "1", "3", "</s>", "<s>"])
        );
        let with_unk = Vocab::from_sequences(train.iter().map(Vec::as_slice), true);
        assert_eq!(with_unk.index_of(UNK), Some(1));
    }

    #[test]
    fn encode_reports_unknown_token_and_position() {
        let vocab = Vocab::new(strings(&["<pad>", "a", "b"])).unwrap();
        assert_eq!(vocab.encode(&strings(&["b", "a"])).unwrap(), [2, 1]);
        let error = vocab.encode(&strings(&["a", "z"])).unwrap_err().to_string();
        assert!(
            error.contains("`z`") && error.contains("position 1"),
            "{error}"
        );
        let with_unk = Vocab::new(strings(&["<pad>", "<unk>", "a"])).unwrap();
        assert_eq!(with_unk.encode(&strings(&["a", "z"])).unwrap(), [2, 1]);
        assert_eq!(vocab.decode(&[2, 0]).unwrap(), strings(&["b", "<pad>"]));
        assert!(vocab.decode(&[3]).is_err());
    }

    #[test]
    fn rejects_bad_vocabularies() {
        assert!(Vocab::new(strings(&["a", "<pad>"])).is_err());
        assert!(Vocab::new(strings(&["<pad>", "a", "a"])).is_err());
        let json = serde_json::to_string(&Vocab::new(strings(&["<pad>", "x"])).unwrap()).unwrap();
        assert_eq!(json, r#"["<pad>","x"]"#);
        assert!(serde_json::from_str::<Vocab>(r#"["x"]"#).is_err());
    }
}
