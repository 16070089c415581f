//! The `.pt` reader (the reference's zip + pickle checkpoints). Each case: the fixture
//! checkpoint under one to four mutations, half on the raw file (bit flips, interesting values,
//! truncation, insertion, deletion, zip header fields), half on its archive entries re-zipped
//! with valid checksums (pickle bytes, integer operands and well-formed random opcodes,
//! storages cut or grown, entries dropped, renamed, duplicated or deflated), so every layer of
//! the reader is reached. Reading must give tensors or a typed [`TorchImportError`].

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use tprog_import::TorchImportError;

use crate::FuzzError;
use crate::driver::{Outcome, Target};
use crate::mutate;
use crate::rng::Rng;

/// The checkpoint copied from the reference run (`tests/fixtures/reference/` at the workspace
/// root).
pub const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/reference/trained_sort_readme.model.pt"
);

/// One mutated file and what was done to it.
#[derive(Debug, Clone)]
pub struct Mutant {
    /// The bytes fed to the reader.
    pub bytes: Vec<u8>,
    /// The mutations applied, for the report.
    pub description: String,
}

/// The `.pt` target: a checkpoint taken apart into its file bytes and archive entries.
#[derive(Debug, Clone)]
pub struct PtTarget {
    bytes: Vec<u8>,
    entries: Vec<(String, Vec<u8>)>,
}

impl PtTarget {
    /// The target for the fixture checkpoint.
    pub fn new() -> Result<Self, FuzzError> {
        Self::load(Path::new(FIXTURE))
    }

    /// The target for the checkpoint at `path`, which must read.
    pub fn load(path: &Path) -> Result<Self, FuzzError> {
        let bytes = std::fs::read(path).map_err(|source| FuzzError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let zip_error = |source| FuzzError::Zip {
            path: path.to_path_buf(),
            source,
        };
        let mut archive = zip::ZipArchive::new(Cursor::new(&bytes)).map_err(zip_error)?;
        let mut entries = Vec::new();
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).map_err(zip_error)?;
            let mut contents = Vec::new();
            entry
                .read_to_end(&mut contents)
                .map_err(|source| FuzzError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
            entries.push((entry.name().to_string(), contents));
        }
        if let Err(error) = read(&bytes) {
            return Err(FuzzError::SeedRefused {
                what: PathBuf::from(path).display().to_string(),
                message: error.to_string(),
            });
        }
        Ok(Self { bytes, entries })
    }

    /// The unmutated checkpoint's bytes.
    pub fn original(&self) -> &[u8] {
        &self.bytes
    }
}

/// Reads `bytes` as tprog does.
fn read(bytes: &[u8]) -> Result<Vec<tprog_import::TorchTensor>, TorchImportError> {
    tprog_import::read_state_dict_from(Cursor::new(bytes), Path::new("mutant.pt"))
}

impl Target for PtTarget {
    type Case = Mutant;

    fn name(&self) -> &'static str {
        "pt"
    }

    fn case(&self, seed: u64) -> Mutant {
        let mut rng = Rng::new(seed);
        let mut entries = self.entries.clone();
        let mut steps = Vec::new();
        // Half the mutants change entries and are re-zipped (checksums hold, the parser is
        // reached); the other half change the file's raw bytes (the zip layer is reached).
        let bytes = if rng.one_in(2) {
            for _ in 0..1 + rng.below(3) {
                steps.push(mutate_entries(&mut entries, &mut rng));
            }
            let deflate = rng.one_in(8);
            if deflate {
                steps.push("deflated".to_string());
            }
            zip_entries(&entries, deflate)
        } else {
            let mut bytes = self.bytes.clone();
            for _ in 0..1 + rng.below(4) {
                steps.push(mutate_raw(&mut bytes, &mut rng));
            }
            bytes
        };
        Mutant {
            bytes,
            description: steps.join("; "),
        }
    }

    fn bytes<'a>(&self, case: &'a Mutant) -> &'a [u8] {
        &case.bytes
    }

    fn describe(&self, case: &Mutant) -> String {
        case.description.clone()
    }

    fn execute(&self, _seed: u64, case: &Mutant) -> Outcome {
        match read(&case.bytes) {
            Ok(_) => Outcome::Loaded,
            Err(error) => Outcome::Refused(variant_name(&error)),
        }
    }
}

/// Writes `entries` as a zip archive (stored, as torch does, or deflated).
pub fn zip_entries(entries: &[(String, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, contents) in entries {
        // A duplicate name is refused by the writer: that mutant just loses the entry.
        if writer.start_file(name.as_str(), options).is_ok() {
            let _ = writer.write_all(contents);
        }
    }
    match writer.finish() {
        Ok(cursor) => cursor.into_inner(),
        Err(_) => Vec::new(),
    }
}

/// Changes the raw bytes of the file; returns what it did.
fn mutate_raw(bytes: &mut Vec<u8>, rng: &mut Rng) -> String {
    if bytes.is_empty() {
        bytes.push(rng.byte());
        return "grew an empty file".to_string();
    }
    let len = bytes.len();
    match rng.below(8) {
        0 => {
            mutate::flip_bit(rng, bytes);
            "flipped a bit".to_string()
        }
        1 => {
            let at = rng.below(len);
            let value = mutate::interesting(rng) as u8;
            bytes[at] = value;
            format!("set byte {at} to {value:#04x}")
        }
        2 => {
            mutate::truncate(rng, bytes);
            format!("truncated to {} bytes", bytes.len())
        }
        3 => {
            mutate::insert_bytes(rng, bytes, 16);
            format!("inserted {} bytes", bytes.len() - len)
        }
        4 => {
            mutate::delete(rng, bytes, 16);
            format!("deleted {} bytes", len - bytes.len())
        }
        5 => {
            let at = rng.below(len);
            let width = [2usize, 4, 8][rng.below(3)];
            let value = mutate::interesting(rng);
            mutate::overwrite_le(bytes, at, width, value);
            format!("wrote {value:#x} as {width} bytes at {at}")
        }
        _ => mutate_zip_header(bytes, rng),
    }
}

/// Sets one field of a local header, central directory record or end record to an interesting
/// (or random) value.
fn mutate_zip_header(bytes: &mut [u8], rng: &mut Rng) -> String {
    /// A record's signature and its fields that steer the reader, as (offset, width).
    type Record = (&'static [u8; 4], &'static [(usize, usize)]);
    const RECORDS: [Record; 4] = [
        (
            b"PK\x03\x04",
            &[(6, 2), (8, 2), (14, 4), (18, 4), (22, 4), (26, 2), (28, 2)],
        ),
        (
            b"PK\x01\x02",
            &[
                (8, 2),
                (10, 2),
                (16, 4),
                (20, 4),
                (24, 4),
                (28, 2),
                (30, 2),
                (32, 2),
                (42, 4),
            ],
        ),
        (b"PK\x05\x06", &[(8, 2), (10, 2), (12, 4), (16, 4), (20, 2)]),
        (b"PK\x06\x06", &[(24, 8), (32, 8), (40, 8), (48, 8)]),
    ];
    let (signature, fields) = RECORDS[rng.below(RECORDS.len())];
    let starts: Vec<usize> = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == signature)
        .map(|(i, _)| i)
        .collect();
    let Some(&start) = rng.choose(&starts) else {
        return format!("no {signature:?} record to change");
    };
    let (offset, width) = fields[rng.below(fields.len())];
    let value = if rng.one_in(4) {
        rng.next_u64()
    } else {
        mutate::interesting(rng)
    };
    mutate::overwrite_le(bytes, start + offset, width, value);
    format!(
        "set the {width}-byte field at +{offset} of the {} record at {start} to {value:#x}",
        String::from_utf8_lossy(&signature[2..]).escape_debug()
    )
}

/// Changes the archive's entries (to be re-zipped); returns what it did.
fn mutate_entries(entries: &mut Vec<(String, Vec<u8>)>, rng: &mut Rng) -> String {
    if entries.is_empty() {
        entries.push(("archive/data.pkl".to_string(), vec![rng.byte()]));
        return "added a one-byte data.pkl".to_string();
    }
    let pickle = entries.iter().position(|(n, _)| n.ends_with("data.pkl"));
    match (rng.below(10), pickle) {
        (0..=4, Some(p)) => {
            let what = mutate_pickle(&mut entries[p].1, rng);
            format!("pickle: {what}")
        }
        (5, _) => {
            let i = rng.below(entries.len());
            let (name, contents) = &mut entries[i];
            mutate::truncate(rng, contents);
            format!("cut entry {name} to {} bytes", contents.len())
        }
        (6, _) => {
            let i = rng.below(entries.len());
            let n = 1 + rng.below(64);
            let (name, contents) = &mut entries[i];
            contents.extend((0..n).map(|_| rng.byte()));
            format!("grew entry {name} by {n} bytes")
        }
        (7, _) => {
            let (name, _) = entries.remove(rng.below(entries.len()));
            format!("removed entry {name}")
        }
        (8, _) => {
            let i = rng.below(entries.len());
            let j = rng.below(entries.len());
            let new_name = match rng.below(3) {
                0 => entries[j].0.clone(),
                1 => format!("other/{}", entries[i].0),
                _ => entries[i].0.replace("data", "dat"),
            };
            let old = std::mem::replace(&mut entries[i].0, new_name.clone());
            format!("renamed entry {old} to {new_name}")
        }
        _ => {
            let i = rng.below(entries.len());
            let j = rng.below(entries.len());
            entries[i].1 = entries[j].1.clone();
            format!(
                "gave entry {} the contents of {}",
                entries[i].0, entries[j].0
            )
        }
    }
}

/// Changes the pickle's bytes; returns what it did.
fn mutate_pickle(pickle: &mut Vec<u8>, rng: &mut Rng) -> String {
    if pickle.is_empty() {
        pickle.push(rng.byte());
        return "grew an empty pickle".to_string();
    }
    let at = rng.below(pickle.len());
    match rng.below(8) {
        6 => {
            // Splice in a few well-formed opcodes: reaches states byte noise rarely does.
            let count = 1 + rng.below(8);
            let ops = random_ops(rng, count);
            let n = ops.len();
            pickle.splice(at..at, ops);
            format!("inserted {n} bytes of random opcodes at {at}")
        }
        7 => {
            // A whole new pickle of random well-formed opcodes.
            let mut program = vec![0x80, 2];
            let count = 1 + rng.below(64);
            program.extend(random_ops(rng, count));
            program.push(b'.');
            let n = program.len();
            *pickle = program;
            format!("replaced by {n} bytes of random opcodes")
        }
        0 => {
            let value = rng.byte();
            pickle[at] = value;
            format!("set byte {at} to {value:#04x}")
        }
        1 => {
            // An opcode a state dict uses, so the machine runs further.
            const OPS: &[u8] =
                b"(.0123456789NKMJXqrhj]}l)tabdeusRQc\x80\x85\x86\x87\x88\x89\x8a\x8c\x93\x94\x95";
            let op = OPS[rng.below(OPS.len())];
            pickle[at] = op;
            format!("set byte {at} to opcode {op:#04x}")
        }
        2 => {
            // The operand of an integer opcode: shapes, strides, offsets, storage sizes.
            let ints: Vec<usize> = (0..pickle.len())
                .filter(|&i| matches!(pickle[i], b'K' | b'M' | b'J'))
                .collect();
            let Some(&i) = rng.choose(&ints) else {
                return "no integer to change".to_string();
            };
            let width = match pickle[i] {
                b'K' => 1,
                b'M' => 2,
                _ => 4,
            };
            let value = mutate::interesting(rng);
            mutate::overwrite_le(pickle, i + 1, width, value);
            format!("set the integer at {i} to {value:#x}")
        }
        3 => {
            let keep = rng.below(pickle.len());
            pickle.truncate(keep);
            format!("truncated to {keep} bytes")
        }
        4 => {
            let len = pickle.len();
            mutate::delete(rng, pickle, 8);
            format!("deleted {} bytes", len - pickle.len())
        }
        _ => {
            // Copy a run of the pickle elsewhere: repeats whole opcodes and structures.
            let from = rng.below(pickle.len());
            let n = (1 + rng.below(64)).min(pickle.len() - from);
            let run: Vec<u8> = pickle[from..from + n].to_vec();
            pickle.splice(at..at, run);
            format!("copied {n} bytes from {from} to {at}")
        }
    }
}

/// `count` random opcodes, each with a well-formed operand, from those a state dict uses (plus a
/// few it does not), with the names and callables torch writes.
fn random_ops(rng: &mut Rng, count: usize) -> Vec<u8> {
    const TEXTS: [&str; 8] = [
        "storage",
        "cpu",
        "0",
        "1",
        "embed.W_E",
        "unembed.mask",
        "",
        "é",
    ];
    const GLOBALS: [&str; 9] = [
        "collections\nOrderedDict\n",
        "torch._utils\n_rebuild_tensor_v2\n",
        "torch._utils\n_rebuild_parameter\n",
        "torch\nFloatStorage\n",
        "torch\nLongStorage\n",
        "torch\nBoolStorage\n",
        "torch\nDoubleStorage\n",
        "builtins\nset\n",
        "collections\nOrderedDict",
    ];
    const PLAIN: &[u8] = b"()]}N\x88\x89tldaesuRQb01\x85\x86\x87\x94\x93.";
    let mut out = Vec::new();
    for _ in 0..count {
        let interesting = mutate::interesting(rng);
        match rng.below(10) {
            0 => out.extend([b'K', interesting as u8]),
            1 => {
                out.push(b'J');
                out.extend(&(interesting as u32).to_le_bytes());
            }
            2 => {
                let n = rng.below(10);
                out.extend([0x8a, n as u8]);
                out.extend((0..n).map(|_| rng.byte()));
            }
            3 => {
                let text = TEXTS[rng.below(TEXTS.len())];
                out.push(b'X');
                out.extend(&(text.len() as u32).to_le_bytes());
                out.extend(text.as_bytes());
            }
            4 => {
                let text = TEXTS[rng.below(TEXTS.len())];
                out.extend([0x8c, text.len() as u8]);
                out.extend(text.as_bytes());
            }
            5 => {
                out.push(b'c');
                out.extend(GLOBALS[rng.below(GLOBALS.len())].as_bytes());
            }
            6 => out.extend([[b'q', b'h'][rng.below(2)], rng.below(4) as u8]),
            _ => out.push(PLAIN[rng.below(PLAIN.len())]),
        }
    }
    out
}

/// The name of an error's variant, for the tally.
pub fn variant_name(error: &TorchImportError) -> &'static str {
    use TorchImportError as E;
    match error {
        E::Io { .. } => "Io",
        E::NotZip { .. } => "NotZip",
        E::NoDataPkl { .. } => "NoDataPkl",
        E::CorruptEntry { .. } => "CorruptEntry",
        E::MalformedPickle { .. } => "MalformedPickle",
        E::NotAStateDict { .. } => "NotAStateDict",
        E::MissingStorage { .. } => "MissingStorage",
        E::TruncatedStorage { .. } => "TruncatedStorage",
        E::UnsupportedDtype { .. } => "UnsupportedDtype",
        E::NotContiguous { .. } => "NotContiguous",
        E::OutOfBounds { .. } => "OutOfBounds",
        E::MalformedArgs { .. } => "MalformedArgs",
        E::InvalidArgs { .. } => "InvalidArgs",
    }
}
