//! Importing the reference's own checkpoint reproduces its discrete predictions exactly; an
//! incomplete `args.json` or one describing another architecture is an error naming the files.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use safetensors::SafeTensors;
use tprog_train::TrainError;
use tprog_train::eval::predict_split;
use tprog_train::import::import_reference;
use tprog_train::session;

/// The fixtures copied from the reference run (`tests/fixtures/reference/` at the workspace root).
fn reference() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/reference"
    ))
}

/// A fresh directory for one test's files.
fn scratch(stem: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("import_reference_{stem}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The trained sort model's `args.json` with `edit` applied, written into `dir`.
fn edited_args(
    dir: &Path,
    edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> PathBuf {
    let text = std::fs::read_to_string(reference().join("trained_sort_readme.args.json")).unwrap();
    let mut fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).unwrap();
    edit(&mut fields);
    let path = dir.join("args.json");
    std::fs::write(&path, serde_json::to_string(&fields).unwrap()).unwrap();
    path
}

/// Imports the trained sort checkpoint with `args_json`; must fail. Returns the error's message.
fn import_error(dir: &Path, args_json: &Path) -> (TrainError, String) {
    let err = import_reference(
        &reference().join("trained_sort_readme.model.pt"),
        args_json,
        &dir.join("run"),
        false,
    )
    .unwrap_err();
    assert!(!dir.join("run").exists(), "no run directory on failure");
    let message = err.to_string();
    (err, message)
}

#[test]
fn args_without_n_layers_name_the_field_and_the_file() {
    let dir = scratch("no_n_layers");
    let args = edited_args(&dir, |f| {
        f.remove("n_layers");
    });
    let (err, message) = import_error(&dir, &args);
    assert!(matches!(err, TrainError::Import(_)), "{message}");
    assert!(message.contains("`n_layers`"), "{message}");
    assert!(message.contains(&args.display().to_string()), "{message}");
    assert!(!message.contains("unembed"), "no shape error: {message}");
}

#[test]
fn args_without_dataset_or_vocab_size_fail_instead_of_defaulting() {
    let dir = scratch("no_dataset");
    let args = edited_args(&dir, |f| {
        f.remove("dataset");
        f.remove("vocab_size");
    });
    let (_, message) = import_error(&dir, &args);
    assert!(message.contains("`dataset`"), "{message}");
    assert!(message.contains("`vocab_size`"), "{message}");
    assert!(message.contains(&args.display().to_string()), "{message}");
}

#[test]
fn args_naming_an_unknown_task_name_the_file() {
    let dir = scratch("unknown_task");
    let args = edited_args(&dir, |f| {
        f.insert("dataset".into(), "no_such_task".into());
    });
    let (err, message) = import_error(&dir, &args);
    assert!(matches!(err, TrainError::InvalidConfig { .. }), "{message}");
    assert!(message.contains("no_such_task"), "{message}");
    assert!(message.contains(&args.display().to_string()), "{message}");
}

#[test]
fn args_of_another_architecture_name_both_files_and_every_tensor() {
    let dir = scratch("one_layer");
    let args = edited_args(&dir, |f| {
        f.insert("n_layers".into(), 1.into());
    });
    let (err, message) = import_error(&dir, &args);
    let model_pt = reference().join("trained_sort_readme.model.pt");
    match &err {
        TrainError::Checkpoint { path, .. } => assert_eq!(path, &model_pt),
        other => panic!("expected a checkpoint error, got {other}"),
    }
    assert!(
        message.contains(&model_pt.display().to_string()),
        "{message}"
    );
    assert!(message.contains(&args.display().to_string()), "{message}");
    assert!(
        message.contains("tensor unembed.W_U has shape [97, 6], the model expects"),
        "{message}"
    );
}

#[test]
fn imported_trained_sort_model_matches_the_fixture_predictions() {
    let out = scratch("trained_sort").join("run");
    let (imported, _model) = import_reference(
        &reference().join("trained_sort_readme.model.pt"),
        &reference().join("trained_sort_readme.args.json"),
        &out,
        false,
    )
    .unwrap();
    assert_eq!(imported.config.model.n_layers, 2);
    assert_eq!(imported.config.model.n_heads_cat, 4);
    let summary = imported.ignored_buffers_summary();
    assert_eq!(summary.total, imported.ignored_buffers.len());
    let line = summary.to_string();
    assert!(
        line.starts_with(&format!("{} buffers (", summary.total)),
        "{line}"
    );
    assert!(line.len() < 160, "{line}");
    eprintln!("{line}");
    let run = session::open(&out).unwrap();
    let data = session::load_data(&run.config).unwrap();
    assert_eq!(
        (data.splits.train.n, data.splits.val.n, data.splits.test.n),
        (8100, 900, 1000)
    );
    let mut model = session::load_model(&run).unwrap();
    let predictions = predict_split(&mut model, &data.splits.test).unwrap();

    let bytes = std::fs::read(reference().join("trained_sort_readme.safetensors")).unwrap();
    let fixture = SafeTensors::deserialize(&bytes).unwrap();
    let expected = fixture.tensor("out.test_predictions_argmax").unwrap();
    assert_eq!(expected.shape(), [1000, 8]);
    let expected: Vec<i64> = expected
        .data()
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let (mut scored, mut correct) = (0, 0);
    for (i, &label) in data.splits.test.labels.iter().enumerate() {
        if label != 0 {
            assert_eq!(i64::from(predictions[i]), expected[i], "position {i}");
            scored += 1;
            correct += usize::from(predictions[i] == label);
        }
    }
    let accuracy = correct as f64 / scored as f64;
    assert!((accuracy - 0.978_987_1).abs() < 1e-6, "{accuracy}");
    std::fs::remove_dir_all(&out).unwrap();
}
