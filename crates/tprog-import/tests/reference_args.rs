//! Contract of [`ReferenceArgs::from_file`]: the reference's own `args.json` parses field by
//! field; every required field that is missing and every field of the wrong type is named in one
//! error together with the file's path; optional fields take the reference's defaults.

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use tprog_import::{ArgsProblem, ReferenceArgs, TorchImportError};

/// The fixtures copied from the reference run (see `tests/fixtures/reference/`).
const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/reference"
);

fn reference(name: &str) -> PathBuf {
    Path::new(REFERENCE).join(name)
}

/// The reference's `args.json` of the trained sort model, as a JSON object.
fn reference_fields() -> serde_json::Map<String, serde_json::Value> {
    let text = std::fs::read_to_string(reference("trained_sort_readme.args.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Writes `fields` to a fresh `args.json` in cargo's per-test temporary directory.
fn write_args(stem: &str, fields: &serde_json::Map<String, serde_json::Value>) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("reference_args_{stem}_{}_{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("args.json");
    std::fs::write(&path, serde_json::to_string(fields).unwrap()).unwrap();
    path
}

/// The problems of an `args.json` that must not parse; also checks the message names the path.
fn problems_of(path: &Path) -> (Vec<ArgsProblem>, String) {
    let err = ReferenceArgs::from_file(path).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "the message names the file: {message}"
    );
    match err {
        TorchImportError::InvalidArgs { path: p, problems } => {
            assert_eq!(p, path);
            (problems, message)
        }
        other => panic!("expected InvalidArgs, got {other}"),
    }
}

/// Removes `field` from the reference's args and checks the error names exactly that field.
fn assert_missing_is_named(field: &str) {
    let mut fields = reference_fields();
    assert!(fields.remove(field).is_some(), "the fixture writes {field}");
    let path = write_args(&format!("missing_{field}"), &fields);
    let (problems, message) = problems_of(&path);
    assert_eq!(problems.len(), 1, "{message}");
    assert!(
        matches!(&problems[0], ArgsProblem::Missing { field: f } if *f == field),
        "{message}"
    );
    assert!(message.contains(&format!("`{field}`")), "{message}");
}

/// One test per required field, so a failure names the field.
macro_rules! missing_field_tests {
    ($($field:ident),* $(,)?) => {
        mod missing {
            $(
                #[test]
                fn $field() {
                    super::assert_missing_is_named(stringify!($field));
                }
            )*
        }

        #[test]
        fn every_required_field_has_a_missing_field_test() {
            assert_eq!(ReferenceArgs::REQUIRED, [$(stringify!($field)),*]);
        }
    };
}

missing_field_tests!(
    dataset,
    vocab_size,
    dataset_size,
    min_length,
    max_length,
    seed,
    unique,
    n_vars_cat,
    n_vars_num,
    d_var,
    n_heads_cat,
    n_heads_num,
    d_mlp,
    n_cat_mlps,
    n_num_mlps,
    mlp_vars_in,
    n_layers,
    one_hot_embed,
    count_only,
    selector_width,
    attention_type,
    rel_pos_bias,
    autoregressive,
    unembed_mask,
    pool_outputs,
    standard,
);

#[test]
fn all_problems_are_reported_at_once() {
    let mut fields = reference_fields();
    fields.remove("n_layers");
    fields.remove("dataset");
    fields.insert("vocab_size".into(), serde_json::json!("8"));
    fields.insert("d_var".into(), serde_json::json!(-3));
    fields.insert("lr".into(), serde_json::json!("fast")); // optional, but present: still checked
    let path = write_args("several", &fields);
    let (problems, message) = problems_of(&path);
    let named: Vec<String> = problems
        .iter()
        .map(|p| match p {
            ArgsProblem::Missing { field } => format!("missing {field}"),
            ArgsProblem::Mistyped { field, .. } => format!("mistyped {field}"),
        })
        .collect();
    assert_eq!(
        named,
        [
            "mistyped d_var",
            "missing dataset",
            "mistyped lr",
            "missing n_layers",
            "mistyped vocab_size",
        ],
        "{message}"
    );
    assert!(
        message.contains("field `vocab_size`: invalid type: string \"8\""),
        "{message}"
    );
    assert_eq!(
        message.lines().count(),
        6,
        "one line per problem: {message}"
    );
}

#[test]
fn null_where_the_reference_writes_a_number_is_mistyped() {
    let mut fields = reference_fields();
    fields.insert("n_layers".into(), serde_json::Value::Null);
    let path = write_args("null", &fields);
    let (problems, message) = problems_of(&path);
    assert!(
        matches!(&problems[..], [ArgsProblem::Mistyped { field, .. }] if field == "n_layers"),
        "{message}"
    );
}

#[test]
fn reference_args_of_the_trained_sort_model() {
    let args = ReferenceArgs::from_file(&reference("trained_sort_readme.args.json")).unwrap();
    assert_eq!(args.dataset, "sort");
    assert_eq!(
        (
            args.vocab_size,
            args.dataset_size,
            args.min_length,
            args.max_length
        ),
        (8, 10000, 1, 8)
    );
    assert_eq!((args.seed, args.unique), (0, 1));
    assert_eq!((args.n_vars_cat, args.n_vars_num, args.d_var), (1, 1, None));
    assert_eq!(
        (args.n_heads_cat, args.n_heads_num, args.n_layers),
        (4, 0, 2)
    );
    assert_eq!(
        (
            args.d_mlp,
            args.n_cat_mlps,
            args.n_num_mlps,
            args.mlp_vars_in
        ),
        (64, 1, 0, 2)
    );
    assert_eq!(args.sample_fn, "gumbel_soft");
    assert!(args.one_hot_embed && args.count_only && !args.autoregressive && !args.standard);
    assert_eq!(
        (args.selector_width, args.unembed_mask, args.pool_outputs),
        (0, 1, 0)
    );
    assert_eq!(
        (args.attention_type.as_str(), args.rel_pos_bias.as_str()),
        ("cat", "fixed")
    );
    assert_eq!(
        (args.dropout, args.lr, args.max_grad_norm),
        (0.0, 0.05, None)
    );
    assert_eq!(
        (args.gumbel_samples, args.n_epochs, args.batch_size),
        (1, 250, 512)
    );
    assert_eq!((args.tau_init, args.tau_end), (3.0, 0.01));
    assert_eq!(
        (args.tau_schedule.as_str(), args.loss_agg.as_str()),
        ("geomspace", "per_token")
    );
    assert_eq!(args.device, "cpu");
    assert!(
        args.extra.is_empty(),
        "every field of the file is named: {:?}",
        args.extra
    );
}

#[test]
fn optional_fields_default_and_unknown_fields_are_kept() {
    let mut fields = reference_fields();
    for optional in [
        "lr",
        "n_epochs",
        "tau_end",
        "device",
        "output_dir",
        "max_grad_norm",
    ] {
        fields.remove(optional);
    }
    fields.insert("future_flag".into(), serde_json::json!([1, 2]));
    let args = ReferenceArgs::from_file(&write_args("optional", &fields)).unwrap();
    let defaults = ReferenceArgs::default();
    assert_eq!(
        (args.lr, args.n_epochs, args.tau_end),
        (defaults.lr, defaults.n_epochs, defaults.tau_end)
    );
    assert_eq!(args.device, "cuda", "the reference's command-line default");
    assert_eq!((args.dataset.as_str(), args.n_layers), ("sort", 2));
    assert_eq!(args.extra["future_flag"], serde_json::json!([1, 2]));
}

#[test]
fn not_an_object_or_not_json_is_malformed() {
    for (stem, text) in [("array", "[1, 2]"), ("garbage", "{\"dataset\": ")] {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("reference_args_{stem}"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("args.json");
        std::fs::write(&path, text).unwrap();
        let err = ReferenceArgs::from_file(&path).unwrap_err();
        assert!(
            matches!(&err, TorchImportError::MalformedArgs { path: p, .. } if *p == path),
            "{err}"
        );
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }
    let missing = Path::new("/nonexistent/args.json");
    let err = ReferenceArgs::from_file(missing).unwrap_err();
    assert!(matches!(err, TorchImportError::Io { .. }), "{err}");
}
