//! Contract of the `.pt` reader: the reference's checkpoint reads back exactly as the fixture's
//! safetensors, and damaged files give typed errors (never a panic).

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use tprog_import::testing::{Pickle, Spec};
use tprog_import::{TorchImportError, read_state_dict};

/// The fixtures copied from the reference run (see `tests/fixtures/reference/`).
const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/reference"
);

fn reference(name: &str) -> PathBuf {
    Path::new(REFERENCE).join(name)
}

/// A fresh path in cargo's per-test temporary directory.
fn temp_path(stem: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("torch_import_{stem}_{}_{n}.pt", std::process::id()))
}

/// The entries of the real checkpoint, in archive order.
fn real_entries() -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(reference("trained_sort_readme.model.pt")).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (entry.name().to_string(), bytes)
        })
        .collect()
}

/// Writes `entries` as a stored zip at a fresh path.
fn write_archive(stem: &str, entries: &[(String, Vec<u8>)]) -> PathBuf {
    let path = temp_path(stem);
    tprog_import::testing::write_archive(&path, entries).unwrap();
    path
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn real_checkpoint_equals_the_fixture_exactly() {
    let tensors = read_state_dict(&reference("trained_sort_readme.model.pt")).unwrap();
    let bytes = std::fs::read(reference("trained_sort_readme.safetensors")).unwrap();
    let fixture = safetensors::SafeTensors::deserialize(&bytes).unwrap();

    let ours: BTreeSet<String> = tensors.iter().map(|t| t.name.clone()).collect();
    let theirs: BTreeSet<String> = fixture
        .names()
        .iter()
        .filter_map(|n| n.strip_prefix("param."))
        .map(str::to_string)
        .collect();
    assert_eq!(ours, theirs);
    assert_eq!(ours.len(), tensors.len(), "no name twice");
    assert!(
        ours.contains("blocks.0.cat_attn.rel_pos_bias.idxs"),
        "int64 buffer included"
    );
    assert!(ours.contains("unembed.mask"), "bool buffer included");

    for tensor in &tensors {
        let view = fixture.tensor(&format!("param.{}", tensor.name)).unwrap();
        assert_eq!(view.dtype(), safetensors::Dtype::F32);
        assert_eq!(view.shape(), tensor.shape.as_slice(), "{}", tensor.name);
        let expected: Vec<u32> = view
            .data()
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let got: Vec<u32> = tensor.data.iter().map(|v| v.to_bits()).collect();
        assert_eq!(got, expected, "values of {}", tensor.name);
    }
    // State-dict order, as the reference's module tree registers them.
    assert_eq!(tensors[0].name, "embed.W_E");
    assert_eq!(tensors[0].shape, vec![8, 8]);
    assert_eq!(tensors.last().unwrap().name, "unembed.mask");
}

#[test]
fn truncated_file_is_an_error() {
    let bytes = std::fs::read(reference("trained_sort_readme.model.pt")).unwrap();
    for keep in [0, 10, bytes.len() / 2, bytes.len() - 10] {
        let path = temp_path("truncated");
        std::fs::write(&path, &bytes[..keep]).unwrap();
        let err = read_state_dict(&path).unwrap_err();
        assert!(
            matches!(err, TorchImportError::NotZip { .. }),
            "{keep}: {err}"
        );
    }
}

#[test]
fn flipped_byte_in_the_pickle_is_an_error() {
    // In the file as is: the zip checksum catches it.
    let bytes = std::fs::read(reference("trained_sort_readme.model.pt")).unwrap();
    let start = bytes.windows(4).position(|w| w == b"\x80\x02cc").unwrap() + 40;
    let mut flipped = bytes.clone();
    flipped[start] ^= 0x5a;
    let path = temp_path("flipped_raw");
    std::fs::write(&path, &flipped).unwrap();
    let err = read_state_dict(&path).unwrap_err();
    assert!(
        matches!(err, TorchImportError::CorruptEntry { .. }),
        "{err}"
    );

    // Re-zipped with a valid checksum: the pickle reader itself rejects the opcode.
    let mut entries = real_entries();
    let pickle = &mut entries
        .iter_mut()
        .find(|(n, _)| n.ends_with("data.pkl"))
        .unwrap()
        .1;
    assert_eq!(pickle[2], b'c', "GLOBAL after PROTO 2");
    pickle[2] = 0xff;
    let err = read_state_dict(&write_archive("flipped_pickle", &entries)).unwrap_err();
    match err {
        TorchImportError::MalformedPickle { offset, reason, .. } => {
            assert_eq!(offset, 2);
            assert!(reason.contains("0xff"), "{reason}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn missing_or_short_storage_is_an_error() {
    let entries: Vec<_> = real_entries()
        .into_iter()
        .filter(|(n, _)| n != "model/data/5")
        .collect();
    let err = read_state_dict(&write_archive("missing", &entries)).unwrap_err();
    match err {
        TorchImportError::MissingStorage { entry, .. } => assert_eq!(entry, "model/data/5"),
        other => panic!("{other}"),
    }

    let mut entries = real_entries();
    entries
        .iter_mut()
        .find(|(n, _)| n == "model/data/0")
        .unwrap()
        .1
        .truncate(100);
    let err = read_state_dict(&write_archive("short", &entries)).unwrap_err();
    match err {
        TorchImportError::TruncatedStorage {
            expected_bytes,
            actual_bytes,
            ..
        } => {
            assert_eq!((expected_bytes, actual_bytes), (256, 100));
        }
        other => panic!("{other}"),
    }

    let entries: Vec<_> = real_entries()
        .into_iter()
        .filter(|(n, _)| !n.ends_with("data.pkl"))
        .collect();
    let err = read_state_dict(&write_archive("no_pickle", &entries)).unwrap_err();
    assert!(matches!(err, TorchImportError::NoDataPkl { .. }), "{err}");

    let path = temp_path("not_zip");
    std::fs::write(&path, b"this is not a zip archive at all").unwrap();
    assert!(matches!(
        read_state_dict(&path).unwrap_err(),
        TorchImportError::NotZip { .. }
    ));
    let err = read_state_dict(Path::new("/nonexistent/model.pt")).unwrap_err();
    assert!(matches!(err, TorchImportError::Io { .. }), "{err}");
}

fn spec<'a>(
    name: &'a str,
    key: &'a str,
    numel: u32,
    offset: u32,
    shape: &'a [u32],
    stride: &'a [u32],
) -> Spec<'a> {
    Spec {
        name,
        storage_type: "FloatStorage",
        key,
        numel,
        offset,
        shape,
        stride,
    }
}

#[test]
fn offsets_shared_storages_and_buffer_types() {
    let storage: Vec<f32> = (0..12).map(|i| i as f32 * 0.5).collect();
    let longs: Vec<u8> = [3i64, -2, 7].iter().flat_map(|v| v.to_le_bytes()).collect();
    let specs = [
        spec("whole", "0", 12, 0, &[3, 4], &[4, 1]),
        spec("tail", "0", 12, 8, &[2, 2], &[2, 1]),
        spec("row", "0", 12, 4, &[1, 4], &[99, 1]),
        spec("scalar", "0", 12, 11, &[], &[]),
        Spec {
            storage_type: "LongStorage",
            ..spec("idx", "1", 3, 0, &[3], &[1])
        },
        Spec {
            storage_type: "BoolStorage",
            ..spec("mask", "2", 4, 0, &[2, 2], &[2, 1])
        },
    ];
    let entries = vec![
        ("archive/data.pkl".to_string(), Pickle::state_dict(&specs)),
        ("archive/data/0".to_string(), f32_bytes(&storage)),
        ("archive/data/1".to_string(), longs),
        ("archive/data/2".to_string(), vec![1, 0, 0, 1]),
        ("archive/version".to_string(), b"3\n".to_vec()),
    ];
    let tensors = read_state_dict(&write_archive("views", &entries)).unwrap();
    let got: Vec<(&str, &[usize], &[f32])> = tensors
        .iter()
        .map(|t| (t.name.as_str(), t.shape.as_slice(), t.data.as_slice()))
        .collect();
    assert_eq!(got[0], ("whole", &[3, 4][..], &storage[..]));
    assert_eq!(got[1], ("tail", &[2, 2][..], &[4.0, 4.5, 5.0, 5.5][..]));
    assert_eq!(got[2], ("row", &[1, 4][..], &[2.0, 2.5, 3.0, 3.5][..]));
    assert_eq!(got[3], ("scalar", &[][..], &[5.5][..]));
    assert_eq!(got[4], ("idx", &[3][..], &[3.0, -2.0, 7.0][..]));
    assert_eq!(got[5], ("mask", &[2, 2][..], &[1.0, 0.0, 0.0, 1.0][..]));
}

fn error_for(specs: &[Spec], storages: &[(&str, Vec<u8>)]) -> TorchImportError {
    let mut entries = vec![("m/data.pkl".to_string(), Pickle::state_dict(specs))];
    entries.extend(
        storages
            .iter()
            .map(|(k, b)| (format!("m/data/{k}"), b.clone())),
    );
    read_state_dict(&write_archive("bad_view", &entries)).unwrap_err()
}

#[test]
fn bad_views_and_dtypes_are_errors() {
    let storage = f32_bytes(&[0.0; 6]);
    let transposed = spec("t", "0", 6, 0, &[2, 3], &[1, 2]);
    let err = error_for(&[transposed], &[("0", storage.clone())]);
    assert!(
        matches!(&err, TorchImportError::NotContiguous { tensor, .. } if tensor == "t"),
        "{err}"
    );

    let past_end = spec("p", "0", 6, 4, &[3], &[1]);
    let err = error_for(&[past_end], &[("0", storage.clone())]);
    assert!(
        matches!(
            err,
            TorchImportError::OutOfBounds {
                offset: 4,
                end: 7,
                numel: 6,
                ..
            }
        ),
        "{err}"
    );

    let double = Spec {
        storage_type: "DoubleStorage",
        ..spec("d", "0", 3, 0, &[3], &[1])
    };
    let err = error_for(&[double], &[("0", storage)]);
    assert!(
        matches!(&err, TorchImportError::UnsupportedDtype { storage_type, .. } if storage_type == "DoubleStorage")
    );

    let mut pickle = Pickle(vec![0x80, 2]);
    pickle.0.extend_from_slice(b"]."); // a list, not a dict
    let err = read_state_dict(&write_archive(
        "list",
        &[("a/data.pkl".to_string(), pickle.0)],
    ))
    .unwrap_err();
    assert!(
        matches!(err, TorchImportError::NotAStateDict { .. }),
        "{err}"
    );
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    // 100k nested one-tuples would overflow the stack when dropped; the reader caps depth.
    let mut pickle = vec![0x80, 2, b')'];
    pickle.extend(std::iter::repeat_n(0x85u8, 100_000));
    pickle.push(b'.');
    let err = read_state_dict(&write_archive(
        "deep",
        &[("a/data.pkl".to_string(), pickle)],
    ))
    .unwrap_err();
    assert!(
        matches!(&err, TorchImportError::MalformedPickle { reason, .. } if reason.contains("deeper")),
        "{err}"
    );

    // Depths stay exact because a list may not change once nested: [l0], then l0.append([]).
    let pickle = b"\x80\x02]q\x00]h\x00a0h\x00]a.".to_vec();
    let entries = [("a/data.pkl".to_string(), pickle)];
    let err = read_state_dict(&write_archive("nested", &entries)).unwrap_err();
    match err {
        TorchImportError::MalformedPickle { offset, reason, .. } => {
            assert_eq!(offset, 13, "the second APPEND");
            assert!(reason.contains("after being nested"), "{reason}");
        }
        other => panic!("{other}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random byte changes anywhere in the file: an error or a result, never a panic.
    #[test]
    fn mutated_files_never_panic(changes in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = std::fs::read(reference("trained_sort_readme.model.pt")).unwrap();
        for (index, value) in changes {
            let i = index.index(bytes.len());
            bytes[i] = value;
        }
        let path = temp_path("mutated");
        std::fs::write(&path, &bytes).unwrap();
        let _ = read_state_dict(&path);
        std::fs::remove_file(&path).unwrap();
    }

    /// Random byte changes in the pickle, re-zipped so the checksum holds: never a panic.
    #[test]
    fn mutated_pickles_never_panic(changes in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut entries = real_entries();
        let pickle = &mut entries.iter_mut().find(|(n, _)| n.ends_with("data.pkl")).unwrap().1;
        for (index, value) in changes {
            let i = index.index(pickle.len());
            pickle[i] = value;
        }
        let path = write_archive("mutated_pickle", &entries);
        let _ = read_state_dict(&path);
        std::fs::remove_file(&path).unwrap();
    }
}
