//! Contracts of the public API: validation, checkpoints, determinism, the optimiser, and the
//! decompiler's accessors.
#![allow(clippy::unwrap_used)]

use tprog_model::{Adam, HeadKind, ModelConfig, ModelError, ReadSite, Sampling};

fn config() -> ModelConfig {
    ModelConfig {
        n_heads_num: 2,
        n_num_mlps: 1,
        d_mlp: 16,
        ..ModelConfig::readme_sort(8, 8, 6)
    }
}

fn batch() -> (Vec<u32>, Vec<u32>) {
    let x = vec![7, 1, 2, 3, 6, 0, 0, 0, 7, 4, 4, 1, 2, 5, 3, 6];
    let y = vec![0, 1, 2, 3, 0, 0, 0, 0, 0, 1, 2, 3, 4, 4, 5, 0];
    (x, y)
}

#[test]
fn validate_reports_every_problem() {
    let c = ModelConfig {
        n_vars_cat: 2,
        vocab_size: 9,
        n_ctx: 9,
        mlp_vars_in: 0,
        dropout: 1.0,
        rel_pos_bias: "none".into(),
        ..config()
    };
    let Err(ModelError::InvalidConfig(problems)) = c.validate() else {
        panic!("accepted")
    };
    assert_eq!(problems.len(), 6, "{problems:?}");
}

#[test]
fn save_then_load_is_exact() {
    let mut a = config().init(1).unwrap();
    let (x, y) = batch();
    a.loss_and_backward(&x, &y, 2, 8, Sampling::GumbelSoft { tau: 1.0 }, 3)
        .unwrap();
    Adam::new(0.05).step(&mut a);
    let dir = std::env::temp_dir().join(format!("tprog-model-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("m.safetensors");
    a.save_safetensors(&path).unwrap();
    let mut b = config().init(2).unwrap();
    assert_ne!(a.params().value, b.params().value);
    b.load_safetensors(&path).unwrap();
    assert_eq!(a.params().value, b.params().value);
    // A model of another shape names the first tensor that does not fit.
    let mut c = ModelConfig {
        d_mlp: 8,
        ..config()
    }
    .init(0)
    .unwrap();
    let err = c.load_safetensors(&path).unwrap_err().to_string();
    assert!(err.contains("W_in"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn runs_are_deterministic_whatever_the_thread_count() {
    let (x, y) = batch();
    let x: Vec<u32> = x.iter().cycle().take(16 * 40).copied().collect();
    let y: Vec<u32> = y.iter().cycle().take(16 * 40).copied().collect();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut m = config().init(4).unwrap();
            let loss = m
                .loss_and_backward(&x, &y, 80, 8, Sampling::GumbelSoft { tau: 0.5 }, 11)
                .unwrap();
            (loss, m.params().grad.clone())
        })
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn adam_skips_frozen_tensors_and_clipping_bounds_the_norm() {
    let mut m = config().init(0).unwrap();
    let (x, y) = batch();
    m.loss_and_backward(&x, &y, 2, 8, Sampling::Softmax { tau: 1.0 }, 0)
        .unwrap();
    let before = m.params().value.clone();
    let norm = m.clip_grad_norm(1e-3);
    assert!(norm > 1e-3);
    assert!((m.grad_norm() - 1e-3).abs() < 1e-5);
    Adam::new(0.1).step(&mut m);
    let p = m.params();
    for s in p.specs() {
        let id = p.id(&s.name).unwrap();
        let changed = p.get(id) != &before[s.offset..s.offset + s.len];
        let has_grad = p.grad_of(id).iter().any(|&g| g != 0.0);
        assert_eq!(changed, s.trainable && has_grad, "{}", s.name);
    }
}

#[test]
fn errors_name_the_problem() {
    let mut m = config().init(0).unwrap();
    assert!(matches!(
        m.forward(&[1, 2, 3], 1, 4, Sampling::Argmax, 0),
        Err(ModelError::BatchShape { .. })
    ));
    assert!(matches!(
        m.forward(&[1; 9], 1, 9, Sampling::Argmax, 0),
        Err(ModelError::TooManyPositions { .. })
    ));
    assert!(matches!(
        m.forward(&[1, 2, 8, 0], 1, 4, Sampling::Argmax, 0),
        Err(ModelError::OutOfVocab { value: 8, .. })
    ));
    let err = m
        .loss_and_backward(&[1, 2, 3, 0], &[0, 1, 2, 0], 1, 4, Sampling::Argmax, 0)
        .unwrap_err();
    assert!(matches!(err, ModelError::NoGradient));
    assert!(err.to_string().contains("relaxed sampler"), "{err}");
}

#[test]
fn mlp_argmax_agrees_with_the_batched_forward() {
    // Force layer 0's categorical MLP to read tokens and positions, then compare its single
    // evaluations with the stream values of a batched argmax forward through the logits of a
    // one-MLP model (W_U zero except the MLP's block, identity there).
    let c = ModelConfig {
        n_heads_num: 0,
        n_num_mlps: 0,
        n_layers: 1,
        ..config()
    };
    let mut m = c.init(7).unwrap();
    let id = m.params().id("blocks.0.cat_mlp.mlps.0.W_read.W").unwrap();
    m.params_mut()
        .get_mut(id)
        .copy_from_slice(&[5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(m.read_choices(ReadSite::CatMlp(0, 0)).unwrap(), vec![0, 1]);
    let layout = m.layout();
    let block = layout.cat_mlp_block(0, 0) * layout.k;
    let wu = m.params().id("unembed.W_U").unwrap();
    let cols = 6;
    let w = m.params_mut().get_mut(wu);
    w.fill(0.0);
    for v in 0..cols {
        w[(block + v) * cols + v] = 1.0;
    }
    let x = vec![7, 1, 2, 3, 4, 5, 6, 2];
    let logits = m.forward(&x, 1, 8, Sampling::Argmax, 0).unwrap().to_vec();
    for (pos, &tok) in x.iter().enumerate() {
        let out = m.cat_mlp_argmax(0, 0, &[tok as usize, pos]).unwrap();
        let row = &logits[pos * cols..(pos + 1) * cols];
        if out < cols && out > 0 {
            assert_eq!(row[out], 1.0, "position {pos}");
        }
        assert_eq!(
            row.iter().filter(|&&v| v == 1.0).count(),
            usize::from(out < cols && out > 0)
        );
    }
    assert_eq!(m.predicate_table(HeadKind::Cat, 0, 0).unwrap().len(), 8);
    assert_eq!(m.embedding_table(), vec![(0..8).collect::<Vec<_>>()]);
    assert!(m.predicate_table(HeadKind::Num, 0, 0).is_err());
}

#[test]
fn dropout_is_saved_and_an_older_config_without_it_reads_as_zero() {
    let with = ModelConfig {
        dropout: 0.5,
        ..config()
    };
    let json = serde_json::to_value(&with).unwrap();
    assert_eq!(json["dropout"], 0.5);
    let back: ModelConfig = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, with);
    let mut old = json;
    old.as_object_mut().unwrap().remove("dropout");
    let old: ModelConfig = serde_json::from_value(old).unwrap();
    assert_eq!(old.dropout, 0.0);
    // Rates outside [0, 1) are refused.
    for bad in [-0.1, 1.0, f32::NAN] {
        let c = ModelConfig {
            dropout: bad,
            ..config()
        };
        assert!(c.validate().is_err(), "{bad}");
    }
    assert!(with.validate().is_ok());
}
