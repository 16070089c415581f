//! The activation buffers of one chunk of examples (what the backward pass needs), reused
//! from step to step, and the dropout masks, drawn from a counter-based hash so a mask depends
//! only on (seed, example, site, element), never on how the batch was cut into chunks.
//!
//! Shapes: R = examples in the chunk × N rows, D model width, F MLP width, H heads, C classes.

/// What one encoder layer keeps for its backward pass.
#[derive(Debug, Clone, Default)]
pub(crate) struct LayerActs {
    /// LayerNorm 1: normalised input and 1/std per row. `[R, D]`, `[R]`
    pub xhat1: Vec<f32>,
    pub rstd1: Vec<f32>,
    /// LayerNorm 1 output (input of the attention). `[R, D]`
    pub h1: Vec<f32>,
    /// Queries | keys | values. `[R, 3D]`
    pub qkv: Vec<f32>,
    /// Attention probabilities (before dropout). `[E, H, N, N]`
    pub probs: Vec<f32>,
    /// Dropout keep-scales of the attention probabilities (empty: no dropout). `[E, H, N, N]`
    pub keep_attn: Vec<f32>,
    /// Heads' outputs, concatenated. `[R, D]`
    pub ctx: Vec<f32>,
    /// Dropout keep-scales of the attention block's output. `[R, D]`
    pub keep_out: Vec<f32>,
    /// LayerNorm 2. `[R, D]`, `[R]`, `[R, D]`
    pub xhat2: Vec<f32>,
    pub rstd2: Vec<f32>,
    pub h2: Vec<f32>,
    /// MLP pre-activation and its ReLU (after dropout). `[R, F]`
    pub pre: Vec<f32>,
    pub hidden: Vec<f32>,
    /// Dropout keep-scales of the MLP hidden layer and of the MLP output. `[R, F]`, `[R, D]`
    pub keep_hidden: Vec<f32>,
    pub keep_mlp: Vec<f32>,
}

/// Buffers of one chunk: activations, logits, loss and the chunk's gradient.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChunkWs {
    /// Index in the batch of the chunk's first example.
    pub first: usize,
    /// Examples in the chunk `E`.
    pub n_ex: usize,
    /// Positions per example `N`.
    pub n: usize,
    /// `valid[r]`: row `r` is not `<pad>`. `[R]`
    pub valid: Vec<bool>,
    /// Residual stream entering layer `l` (`x[L]` is the final one). `[L+1][R, D]`
    pub x: Vec<Vec<f32>>,
    /// Dropout keep-scales of the embeddings. `[R, D]`
    pub keep_embed: Vec<f32>,
    /// Per-layer activations.
    pub layers: Vec<LayerActs>,
    /// Classifier input (row 0 of each example pooled when pooling). `[R, D]`
    pub cls_in: Vec<f32>,
    /// Logits. `[R, C]`
    pub logits: Vec<f32>,
    /// Gradient of the loss w.r.t. the logits. `[R, C]`
    pub dlogits: Vec<f32>,
    /// Per-example losses. `[E]`
    pub losses: Vec<f32>,
    /// Gradient of the dense parameters (everything after `embed.token`).
    pub grad: Vec<f32>,
    /// Gradient w.r.t. the residual stream, and scratch of the same shape. `[R, D]`
    pub dx: Vec<f32>,
    pub dh: Vec<f32>,
    pub dctx: Vec<f32>,
    /// Gradient w.r.t. queries | keys | values. `[R, 3D]`
    pub dqkv: Vec<f32>,
    /// Gradient w.r.t. the MLP hidden layer. `[R, F]`
    pub dhidden: Vec<f32>,
    /// One head's attention scratch. `[N, N]`
    pub att_a: Vec<f32>,
    pub att_b: Vec<f32>,
    /// LayerNorm backward scratch. `[D]`
    pub ln_scratch: Vec<f32>,
}

/// Resizes `v` to `len` (contents unspecified: every user overwrites it).
pub(crate) fn fit(v: &mut Vec<f32>, len: usize) {
    v.resize(len, 0.0);
}

/// SplitMix64's finaliser: a well-mixed 64-bit hash.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The key of one dropout site of one example.
pub(crate) fn site_key(seed: u64, example: usize, site: usize) -> u64 {
    mix(mix(mix(seed ^ 0x5DEE_CE66_D1CE_4E5B) ^ example as u64) ^ site as u64)
}

/// Fills `keep` (`n_ex` blocks of `per_example` values) with dropout keep-scales: 0 with
/// probability `p` (to 1/65536), else `1/(1−p)`; example `e` of the chunk is batch example
/// `first + e`. Each (example, site) has its own wyrand stream (four 16-bit draws per step),
/// so the masks do not depend on how the batch is cut into chunks. With `p = 0` or no seed
/// (evaluation), `keep` is emptied: no dropout.
pub(crate) fn draw_keep(
    keep: &mut Vec<f32>,
    p: f32,
    seed: Option<u64>,
    first: usize,
    n_ex: usize,
    per_example: usize,
    site: usize,
) {
    let Some(seed) = seed.filter(|_| p > 0.0) else {
        keep.clear();
        return;
    };
    fit(keep, n_ex * per_example);
    let threshold = (f64::from(p) * 65536.0).round() as u64;
    let scale = 1.0 / (1.0 - p);
    let pick = |u: u64| if (u & 0xFFFF) < threshold { 0.0 } else { scale };
    for (e, block) in keep.chunks_exact_mut(per_example).enumerate() {
        let mut state = site_key(seed, first + e, site);
        let mut quads = block.chunks_exact_mut(4);
        for quad in &mut quads {
            let r = wyrand(&mut state);
            quad[0] = pick(r);
            quad[1] = pick(r >> 16);
            quad[2] = pick(r >> 32);
            quad[3] = pick(r >> 48);
        }
        let mut r = wyrand(&mut state);
        for k in quads.into_remainder() {
            *k = pick(r);
            r >>= 16;
        }
    }
}

/// One step of the wyrand generator.
#[inline(always)]
fn wyrand(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0xA076_1D64_78BD_642F);
    let t = u128::from(*state) * u128::from(*state ^ 0xE703_7ED1_A0B4_28DB);
    ((t >> 64) as u64) ^ (t as u64)
}

/// `x *= keep` elementwise (nothing when `keep` is empty).
pub(crate) fn apply_keep(x: &mut [f32], keep: &[f32]) {
    if !keep.is_empty() {
        x.iter_mut().zip(keep).for_each(|(v, k)| *v *= k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropout_masks_do_not_depend_on_chunking_and_drop_about_p() {
        let mut whole = Vec::new();
        draw_keep(&mut whole, 0.25, Some(3), 0, 4, 1000, 7);
        let mut second_half = Vec::new();
        draw_keep(&mut second_half, 0.25, Some(3), 2, 2, 1000, 7);
        assert_eq!(&whole[2000..], &second_half[..]);
        let dropped = whole.iter().filter(|&&k| k == 0.0).count() as f64 / 4000.0;
        assert!((dropped - 0.25).abs() < 0.03, "{dropped}");
        let mut none = vec![1.0];
        draw_keep(&mut none, 0.25, None, 0, 4, 10, 0);
        assert!(none.is_empty());
    }
}
