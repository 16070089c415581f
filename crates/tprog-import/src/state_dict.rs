//! [`read_state_dict`]: the zip archive of a `torch.save(state_dict)` checkpoint, its storages,
//! and the tensor views into them.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;
use std::rc::Rc;

use crate::TorchImportError;
use crate::pickle;
use crate::pickle_value::{TensorRef, Value};

/// Largest `data.pkl` accepted (a state dict's pickle holds names and shapes only).
const MAX_PICKLE_BYTES: u64 = 256 * 1024 * 1024;

/// One tensor of a state dict, converted to `f32`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct TorchTensor {
    /// The PyTorch name, e.g. `blocks.0.cat_attn.W_pred.W`.
    pub name: String,
    /// The shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// The elements in row-major order; `data.len()` is the product of `shape`.
    pub data: Vec<f32>,
}

/// How the elements of a storage are laid out on disk.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Dtype {
    F32,
    I64,
    Bool,
}

impl Dtype {
    fn from_storage_type(name: &str) -> Option<Dtype> {
        match name {
            "FloatStorage" => Some(Dtype::F32),
            "LongStorage" => Some(Dtype::I64),
            "BoolStorage" => Some(Dtype::Bool),
            _ => None,
        }
    }

    fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::I64 => 8,
            Dtype::Bool => 1,
        }
    }

    /// Decodes little-endian elements to `f32`; `bytes.len()` is a multiple of `size()`.
    fn decode(self, bytes: &[u8]) -> Vec<f32> {
        let chunks = bytes.chunks_exact(self.size());
        match self {
            Dtype::F32 => chunks
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Dtype::I64 => chunks
                .map(|c| {
                    i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32
                })
                .collect(),
            Dtype::Bool => chunks.map(|c| if c[0] != 0 { 1.0 } else { 0.0 }).collect(),
        }
    }
}

/// Reads every tensor (parameters and buffers) of a `torch.save(state_dict)` checkpoint, in
/// state-dict order.
///
/// ```no_run
/// let tensors = tprog_import::read_state_dict("model.pt".as_ref())?;
/// for t in &tensors {
///     println!("{} {:?}", t.name, t.shape);
/// }
/// # Ok::<(), tprog_import::TorchImportError>(())
/// ```
pub fn read_state_dict(path: &Path) -> Result<Vec<TorchTensor>, TorchImportError> {
    let file = File::open(path).map_err(|source| TorchImportError::Io {
        path: path.to_owned(),
        source,
    })?;
    read_state_dict_from(BufReader::new(file), path)
}

/// Reads a checkpoint from any seekable reader (bytes in memory, a file already open);
/// `path` only names the source in errors. See the crate's front page for an example.
pub fn read_state_dict_from<R: Read + Seek>(
    reader: R,
    path: &Path,
) -> Result<Vec<TorchTensor>, TorchImportError> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|source| TorchImportError::NotZip {
        path: path.to_owned(),
        source,
    })?;
    let pickle_entry = find_data_pkl(&archive).ok_or_else(|| TorchImportError::NoDataPkl {
        path: path.to_owned(),
    })?;
    let prefix = pickle_entry.trim_end_matches("data.pkl").to_string();
    let pickle_bytes = read_entry(&mut archive, path, &pickle_entry, MAX_PICKLE_BYTES)?
        .ok_or_else(|| TorchImportError::NoDataPkl {
            path: path.to_owned(),
        })?;
    let root = pickle::load(&pickle_bytes).map_err(|e| TorchImportError::MalformedPickle {
        path: path.to_owned(),
        offset: e.offset,
        reason: e.reason,
    })?;
    let entries = state_dict_entries(&root).map_err(|reason| TorchImportError::NotAStateDict {
        path: path.to_owned(),
        reason,
    })?;

    // Storages are decoded once each and shared by every tensor that views them.
    let mut storages: HashMap<String, (Dtype, Rc<Vec<f32>>)> = HashMap::new();
    let mut tensors = Vec::with_capacity(entries.len());
    for (name, tensor) in entries {
        let dtype = Dtype::from_storage_type(&tensor.storage.storage_type).ok_or_else(|| {
            TorchImportError::UnsupportedDtype {
                path: path.to_owned(),
                tensor: name.clone(),
                storage_type: tensor.storage.storage_type.clone(),
            }
        })?;
        let entry = format!("{prefix}data/{}", tensor.storage.key);
        let elements = match storages.get(&entry) {
            Some((seen, elements)) if *seen == dtype => Rc::clone(elements),
            Some(_) => {
                return Err(TorchImportError::NotAStateDict {
                    path: path.to_owned(),
                    reason: format!("storage {entry} is used with two element types"),
                });
            }
            None => {
                let elements = Rc::new(read_storage(
                    &mut archive,
                    path,
                    &entry,
                    &name,
                    dtype,
                    tensor.storage.numel,
                )?);
                storages.insert(entry, (dtype, Rc::clone(&elements)));
                elements
            }
        };
        let data = view(path, &name, &tensor, &elements)?;
        tensors.push(TorchTensor {
            name,
            shape: tensor.shape.clone(),
            data,
        });
    }
    Ok(tensors)
}

/// The `data.pkl` entry at the archive's top folder (`<prefix>/data.pkl`, or bare `data.pkl`).
fn find_data_pkl<R: Read + Seek>(archive: &zip::ZipArchive<R>) -> Option<String> {
    archive
        .file_names()
        .filter(|name| {
            *name == "data.pkl" || (name.ends_with("/data.pkl") && name.matches('/').count() == 1)
        })
        .min()
        .map(str::to_string)
}

/// Reads one archive entry, at most `limit` bytes of it; `None` if the entry does not exist.
fn read_entry<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    path: &Path,
    entry: &str,
    limit: u64,
) -> Result<Option<Vec<u8>>, TorchImportError> {
    let corrupt = |source| TorchImportError::CorruptEntry {
        path: path.to_owned(),
        entry: entry.to_string(),
        source,
    };
    let reader = match archive.by_name(entry) {
        Ok(reader) => reader,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(zip::result::ZipError::Io(source)) => return Err(corrupt(source)),
        Err(other) => return Err(corrupt(std::io::Error::other(other))),
    };
    let mut bytes = Vec::new();
    reader
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(corrupt)?;
    Ok(Some(bytes))
}

/// Reads and decodes one storage of `numel` elements.
fn read_storage<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    path: &Path,
    entry: &str,
    tensor: &str,
    dtype: Dtype,
    numel: usize,
) -> Result<Vec<f32>, TorchImportError> {
    // Saturating: an absurd numel from a damaged pickle just fails the size check below.
    let expected_bytes = (numel as u64).saturating_mul(dtype.size() as u64);
    let bytes =
        read_entry(archive, path, entry, expected_bytes.saturating_add(1))?.ok_or_else(|| {
            TorchImportError::MissingStorage {
                path: path.to_owned(),
                entry: entry.to_string(),
                tensor: tensor.to_string(),
            }
        })?;
    if bytes.len() as u64 != expected_bytes {
        return Err(TorchImportError::TruncatedStorage {
            path: path.to_owned(),
            entry: entry.to_string(),
            expected_bytes,
            actual_bytes: bytes.len() as u64,
        });
    }
    Ok(dtype.decode(&bytes))
}

/// Copies a contiguous tensor's elements out of its storage.
fn view(
    path: &Path,
    name: &str,
    tensor: &TensorRef,
    storage: &[f32],
) -> Result<Vec<f32>, TorchImportError> {
    let mut expected_stride = 1usize;
    let mut numel = 1usize;
    for (&size, &stride) in tensor.shape.iter().zip(&tensor.stride).rev() {
        if size != 1 && stride != expected_stride {
            return Err(TorchImportError::NotContiguous {
                path: path.to_owned(),
                tensor: name.to_string(),
                shape: tensor.shape.clone(),
                stride: tensor.stride.clone(),
            });
        }
        expected_stride = expected_stride.saturating_mul(size);
        numel = numel.saturating_mul(size);
    }
    let end = tensor.offset.saturating_add(numel);
    if end > storage.len() {
        return Err(TorchImportError::OutOfBounds {
            path: path.to_owned(),
            tensor: name.to_string(),
            offset: tensor.offset,
            end,
            numel: storage.len(),
        });
    }
    Ok(storage[tensor.offset..end].to_vec())
}

/// The (name, tensor) pairs of the unpickled state dict, in order.
fn state_dict_entries(root: &Value) -> Result<Vec<(String, TensorRef)>, String> {
    let Value::Dict(dict) = root else {
        return Err(format!("the pickle holds a {}, not a dict", root.kind()));
    };
    let items = dict.items.borrow();
    items
        .iter()
        .map(|(key, value)| match (key, value) {
            (Value::Str(name), Value::Tensor(tensor)) => {
                Ok((name.to_string(), TensorRef::clone(tensor)))
            }
            (Value::Str(name), other) => {
                Err(format!("entry {name} is a {}, not a tensor", other.kind()))
            }
            (other, _) => Err(format!("a key is a {}, not a string", other.kind())),
        })
        .collect()
}
