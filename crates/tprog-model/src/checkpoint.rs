//! Saving and loading parameters as safetensors under their stable (reference) names. Loading
//! also accepts the fixtures' `param.` prefix and ignores extra tensors (the reference's
//! buffers: masks, indices, biases, which are derived from the config).

use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::{Model, ModelError};

impl Model {
    /// Writes every parameter (trainable and frozen) as an `F32` tensor.
    pub fn save_safetensors(&self, path: &Path) -> Result<(), ModelError> {
        let p = self.params();
        let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = p
            .specs()
            .iter()
            .map(|s| {
                let b = p
                    .get(p.id(&s.name).unwrap_or_default())
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect();
                (s.name.clone(), s.shape.clone(), b)
            })
            .collect();
        let mut views = Vec::with_capacity(bytes.len());
        for (name, shape, b) in &bytes {
            let view = TensorView::new(Dtype::F32, shape.clone(), b).map_err(|e| {
                ModelError::Safetensors {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                }
            })?;
            views.push((name.clone(), view));
        }
        safetensors::serialize_to_file(views, &None, path).map_err(|e| ModelError::Safetensors {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// Reads every parameter from a safetensors file (names as saved, or prefixed with
    /// `param.`). A missing parameter or a wrong shape/dtype is an error naming the tensor.
    pub fn load_safetensors(&mut self, path: &Path) -> Result<(), ModelError> {
        let data = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let st = SafeTensors::deserialize(&data).map_err(|e| ModelError::Safetensors {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let specs = self.params().specs().to_vec();
        let mut loaded = Vec::with_capacity(specs.len());
        for s in &specs {
            let view = st
                .tensor(&s.name)
                .or_else(|_| st.tensor(&format!("param.{}", s.name)))
                .map_err(|_| ModelError::MissingTensor {
                    path: path.to_path_buf(),
                    name: s.name.clone(),
                })?;
            if view.dtype() != Dtype::F32 || view.shape() != s.shape.as_slice() {
                return Err(ModelError::TensorMismatch {
                    path: path.to_path_buf(),
                    name: s.name.clone(),
                    got: view.shape().to_vec(),
                    dtype: format!("{:?}", view.dtype()),
                    expected: s.shape.clone(),
                });
            }
            let values: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            loaded.push(values);
        }
        for (s, values) in specs.iter().zip(loaded) {
            self.params.value[s.offset..s.offset + s.len].copy_from_slice(&values);
        }
        Ok(())
    }

    /// Sets one parameter by name (e.g. from an imported PyTorch state dict). Returns `false`
    /// if the model has no parameter of that name (a buffer), an error if the shape differs.
    pub fn set_tensor(
        &mut self,
        name: &str,
        shape: &[usize],
        data: &[f32],
    ) -> Result<bool, ModelError> {
        let Some(id) = self.params.id(name) else {
            return Ok(false);
        };
        let s = self.params.spec(id).clone();
        if s.shape != shape || data.len() != s.len {
            return Err(ModelError::TensorMismatch {
                path: Default::default(),
                name: name.to_string(),
                got: shape.to_vec(),
                dtype: "F32".into(),
                expected: s.shape,
            });
        }
        self.params.get_mut(id).copy_from_slice(data);
        Ok(true)
    }
}
