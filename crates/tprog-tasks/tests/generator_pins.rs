//! Pins every generator's output (a hash of the drawn examples, in order) so refactoring a
//! generator cannot change a dataset by accident. The reference fixtures check the paper's
//! settings; these pins also cover small and unusual parameters, and need no data files.

#![allow(clippy::unwrap_used)]

use tprog_tasks::{Task, TaskName, TaskParams};

/// 64-bit FNV-1a over every token and label, with separators (stable across Rust versions).
fn fingerprint(task: &Task) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for example in task.draw().unwrap() {
        for token in example.tokens.iter().chain(&example.labels) {
            eat(token.as_bytes());
            eat(&[0]);
        }
        eat(&[1]);
    }
    hash
}

/// (task, [vocab_size, min_length, max_length, dataset_size, seed], unique, hash), recorded
/// from the generators before `hist` and `reverse` shared their sampling code.
const PINS: &[(TaskName, [usize; 5], bool, u64)] = &[
    (
        TaskName::Reverse,
        [8, 1, 8, 300, 0],
        true,
        0x7e8afbee1cad5ddd,
    ),
    (
        TaskName::Reverse,
        [8, 1, 8, 300, 3],
        false,
        0x1c26fc57294b2a2f,
    ),
    (
        TaskName::Reverse,
        [5, 2, 6, 120, 7],
        true,
        0xdacf05e8d35c4cd9,
    ),
    (
        TaskName::Reverse,
        [12, 0, 4, 200, 11],
        false,
        0x1756b71e43570beb,
    ),
    (TaskName::Sort, [8, 1, 8, 300, 0], true, 0x986860f1e9cdcf55),
    (TaskName::Sort, [8, 1, 8, 300, 3], false, 0x97d669e970d190d7),
    (TaskName::Sort, [5, 2, 6, 120, 7], true, 0xc8066d54c119d9d1),
    (
        TaskName::Sort,
        [12, 0, 4, 200, 11],
        false,
        0xc5c071d566ae83cb,
    ),
    (TaskName::Hist, [8, 1, 8, 300, 0], true, 0xac5351ffc80167de),
    (TaskName::Hist, [8, 1, 8, 300, 3], false, 0x3e9da9d6e5333784),
    (TaskName::Hist, [5, 2, 6, 120, 7], true, 0x0e317c81589df662),
    (
        TaskName::Hist,
        [12, 0, 4, 200, 11],
        false,
        0x66f9a72b1f674379,
    ),
    (
        TaskName::DoubleHist,
        [8, 1, 8, 300, 0],
        true,
        0x628ae7bd728e3d26,
    ),
    (
        TaskName::DoubleHist,
        [8, 1, 8, 300, 3],
        false,
        0xe822b53616d6b400,
    ),
    (
        TaskName::DoubleHist,
        [5, 2, 6, 120, 7],
        true,
        0x95de75f6c6551970,
    ),
    (
        TaskName::DoubleHist,
        [12, 0, 4, 200, 11],
        false,
        0xf59a00165bda3567,
    ),
    (
        TaskName::MostFreq,
        [8, 1, 8, 300, 0],
        true,
        0x601e6f15c98a8d59,
    ),
    (
        TaskName::MostFreq,
        [8, 1, 8, 300, 3],
        false,
        0x4c3be178f24d59f5,
    ),
    (
        TaskName::MostFreq,
        [5, 2, 6, 120, 7],
        true,
        0xd5ef7ed9eb375e5d,
    ),
    (
        TaskName::MostFreq,
        [12, 0, 4, 200, 11],
        false,
        0xeebf4f4a9598095c,
    ),
];

#[test]
fn generators_draw_exactly_the_pinned_examples() {
    let mut wrong = Vec::new();
    for &(name, shape, unique, expected) in PINS {
        let [vocab_size, min_length, max_length, dataset_size, seed] = shape;
        let params = TaskParams {
            vocab_size,
            min_length,
            max_length,
            dataset_size,
            seed: seed as u64,
            unique,
        };
        let found = fingerprint(&Task::new(name, params).unwrap());
        if found != expected {
            wrong.push(format!(
                "{name:?} {shape:?} {unique}: 0x{found:016x}, pinned 0x{expected:016x}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "generators changed:\n{}",
        wrong.join("\n")
    );
}
