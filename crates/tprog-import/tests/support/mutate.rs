//! Random mutations of a `.pt` checkpoint, shared by the fuzz test (`tests/fuzz_pt.rs`) and the
//! long-running fuzzer (`examples/fuzz_pt.rs`): raw byte changes (bit flips, interesting values,
//! truncation, insertion, deletion), changes to zip header fields, and changes to the archive's
//! entries re-zipped with valid checksums (pickle bytes and integer operands, storages cut or
//! grown, entries dropped, renamed, duplicated or deflated), so the reader's every layer is hit.
//! Deterministic: a seed gives the same mutations on every machine.

#![allow(dead_code)]

use std::io::{Cursor, Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Mutex;

/// SplitMix64: a tiny, seedable generator (no dependency needed).
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A random byte.
    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }
}

/// Values that break size and offset arithmetic more often than random ones.
const INTERESTING: [u64; 12] = [
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0xffff,
    0x7fff_ffff,
    0xffff_ffff,
    0x7fff_ffff_ffff_ffff,
    u64::MAX,
];

/// A checkpoint taken apart: the file's bytes and its archive entries.
pub struct Seed {
    /// The file as it is on disk.
    pub bytes: Vec<u8>,
    /// `(name, contents)` of every entry, in archive order.
    pub entries: Vec<(String, Vec<u8>)>,
}

impl Seed {
    /// Reads a checkpoint and its entries.
    pub fn load(path: &Path) -> Result<Seed, Box<dyn std::error::Error>> {
        let bytes = std::fs::read(path)?;
        let mut archive = zip::ZipArchive::new(Cursor::new(&bytes))?;
        let mut entries = Vec::new();
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i)?;
            let mut contents = Vec::new();
            entry.read_to_end(&mut contents)?;
            entries.push((entry.name().to_string(), contents));
        }
        Ok(Seed { bytes, entries })
    }
}

/// One mutated file and what was done to it.
pub struct Mutant {
    /// The bytes to feed the reader.
    pub bytes: Vec<u8>,
    /// The mutations applied, for the report.
    pub description: String,
}

/// Applies one to four random mutations to `seed`.
pub fn mutate(seed: &Seed, rng: &mut Rng) -> Mutant {
    let mut entries = seed.entries.clone();
    let mut steps = Vec::new();
    // Half the mutants change entries and are re-zipped (checksums hold, the parser is reached);
    // the other half change the file's raw bytes (the zip layer is reached).
    let bytes = if rng.below(2) == 0 {
        for _ in 0..1 + rng.below(3) {
            steps.push(mutate_entries(&mut entries, rng));
        }
        let deflate = rng.below(8) == 0;
        if deflate {
            steps.push("deflated".to_string());
        }
        zip_entries(&entries, deflate)
    } else {
        let mut bytes = seed.bytes.clone();
        for _ in 0..1 + rng.below(4) {
            steps.push(mutate_raw(&mut bytes, rng));
        }
        bytes
    };
    Mutant {
        bytes,
        description: steps.join("; "),
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
    let at = rng.below(bytes.len());
    match rng.below(8) {
        0 => {
            let bit = rng.below(8);
            bytes[at] ^= 1 << bit;
            format!("flipped bit {bit} of byte {at}")
        }
        1 => {
            let value = INTERESTING[rng.below(INTERESTING.len())] as u8;
            bytes[at] = value;
            format!("set byte {at} to {value:#04x}")
        }
        2 => {
            let keep = rng.below(bytes.len());
            bytes.truncate(keep);
            format!("truncated to {keep} bytes")
        }
        3 => {
            let n = 1 + rng.below(16);
            let insert: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
            bytes.splice(at..at, insert);
            format!("inserted {n} bytes at {at}")
        }
        4 => {
            let n = (1 + rng.below(16)).min(bytes.len() - at);
            bytes.drain(at..at + n);
            format!("deleted {n} bytes at {at}")
        }
        5 => {
            let width = [2usize, 4, 8][rng.below(3)];
            let value = INTERESTING[rng.below(INTERESTING.len())];
            overwrite_le(bytes, at, width, value);
            format!("wrote {value:#x} as {width} bytes at {at}")
        }
        _ => mutate_zip_header(bytes, rng),
    }
}

/// Overwrites `width` little-endian bytes at `at` (clipped at the end of `bytes`).
fn overwrite_le(bytes: &mut [u8], at: usize, width: usize, value: u64) {
    for (i, b) in value.to_le_bytes().iter().take(width).enumerate() {
        if let Some(slot) = bytes.get_mut(at + i) {
            *slot = *b;
        }
    }
}

/// Sets one field of a local header, central directory record or end record to an interesting
/// value.
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
    if starts.is_empty() {
        return format!("no {signature:?} record to change");
    }
    let start = starts[rng.below(starts.len())];
    let (offset, width) = fields[rng.below(fields.len())];
    let value = if rng.below(4) == 0 {
        rng.next_u64()
    } else {
        INTERESTING[rng.below(INTERESTING.len())]
    };
    overwrite_le(bytes, start + offset, width, value);
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
            let keep = rng.below(contents.len() + 1);
            contents.truncate(keep);
            format!("cut entry {name} to {keep} bytes")
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
            if ints.is_empty() {
                return "no integer to change".to_string();
            }
            let i = ints[rng.below(ints.len())];
            let width = match pickle[i] {
                b'K' => 1,
                b'M' => 2,
                _ => 4,
            };
            let value = INTERESTING[rng.below(INTERESTING.len())];
            overwrite_le(pickle, i + 1, width, value);
            format!("set the integer at {i} to {value:#x}")
        }
        3 => {
            let keep = rng.below(pickle.len());
            pickle.truncate(keep);
            format!("truncated to {keep} bytes")
        }
        4 => {
            let n = (1 + rng.below(8)).min(pickle.len() - at);
            pickle.drain(at..at + n);
            format!("deleted {n} bytes at {at}")
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
        let interesting = INTERESTING[rng.below(INTERESTING.len())];
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

/// What the reader did with one input.
pub enum Outcome {
    /// It read the checkpoint.
    Read,
    /// It returned an error (the variant's name).
    Refused(&'static str),
    /// It panicked: the panic's message and location.
    Panicked(String),
}

/// The last panic's message and location, recorded by the hook [`quiet_panics`] installs.
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

/// Replaces the panic hook with one that records the panic for [`run_reader`] instead of
/// printing it (call once, from a binary that runs nothing else in parallel).
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = format!("{message} at {location}");
        }
    }));
}

/// Runs the reader on `bytes` and reports what happened, catching any panic.
pub fn run_reader(bytes: &[u8]) -> Outcome {
    let result = catch_unwind(AssertUnwindSafe(|| {
        tprog_import::read_state_dict_from(Cursor::new(bytes), Path::new("mutant.pt"))
    }));
    match result {
        Ok(Ok(_)) => Outcome::Read,
        Ok(Err(error)) => Outcome::Refused(variant_name(&error)),
        Err(_) => Outcome::Panicked(
            LAST_PANIC
                .lock()
                .map(|m| m.clone())
                .unwrap_or_else(|_| "panic (message lost)".to_string()),
        ),
    }
}

/// The name of an error's variant, for the tally.
pub fn variant_name(error: &tprog_import::TorchImportError) -> &'static str {
    use tprog_import::TorchImportError as E;
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
