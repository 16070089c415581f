//! The reference's train/validation/test split: sklearn's `train_test_split` (a `ShuffleSplit`
//! with `test_size=0.1`) applied twice with the same seed, giving 81 % / 9 % / 10 %.

use crate::rng::RandomState;

/// Fraction of examples held out at each of the two splits.
pub const TEST_FRACTION: f64 = 0.1;

/// Indices `(train, test)` of one `ShuffleSplit` of `n` items: `perm =
/// RandomState(seed).permutation(n)`, test = the first `ceil(0.1 n)` of `perm`, train = the
/// rest, both in permutation order.
pub fn shuffle_split(n: usize, seed: u32) -> (Vec<usize>, Vec<usize>) {
    let n_test = ((TEST_FRACTION * n as f64).ceil() as usize).min(n);
    let permutation = RandomState::new(seed).permutation(n);
    let test = permutation[..n_test].to_vec();
    let train = permutation[n_test..].to_vec();
    (train, test)
}

/// Splits `items` into `(train, val, test)` as the reference: first test off the whole, then
/// validation off the remaining training part.
pub fn split_three<T>(items: Vec<T>, seed: u32) -> (Vec<T>, Vec<T>, Vec<T>) {
    let (train_val, test) = take_split(items, seed);
    let (train, val) = take_split(train_val, seed);
    (train, val, test)
}

/// `(train, test)` items of one [`shuffle_split`].
fn take_split<T>(items: Vec<T>, seed: u32) -> (Vec<T>, Vec<T>) {
    let (train_indices, test_indices) = shuffle_split(items.len(), seed);
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    let mut take = |indices: Vec<usize>| -> Vec<T> {
        indices
            .into_iter()
            .filter_map(|index| slots[index].take())
            .collect()
    };
    let train = take(train_indices);
    let test = take(test_indices);
    (train, test)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_reference() {
        let (train, val, test) = split_three((0..14_124).collect::<Vec<_>>(), 0);
        assert_eq!((train.len(), val.len(), test.len()), (11_439, 1_272, 1_413));
        let (train, val, test) = split_three((0..20_000).collect::<Vec<_>>(), 0);
        assert_eq!((train.len(), val.len(), test.len()), (16_200, 1_800, 2_000));
    }

    #[test]
    fn test_is_the_start_of_the_permutation() {
        // np.random.RandomState(0).permutation(20) starts 18, 1.
        let (train, test) = shuffle_split(20, 0);
        assert_eq!(test, [18, 1]);
        assert_eq!(train.len(), 18);
        assert_eq!(train[0], 19);
    }
}
