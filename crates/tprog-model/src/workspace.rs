//! Per-example activation buffers, allocated once (for `n_ctx` positions) and reused by every
//! forward and backward pass; one per example of the largest batch seen so far.

use crate::model::Net;
use crate::modules::cat_attention::CatAttnWs;
use crate::modules::mlp::MlpWs;
use crate::modules::num_attention::NumAttnWs;

/// Activations of one block for one example.
#[derive(Debug, Clone)]
pub(crate) struct LayerWs {
    pub cat: Option<CatAttnWs>,
    pub num: Option<NumAttnWs>,
    pub cat_mlps: Vec<MlpWs>,
    pub num_mlps: Vec<MlpWs>,
}

/// Everything one example needs during a forward and backward pass.
#[derive(Debug, Clone)]
pub(crate) struct ExampleWs {
    /// Streams and their gradients: `[N, d_cat]`, `[N, d_num]`.
    pub x_cat: Vec<f32>,
    pub x_num: Vec<f32>,
    #[cfg(any(test, feature = "testing"))]
    pub dx_cat: Vec<f32>,
    #[cfg(any(test, feature = "testing"))]
    pub dx_num: Vec<f32>,
    /// Attention mask `[N, N]` and non-pad positions `[N]`.
    pub mask: Vec<bool>,
    pub keep: Vec<bool>,
    /// Per-layer activations.
    pub layers: Vec<LayerWs>,
    /// Pooled features of position 0 (`pool_outputs`) and their gradients.
    pub pooled_cat: Vec<f32>,
    pub pooled_num: Vec<f32>,
    #[cfg(any(test, feature = "testing"))]
    pub dpooled_cat: Vec<f32>,
    #[cfg(any(test, feature = "testing"))]
    pub dpooled_num: Vec<f32>,
    /// Logits `[N, C]` and their gradient.
    pub logits: Vec<f32>,
    pub dlogits: Vec<f32>,
    /// This example's loss (per-sequence mean NLL).
    pub loss: f32,
}

impl ExampleWs {
    pub fn new(net: &Net) -> Self {
        let n = net.n_ctx;
        let (dc, dn) = (net.layout.d_cat(), net.layout.d_num());
        let k = net.layout.k;
        let c = net.classifier.n_classes;
        let layers = net
            .layers
            .iter()
            .map(|l| LayerWs {
                cat: l
                    .cat_attn
                    .as_ref()
                    .map(|a| CatAttnWs::new(a.select.heads, n, k)),
                num: l
                    .num_attn
                    .as_ref()
                    .map(|a| NumAttnWs::new(a.select.heads, n, k)),
                cat_mlps: l.cat_mlps.iter().map(|m| MlpWs::new(m, n)).collect(),
                num_mlps: l.num_mlps.iter().map(|m| MlpWs::new(m, n)).collect(),
            })
            .collect();
        Self {
            x_cat: vec![0.0; n * dc],
            x_num: vec![0.0; n * dn],
            #[cfg(any(test, feature = "testing"))]
            dx_cat: vec![0.0; n * dc],
            #[cfg(any(test, feature = "testing"))]
            dx_num: vec![0.0; n * dn],
            mask: vec![false; n * n],
            keep: vec![false; n],
            layers,
            pooled_cat: vec![0.0; dc],
            pooled_num: vec![0.0; dn],
            #[cfg(any(test, feature = "testing"))]
            dpooled_cat: vec![0.0; dc],
            #[cfg(any(test, feature = "testing"))]
            dpooled_num: vec![0.0; dn],
            logits: vec![0.0; n * c],
            dlogits: vec![0.0; n * c],
            loss: 0.0,
        }
    }

    /// `keep[i] = tokens[i] != pad`; `mask[i,j] = keep[i] ∧ keep[j]` (and `j ≤ i` if causal).
    pub fn set_mask(&mut self, tokens: &[u32], n: usize, pad: u32, autoregressive: bool) {
        for (kp, &t) in self.keep.iter_mut().zip(tokens).take(n) {
            *kp = t != pad;
        }
        for i in 0..n {
            for j in 0..n {
                self.mask[i * n + j] = self.keep[i] && self.keep[j] && (!autoregressive || j <= i);
            }
        }
    }
}
