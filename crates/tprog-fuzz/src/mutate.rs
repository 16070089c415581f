//! The byte-level mutations every target shares: bit flips, byte changes, insertion, deletion,
//! truncation, repeated chunks, spliced fragments and huge numbers. Each is a no-op where it
//! cannot apply (an empty input) rather than a panic. Format-aware mutations (JSON trees, zip
//! entries, pickle opcodes, gzip) live with their target in `targets/`.

use crate::rng::Rng;

/// Values that break size and offset arithmetic more often than random ones.
pub const INTERESTING: [u64; 12] = [
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0xffff,
    0x7fff_ffff,
    0xffff_ffff,
    0x7fff_ffff_ffff_ffff,
    u64::MAX,
];

/// One of [`INTERESTING`].
pub fn interesting(rng: &mut Rng) -> u64 {
    INTERESTING[rng.below(INTERESTING.len())]
}

/// A random position in `bytes` to insert at (`0..=len`).
pub fn position(rng: &mut Rng, bytes: &[u8]) -> usize {
    rng.below(bytes.len() + 1)
}

/// Flips one random bit.
pub fn flip_bit(rng: &mut Rng, bytes: &mut [u8]) {
    if !bytes.is_empty() {
        let at = rng.below(bytes.len());
        bytes[at] ^= 1 << rng.below(8);
    }
}

/// Sets one random byte to a random value.
pub fn set_byte(rng: &mut Rng, bytes: &mut [u8]) {
    if !bytes.is_empty() {
        let at = rng.below(bytes.len());
        bytes[at] = rng.byte();
    }
}

/// Inserts one random byte.
pub fn insert_byte(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let at = position(rng, bytes);
    bytes.insert(at, rng.byte());
}

/// Inserts `1..=max` random bytes.
pub fn insert_bytes(rng: &mut Rng, bytes: &mut Vec<u8>, max: usize) {
    let n = 1 + rng.below(max);
    let at = position(rng, bytes);
    let piece: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
    bytes.splice(at..at, piece);
}

/// Deletes a run of `1..=max` bytes (clipped at the end).
pub fn delete(rng: &mut Rng, bytes: &mut Vec<u8>, max: usize) {
    if !bytes.is_empty() {
        let start = rng.below(bytes.len());
        let end = (start + 1 + rng.below(max)).min(bytes.len());
        bytes.drain(start..end);
    }
}

/// Cuts `bytes` to a random length in `0..=len`.
pub fn truncate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let len = position(rng, bytes);
    bytes.truncate(len);
}

/// Repeats a run of `1..=max` bytes in place.
pub fn repeat_chunk(rng: &mut Rng, bytes: &mut Vec<u8>, max: usize) {
    if !bytes.is_empty() {
        let start = rng.below(bytes.len());
        let end = (start + 1 + rng.below(max)).min(bytes.len());
        let chunk = bytes[start..end].to_vec();
        bytes.splice(start..start, chunk);
    }
}

/// Inserts `piece` at a random position.
pub fn splice_in(rng: &mut Rng, bytes: &mut Vec<u8>, piece: &[u8]) {
    let at = position(rng, bytes);
    bytes.splice(at..at, piece.iter().copied());
}

/// Inserts one of `fragments` at a random position.
pub fn splice_fragment(rng: &mut Rng, bytes: &mut Vec<u8>, fragments: &[&[u8]]) {
    if let Some(piece) = rng.choose(fragments) {
        splice_in(rng, bytes, piece);
    }
}

/// Which ASCII digit [`replace_digit`] changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digit {
    /// The first digit of the input.
    First,
    /// The first digit at or after a random position.
    After,
    /// A uniformly chosen digit.
    Any,
}

/// Replaces one ASCII digit by `number` (huge numbers, `NaN`, exponents…): range checks.
pub fn replace_digit(rng: &mut Rng, bytes: &mut Vec<u8>, which: Digit, number: &[u8]) {
    let at = match which {
        Digit::First => bytes.iter().position(u8::is_ascii_digit),
        Digit::After => {
            if bytes.is_empty() {
                None
            } else {
                let from = rng.below(bytes.len());
                bytes[from..]
                    .iter()
                    .position(u8::is_ascii_digit)
                    .map(|i| from + i)
            }
        }
        Digit::Any => {
            let digits: Vec<usize> = (0..bytes.len())
                .filter(|&i| bytes[i].is_ascii_digit())
                .collect();
            rng.choose(&digits).copied()
        }
    };
    if let Some(at) = at {
        bytes.splice(at..at + 1, number.iter().copied());
    }
}

/// Overwrites `width` little-endian bytes of `value` at `at` (clipped at the end of `bytes`).
pub fn overwrite_le(bytes: &mut [u8], at: usize, width: usize, value: u64) {
    for (i, b) in value.to_le_bytes().iter().take(width).enumerate() {
        if let Some(slot) = bytes.get_mut(at + i) {
            *slot = *b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_of_an_empty_input_do_not_panic() {
        let mut rng = Rng::new(3);
        for _ in 0..100 {
            let mut bytes = Vec::new();
            flip_bit(&mut rng, &mut bytes);
            set_byte(&mut rng, &mut bytes);
            delete(&mut rng, &mut bytes, 8);
            repeat_chunk(&mut rng, &mut bytes, 8);
            truncate(&mut rng, &mut bytes);
            replace_digit(&mut rng, &mut bytes, Digit::After, b"99");
            replace_digit(&mut rng, &mut bytes, Digit::Any, b"99");
            splice_fragment(&mut rng, &mut bytes, &[]);
        }
    }

    #[test]
    fn a_digit_becomes_the_number() {
        let mut bytes = b"ab7".to_vec();
        replace_digit(&mut Rng::new(0), &mut bytes, Digit::First, b"1e400");
        assert_eq!(bytes, b"ab1e400");
    }
}
