//! The model's modules, each with its forward and backward kernel.

pub(crate) mod cat_attention;
pub(crate) mod classifier;
pub(crate) mod embed;
pub(crate) mod mlp;
pub(crate) mod num_attention;
pub(crate) mod read;
pub(crate) mod selector;
