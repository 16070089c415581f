//! Saving and loading the standard Transformer's parameters: our safetensors files (stable
//! names, a checksum in the header, through `tprog_model::checkpoint`), and tensors under the
//! reference's PyTorch names (through the name map of `params.rs`).

use std::path::Path;

use safetensors::tensor::Dtype;

use super::error::BaselineError;
use super::model::StandardTransformer;
use super::params::reference_name;

/// A tensor handed in from outside: shape and row-major values.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Shape.
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub values: Vec<f32>,
}

fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = values[r * cols + c];
        }
    }
    out
}

impl StandardTransformer {
    /// Every parameter as safetensors bytes under its stable name, with a checksum.
    pub fn to_safetensors_bytes(&self) -> Result<Vec<u8>, BaselineError> {
        let p = &self.params;
        let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = p
            .specs()
            .iter()
            .map(|s| {
                let bytes = p.value[s.offset..s.offset + s.len]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect();
                (s.name.clone(), s.shape.clone(), bytes)
            })
            .collect();
        tprog_model::checkpoint::serialize_checked(&tensors).map_err(|e| {
            BaselineError::Safetensors {
                path: Default::default(),
                reason: e.to_string(),
            }
        })
    }

    /// Reads every parameter from a file written by [`Self::to_safetensors_bytes`].
    pub fn load_safetensors(&mut self, path: &Path) -> Result<(), BaselineError> {
        let bytes = std::fs::read(path).map_err(|source| BaselineError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        self.load_safetensors_bytes(&bytes, path)
    }

    /// [`Self::load_safetensors`] from bytes; `path` names them in errors. Nothing changes
    /// unless every tensor is present, of the right shape and finite.
    pub fn load_safetensors_bytes(
        &mut self,
        bytes: &[u8],
        path: &Path,
    ) -> Result<(), BaselineError> {
        let st = tprog_model::checkpoint::deserialize_checked(bytes).map_err(|reason| {
            BaselineError::Safetensors {
                path: path.to_path_buf(),
                reason,
            }
        })?;
        self.load_tensors(path, |name| {
            let view = st.tensor(name).ok()?;
            let values = if view.dtype() == Dtype::F32 {
                view.data()
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect()
            } else {
                Vec::new()
            };
            Some(Tensor {
                shape: view.shape().to_vec(),
                values,
            })
        })
    }

    /// Loads every parameter from tensors under the reference's PyTorch names (the state dict
    /// of a `--standard` model, e.g. `encoder.layers.0.self_attn.in_proj_weight`), transposing
    /// where our layout differs (`embed.W_E`). `get` returns the tensor of a reference name.
    pub fn load_reference(
        &mut self,
        source: &Path,
        get: impl Fn(&str) -> Option<Tensor>,
    ) -> Result<(), BaselineError> {
        self.load_tensors(source, |ours| {
            let (theirs, transposed) = reference_name(ours)?;
            let tensor = get(&theirs)?;
            if !transposed {
                return Some(tensor);
            }
            match tensor.shape[..] {
                [rows, cols] if tensor.values.len() == rows * cols => Some(Tensor {
                    shape: vec![cols, rows],
                    values: transpose(&tensor.values, rows, cols),
                }),
                _ => Some(tensor),
            }
        })
    }

    /// Loads every parameter from `get(our name)`; all-or-nothing.
    fn load_tensors(
        &mut self,
        path: &Path,
        get: impl Fn(&str) -> Option<Tensor>,
    ) -> Result<(), BaselineError> {
        let specs = self.params.specs().to_vec();
        let mut loaded = Vec::with_capacity(specs.len());
        for s in &specs {
            let tensor = get(&s.name).ok_or_else(|| BaselineError::MissingTensor {
                path: path.to_path_buf(),
                name: reference_name(&s.name)
                    .map_or_else(|| s.name.clone(), |(r, _)| format!("{} ({r})", s.name)),
            })?;
            if tensor.shape != s.shape || tensor.values.len() != s.len {
                return Err(BaselineError::TensorMismatch {
                    path: path.to_path_buf(),
                    name: s.name.clone(),
                    got: tensor.shape,
                    dtype: if tensor.values.len() == s.len {
                        "F32"
                    } else {
                        "non-F32"
                    }
                    .into(),
                    expected: s.shape.clone(),
                });
            }
            if tensor.values.iter().any(|v| !v.is_finite()) {
                return Err(BaselineError::Safetensors {
                    path: path.to_path_buf(),
                    reason: format!("tensor {} holds NaN or infinite values", s.name),
                });
            }
            loaded.push(tensor.values);
        }
        for (s, values) in specs.iter().zip(loaded) {
            self.params.value[s.offset..s.offset + s.len].copy_from_slice(&values);
        }
        Ok(())
    }
}
