//! Saving and loading parameters as safetensors under their stable (reference) names. Loading
//! also accepts the fixtures' `param.` prefix and ignores extra tensors (the reference's
//! buffers: masks, indices, biases, which are derived from the config).
//!
//! Files written by tprog carry a checksum of their tensor data in the safetensors header
//! ([`CHECKSUM_KEY`]), so a flipped byte is found on load instead of silently changing the
//! model. The checksum lives in the file it protects, so it is replaced atomically with it.
//! tprog's header entries are one metadata key, [`METADATA_KEY`], holding a JSON object with
//! sorted keys: safetensors writes its metadata map in hash order, so several keys would make
//! the bytes of two identical saves differ.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::{Model, ModelError};

/// The safetensors metadata key of tprog's header entries (a JSON object, keys sorted).
pub const METADATA_KEY: &str = "tprog";

/// Header entry holding the CRC-32 (hex) of every tensor's name, shape and data, in name order.
pub const CHECKSUM_KEY: &str = "crc32";

/// The checksum of a set of tensors: CRC-32 over each tensor's name, dtype, shape and bytes,
/// taken in name order (the order safetensors stores them in is not guaranteed).
pub fn tensors_checksum<'a>(
    tensors: impl IntoIterator<Item = (&'a str, Dtype, &'a [usize], &'a [u8])>,
) -> String {
    let mut sorted: Vec<_> = tensors.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut hasher = crc32fast::Hasher::new();
    for (name, dtype, shape, data) in sorted {
        hasher.update(name.as_bytes());
        hasher.update(format!("{dtype:?}{shape:?}").as_bytes());
        hasher.update(data);
    }
    format!("{:08x}", hasher.finalize())
}

/// Serialises named `F32` tensors with their checksum in the header.
pub fn serialize_checked(
    tensors: &[(String, Vec<usize>, Vec<u8>)],
) -> Result<Vec<u8>, safetensors::SafeTensorError> {
    serialize_checked_with(tensors, BTreeMap::new())
}

/// [`serialize_checked`] with more header entries (written in the same file, so they are
/// replaced atomically with the tensors they describe).
pub fn serialize_checked_with(
    tensors: &[(String, Vec<usize>, Vec<u8>)],
    mut entries: BTreeMap<String, String>,
) -> Result<Vec<u8>, safetensors::SafeTensorError> {
    let checksum =
        tensors_checksum(tensors.iter().map(|(name, shape, data)| {
            (name.as_str(), Dtype::F32, shape.as_slice(), data.as_slice())
        }));
    let mut views = Vec::with_capacity(tensors.len());
    for (name, shape, data) in tensors {
        views.push((
            name.clone(),
            TensorView::new(Dtype::F32, shape.clone(), data)?,
        ));
    }
    entries.insert(CHECKSUM_KEY.to_owned(), checksum);
    let entries = serde_json::to_string(&entries).unwrap_or_default();
    let metadata = HashMap::from([(METADATA_KEY.to_owned(), entries)]);
    safetensors::serialize(views, &Some(metadata))
}

/// tprog's header entries of safetensors bytes (empty when there are none, as in files from
/// other tools, or when the header is bad).
pub fn header_metadata(bytes: &[u8]) -> BTreeMap<String, String> {
    SafeTensors::read_metadata(bytes)
        .ok()
        .and_then(|(_, header)| header.metadata().clone())
        .and_then(|metadata| metadata.get(METADATA_KEY).cloned())
        .and_then(|entries| serde_json::from_str(&entries).ok())
        .unwrap_or_default()
}

/// Parses safetensors bytes and, when the header carries a tprog checksum, checks it. Files
/// without one (written by other tools, such as the reference fixtures) are accepted as they
/// are. Errors are plain text for the caller to attach to a path.
pub fn deserialize_checked(bytes: &[u8]) -> Result<SafeTensors<'_>, String> {
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| format!("{e:?}"))?;
    let tensors = SafeTensors::deserialize(bytes).map_err(|e| format!("{e:?}"))?;
    let entries = header.metadata().as_ref().and_then(|m| m.get(METADATA_KEY));
    let stored = match entries {
        None => None,
        Some(entries) => {
            let entries: BTreeMap<String, String> = serde_json::from_str(entries)
                .map_err(|e| format!("the header's {METADATA_KEY:?} entry is corrupted: {e}"))?;
            Some(entries.get(CHECKSUM_KEY).cloned().ok_or_else(|| {
                format!(
                    "the header's {METADATA_KEY:?} entry has no checksum: the file is corrupted"
                )
            })?)
        }
    };
    if let Some(stored) = stored {
        let entries = tensors.tensors();
        let actual = tensors_checksum(
            entries
                .iter()
                .map(|(name, view)| (name.as_str(), view.dtype(), view.shape(), view.data())),
        );
        if actual != stored {
            return Err(format!(
                "checksum mismatch (stored {stored}, computed {actual}): the file is corrupted"
            ));
        }
    }
    Ok(tensors)
}

impl Model {
    /// The parameters as safetensors bytes (every parameter, trainable and frozen, as `F32`),
    /// with a checksum in the header.
    pub fn to_safetensors_bytes(&self) -> Result<Vec<u8>, ModelError> {
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
        serialize_checked(&bytes).map_err(|e| ModelError::Safetensors {
            path: Default::default(),
            reason: e.to_string(),
        })
    }

    /// Writes [`Model::to_safetensors_bytes`] to `path` (not atomically: run directories use
    /// their own atomic writer).
    pub fn save_safetensors(&self, path: &Path) -> Result<(), ModelError> {
        let bytes = self.to_safetensors_bytes()?;
        std::fs::write(path, bytes).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads every parameter from a safetensors file (names as saved, or prefixed with
    /// `param.`). A missing parameter or a wrong shape/dtype is an error naming the tensor.
    pub fn load_safetensors(&mut self, path: &Path) -> Result<(), ModelError> {
        let data = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        self.load_safetensors_bytes(&data, path)
    }

    /// [`Model::load_safetensors`] from bytes already read; `path` names them in errors. The
    /// parameters change only when every tensor is present, well-formed and finite.
    pub fn load_safetensors_bytes(&mut self, data: &[u8], path: &Path) -> Result<(), ModelError> {
        let st = deserialize_checked(data).map_err(|reason| ModelError::Safetensors {
            path: path.to_path_buf(),
            reason,
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
        let non_finite: Vec<&str> = specs
            .iter()
            .zip(&loaded)
            .filter(|(_, values)| values.iter().any(|v| !v.is_finite()))
            .map(|(s, _)| s.name.as_str())
            .collect();
        if !non_finite.is_empty() {
            let shown = non_finite
                .iter()
                .take(3)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            let more = non_finite.len().saturating_sub(3);
            return Err(ModelError::Safetensors {
                path: path.to_path_buf(),
                reason: format!(
                    "{} tensors hold NaN or infinite values ({shown}{})",
                    non_finite.len(),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ),
            });
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
