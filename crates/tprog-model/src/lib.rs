//! The Transformer Program model (Friedman et al. 2023): configuration, Gumbel relaxations,
//! and hand-written forward and backward kernels for every module, checked against the
//! reference PyTorch implementation.
//!
//! ```
//! use tprog_model::{Adam, ModelConfig, Sampling};
//!
//! // The README's sort model for a vocabulary of 8 tokens and 6 classes, 8 positions.
//! let config = ModelConfig::readme_sort(8, 8, 6);
//! let mut model = config.init(0).unwrap();
//! let tokens = vec![7, 3, 1, 2, 6, 0, 0, 0]; // <s> 2 0 1 </s> <pad> ...
//! let labels = vec![0, 1, 2, 3, 0, 0, 0, 0];
//! let mut adam = Adam::new(0.05);
//! let loss = model
//!     .loss_and_backward(&tokens, &labels, 1, 8, Sampling::GumbelSoft { tau: 3.0 }, 1)
//!     .unwrap();
//! adam.step(&mut model);
//! assert!(loss.is_finite());
//! let predictions = model.predict(&tokens, 1, 8).unwrap();
//! assert_eq!(predictions.len(), 8);
//! ```

// Kernels index several parallel buffers with the same loop variable.
#![allow(clippy::needless_range_loop)]

mod adam;
mod batch;
pub mod checkpoint;
mod config;
mod error;
mod inspect;
mod kernels;
mod lanes;
mod model;
mod modules;
#[cfg(any(test, feature = "testing"))]
mod oracle;
mod param_builder;
mod params;
mod per_example;
pub mod sampler;
mod workspace;

pub use adam::{Adam, AdamUpdate};
pub use config::{BosDefault, Layout, ModelConfig};
pub use error::ModelError;
pub use inspect::{DiscreteMlp, HeadKind, MlpScratch, ReadSite};
pub use model::{DEFAULT_STEP_CHUNKS, MAX_STEP_CHUNKS, Model};
pub use modules::cat_attention::fixed_rel_pos_bias;
pub use modules::classifier::MASKED_LOGIT;
pub use params::{ParamId, ParamSpec, Params, SampledAs};
pub use sampler::Sampling;
