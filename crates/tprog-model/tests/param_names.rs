//! The parameters a config creates (names, which are the checkpoint keys; shapes; trainable
//! flags; offsets; and a hash of the initial values) against a golden listing, so that a
//! change in how `ModelConfig::init` builds them cannot rename, reorder or re-initialise any.
//! Regenerate with `UPDATE_GOLDEN=1 cargo test -p tprog-model --test param_names` (a
//! reviewed step).
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;

use tprog_model::{ModelConfig, SampledAs};

fn configs() -> Vec<(&'static str, ModelConfig)> {
    let paper = ModelConfig::paper_rasp(8, 8, 8, 6);
    vec![
        ("readme_sort", ModelConfig::readme_sort(8, 8, 6)),
        ("paper_rasp", paper.clone()),
        (
            "learned embeddings, 2 MLPs each, selector width",
            ModelConfig {
                one_hot_embed: false,
                count_only: false,
                n_vars_cat: 2,
                n_vars_num: 2,
                n_cat_mlps: 2,
                n_num_mlps: 2,
                selector_width: true,
                mlp_vars_in: 3,
                ..paper
            },
        ),
    ]
}

/// FNV-1a over the values' bits.
fn hash(values: &[f32]) -> u64 {
    values.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, v| {
        (h ^ u64::from(v.to_bits())).wrapping_mul(0x0100_0000_01b3)
    })
}

fn listing() -> String {
    let mut out = String::new();
    for (name, config) in configs() {
        let model = config.init(11).unwrap();
        writeln!(out, "# {name}").unwrap();
        for spec in model.params().specs() {
            let sampled = match spec.sampled {
                SampledAs::Raw => "raw".to_string(),
                other => format!("{other:?}"),
            };
            let values = model.params().by_name(&spec.name).unwrap();
            writeln!(
                out,
                "{} {:?} offset={} trainable={} {} init={:016x}",
                spec.name,
                spec.shape,
                spec.offset,
                spec.trainable,
                sampled,
                hash(values)
            )
            .unwrap();
        }
    }
    out
}

#[test]
fn parameter_names_shapes_and_initial_values_are_unchanged() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/param_names.txt");
    let got = listing();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &got).unwrap();
    }
    let want = std::fs::read_to_string(path).unwrap();
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "line {}", i + 1);
    }
    assert_eq!(got.lines().count(), want.lines().count());
}
