//! `StandardConfig`: the architecture of the standard Transformer (the reference's `--standard`
//! flags) and the task facts it is built for; plain data, saved in `config.json`.

use serde::{Deserialize, Serialize};

use super::error::BaselineError;

/// The largest model width, layer count, head count and MLP width accepted (a guard against
/// typing mistakes that would allocate gigabytes, not a limit of the kernels).
pub const MAX_WIDTH: usize = 8192;
/// The largest number of layers.
pub const MAX_LAYERS: usize = 64;

/// The standard Transformer's architecture (reference flag names) and its task facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardConfig {
    /// Width of the residual stream `D`.
    pub d_model: usize,
    /// Encoder layers `L`.
    pub n_layers: usize,
    /// Attention heads per layer `H` (`d_model` must be a multiple of it).
    pub n_heads: usize,
    /// Hidden width of each MLP `F`.
    pub d_mlp: usize,
    /// Dropout rate (embeddings, attention weights, attention output, MLP hidden, MLP output);
    /// active only while training.
    #[serde(default)]
    pub dropout: f32,
    /// Longest sequence (rows of the learned position embedding).
    pub n_ctx: usize,
    /// Input vocabulary size `V` (including `<pad>`).
    pub vocab_size: usize,
    /// Output classes `C` (including `<pad>`).
    pub n_classes: usize,
    /// Classes whose logit is fixed at −1e30 (the reference's `unembed_mask`: `<pad>`, `<unk>`).
    #[serde(default)]
    pub masked_classes: Vec<usize>,
    /// The input `<pad>` index; positions holding it are masked.
    #[serde(default)]
    pub pad_token: u32,
    /// Causal attention (a query sees itself and earlier keys only): Dyck and induction.
    #[serde(default)]
    pub autoregressive: bool,
    /// Position 0's classifier input is the mean over the non-`<pad>` positions (divided by the
    /// padded width, as the reference does): sequence classification.
    #[serde(default)]
    pub pool_outputs: bool,
}

/// The architecture alone (no task facts): what a preset or the command line chooses.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardShape {
    /// Width of the residual stream.
    pub d_model: usize,
    /// Encoder layers.
    pub n_layers: usize,
    /// Attention heads per layer.
    pub n_heads: usize,
    /// Hidden width of each MLP.
    pub d_mlp: usize,
    /// Dropout rate while training.
    #[serde(default)]
    pub dropout: f32,
}

impl StandardShape {
    /// The reference's CoNLL baseline (`conll_standard.sh`): 128 wide, 3 layers, 4 heads,
    /// MLP 64, dropout 0.5.
    pub fn conll() -> Self {
        Self {
            d_model: 128,
            n_layers: 3,
            n_heads: 4,
            d_mlp: 64,
            dropout: 0.5,
        }
    }

    /// The reference's classification baseline (`classification_standard.sh`): 64 wide,
    /// 2 layers, 4 heads, MLP 64, dropout 0.5.
    pub fn classification() -> Self {
        Self {
            d_model: 64,
            n_layers: 2,
            n_heads: 4,
            d_mlp: 64,
            dropout: 0.5,
        }
    }

    /// The RASP comparison size: 64 wide, 3 layers, 4 heads, MLP 128, no dropout (see
    /// docs/baseline.md for why this size).
    pub fn rasp() -> Self {
        Self {
            d_model: 64,
            n_layers: 3,
            n_heads: 4,
            d_mlp: 128,
            dropout: 0.0,
        }
    }
}

impl StandardConfig {
    /// The architecture part of the config.
    pub fn shape(&self) -> StandardShape {
        StandardShape {
            d_model: self.d_model,
            n_layers: self.n_layers,
            n_heads: self.n_heads,
            d_mlp: self.d_mlp,
            dropout: self.dropout,
        }
    }

    /// Width of one head `d_head = D / H`.
    pub fn d_head(&self) -> usize {
        self.d_model / self.n_heads.max(1)
    }

    /// Every problem with the config, at once.
    pub fn validate(&self) -> Result<(), BaselineError> {
        let mut problems = Vec::new();
        for (name, value) in [
            ("d_model", self.d_model),
            ("n_heads", self.n_heads),
            ("d_mlp", self.d_mlp),
        ] {
            if !(1..=MAX_WIDTH).contains(&value) {
                problems.push(format!(
                    "{name} must be between 1 and {MAX_WIDTH}, got {value}"
                ));
            }
        }
        if !(1..=MAX_LAYERS).contains(&self.n_layers) {
            problems.push(format!(
                "n_layers must be between 1 and {MAX_LAYERS}, got {}",
                self.n_layers
            ));
        }
        if self.n_heads > 0 && self.d_model % self.n_heads != 0 {
            problems.push(format!(
                "d_model ({}) must be a multiple of n_heads ({})",
                self.d_model, self.n_heads
            ));
        }
        if !(self.dropout.is_finite() && (0.0..1.0).contains(&self.dropout)) {
            problems.push(format!("dropout must be in [0, 1), got {}", self.dropout));
        }
        if self.n_ctx == 0 {
            problems.push("n_ctx must be at least 1".to_owned());
        }
        if self.vocab_size == 0 || self.vocab_size > u32::MAX as usize {
            problems.push(format!(
                "vocab_size must be at least 1, got {}",
                self.vocab_size
            ));
        }
        if self.n_classes == 0 {
            problems.push("n_classes must be at least 1".to_owned());
        }
        if self.pad_token as usize >= self.vocab_size.max(1) {
            problems.push(format!(
                "pad_token {} is outside the vocabulary of {}",
                self.pad_token, self.vocab_size
            ));
        }
        for &c in &self.masked_classes {
            if c >= self.n_classes {
                problems.push(format!("masked class {c} is outside 0..{}", self.n_classes));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(BaselineError::InvalidConfig { problems })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> StandardConfig {
        StandardConfig {
            d_model: 32,
            n_layers: 2,
            n_heads: 4,
            d_mlp: 32,
            dropout: 0.0,
            n_ctx: 12,
            vocab_size: 30,
            n_classes: 5,
            masked_classes: vec![0, 1],
            pad_token: 0,
            autoregressive: false,
            pool_outputs: true,
        }
    }

    #[test]
    fn valid_config_passes_and_bad_one_lists_every_problem() {
        assert!(config().validate().is_ok());
        let bad = StandardConfig {
            d_model: 30,
            n_heads: 4,
            dropout: 1.5,
            masked_classes: vec![9],
            ..config()
        };
        let Err(BaselineError::InvalidConfig { problems }) = bad.validate() else {
            panic!("expected invalid");
        };
        assert_eq!(problems.len(), 3, "{problems:?}");
    }
}
