//! `tprog train --model standard`: the standard Transformer baseline through the same run
//! directory, progress, best-by-validation epoch, `eval` and `--resume`, and a report that says
//! there is no program.

#![allow(clippy::unwrap_used)]

mod common;
use common::{failure, success, temp_dir};

fn summary(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// A small baseline trains, reports its accuracy without a program, evaluates, and resumes to
/// more epochs.
#[test]
fn standard_baseline_trains_evaluates_and_resumes() {
    let dir = common::temp_dir("tprog-cli-standard", "sort");
    let out = dir.to_str().unwrap();
    let stdout = success(&[
        "train",
        "--task",
        "sort",
        "--preset",
        "tiny",
        "--model",
        "standard",
        "--d-model",
        "16",
        "--layers",
        "1",
        "--heads",
        "2",
        "--d-mlp",
        "16",
        "--epochs",
        "3",
        "--out",
        out,
        "--quiet",
    ]);
    assert!(stdout.lines().any(|l| l.starts_with("0 ")), "{stdout}");
    for file in [
        "config.json",
        "model.safetensors",
        "checkpoint.safetensors",
        "metrics.jsonl",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    assert!(!dir.join("program.json").exists());
    let first = summary(&dir);
    assert_eq!(first["architecture"], "standard", "{first}");
    assert_eq!(first["config"]["standard"]["d_model"], 16, "{first}");
    assert!(first.get("program_error").is_none(), "{first}");
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        report.contains("No program: this run trained the standard Transformer"),
        "{report}"
    );

    // `eval` reproduces the summary's test accuracy.
    let eval = success(&["eval", out]);
    let test_row = eval.lines().find(|l| l.starts_with("test")).unwrap();
    let reported = format!(
        "{:.2}",
        100.0 * first["test"]["token_acc"].as_f64().unwrap()
    );
    assert!(test_row.contains(&reported), "{eval} vs {reported}");

    // `--resume --epochs 5` extends the run from its checkpoint.
    success(&["train", "--resume", out, "--epochs", "5", "--quiet"]);
    let resumed = summary(&dir);
    assert_eq!(resumed["epochs"], 5, "{resumed}");
    let metrics = std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap();
    assert_eq!(metrics.lines().count(), 5);

    // There is no program to verify or export.
    let error = failure(&["verify", out]);
    assert!(error.contains("standard Transformer baseline"), "{error}");
}

/// Resuming an unfinished baseline run gives the same model as training it straight through.
#[test]
fn resumed_baseline_equals_an_uninterrupted_one() {
    let straight = common::temp_dir("tprog-cli-standard", "straight");
    let split = common::temp_dir("tprog-cli-standard", "split");
    let args = |out: &str, epochs: &str| {
        vec![
            "train".to_owned(),
            "--task".into(),
            "reverse".into(),
            "--preset".into(),
            "tiny".into(),
            "--model".into(),
            "standard".into(),
            "--dropout".into(),
            "0.1".into(),
            "--epochs".into(),
            epochs.into(),
            "--out".into(),
            out.into(),
            "--quiet".into(),
        ]
    };
    let run = |a: Vec<String>| success(&a.iter().map(String::as_str).collect::<Vec<_>>());
    run(args(straight.to_str().unwrap(), "4"));
    run(args(split.to_str().unwrap(), "2"));
    success(&[
        "train",
        "--resume",
        split.to_str().unwrap(),
        "--epochs",
        "4",
        "--quiet",
    ]);
    let checkpoint =
        |dir: &std::path::Path| std::fs::read(dir.join("checkpoint.safetensors")).unwrap();
    assert_eq!(checkpoint(&straight), checkpoint(&split));
}

/// `--glove` initialises the standard Transformer's token embedding as it does the program
/// model's: the run starts from another model than without it, records the file in its
/// config, and resumes (from its checkpoint, without reading GloVe again) to the same model as
/// a straight run. The initialisation itself is checked bit for bit in tprog-train's glove test.
#[test]
fn glove_initialises_the_standard_embedding() {
    let glove = common::temp_path("tprog-cli-standard", "glove.txt");
    std::fs::write(
        &glove,
        "1 0.5 -1 2 0.25\n2 1 1 1 -3\n3 0 0.5 -0.5 1\n<s> 2 2 0 1\n",
    )
    .unwrap();
    let train = |name: &str, epochs: &str, with_glove: bool| {
        let dir = temp_dir("tprog-cli-standard", name);
        let mut args: Vec<String> = [
            "train", "--task", "reverse", "--preset", "tiny", "--model", "standard", "--epochs",
            epochs, "--quiet", "--out",
        ]
        .map(String::from)
        .to_vec();
        args.push(dir.to_str().unwrap().to_owned());
        if with_glove {
            args.extend(["--glove".to_owned(), glove.to_str().unwrap().to_owned()]);
        }
        success(&args.iter().map(String::as_str).collect::<Vec<_>>());
        dir
    };
    let straight = train("glove-straight", "3", true);
    let plain = train("glove-plain", "3", false);
    let split = train("glove-split", "1", true);
    success(&[
        "train",
        "--resume",
        split.to_str().unwrap(),
        "--epochs",
        "3",
        "--quiet",
    ]);
    let checkpoint =
        |dir: &std::path::Path| std::fs::read(dir.join("checkpoint.safetensors")).unwrap();
    assert_eq!(checkpoint(&straight), checkpoint(&split));
    assert_ne!(checkpoint(&straight), checkpoint(&plain));
    let config = &summary(&straight)["config"];
    assert!(
        config["train"]["glove"]
            .as_str()
            .is_some_and(|g| g.ends_with("glove.txt")),
        "{config}"
    );
}

/// Standard-only flags without `--model standard` are a usage error naming the flag.
#[test]
fn standard_flags_need_the_standard_model() {
    let error = failure(&[
        "train",
        "--task",
        "sort",
        "--preset",
        "tiny",
        "--d-model",
        "32",
    ]);
    assert!(
        error.contains("--d-model") && error.contains("--model standard"),
        "{error}"
    );
    let error = failure(&[
        "train",
        "--task",
        "sort",
        "--preset",
        "tiny",
        "--model",
        "standard",
        "--d-model",
        "30",
        "--heads",
        "4",
    ]);
    assert!(error.contains("multiple of n_heads"), "{error}");
}

/// A `--standard` reference checkpoint imports as a standard run: our tiny baseline's weights,
/// written under the reference's PyTorch names (transposed where the layouts differ) in
/// torch's checkpoint format, with an `args.json` saying `"standard": true`, give back the same
/// model (the same validation accuracy, the same predictions through `eval`).
#[test]
fn import_reference_reads_a_standard_checkpoint() {
    let dir = temp_dir("tprog-standard", "import");
    let trained = dir.join("trained");
    success(&[
        "train",
        "--task",
        "sort",
        "--preset",
        "tiny",
        "--model",
        "standard",
        "--epochs",
        "2",
        "--out",
        trained.to_str().unwrap(),
        "--overwrite",
        "--quiet",
        "--threads",
        "1",
    ]);
    let bytes = std::fs::read(trained.join("model.safetensors")).unwrap();
    let ours = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut tensors = Vec::new();
    for (name, view) in ours.tensors() {
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let (theirs, transposed) = tprog_baseline::standard::reference_name(&name).unwrap();
        let shape = view.shape().to_vec();
        if transposed {
            let (rows, cols) = (shape[0], shape[1]);
            let mut back = vec![0.0; values.len()];
            for r in 0..rows {
                for c in 0..cols {
                    back[c * rows + r] = values[r * cols + c];
                }
            }
            tensors.push((theirs, vec![cols, rows], back));
        } else {
            tensors.push((theirs, shape, values));
        }
    }
    let model_pt = dir.join("model.pt");
    tprog_import::testing::write_state_dict(&model_pt, &tensors).unwrap();
    // The reference's args.json of `--standard --d_model 16 --n_layers 1 --n_heads 2 --d_mlp 32`
    // on the tiny preset's sort data (600 examples, seed 0).
    let args = r#"{"output_dir": "output/sort", "dataset": "sort", "vocab_size": 8,
        "dataset_size": 600, "min_length": 1, "max_length": 8, "seed": 0, "do_lower": 0,
        "unique": 1, "replace_numbers": 0, "n_vars_cat": 1, "n_vars_num": 1, "d_var": null,
        "n_heads_cat": 2, "n_heads_num": 1, "d_mlp": 32, "n_cat_mlps": 1, "n_num_mlps": 1,
        "mlp_vars_in": 2, "n_layers": 1, "sample_fn": "gumbel_soft", "one_hot_embed": true,
        "count_only": true, "selector_width": 0, "attention_type": "cat",
        "rel_pos_bias": "fixed", "mlp_type": "cat", "autoregressive": false,
        "glove_embeddings": "", "do_glove": 0, "unembed_mask": 1, "pool_outputs": 0,
        "standard": true, "d_model": 16, "d_head": null, "n_heads": 2, "dropout": 0.0,
        "lr": 0.001, "max_grad_norm": null, "gumbel_samples": 1, "n_epochs": 2,
        "batch_size": 128, "tau_init": 3.0, "tau_end": 0.01, "tau_schedule": "geomspace",
        "loss_agg": "per_token", "save": true, "save_code": false, "device": "cpu"}"#;
    let args_json = dir.join("args.json");
    std::fs::write(&args_json, args).unwrap();
    let imported = dir.join("imported");
    success(&[
        "import-reference",
        model_pt.to_str().unwrap(),
        args_json.to_str().unwrap(),
        "--out",
        imported.to_str().unwrap(),
    ]);
    let read = |run: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap()
    };
    let (original, copy) = (read(&trained), read(&imported));
    assert_eq!(copy["architecture"], "standard", "{copy}");
    assert_eq!(copy["config"]["standard"]["d_model"], 16, "{copy}");
    for split in ["train", "val", "test"] {
        assert_eq!(copy[split], original[split], "{split}");
    }
    assert!(!imported.join("program.json").exists());
    let report = std::fs::read_to_string(imported.join("report.md")).unwrap();
    assert!(report.contains("No program"), "{report}");
}
