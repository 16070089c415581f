//! The standard Transformer against the reference's (`--standard`, PyTorch 1.13.1, corrected
//! per-example mask): the fixtures `tiny_standard_classify` (pooled, one label per sequence) and
//! `tiny_standard_tokens` (a label per token). The reference's parameters are loaded through
//! the name map; logits and loss must agree within 1e-4 relative, every gradient within 1e-3.

use std::path::{Path, PathBuf};

use safetensors::SafeTensors;
use safetensors::tensor::Dtype;
use tprog_baseline::standard::{StandardConfig, Tensor, reference_name};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/reference")
        .join(name)
}

fn f32s(st: &SafeTensors<'_>, name: &str) -> Tensor {
    let view = st.tensor(name).unwrap_or_else(|_| panic!("no {name}"));
    let values = match view.dtype() {
        Dtype::F32 => view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        Dtype::I64 => view
            .data()
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
            .collect(),
        Dtype::U8 => view.data().iter().map(|&b| f32::from(b)).collect(),
        other => panic!("{name}: unexpected {other:?}"),
    };
    Tensor {
        shape: view.shape().to_vec(),
        values,
    }
}

fn config_of(tag: &str, n_classes: usize, vocab: usize) -> StandardConfig {
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture(&format!("{tag}.json"))).expect("fixture json"),
    )
    .expect("json");
    let c = &json["config"];
    let get = |k: &str| c[k].as_u64().unwrap_or_else(|| panic!("{k}")) as usize;
    StandardConfig {
        d_model: get("d_model"),
        n_layers: get("n_layers"),
        n_heads: get("n_heads"),
        d_mlp: get("d_mlp"),
        dropout: 0.0,
        n_ctx: get("n_ctx"),
        vocab_size: vocab,
        n_classes,
        // The reference masks `<pad>` and `<unk>` (classes 0 and 1 of these vocabularies).
        masked_classes: vec![0, 1],
        pad_token: 0,
        autoregressive: c["autoregressive"].as_bool().unwrap_or(false),
        pool_outputs: get("pool_outputs") == 1,
    }
}

/// max |a − b| / max |b| over the entries where `keep`.
fn relative_error(ours: &[f32], theirs: &[f32], keep: impl Fn(usize) -> bool) -> f64 {
    assert_eq!(ours.len(), theirs.len());
    let (mut diff, mut scale) = (0.0f64, 0.0f64);
    for (i, (&a, &b)) in ours.iter().zip(theirs).enumerate() {
        if keep(i) {
            diff = diff.max(f64::from((a - b).abs()));
            scale = scale.max(f64::from(b.abs()));
        }
    }
    diff / scale.max(1e-12)
}

fn transpose(t: &Tensor) -> Vec<f32> {
    let (rows, cols) = (t.shape[0], t.shape[1]);
    let mut out = vec![0.0; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = t.values[r * cols + c];
        }
    }
    out
}

fn check(tag: &str) {
    let bytes = std::fs::read(fixture(&format!("{tag}.safetensors"))).expect("fixture");
    let st = SafeTensors::deserialize(&bytes).expect("safetensors");
    let w_u = f32s(&st, "param.unembed.W_U");
    let w_e = f32s(&st, "param.embed.W_E");
    let mask = f32s(&st, "param.unembed.mask");
    let config = config_of(tag, w_u.shape[1], w_e.shape[1]);
    // The class mask we derive is the reference's buffer (1 = masked).
    for (c, &m) in mask.values.iter().enumerate() {
        assert_eq!(config.masked_classes.contains(&c), m != 0.0, "class {c}");
    }
    let mut model = config.init(0).expect("init");
    model
        .load_reference(Path::new(tag), |name| {
            st.tensor(&format!("param.{name}")).ok()?;
            Some(f32s(&st, &format!("param.{name}")))
        })
        .expect("load reference parameters");
    let x = f32s(&st, "input.x");
    let y = f32s(&st, "input.y");
    let (b, n) = (x.shape[0], x.shape[1]);
    let tokens: Vec<u32> = x.values.iter().map(|&v| v as u32).collect();
    let labels: Vec<u32> = y.values.iter().map(|&v| v as u32).collect();

    let logits = model.forward(&tokens, b, n).expect("forward").to_vec();
    let expected = f32s(&st, "out.logits");
    let classes = config.n_classes;
    let unmasked = |i: usize| !config.masked_classes.contains(&(i % classes));
    let err = relative_error(&logits, &expected.values, unmasked);
    eprintln!("{tag}: logits relative error {err:e}");
    assert!(err < 1e-4, "{tag}: logits relative error {err:e}");
    for (i, (&a, &e)) in logits.iter().zip(&expected.values).enumerate() {
        assert!(unmasked(i) || a == e, "{tag}: masked logit {i}: {a} vs {e}");
    }
    let head_major = f32s(&st, "out.logits_head_major_mask");
    let bug = relative_error(&logits, &head_major.values, unmasked);
    if tag == "tiny_standard_tokens" {
        assert!(
            bug > 1e-2,
            "the reference's head-major mask must differ from ours"
        );
    }

    model.zero_grad();
    let loss = model
        .loss_and_backward(&tokens, &labels, b, n, 0)
        .expect("backward");
    let expected_loss = f32s(&st, "out.loss").values[0];
    let rel = ((loss - expected_loss) / expected_loss).abs();
    eprintln!("{tag}: loss {loss} vs {expected_loss} (relative {rel:e})");
    assert!(rel < 1e-4, "{tag}: loss {loss} vs {expected_loss}");
    let mut worst = (0.0f64, String::new());

    let params = model.params();
    for spec in params.specs() {
        let (theirs, transposed) = reference_name(&spec.name).expect("mapped");
        let grad = f32s(&st, &format!("grad.{theirs}"));
        let expected = if transposed {
            transpose(&grad)
        } else {
            grad.values.clone()
        };
        let ours = params.grad_by_name(&spec.name).expect("grad");
        let err = relative_error(ours, &expected, |_| true);
        assert!(
            err < 1e-3,
            "{tag}: gradient of {} ({theirs}): {err:e}",
            spec.name
        );
        if err > worst.0 {
            worst = (err, spec.name.clone());
        }
    }
    eprintln!(
        "{tag}: worst gradient relative error {:e} ({})",
        worst.0, worst.1
    );
}

#[test]
fn pooled_classification_matches_the_reference() {
    check("tiny_standard_classify");
}

#[test]
fn token_labelling_matches_the_reference() {
    check("tiny_standard_tokens");
}

/// Our mask (key 0 always; otherwise both real) is the fixture's `input.mask` with column 0
/// forced on, example by example.
#[test]
fn padding_mask_is_per_example() {
    let bytes = std::fs::read(fixture("tiny_standard_tokens.safetensors")).expect("fixture");
    let st = SafeTensors::deserialize(&bytes).expect("safetensors");
    let x = f32s(&st, "input.x");
    let mask = f32s(&st, "input.mask");
    let (b, n) = (x.shape[0], x.shape[1]);
    for ex in 0..b {
        let valid: Vec<bool> = (0..n).map(|i| x.values[ex * n + i] != 0.0).collect();
        for q in 0..n {
            for k in 0..n {
                let theirs = mask.values[(ex * n + q) * n + k] != 0.0 || k == 0;
                let ours = k == 0 || (valid[q] && valid[k]);
                assert_eq!(ours, theirs, "example {ex} query {q} key {k}");
            }
        }
    }
}
