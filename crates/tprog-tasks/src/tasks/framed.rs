//! The generator shared by `hist` (inputs `<s> w`) and `reverse` (inputs `<s> w </s>`): the
//! symbols, parameter checks, sampling, input checks and support of a word `w` of digit
//! symbols framed by `<s>` and, for `reverse`, `</s>`. The two tasks differ only in that end
//! token, so one [`Frame`] value describes each and one piece of code serves both.

use super::{after_bos, digit_symbols, expect_symbols};
use crate::params::TaskParams;
use crate::rng::RandomState;
use crate::support::{Support, framed_words};
use crate::vocab::{BOS, PAD};

/// How a task frames its word: `<s> w`, or `<s> w end`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    /// The token after the word (`</s>` for `reverse`), if any.
    pub(crate) end: Option<&'static str>,
}

impl Frame {
    /// Tokens around the word: `<s>` and the end token.
    fn framing(self) -> usize {
        1 + usize::from(self.end.is_some())
    }

    /// The content symbols `"0"` … for these parameters (`vocab_size` counts `<pad>` and the
    /// frame tokens too).
    pub(crate) fn symbols(self, params: &TaskParams) -> Vec<String> {
        digit_symbols(params.vocab_size.saturating_sub(1 + self.framing()))
    }

    /// Problems with the parameters: a vocabulary of `<pad>`, the frame tokens and at least one
    /// symbol, at most 1000 tokens; room for `min_length` content symbols within `max_length`.
    pub(crate) fn check(self, params: &TaskParams, problems: &mut Vec<String>) {
        let reserved = 2 + self.framing();
        let specials = match self.end {
            Some(end) => format!("{PAD}, {BOS}, {end}"),
            None => format!("{PAD}, {BOS}"),
        };
        if params.vocab_size < reserved {
            problems.push(format!(
                "vocab_size must be at least {reserved} (it counts {specials} and the symbols), got {}",
                params.vocab_size
            ));
        }
        if params.vocab_size > 1000 {
            problems.push(format!(
                "vocab_size {} is larger than 1000",
                params.vocab_size
            ));
        }
        let framing = self.framing();
        if params.min_length + framing > params.max_length {
            problems.push(format!(
                "max_length must be at least min_length + {framing} (content lengths are min_length..=max_length-{framing}), got min_length {} and max_length {}",
                params.min_length, params.max_length
            ));
        }
    }

    /// One input, drawn as the reference's `make_hist`/`make_reverse` (and the tasks sharing
    /// them): a length by `randint(min_length, max_length + 1 − framing)`, then that many
    /// symbols by `choice`, framed.
    pub(crate) fn sample(self, params: &TaskParams, rng: &mut RandomState) -> Vec<String> {
        // Validated by `check`: max_length >= min_length + framing, so this cannot underflow.
        let high = (params.max_length + 1).saturating_sub(self.framing());
        let length = rng.randint(params.min_length, high);
        let mut tokens = vec![BOS.to_string()];
        tokens.extend(rng.choice(&self.symbols(params), length));
        tokens.extend(self.end.map(String::from));
        tokens
    }

    /// Checks the frame and the symbols; returns the word.
    pub(crate) fn content<'a>(
        self,
        params: &TaskParams,
        tokens: &'a [String],
    ) -> Result<&'a [String], String> {
        let rest = after_bos(tokens)?;
        let content = match self.end {
            None => rest,
            Some(end) => match rest.split_last() {
                Some((last, content)) if last == end => content,
                _ => return Err(format!("the last token must be `{end}`")),
            },
        };
        expect_symbols(content, 1, &self.symbols(params))?;
        Ok(content)
    }

    /// Every framed word with `min_length <= |w| <= max_length - framing`.
    pub(crate) fn support(self, params: &TaskParams) -> Support {
        framed_words(
            self.symbols(params),
            params.min_length..=params.max_length.saturating_sub(self.framing()),
            vec![BOS.to_string()],
            self.end.map(String::from).into_iter().collect(),
        )
    }
}
