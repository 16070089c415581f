//! Dropout while training (spec §7): masks of keep-scales (0 with probability `p`, else
//! `1/(1−p)`, "inverted" dropout) on every attention output, every MLP output and inside every
//! MLP's hidden layer. Only the training step (the lanes) applies them; evaluation, the discrete
//! model and the program never see dropout.
//!
//! A mask is a function of the step's seed, the example's index in the batch and the site
//! (layer, module, index): each (example, site) draws from its own stream, so the masks do not
//! depend on how the batch is cut into groups and chunks, nor on the thread count.
//!
//! Shapes (dimension letters): L lanes (examples of a group), N positions; a site's mask is
//! `[N, W]` (`W` the width of what it drops), one [`V`] per entry.

use super::v::{L, V};
use crate::sampler::NoiseRng;

/// What a mask drops, in a block.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Site {
    /// The categorical heads' outputs `[N, Hc·k]`.
    CatHeads,
    /// The numerical heads' outputs `[N, Hn]`.
    NumHeads,
    /// Hidden layer `[N, d_mlp]` of categorical MLP `m`.
    CatMlpHidden(usize),
    /// Output `[N, k]` of categorical MLP `m`.
    CatMlpOut(usize),
    /// Hidden layer of numerical MLP `m`.
    NumMlpHidden(usize),
    /// Output of numerical MLP `m`.
    NumMlpOut(usize),
}

impl Site {
    /// The site's number in block `layer` (distinct for every site of a model).
    fn key(self, layer: usize) -> u64 {
        let (kind, index) = match self {
            Site::CatHeads => (0, 0),
            Site::NumHeads => (1, 0),
            Site::CatMlpHidden(m) => (2, m),
            Site::CatMlpOut(m) => (3, m),
            Site::NumMlpHidden(m) => (4, m),
            Site::NumMlpOut(m) => (5, m),
        };
        ((layer as u64) << 12) | (kind << 8) | index as u64
    }
}

/// The noise stream of one (example, site): bit 62 set, so distinct from the streams of the
/// examples' Gumbel noise, of whole tensors and of word columns (bit 63).
fn stream(example: usize, site: u64) -> u64 {
    (1 << 62) | (((example as u64) << 24) & ((1 << 62) - 1)) | site
}

/// The step's dropout: rate and seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dropout {
    /// The rate `p` in (0, 1).
    pub p: f32,
    /// The step's seed.
    pub seed: u64,
}

impl Dropout {
    /// Fills the first `n` positions of `mask` (`[N, w]`) with the keep-scales of `site` in
    /// block `layer` for the batch's examples `examples` (lane `l` holds example
    /// `examples[l]`). Each entry takes 16 bits of its stream (four per draw), position by
    /// position, so `p` is rounded to a multiple of 1/65536 and a prefix of the positions
    /// does not depend on `n`.
    #[inline(always)]
    pub fn fill(
        self,
        mask: &mut [V],
        (w, n): (usize, usize),
        examples: &[usize; L],
        layer: usize,
        site: Site,
    ) {
        let threshold = (f64::from(self.p) * 65536.0).round() as u64;
        let scale = 1.0 / (1.0 - self.p);
        let site = site.key(layer);
        for l in 0..L {
            let mut rng = NoiseRng::new(self.seed, stream(examples[l], site));
            let mut bits = 0u64;
            for (e, m) in mask[..n * w].iter_mut().enumerate() {
                if e % 4 == 0 {
                    bits = rng.next_u64();
                }
                let draw = (bits >> (16 * (e % 4))) & 0xFFFF;
                m.0[l] = if draw < threshold { 0.0 } else { scale };
            }
        }
    }
}

/// `x[i·stride + col + c] *= mask[i·w + c]` for every position `i < n` and `c < w`
/// (nothing when `mask` is empty: no dropout).
#[inline(always)]
pub(crate) fn apply(x: &mut [V], stride: usize, col: usize, mask: &[V], w: usize, n: usize) {
    if mask.is_empty() {
        return;
    }
    for i in 0..n {
        let row = &mut x[i * stride + col..i * stride + col + w];
        for (v, &m) in row.iter_mut().zip(&mask[i * w..(i + 1) * w]) {
            *v = *v * m;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(p: f32, seed: u64, first: usize, layer: usize, site: Site) -> Vec<V> {
        let (w, n) = (40, 25);
        let mut m = vec![V::splat(-1.0); w * n];
        let examples = std::array::from_fn(|l| first + l);
        Dropout { p, seed }.fill(&mut m, (w, n), &examples, layer, site);
        m
    }

    fn lane(m: &[V], l: usize) -> Vec<f32> {
        m.iter().map(|v| v.0[l]).collect()
    }

    #[test]
    fn masks_drop_about_p_and_scale_the_rest() {
        let m = mask(0.5, 3, 0, 0, Site::CatHeads);
        let values: Vec<f32> = (0..L).flat_map(|l| lane(&m, l)).collect();
        assert!(values.iter().all(|&v| v == 0.0 || v == 2.0), "{values:?}");
        let dropped = values.iter().filter(|&&v| v == 0.0).count() as f64 / values.len() as f64;
        assert!((dropped - 0.5).abs() < 0.03, "{dropped}");
        let m = mask(0.1, 3, 0, 0, Site::CatHeads);
        let values: Vec<f32> = (0..L).flat_map(|l| lane(&m, l)).collect();
        let dropped = values.iter().filter(|&&v| v == 0.0).count() as f64 / values.len() as f64;
        assert!((dropped - 0.1).abs() < 0.02, "{dropped}");
        assert!(values.iter().all(|&v| v == 0.0 || v == 1.0 / 0.9));
    }

    #[test]
    fn a_mask_depends_on_the_example_not_on_its_lane() {
        // Example 11 in lane 3 of the group starting at 8 and in lane 0 of the one at 11.
        let (a, b) = (
            mask(0.4, 7, 8, 1, Site::CatMlpOut(2)),
            mask(0.4, 7, 11, 1, Site::CatMlpOut(2)),
        );
        assert_eq!(lane(&a, 3), lane(&b, 0));
        // Other lanes, sites, layers and seeds draw other masks.
        assert_ne!(lane(&a, 3), lane(&a, 4));
        let others = [
            mask(0.4, 7, 8, 1, Site::CatMlpOut(1)),
            mask(0.4, 7, 8, 1, Site::CatMlpHidden(2)),
            mask(0.4, 7, 8, 0, Site::CatMlpOut(2)),
            mask(0.4, 8, 8, 1, Site::CatMlpOut(2)),
        ];
        for o in &others {
            assert_ne!(lane(&a, 3), lane(o, 3));
        }
    }

    #[test]
    fn apply_multiplies_the_block_and_nothing_else() {
        let (stride, col, w, n) = (5, 1, 2, 3);
        let mut x: Vec<V> = (0..stride * n).map(|i| V::splat(i as f32)).collect();
        let m: Vec<V> = (0..w * n)
            .map(|i| V::splat(if i % 2 == 0 { 0.0 } else { 2.0 }))
            .collect();
        apply(&mut x, stride, col, &m, w, n);
        for i in 0..n {
            for c in 0..stride {
                let v = (i * stride + c) as f32;
                let want = if c == col {
                    0.0
                } else if c == col + 1 {
                    2.0 * v
                } else {
                    v
                };
                assert_eq!(x[i * stride + c], V::splat(want), "{i} {c}");
            }
        }
        apply(&mut x, stride, col, &[], w, n); // no mask: no dropout
    }
}
