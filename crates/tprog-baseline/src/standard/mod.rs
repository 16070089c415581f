//! The standard Transformer the paper compares Transformer Programs against (the reference's
//! `--standard`, `src/models/transformers.py`): token embedding × sqrt(D) plus learned
//! positions, `L` pre-LayerNorm encoder layers (multi-head self-attention with scores scaled by
//! 1/sqrt(dh), ReLU MLP, dropout while training), no final LayerNorm, then the same pooling,
//! masked classes and loss as the Transformer Programs.
//!
//! Hand-written forward and backward kernels on `matrixmultiply`, run over chunks of examples
//! with rayon (docs/baseline.md says why, with the timings).
//!
//! Dimension letters: B batch, N positions, E examples in a chunk, R rows (E·N), D `d_model`,
//! H heads, dh `D/H`, F `d_mlp`, V vocabulary, C classes.
//!
//! ```
//! use tprog_baseline::standard::{Adam, StandardConfig};
//!
//! let config = StandardConfig {
//!     d_model: 16, n_layers: 1, n_heads: 2, d_mlp: 16, dropout: 0.0,
//!     n_ctx: 4, vocab_size: 6, n_classes: 3, masked_classes: vec![0],
//!     pad_token: 0, autoregressive: false, pool_outputs: false,
//! };
//! let mut model = config.init(0).unwrap();
//! let (tokens, labels) = (vec![1, 2, 3, 0], vec![1, 2, 1, 0]);
//! let mut adam = Adam::new(1e-2);
//! let before = model.loss(&tokens, &labels, 1, 4).unwrap();
//! for step in 0..20 {
//!     model.zero_grad();
//!     model.loss_and_backward(&tokens, &labels, 1, 4, step).unwrap();
//!     model.adam_step(&mut adam);
//! }
//! assert!(model.loss(&tokens, &labels, 1, 4).unwrap() < before);
//! assert_eq!(model.predict(&tokens, 1, 4).unwrap()[..3], [1, 2, 1]);
//! ```

mod backward;
mod config;
mod error;
mod forward;
mod io;
mod linalg;
mod model;
mod optim;
mod params;
mod workspace;

pub use config::{MAX_LAYERS, MAX_WIDTH, StandardConfig, StandardShape};
pub use error::BaselineError;
pub use io::Tensor;
pub use model::{MAX_CHUNKS, PREDICT_BATCH, StandardTransformer};
pub use params::{ParamSpec, StandardParams, reference_name};
pub use tprog_model::Adam;
