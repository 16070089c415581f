//! The names pass: the name of every variable of the model's two residual streams, in stream
//! order, as the reference names them (docs/model.md §9), and the reachable integer range of every
//! numerical variable (filled in as the numerical heads are decompiled).

use tprog_model::{Layout, ModelConfig};

use crate::DecompileError;

/// Largest magnitude of a numerical value the model's f32 arithmetic represents exactly.
const F32_EXACT: i128 = 1 << 24;

/// Names of the `x_cat` blocks and `x_num` scalars, plus the numerical ranges known so far.
#[derive(Debug, Clone)]
pub(crate) struct Stream {
    /// Name of each categorical block of the final `x_cat`, by block index.
    pub cat: Vec<String>,
    /// Name of each scalar of the final `x_num`, by index.
    pub num: Vec<String>,
    /// Reachable inclusive range of each `x_num` scalar decompiled so far (same indices).
    pub ranges: Vec<(i64, i64)>,
}

impl Stream {
    /// Names every variable of the stream; ranges start with the numerical inputs (`ones` = 1).
    pub fn new(config: &ModelConfig, layout: &Layout) -> Self {
        let mut cat = Vec::with_capacity(layout.cat_blocks_total());
        if config.one_hot_embed {
            cat.push("tokens".to_string());
        } else {
            cat.extend((0..layout.n_vars_cat).map(|i| format!("var{i}_embeddings")));
        }
        cat.push("positions".to_string());
        let mut num = Vec::with_capacity(layout.d_num());
        num.extend((0..layout.n_vars_num).map(|i| match i {
            0 => "ones".to_string(),
            _ => format!("ones_{i}"),
        }));
        for l in 0..layout.n_layers {
            cat.extend((0..layout.heads_cat).map(|h| format!("attn_{l}_{h}_outputs")));
            cat.extend((0..layout.cat_mlps).map(|m| format!("mlp_{l}_{m}_outputs")));
            cat.extend((0..layout.num_mlps).map(|m| format!("num_mlp_{l}_{m}_outputs")));
            num.extend((0..layout.heads_num).map(|h| format!("num_attn_{l}_{h}_outputs")));
        }
        Self {
            cat,
            num,
            ranges: vec![(1, 1); layout.n_vars_num],
        }
    }

    /// Records the range of the next numerical head, which sums a variable of range
    /// `value_range` over at most `n_ctx` matching positions:
    /// `[min(0, n_ctx·lo), max(0, n_ctx·hi)]` (a causal mask only lowers the count).
    pub fn push_sum_range(
        &mut self,
        value_range: (i64, i64),
        n_ctx: usize,
    ) -> Result<(), DecompileError> {
        let index = self.ranges.len();
        let n = n_ctx as i128;
        let lo = (n * i128::from(value_range.0)).min(0);
        let hi = (n * i128::from(value_range.1)).max(0);
        if lo < -F32_EXACT || hi > F32_EXACT {
            return Err(DecompileError::ValueTooLarge {
                variable: self.num.get(index).cloned().unwrap_or_default(),
                min: lo,
                max: hi,
            });
        }
        // Both fit in ±2^24, hence in i64.
        self.ranges.push((lo as i64, hi as i64));
        Ok(())
    }

    /// The name of categorical block `block`.
    pub fn cat_name(&self, block: usize) -> Result<&str, DecompileError> {
        self.cat.get(block).map(String::as_str).ok_or_else(|| {
            DecompileError::Unsupported(format!(
                "a read chose categorical block {block}, but the stream has {}",
                self.cat.len()
            ))
        })
    }

    /// The name of numerical scalar `index`.
    pub fn num_name(&self, index: usize) -> Result<&str, DecompileError> {
        self.num.get(index).map(String::as_str).ok_or_else(|| {
            DecompileError::Unsupported(format!(
                "a read chose numerical variable {index}, but the stream has {}",
                self.num.len()
            ))
        })
    }

    /// The reachable range of numerical scalar `index` (already decompiled).
    pub fn range(&self, index: usize) -> Result<(i64, i64), DecompileError> {
        self.ranges.get(index).copied().ok_or_else(|| {
            DecompileError::Unsupported(format!(
                "numerical variable {index} is read before it is computed"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rasp_stream_names_follow_the_reference_layout() {
        let config = ModelConfig::paper_rasp(8, 8, 8, 6);
        let stream = Stream::new(&config, &Layout::new(&config));
        // docs/model.md §2: 26 categorical blocks, 13 numerical scalars.
        assert_eq!(stream.cat.len(), 26);
        assert_eq!(stream.num.len(), 13);
        assert_eq!(
            &stream.cat[..4],
            [
                "tokens",
                "positions",
                "attn_0_0_outputs",
                "attn_0_1_outputs"
            ]
        );
        assert_eq!(stream.cat[6], "mlp_0_0_outputs");
        assert_eq!(stream.cat[8], "num_mlp_0_0_outputs");
        assert_eq!(stream.cat[10], "attn_1_0_outputs");
        assert_eq!(stream.num[0], "ones");
        assert_eq!(stream.num[5], "num_attn_1_0_outputs");
    }

    #[test]
    fn sum_ranges_grow_by_n_ctx_per_layer() {
        let config = ModelConfig::paper_rasp(8, 8, 8, 6);
        let mut stream = Stream::new(&config, &Layout::new(&config));
        stream.push_sum_range((1, 1), 8).unwrap();
        stream.push_sum_range((0, 8), 8).unwrap();
        assert_eq!(stream.range(1).unwrap(), (0, 8));
        assert_eq!(stream.range(2).unwrap(), (0, 64));
        assert!(stream.range(3).is_err());
        assert!(matches!(
            stream.push_sum_range((0, 1 << 22), 8),
            Err(DecompileError::ValueTooLarge { .. })
        ));
    }
}
