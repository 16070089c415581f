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
