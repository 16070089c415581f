//! The NLP path end to end on a small hand-written TREC-format sample: `data` and `baseline`
//! read it from `--data-dir`, `train` learns a (tiny) program on it, saves the data source in
//! `config.json` and rebuilds the same data on `--resume`.

#![allow(clippy::unwrap_used)]

mod common;
use common::{success, temp_dir};

/// A TREC-format training file of 40 questions and a test file of 6, in `dir/trec/`.
fn trec_sample(dir: &std::path::Path) {
    let trec = dir.join("trec");
    std::fs::create_dir_all(&trec).unwrap();
    let kinds = [
        ("NUM:count", "How many"),
        ("LOC:city", "Where is"),
        ("HUM:ind", "Who wrote"),
    ];
    let mut train = String::new();
    for i in 0..40 {
        let (label, words) = kinds[i % 3];
        train.push_str(&format!("{label} {words} thing {i} ?\n"));
    }
    std::fs::write(trec.join("train_5500.label"), train).unwrap();
    std::fs::write(
        trec.join("TREC_10.label"),
        "NUM:count How many cats ?\nLOC:city Where is Paris ?\nHUM:ind Who wrote it ?\n",
    )
    .unwrap();
}

#[test]
fn data_baseline_and_train_read_a_data_dir() {
    let dir = temp_dir("tprog-nlp", "data");
    trec_sample(&dir);
    let data_dir = dir.to_str().unwrap();
    let text = success(&[
        "data",
        "--task",
        "trec",
        "--data-dir",
        data_dir,
        "--show",
        "1",
    ]);
    assert!(text.contains("train         36        36"), "{text}");
    assert!(text.contains("val            4         4"), "{text}");
    assert!(
        text.contains("output vocab (5): <pad> <unk> HUM LOC NUM"),
        "{text}"
    );
    assert!(text.contains("random_state=0"), "{text}");

    let text = success(&["baseline", "--task", "trec", "--data-dir", data_dir]);
    assert!(text.contains("naive Bayes"), "{text}");
    assert!(text.contains("test     100.00%         3"), "{text}");

    let run = dir.join("run");
    let run_dir = run.to_str().unwrap();
    let args = [
        "train",
        "--task",
        "trec",
        "--data-dir",
        data_dir,
        "--preset",
        "tiny",
        "--epochs",
        "1",
        "--out",
        run_dir,
        "--quiet",
        "--threads",
        "1",
    ];
    success(&args);
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["data"]["source"], "nlp");
    assert_eq!(config["data"]["task"], "trec");
    assert_eq!(config["data"]["options"]["vocab_size"], 10000);
    assert_eq!(config["shape"]["input_vocab"][2], "<s>");
    // The data is rebuilt from config.json: extending the run works.
    success(&[
        "train",
        "--resume",
        run_dir,
        "--epochs",
        "2",
        "--quiet",
        "--threads",
        "1",
    ]);
}

#[test]
fn nlp_presets_train_the_papers_models_and_the_program_reads_words() {
    let dir = temp_dir("tprog-nlp", "presets");
    trec_sample(&dir);
    let data_dir = dir.to_str().unwrap();
    let run = dir.join("program");
    let run_dir = run.to_str().unwrap();
    success(&[
        "train",
        "--preset",
        "trec",
        "--data-dir",
        data_dir,
        "--epochs",
        "2",
        "--out",
        run_dir,
        "--quiet",
        "--threads",
        "1",
    ]);
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["data"]["task"], "trec");
    assert_eq!(config["model"]["pool_outputs"], true);
    assert_eq!(config["model"]["d_var"], 64);
    assert_eq!(config["model"]["n_vars_cat"], 4);
    assert_eq!(config["train"]["batch_size"], 128);
    // The sequence classifier has a program: pooled, with the text rules of the data.
    let program: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("program.json")).unwrap()).unwrap();
    assert_eq!(program["classifier"]["pooled"], true);
    assert_eq!(program["text"]["unknown"], "<unk>");
    assert_eq!(program["text"]["bos"], "<s>");
    let program_file = run.join("program.json");
    let label = success(&[
        "run",
        program_file.to_str().unwrap(),
        "--words",
        "How many zebras ?",
    ]);
    let label = label.trim();
    assert!(["HUM", "LOC", "NUM"].contains(&label), "{label}");
    // The same sentence as tokens gives the same class at position 0.
    let labels = success(&[
        "run",
        program_file.to_str().unwrap(),
        "--tokens",
        "<s> How many <unk> ? </s>",
    ]);
    assert_eq!(labels.split_whitespace().next(), Some(label));
    // And so does the Python export, which takes the sentence as words.
    if std::env::var("TPROG_SKIP_PYTHON").as_deref() != Ok("1") {
        let output = std::process::Command::new("python3")
            .arg(run.join("program.py"))
            .arg("How many zebras ?")
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), label);
    }

    // What it learned, read on the test questions (whose unseen words read as <unk>).
    let text = success(&["analyze", run_dir, "--split", "test", "--top", "3"]);
    assert!(text.contains("read on 3 inputs"), "{text}");
    assert!(text.contains("<unk> ("), "{text}");
    assert!(text.contains("embedding var0_embeddings"), "{text}");
    assert!(text.contains("head attn_0_0_outputs"), "{text}");
    for class in ["HUM", "LOC", "NUM"] {
        assert!(
            text.contains(&format!("class {class}: strongest")),
            "{text}"
        );
    }

    let standard = dir.join("standard");
    success(&[
        "train",
        "--preset",
        "trec-standard",
        "--data-dir",
        data_dir,
        "--epochs",
        "1",
        "--out",
        standard.to_str().unwrap(),
        "--quiet",
        "--threads",
        "1",
    ]);
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(standard.join("config.json")).unwrap())
            .unwrap();
    assert_eq!(config["standard"]["d_model"], 64);
    assert_eq!(config["standard"]["n_layers"], 2);
    assert_eq!(config["standard"]["dropout"], 0.5);
    assert_eq!(config["train"]["max_grad_norm"], 5.0);
    assert_eq!(config["train"]["lr"], 0.005);
    assert_eq!(config["model"]["pool_outputs"], true);

    let text = common::failure(&[
        "train",
        "--preset",
        "conll",
        "--task",
        "trec",
        "--data-dir",
        data_dir,
    ]);
    assert!(text.contains("--preset names the task conll_ner"), "{text}");
    let text = common::failure(&["train", "--preset", "imdb", "--data-dir", data_dir]);
    assert!(text.contains("unknown preset 'imdb'"), "{text}");
}

/// The reference's classification_short.sh on the sample: a smaller vocabulary and context,
/// `--d-var` and `--n-vars-cat` reach the model, and its program still equals it.
#[test]
fn the_embedding_and_variables_can_be_resized() {
    let dir = temp_dir("tprog-nlp", "resized");
    trec_sample(&dir);
    let data_dir = dir.to_str().unwrap();
    let run = dir.join("short");
    let text = success(&[
        "train",
        "--preset",
        "trec",
        "--data-dir",
        data_dir,
        "--vocab-size",
        "20",
        "--max-length",
        "12",
        "--d-var",
        "12",
        "--n-vars-cat",
        "2",
        "--epochs",
        "1",
        "--out",
        run.to_str().unwrap(),
        "--quiet",
        "--threads",
        "1",
    ]);
    assert!(
        text.contains("the program equals the discrete model"),
        "{text}"
    );
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["model"]["d_var"], 12);
    assert_eq!(config["model"]["n_vars_cat"], 2);
    let n_ctx = config["model"]["n_ctx"].as_u64().unwrap();
    assert!(
        (3..=12).contains(&n_ctx),
        "{n_ctx}: the longest sentence, at most 12 tokens"
    );
    assert_eq!(
        config["model"]["vocab_size"], 22,
        "20 words, <pad> and <unk>"
    );

    // A context wider than the variables, embedding variables where tokens are one-hot, and
    // either setting for the standard Transformer: refused, naming the setting, and no run
    // directory is made.
    let refused = dir.join("refused");
    let refused_dir = refused.to_str().unwrap();
    let text = common::failure(&[
        "train",
        "--preset",
        "trec",
        "--data-dir",
        data_dir,
        "--d-var",
        "2",
        "--out",
        refused_dir,
    ]);
    assert!(
        text.contains("n_ctx") && text.contains("d_var (2)"),
        "{text}"
    );
    let text = common::failure(&[
        "train",
        "--task",
        "sort",
        "--n-vars-cat",
        "2",
        "--out",
        refused_dir,
    ]);
    assert!(
        text.contains("--n-vars-cat") && text.contains("NLP"),
        "{text}"
    );
    let text = common::failure(&[
        "train",
        "--preset",
        "trec-standard",
        "--data-dir",
        data_dir,
        "--n-vars-cat",
        "2",
        "--out",
        refused_dir,
    ]);
    assert!(text.contains("standard Transformer has none"), "{text}");
    assert!(!refused.exists(), "a refused run made its directory");
}

#[test]
fn ner_runs_report_entity_scores() {
    let dir = temp_dir("tprog-nlp", "ner");
    let conll = dir.join("conll2003");
    std::fs::create_dir_all(&conll).unwrap();
    let sentences = [
        "John B-PER\nSmith I-PER\nlives O\nin O\nParis B-LOC\n. O\n",
        "Mary B-PER\nvisited O\nBerlin B-LOC\n. O\n",
        "The O\nUN B-ORG\nmet O\nin O\n1995 O\n. O\n",
    ];
    let file = |copies: usize| -> String {
        let mut text = String::from("-DOCSTART- O\n\n");
        for i in 0..copies {
            text.push_str(sentences[i % sentences.len()]);
            text.push('\n');
        }
        text
    };
    std::fs::write(conll.join("train.txt"), file(30)).unwrap();
    std::fs::write(conll.join("valid.txt"), file(6)).unwrap();
    std::fs::write(conll.join("test.txt"), file(6)).unwrap();
    let run = dir.join("run");
    success(&[
        "train",
        "--task",
        "conll_ner",
        "--data-dir",
        dir.to_str().unwrap(),
        "--preset",
        "tiny",
        "--vocab-size",
        "20",
        "--epochs",
        "2",
        "--out",
        run.to_str().unwrap(),
        "--quiet",
        "--threads",
        "1",
    ]);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
    // Each block of three sentences holds five entities (John Smith, Paris, Mary, Berlin, UN).
    for (split, gold) in [("train", 50), ("val", 10), ("test", 10)] {
        let entity = &summary[split]["entity"];
        assert_eq!(entity["gold"], gold, "{split}: {entity}");
        let f1 = entity["f1"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&f1), "{split}: {entity}");
    }
    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(report.contains("entity P / R / F1"), "{report}");
    let text = success(&["eval", run.to_str().unwrap()]);
    assert!(text.contains("entity P/R/F1"), "{text}");
}
