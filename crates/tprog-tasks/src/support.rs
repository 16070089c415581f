//! Support enumeration: every input sequence a generator can produce, lazily, for exhaustive
//! verification.

/// Largest support [`crate::Task::support`] enumerates; larger ones return `None`.
pub const SUPPORT_LIMIT: u128 = 5_000_000;

/// Every input sequence a task's generator can produce, enumerated lazily (in a fixed order:
/// shorter sequences first, then odometer order over the task's symbols).
pub struct Support {
    size: u128,
    sequences: Box<dyn Iterator<Item = Vec<String>> + Send>,
}

impl std::fmt::Debug for Support {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Support")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl Support {
    /// A support of `size` sequences produced by `sequences`.
    pub(crate) fn new(
        size: u128,
        sequences: impl Iterator<Item = Vec<String>> + Send + 'static,
    ) -> Self {
        Self {
            size,
            sequences: Box::new(sequences),
        }
    }

    /// The number of sequences in the whole support.
    pub fn size(&self) -> u128 {
        self.size
    }
}

impl Iterator for Support {
    type Item = Vec<String>;

    fn next(&mut self) -> Option<Vec<String>> {
        self.sequences.next()
    }
}

/// `base^exponent`, saturating at `u128::MAX`.
pub(crate) fn power(base: usize, exponent: usize) -> u128 {
    let mut result: u128 = 1;
    for _ in 0..exponent {
        result = result.saturating_mul(base as u128);
    }
    result
}

/// Every word of `length` symbols drawn from `0..n_symbols`, in odometer order (last position
/// fastest).
pub(crate) fn words(n_symbols: usize, length: usize) -> impl Iterator<Item = Vec<usize>> + Send {
    let mut next = if n_symbols == 0 && length > 0 {
        None
    } else {
        Some(vec![0; length])
    };
    std::iter::from_fn(move || {
        let current = next.take()?;
        let mut successor = current.clone();
        for position in (0..length).rev() {
            successor[position] += 1;
            if successor[position] < n_symbols {
                next = Some(successor);
                break;
            }
            successor[position] = 0;
        }
        Some(current)
    })
}

/// `prefix + w + suffix` for every word `w` over `symbols` with a length in `lengths`.
pub(crate) fn framed_words(
    symbols: Vec<String>,
    lengths: std::ops::RangeInclusive<usize>,
    prefix: Vec<String>,
    suffix: Vec<String>,
) -> Support {
    let size = lengths
        .clone()
        .map(|l| power(symbols.len(), l))
        .fold(0u128, u128::saturating_add);
    let sequences = lengths.flat_map(move |length| {
        let symbols = symbols.clone();
        let prefix = prefix.clone();
        let suffix = suffix.clone();
        words(symbols.len(), length).map(move |word| {
            let mut sequence = prefix.clone();
            sequence.extend(word.into_iter().map(|i| symbols[i].clone()));
            sequence.extend(suffix.iter().cloned());
            sequence
        })
    });
    Support::new(size, sequences)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_enumerates_every_word_once() {
        let all: Vec<Vec<usize>> = words(3, 2).collect();
        assert_eq!(all.len(), 9);
        assert_eq!(all[0], [0, 0]);
        assert_eq!(all[1], [0, 1]);
        assert_eq!(all[8], [2, 2]);
        assert_eq!(words(3, 0).count(), 1);
        assert_eq!(words(0, 2).count(), 0);
    }

    #[test]
    fn framed_words_size_matches_the_count() {
        let symbols = vec!["a".to_string(), "b".to_string()];
        let support = framed_words(symbols, 1..=3, vec!["<s>".into()], vec![]);
        assert_eq!(support.size(), 14);
        assert_eq!(support.count(), 14);
    }
}
