//! The standard Transformer's parameters: one flat store (values, gradients, Adam moments)
//! under stable names, their initialisation, and the map to the reference's PyTorch names.
//!
//! Names, shapes (D `d_model`, F `d_mlp`, V vocabulary, C classes) and initialisations, as
//! PyTorch creates them for the reference's `--standard` model:
//! * `embed.token` `[V, D]`: `N(0,1)/sqrt(D)`. The reference's `embed.W_E` is its transpose
//!   (`[D, V]`); rows here, so a batch reads and updates only the rows of its tokens.
//! * `embed.position` `[n_ctx, D]`: `N(0,1)/sqrt(D)` (reference `pos_embed.W_pos`).
//! * per layer `l`, `layers.{l}.`: `norm1.weight`/`norm2.weight` `[D]` ones, `.bias` zeros;
//!   `attn.in_proj.weight` `[3D, D]` (rows query | key | value): Xavier-uniform
//!   `U(±sqrt(6/(D + 3D)))`, `attn.in_proj.bias` zeros; `attn.out_proj.weight` `[D, D]`:
//!   `U(±1/sqrt(D))`, bias zeros; `mlp.linear1.weight` `[F, D]` and bias `[F]`: `U(±1/sqrt(D))`;
//!   `mlp.linear2.weight` `[D, F]` and bias `[D]`: `U(±1/sqrt(F))`. PyTorch deep-copies one
//!   initialised layer `n_layers` times, so every layer starts identical; so do we.
//! * `unembed.weight` `[D, C]`: `N(0,1)/sqrt(C)` (reference `unembed.W_U`, no bias).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::config::StandardConfig;

/// One parameter tensor of the store.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// Stable name (the checkpoint key).
    pub name: String,
    /// Shape, row-major.
    pub shape: Vec<usize>,
    /// Offset in the flat buffers.
    pub offset: usize,
    /// Number of values.
    pub len: usize,
}

/// Every parameter of a standard Transformer, with gradients and Adam moments in the same
/// layout (all parameters are trainable).
#[derive(Debug, Clone)]
pub struct StandardParams {
    specs: Vec<ParamSpec>,
    /// Values, all tensors concatenated in creation order.
    pub value: Vec<f32>,
    /// Gradients of the values.
    pub grad: Vec<f32>,
    /// Adam first moments.
    pub adam_m: Vec<f32>,
    /// Adam second moments.
    pub adam_v: Vec<f32>,
}

impl StandardParams {
    fn add(&mut self, name: String, shape: Vec<usize>, values: Vec<f32>) -> usize {
        let len = shape.iter().product::<usize>();
        debug_assert_eq!(len, values.len(), "{name}");
        let offset = self.value.len();
        self.specs.push(ParamSpec {
            name,
            shape,
            offset,
            len,
        });
        self.value.extend_from_slice(&values);
        let total = self.value.len();
        for buffer in [&mut self.grad, &mut self.adam_m, &mut self.adam_v] {
            buffer.resize(total, 0.0);
        }
        offset
    }

    /// Every tensor, in creation order.
    pub fn specs(&self) -> &[ParamSpec] {
        &self.specs
    }

    /// The spec of the tensor called `name`.
    pub fn spec(&self, name: &str) -> Option<&ParamSpec> {
        self.specs.iter().find(|s| s.name == name)
    }

    /// The values of the tensor called `name`.
    pub fn by_name(&self, name: &str) -> Option<&[f32]> {
        self.spec(name)
            .map(|s| &self.value[s.offset..s.offset + s.len])
    }

    /// The values of the tensor called `name`, to overwrite (an initialisation from outside,
    /// as GloVe's). Gradients and Adam moments are left as they are.
    pub fn by_name_mut(&mut self, name: &str) -> Option<&mut [f32]> {
        let (offset, len) = self.spec(name).map(|s| (s.offset, s.len))?;
        Some(&mut self.value[offset..offset + len])
    }

    /// The gradient of the tensor called `name`.
    pub fn grad_by_name(&self, name: &str) -> Option<&[f32]> {
        self.spec(name)
            .map(|s| &self.grad[s.offset..s.offset + s.len])
    }

    /// The name of the first tensor with a NaN or infinite gradient.
    pub fn first_non_finite_grad(&self) -> Option<&str> {
        self.specs
            .iter()
            .find(|s| {
                self.grad[s.offset..s.offset + s.len]
                    .iter()
                    .any(|g| !g.is_finite())
            })
            .map(|s| s.name.as_str())
    }
}

/// Offsets of one encoder layer's tensors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerOffsets {
    pub norm1_w: usize,
    pub norm1_b: usize,
    pub in_w: usize,
    pub in_b: usize,
    pub out_w: usize,
    pub out_b: usize,
    pub norm2_w: usize,
    pub norm2_b: usize,
    pub lin1_w: usize,
    pub lin1_b: usize,
    pub lin2_w: usize,
    pub lin2_b: usize,
}

/// Offsets of every tensor. `embed.token` comes first, so everything from `dense_start` on is
/// the part every step touches densely (per-chunk gradient buffers cover only that part).
#[derive(Debug, Clone)]
pub(crate) struct Offsets {
    pub token: usize,
    pub position: usize,
    pub layers: Vec<LayerOffsets>,
    pub unembed: usize,
    pub dense_start: usize,
}

/// The reference's name of each of our tensors, and whether its layout is our transpose.
pub fn reference_name(name: &str) -> Option<(String, bool)> {
    match name {
        "embed.token" => return Some(("embed.W_E".to_owned(), true)),
        "embed.position" => return Some(("pos_embed.W_pos".to_owned(), false)),
        "unembed.weight" => return Some(("unembed.W_U".to_owned(), false)),
        _ => {}
    }
    let rest = name.strip_prefix("layers.")?;
    let (layer, tail) = rest.split_once('.')?;
    let layer: usize = layer.parse().ok()?;
    let theirs = match tail {
        "norm1.weight" | "norm1.bias" | "norm2.weight" | "norm2.bias" => tail.to_owned(),
        "attn.in_proj.weight" => "self_attn.in_proj_weight".to_owned(),
        "attn.in_proj.bias" => "self_attn.in_proj_bias".to_owned(),
        "attn.out_proj.weight" => "self_attn.out_proj.weight".to_owned(),
        "attn.out_proj.bias" => "self_attn.out_proj.bias".to_owned(),
        "mlp.linear1.weight" => "linear1.weight".to_owned(),
        "mlp.linear1.bias" => "linear1.bias".to_owned(),
        "mlp.linear2.weight" => "linear2.weight".to_owned(),
        "mlp.linear2.bias" => "linear2.bias".to_owned(),
        _ => return None,
    };
    Some((format!("encoder.layers.{layer}.{theirs}"), false))
}

/// Seeded draws for the initialisation (ChaCha8; normals by Box–Muller).
struct Draws(ChaCha8Rng);

impl Draws {
    fn uniform(&mut self, len: usize, bound: f32) -> Vec<f32> {
        (0..len)
            .map(|_| (self.0.r#gen::<f32>() * 2.0 - 1.0) * bound)
            .collect()
    }

    fn normal(&mut self, len: usize, scale: f32) -> Vec<f32> {
        (0..len)
            .map(|_| {
                let u1 = self.0.r#gen::<f64>().max(f64::MIN_POSITIVE);
                let u2 = self.0.r#gen::<f64>();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                z as f32 * scale
            })
            .collect()
    }
}

/// Creates every tensor with its initialisation (see the module docs), drawn from `seed`.
pub(crate) fn init_params(c: &StandardConfig, seed: u64) -> (StandardParams, Offsets) {
    let (d, f) = (c.d_model, c.d_mlp);
    let mut rng = Draws(ChaCha8Rng::seed_from_u64(seed));
    let mut p = StandardParams {
        specs: Vec::new(),
        value: Vec::new(),
        grad: Vec::new(),
        adam_m: Vec::new(),
        adam_v: Vec::new(),
    };
    let inv_sqrt = |x: usize| 1.0 / (x as f32).sqrt();
    let token = p.add(
        "embed.token".into(),
        vec![c.vocab_size, d],
        rng.normal(c.vocab_size * d, inv_sqrt(d)),
    );
    let dense_start = p.value.len();
    let position = p.add(
        "embed.position".into(),
        vec![c.n_ctx, d],
        rng.normal(c.n_ctx * d, inv_sqrt(d)),
    );
    // One layer's initial values, copied into every layer.
    let xavier = (6.0 / (d + 3 * d) as f32).sqrt();
    let template: Vec<(&str, Vec<usize>, Vec<f32>)> = vec![
        ("norm1.weight", vec![d], vec![1.0; d]),
        ("norm1.bias", vec![d], vec![0.0; d]),
        (
            "attn.in_proj.weight",
            vec![3 * d, d],
            rng.uniform(3 * d * d, xavier),
        ),
        ("attn.in_proj.bias", vec![3 * d], vec![0.0; 3 * d]),
        (
            "attn.out_proj.weight",
            vec![d, d],
            rng.uniform(d * d, inv_sqrt(d)),
        ),
        ("attn.out_proj.bias", vec![d], vec![0.0; d]),
        ("norm2.weight", vec![d], vec![1.0; d]),
        ("norm2.bias", vec![d], vec![0.0; d]),
        (
            "mlp.linear1.weight",
            vec![f, d],
            rng.uniform(f * d, inv_sqrt(d)),
        ),
        ("mlp.linear1.bias", vec![f], rng.uniform(f, inv_sqrt(d))),
        (
            "mlp.linear2.weight",
            vec![d, f],
            rng.uniform(d * f, inv_sqrt(f)),
        ),
        ("mlp.linear2.bias", vec![d], rng.uniform(d, inv_sqrt(f))),
    ];
    let mut layers = Vec::with_capacity(c.n_layers);
    for l in 0..c.n_layers {
        let mut at = [0usize; 12];
        for (slot, (name, shape, values)) in at.iter_mut().zip(&template) {
            *slot = p.add(format!("layers.{l}.{name}"), shape.clone(), values.clone());
        }
        let [
            norm1_w,
            norm1_b,
            in_w,
            in_b,
            out_w,
            out_b,
            norm2_w,
            norm2_b,
            lin1_w,
            lin1_b,
            lin2_w,
            lin2_b,
        ] = at;
        layers.push(LayerOffsets {
            norm1_w,
            norm1_b,
            in_w,
            in_b,
            out_w,
            out_b,
            norm2_w,
            norm2_b,
            lin1_w,
            lin1_b,
            lin2_w,
            lin2_b,
        });
    }
    let unembed = p.add(
        "unembed.weight".into(),
        vec![d, c.n_classes],
        rng.normal(d * c.n_classes, inv_sqrt(c.n_classes)),
    );
    let offsets = Offsets {
        token,
        position,
        layers,
        unembed,
        dense_start,
    };
    (p, offsets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_maps_to_a_reference_name() {
        let config = StandardConfig {
            d_model: 8,
            n_layers: 2,
            n_heads: 2,
            d_mlp: 4,
            dropout: 0.0,
            n_ctx: 5,
            vocab_size: 7,
            n_classes: 3,
            masked_classes: vec![0],
            pad_token: 0,
            autoregressive: false,
            pool_outputs: false,
        };
        let (p, _) = init_params(&config, 0);
        assert_eq!(p.specs().len(), 3 + 2 * 12);
        for spec in p.specs() {
            assert!(reference_name(&spec.name).is_some(), "{}", spec.name);
        }
        assert_eq!(
            reference_name("layers.1.attn.in_proj.weight"),
            Some((
                "encoder.layers.1.self_attn.in_proj_weight".to_owned(),
                false
            ))
        );
        // Layers start identical, as PyTorch's deep copies do.
        assert_eq!(
            p.by_name("layers.0.mlp.linear1.weight"),
            p.by_name("layers.1.mlp.linear1.weight")
        );
    }
}
