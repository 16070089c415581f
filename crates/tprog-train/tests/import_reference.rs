//! Importing the reference's own checkpoint reproduces its discrete predictions exactly.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use safetensors::SafeTensors;
use tprog_train::eval::predict_split;
use tprog_train::import::import_reference;
use tprog_train::session;

fn reference() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/reference"
    ))
}

#[test]
fn imported_trained_sort_model_matches_the_fixture_predictions() {
    let out = std::env::temp_dir().join(format!("tprog-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let imported = import_reference(
        &reference().join("trained_sort_readme.model.pt"),
        &reference().join("trained_sort_readme.args.json"),
        &out,
        false,
    )
    .unwrap();
    assert_eq!(imported.config.model.n_layers, 2);
    assert_eq!(imported.config.model.n_heads_cat, 4);
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
