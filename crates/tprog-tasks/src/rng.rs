//! A port of the random draws the reference makes through numpy's legacy `RandomState`.
//!
//! The reference seeds `np.random.seed(seed)` (MT19937 initialised with `init_genrand(seed)`) and
//! then calls `randint`, `choice` and `permutation`. To reproduce its datasets example for example
//! we replay exactly the same 32-bit draws:
//!
//! * `randint(low, high)` (half-open) draws `next_u32() & mask` until the value is `<= high-low-1`,
//!   where `mask` is the smallest `2^k - 1` covering that range; a range of one value draws nothing.
//! * `choice(a, size)` with replacement and no weights is `randint(0, len(a), size)`.
//! * `permutation(n)` shuffles `0..n` with Fisher–Yates from the end, each index drawn by the same
//!   masked rejection (`random_interval`).

/// Number of 32-bit words of MT19937 state.
const STATE_LEN: usize = 624;
/// Middle word offset of the MT19937 recurrence.
const SHIFT: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// numpy's legacy `RandomState`: MT19937 plus the bounded-integer and shuffle algorithms.
#[derive(Clone)]
pub struct RandomState {
    state: [u32; STATE_LEN],
    position: usize,
}

impl std::fmt::Debug for RandomState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RandomState")
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

impl RandomState {
    /// Seeds like `np.random.seed(seed)` (`init_genrand`).
    pub fn new(seed: u32) -> Self {
        let mut state = [0u32; STATE_LEN];
        state[0] = seed;
        for index in 1..STATE_LEN {
            let previous = state[index - 1];
            state[index] = 1_812_433_253u32
                .wrapping_mul(previous ^ (previous >> 30))
                .wrapping_add(index as u32);
        }
        Self {
            state,
            position: STATE_LEN,
        }
    }

    /// Regenerates the 624 words of state (the MT19937 "twist").
    fn twist(&mut self) {
        for index in 0..STATE_LEN {
            let y = (self.state[index] & UPPER_MASK)
                | (self.state[(index + 1) % STATE_LEN] & LOWER_MASK);
            let mut next = self.state[(index + SHIFT) % STATE_LEN] ^ (y >> 1);
            if y & 1 == 1 {
                next ^= MATRIX_A;
            }
            self.state[index] = next;
        }
        self.position = 0;
    }

    /// The next tempered 32-bit output (`genrand_int32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.position >= STATE_LEN {
            self.twist();
        }
        let mut y = self.state[self.position];
        self.position += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// The next 64-bit output, as numpy builds it from two 32-bit outputs (high word first).
    fn next_u64(&mut self) -> u64 {
        let high = u64::from(self.next_u32());
        (high << 32) | u64::from(self.next_u32())
    }

    /// A uniform integer in `0..=max` by masked rejection (numpy's `random_interval` and its
    /// masked bounded-integer path, which agree for ranges below 2^32).
    pub fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for shift in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> shift;
        }
        if max <= u64::from(u32::MAX) {
            loop {
                let value = u64::from(self.next_u32()) & mask;
                if value <= max {
                    return value;
                }
            }
        }
        loop {
            let value = self.next_u64() & mask;
            if value <= max {
                return value;
            }
        }
    }

    /// `randint(low, high)`: a uniform integer in `low..high`; `high <= low + 1` draws nothing
    /// and returns `low` (numpy raises on an empty range; callers validate first).
    pub fn randint(&mut self, low: usize, high: usize) -> usize {
        if high <= low + 1 {
            return low;
        }
        low + self.interval((high - low - 1) as u64) as usize
    }

    /// `randint(low, high, size=count)`: `count` successive draws.
    pub fn randint_many(&mut self, low: usize, high: usize, count: usize) -> Vec<usize> {
        (0..count).map(|_| self.randint(low, high)).collect()
    }

    /// `choice(items, size=count, replace=True)`.
    pub fn choice<T: Clone>(&mut self, items: &[T], count: usize) -> Vec<T> {
        self.randint_many(0, items.len(), count)
            .into_iter()
            .map(|index| items[index].clone())
            .collect()
    }

    /// `permutation(n)`: `0..n` shuffled by Fisher–Yates from the last index down.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut values: Vec<usize> = (0..n).collect();
        for index in (1..n).rev() {
            let other = self.interval(index as u64) as usize;
            values.swap(index, other);
        }
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_outputs_match_the_mt19937_reference_for_seed_5489() {
        // The first outputs of genrand_int32 after init_genrand(5489) (the C++ std::mt19937
        // default seed; the 10,000th output is 4123659995).
        let mut rng = RandomState::new(5489);
        assert_eq!(rng.next_u32(), 3_499_211_612);
        assert_eq!(rng.next_u32(), 581_869_302);
        let mut rng = RandomState::new(5489);
        let mut last = 0;
        for _ in 0..10_000 {
            last = rng.next_u32();
        }
        assert_eq!(last, 4_123_659_995);
    }

    #[test]
    fn draws_match_numpy_legacy_random_state() {
        // np.random.seed(0); randint(0, 5, size=10); randint(1, 7); permutation(10)
        let mut rng = RandomState::new(0);
        assert_eq!(rng.randint_many(0, 5, 10), [4, 0, 3, 3, 3, 1, 3, 2, 4, 0]);
        assert_eq!(rng.randint(1, 7), 1);
        assert_eq!(rng.permutation(10), [5, 2, 3, 4, 9, 0, 8, 7, 6, 1]);
        // np.random.RandomState(0).permutation(20)
        let expected = [
            18, 1, 19, 8, 10, 17, 6, 13, 4, 2, 5, 14, 9, 7, 16, 11, 3, 0, 15, 12,
        ];
        assert_eq!(RandomState::new(0).permutation(20), expected);
    }

    #[test]
    fn single_value_range_draws_nothing() {
        let mut a = RandomState::new(3);
        let mut b = RandomState::new(3);
        assert_eq!(a.randint(4, 5), 4);
        assert_eq!(a.next_u32(), b.next_u32());
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut rng = RandomState::new(0);
        let mut perm = rng.permutation(100);
        perm.sort_unstable();
        assert_eq!(perm, (0..100).collect::<Vec<_>>());
    }
}
