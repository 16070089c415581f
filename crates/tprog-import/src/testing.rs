//! Writing checkpoints the way `torch.save(state_dict)` lays them out, for tests (feature
//! `testing`): the pickle opcodes of a state dict of `_rebuild_tensor_v2` views, and a stored
//! zip around it with one raw little-endian storage per key.

use std::io::Write;
use std::path::Path;

/// The pickle of a state dict (protocol 2), built opcode by opcode.
#[derive(Debug, Default)]
pub struct Pickle(pub Vec<u8>);

/// One tensor to pickle: its storage (type, key, element count) and its view into it
/// (offset, shape, stride), as torch records them.
#[derive(Debug, Clone, Copy)]
pub struct Spec<'a> {
    /// State-dict name.
    pub name: &'a str,
    /// `FloatStorage`, `LongStorage`, `BoolStorage`, ...
    pub storage_type: &'a str,
    /// The storage's key (its file name under `data/`).
    pub key: &'a str,
    /// Elements in the storage.
    pub numel: u32,
    /// First element of the view.
    pub offset: u32,
    /// Shape of the view.
    pub shape: &'a [u32],
    /// Stride of the view.
    pub stride: &'a [u32],
}

impl Pickle {
    fn global(&mut self, module: &str, name: &str) {
        self.0.push(b'c');
        self.0
            .extend_from_slice(format!("{module}\n{name}\n").as_bytes());
    }

    fn text(&mut self, s: &str) {
        self.0.push(b'X');
        self.0.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn int(&mut self, v: u32) {
        self.0.push(b'J');
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn ints(&mut self, values: &[u32]) {
        self.0.push(b'(');
        values.iter().for_each(|&v| self.int(v));
        self.0.push(b't');
    }

    /// The pickle of an `OrderedDict` of the given tensor views, in order.
    pub fn state_dict(specs: &[Spec]) -> Vec<u8> {
        let mut p = Pickle(vec![0x80, 2]);
        p.global("collections", "OrderedDict");
        p.0.extend_from_slice(b")R(");
        for s in specs {
            p.text(s.name);
            p.global("torch._utils", "_rebuild_tensor_v2");
            p.0.extend_from_slice(b"((");
            p.text("storage");
            p.global("torch", s.storage_type);
            p.text(s.key);
            p.text("cpu");
            p.int(s.numel);
            p.0.extend_from_slice(b"tQ");
            p.int(s.offset);
            p.ints(s.shape);
            p.ints(s.stride);
            p.0.push(0x89);
            p.global("collections", "OrderedDict");
            p.0.extend_from_slice(b")RtR");
        }
        p.0.extend_from_slice(b"u.");
        p.0
    }
}

/// Writes `entries` (archive path, bytes) as a stored (uncompressed) zip, as torch does.
pub fn write_archive(path: &Path, entries: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    let mut writer = zip::ZipWriter::new(std::fs::File::create(path)?);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in entries {
        writer.start_file(name.as_str(), options)?;
        writer.write_all(bytes)?;
    }
    writer.finish()?;
    Ok(())
}

/// Writes a checkpoint of contiguous `f32` tensors `(name, shape, values)`, one storage each,
/// under the archive prefix `model`.
pub fn write_state_dict(
    path: &Path,
    tensors: &[(String, Vec<usize>, Vec<f32>)],
) -> std::io::Result<()> {
    let shapes: Vec<Vec<u32>> = tensors
        .iter()
        .map(|(_, shape, _)| shape.iter().map(|&d| d as u32).collect())
        .collect();
    let strides: Vec<Vec<u32>> = shapes
        .iter()
        .map(|shape| {
            let mut stride = vec![1u32; shape.len()];
            for i in (0..shape.len().saturating_sub(1)).rev() {
                stride[i] = stride[i + 1] * shape[i + 1];
            }
            stride
        })
        .collect();
    let keys: Vec<String> = (0..tensors.len()).map(|i| i.to_string()).collect();
    let specs: Vec<Spec> = tensors
        .iter()
        .enumerate()
        .map(|(i, (name, _, values))| Spec {
            name,
            storage_type: "FloatStorage",
            key: &keys[i],
            numel: values.len() as u32,
            offset: 0,
            shape: &shapes[i],
            stride: &strides[i],
        })
        .collect();
    let mut entries = vec![("model/data.pkl".to_string(), Pickle::state_dict(&specs))];
    for (i, (_, _, values)) in tensors.iter().enumerate() {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        entries.push((format!("model/data/{i}"), bytes));
    }
    entries.push(("model/version".to_string(), b"3\n".to_vec()));
    write_archive(path, &entries)
}
