//! [`LaneGrad`]: a chunk's per-lane gradient accumulators for the parameters the lanes update
//! densely, indexed by the parameters' offsets in the flat buffers.
//!
//! A learned word embedding (`embed.W_E`, `[n_vars_cat·k, V]`, the first tensor, at offset 0)
//! is not among them: a batch touches only the columns of its words, whose gradients each chunk
//! keeps as rows (see `LaneChunk`), so the dense accumulators start at `base`, the end of the
//! embedding, and a 10,002-word vocabulary costs nothing per step here.

use std::ops::{Index, IndexMut, Range};

use super::v::V;

/// Per-lane gradients of the parameters at offsets `base..base + len`, indexed by offset.
#[derive(Debug, Clone)]
pub(crate) struct LaneGrad {
    lanes: Vec<V>,
    base: usize,
}

impl LaneGrad {
    /// Zeroed accumulators for the offsets `base..total`.
    pub fn new(base: usize, total: usize) -> Self {
        Self {
            lanes: vec![V::ZERO; total - base],
            base,
        }
    }

    /// The accumulators in offset order (the first is offset `base`).
    pub fn lanes_mut(&mut self) -> &mut [V] {
        &mut self.lanes
    }
}

impl Index<usize> for LaneGrad {
    type Output = V;
    #[inline(always)]
    fn index(&self, offset: usize) -> &V {
        &self.lanes[offset - self.base]
    }
}

impl IndexMut<usize> for LaneGrad {
    #[inline(always)]
    fn index_mut(&mut self, offset: usize) -> &mut V {
        &mut self.lanes[offset - self.base]
    }
}

impl Index<Range<usize>> for LaneGrad {
    type Output = [V];
    #[inline(always)]
    fn index(&self, r: Range<usize>) -> &[V] {
        &self.lanes[r.start - self.base..r.end - self.base]
    }
}

impl IndexMut<Range<usize>> for LaneGrad {
    #[inline(always)]
    fn index_mut(&mut self, r: Range<usize>) -> &mut [V] {
        &mut self.lanes[r.start - self.base..r.end - self.base]
    }
}
