//! The model's modules, each with its forward and backward kernel.
//!
//! Shapes (dimension letters): B batch, N positions, K values per variable, H heads, D MLP hidden
//! width, U MLP inputs, C classes (each file restates the ones it uses).

pub(crate) mod cat_attention;
pub(crate) mod classifier;
pub(crate) mod embed;
pub(crate) mod mlp;
pub(crate) mod num_attention;
pub(crate) mod read;
pub(crate) mod selector;

/// The row strides of the two streams and the positions in use, passed to the kernels as one
/// value (three `usize` arguments in a row are easy to swap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StreamShape {
    /// Row stride of `x_cat` (`D_cat`).
    pub d_cat: usize,
    /// Row stride of `x_num` (`D_num`).
    pub d_num: usize,
    /// Positions `N`.
    pub n: usize,
}
