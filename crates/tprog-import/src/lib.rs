//! Reads the reference implementation's PyTorch checkpoints (`torch.save(model.state_dict())`)
//! and the `args.json` saved beside them, without Python.
//!
//! A `.pt` file is a zip archive: `<prefix>/data.pkl` (a pickle of the state dict, an
//! `OrderedDict` of name → tensor) and `<prefix>/data/<key>`, one raw little-endian storage per
//! key. Each tensor is a view `(storage, offset, shape, stride)` into one of those storages;
//! several tensors may share a storage. [`read_state_dict`] returns every tensor, in state-dict
//! order, as `f32` values; [`ReferenceArgs::from_file`] reads and checks the `args.json`.
//!
//! Element types: `FloatStorage` is read as is; `LongStorage` (int64 buffers such as relative
//! position indices) and `BoolStorage` (masks) are converted to `f32` (bool → 0.0 / 1.0; an int64
//! whose magnitude exceeds 2^24 is rounded, as `tensor.float()` would). Any other storage type is
//! [`TorchImportError::UnsupportedDtype`]. Tensors must be contiguous (row-major; dimensions of
//! size 1 may carry any stride). Damaged input of any kind is a [`TorchImportError`], never a
//! panic (the `pt` target of `tprog-fuzz` checks this).
//!
//! A checkpoint with one tensor `w = [1.5, -2.0]`, built in memory as `torch.save` lays it out:
//!
//! ```
//! use std::io::{Cursor, Write};
//!
//! // The pickle torch writes for `OrderedDict(w=tensor([1.5, -2.0]))` (protocol 2, trimmed).
//! let pickle: &[u8] = b"\x80\x02ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00w\
//!     ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage\
//!     ctorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x02tQ\
//!     K\x00K\x02\x85K\x01\x85tRu.";
//! let storage: Vec<u8> = [1.5f32, -2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
//!
//! let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
//! let stored = zip::write::SimpleFileOptions::default()
//!     .compression_method(zip::CompressionMethod::Stored);
//! zip.start_file("model/data.pkl", stored)?;
//! zip.write_all(pickle)?;
//! zip.start_file("model/data/0", stored)?;
//! zip.write_all(&storage)?;
//! let bytes = zip.finish()?.into_inner();
//!
//! let tensors = tprog_import::read_state_dict_from(Cursor::new(bytes), "model.pt".as_ref())?;
//! assert_eq!(tensors.len(), 1);
//! assert_eq!((tensors[0].name.as_str(), tensors[0].shape.as_slice()), ("w", &[2][..]));
//! assert_eq!(tensors[0].data, [1.5, -2.0]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod args;
mod error;
mod pickle;
mod pickle_value;
mod state_dict;
#[cfg(feature = "testing")]
pub mod testing;

pub use args::{ArgsProblem, ReferenceArgs};
pub use error::TorchImportError;
pub use state_dict::{TorchTensor, read_state_dict, read_state_dict_from};
