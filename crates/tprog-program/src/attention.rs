//! Hard-attention semantics of the discrete model (docs/model.md §4; the model is normative).
//!
//! The model adds a fixed bias `b(j − i)` to the score of each matching key and takes the
//! argmax (lowest index on ties). With `M = n_ctx` the bias is `b(0) = −2` (self),
//! `b(d > 0) = −(d−1)/(M−2)` (key right of the query), `b(d < 0) = −(|d|−1)/(M−1)` (key left
//! of the query). For every offset below `M` this ordering is: nearest match first, the left one
//! on equal distance, the query itself only if it is the only match. [`select_closest`] computes
//! that rule with integers; [`position_bias`] gives the bias itself (for tests and displays).

/// The key chosen by query position `query` in a sequence of `length` positions.
///
/// `matches(j)` says whether key `j` matches the query; with `causal` only keys `j ≤ query` are
/// allowed. Returns the nearest allowed match, the left one on equal distance, `query` itself
/// only if it is the only match, and position 0 (BOS) when nothing matches.
pub fn select_closest(
    query: usize,
    length: usize,
    causal: bool,
    matches: impl Fn(usize) -> bool,
) -> usize {
    for distance in 1..length {
        if distance <= query && matches(query - distance) {
            return query - distance;
        }
        let right = query + distance;
        if !causal && right < length && matches(right) {
            return right;
        }
    }
    if query < length && matches(query) {
        query
    } else {
        0
    }
}

/// The model's fixed relative-position bias `b(offset)` for `offset = key − query` and context
/// length `n_ctx` (docs/model.md §4). Offsets must satisfy `|offset| < n_ctx`.
pub fn position_bias(offset: isize, n_ctx: usize) -> f64 {
    let m = n_ctx as f64;
    let distance = offset.unsigned_abs() as f64;
    match offset {
        0 => -2.0,
        // At distance 1 the bias is 0; written separately so that `M = 2` does not divide by 0.
        1 | -1 => 0.0,
        d if d > 0 => -(distance - 1.0) / (m - 2.0),
        _ => -(distance - 1.0) / (m - 1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bias_matches_the_reference_matrix_row() {
        // docs/model.md §4: M = 8, query 3, keys 0..8.
        let expected = [-0.286, -0.143, 0.0, -2.0, 0.0, -0.167, -0.333, -0.5];
        for (key, want) in expected.iter().enumerate() {
            let got = position_bias(key as isize - 3, 8);
            assert!((got - want).abs() < 1e-3, "key {key}: {got} vs {want}");
        }
    }

    #[test]
    fn closest_rule_cases() {
        let set = |members: &'static [usize]| move |j: usize| members.contains(&j);
        // nearest wins
        assert_eq!(select_closest(4, 8, false, set(&[0, 6])), 6);
        // equal distance: left
        assert_eq!(select_closest(4, 8, false, set(&[2, 6])), 2);
        assert_eq!(select_closest(4, 8, false, set(&[3, 5])), 3);
        // self only if alone (the reference program would pick 5 here)
        assert_eq!(select_closest(5, 8, false, set(&[0, 5])), 0);
        assert_eq!(select_closest(5, 8, false, set(&[5])), 5);
        // nothing matches: BOS
        assert_eq!(select_closest(5, 8, false, set(&[])), 0);
        // causal: keys right of the query are not allowed
        assert_eq!(select_closest(3, 8, true, set(&[4, 7])), 0);
        assert_eq!(select_closest(3, 8, true, set(&[1, 4])), 1);
        assert_eq!(select_closest(3, 8, true, set(&[3, 4])), 3);
    }
}
