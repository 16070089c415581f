//! Program == discrete model on every real position of thousands of generated inputs, for
//! random-initialised models of every architecture the presets use (the reference's own
//! extraction fails this on 0.5–6.7% of positions, docs/model.md §9).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use tprog_decompile::{Examples, decompile, verify};
use tprog_model::ModelConfig;
use tprog_tasks::TaskName;

/// Decompiles `base` (fitted to the task) for each seed and checks exact agreement.
fn check(label: &str, base: ModelConfig, task: TaskName, size: usize, seeds: &[u64]) {
    let start = std::time::Instant::now();
    let data = common::dataset(task, size);
    eprintln!(
        "{label}: generated in {:.2} s",
        start.elapsed().as_secs_f64()
    );
    let examples = common::all_examples(&data);
    let vocab = common::vocabularies(&data);
    let config = common::for_dataset(base, &data);
    for &seed in seeds {
        let mut model = config.init(seed).unwrap();
        let start = std::time::Instant::now();
        let program =
            decompile(&model, &vocab).unwrap_or_else(|e| panic!("{label} seed {seed}: {e}"));
        let cells: u64 = program
            .modules
            .iter()
            .filter_map(|m| match m {
                tprog_program::Module::NumMlp(t) => {
                    Some(t.runs.iter().map(|r| r.count).sum::<u64>())
                }
                _ => None,
            })
            .sum();
        eprintln!(
            "{label} seed {seed}: decompiled in {:.2} s ({cells} numerical-MLP cells)",
            start.elapsed().as_secs_f64()
        );
        let start = std::time::Instant::now();
        let agreement = verify(&mut model, &program, &Examples::from_split(&examples)).unwrap();
        let seconds = start.elapsed().as_secs_f64();
        eprintln!("{label} seed {seed}: {agreement} (verified in {seconds:.2} s)");
        assert!(
            agreement.positions > 5_000,
            "{label}: too few positions compared"
        );
        assert!(agreement.is_exact(), "{label} seed {seed}: {agreement}");
        assert_eq!(agreement.model_correct, agreement.program_correct);
    }
}

fn rasp(d_var: usize) -> ModelConfig {
    ModelConfig::paper_rasp(d_var, 8, 8, 6)
}

#[test]
fn paper_rasp_config_on_sort() {
    check("rasp sort", rasp(8), TaskName::Sort, 2000, &[0, 1, 2]);
}

#[test]
fn paper_rasp_config_on_hist() {
    check("rasp hist", rasp(8), TaskName::Hist, 2000, &[1, 2, 3]);
}

#[test]
fn categorical_only_config() {
    let base = ModelConfig {
        n_heads_cat: 8,
        n_heads_num: 0,
        n_cat_mlps: 4,
        n_num_mlps: 0,
        ..rasp(8)
    };
    check(
        "categorical-only most_freq",
        base,
        TaskName::MostFreq,
        2000,
        &[0, 1, 2],
    );
}

#[test]
fn readme_sort_config() {
    check(
        "readme sort",
        ModelConfig::readme_sort(8, 8, 6),
        TaskName::Sort,
        2000,
        &[0, 1, 2, 3],
    );
}

#[test]
fn dyck_config_causal() {
    check("rasp dyck1", rasp(16), TaskName::Dyck1, 800, &[0, 1]);
    check("rasp dyck2", rasp(16), TaskName::Dyck2, 800, &[2]);
}

#[test]
fn induction_config_without_class_mask() {
    let base = ModelConfig {
        n_layers: 2,
        d_var: 10,
        n_heads_cat: 1,
        n_heads_num: 0,
        n_cat_mlps: 0,
        n_num_mlps: 0,
        unembed_mask: false,
        ..ModelConfig::readme_sort(8, 8, 6)
    };
    check("induction", base, TaskName::Induction, 2000, &[0, 1, 2, 6]);
}

#[test]
fn learned_embedding_config() {
    let base = ModelConfig {
        n_layers: 2,
        n_vars_cat: 2,
        one_hot_embed: false,
        n_heads_cat: 2,
        n_heads_num: 2,
        n_cat_mlps: 1,
        n_num_mlps: 1,
        ..rasp(8)
    };
    check(
        "learned embeddings sort",
        base,
        TaskName::Sort,
        2000,
        &[0, 1, 2],
    );
}

/// The paper's sequence-classification shape at small size: learned embeddings, categorical
/// heads and MLPs, position 0 classified from the mean over the sentence.
fn pooled() -> ModelConfig {
    ModelConfig {
        n_layers: 2,
        n_vars_cat: 2,
        one_hot_embed: false,
        n_heads_cat: 4,
        n_heads_num: 0,
        n_cat_mlps: 1,
        n_num_mlps: 0,
        pool_outputs: true,
        ..rasp(8)
    }
}

#[test]
fn pooled_classifier_config() {
    check(
        "pooled most_freq",
        pooled(),
        TaskName::MostFreq,
        2000,
        &[0, 1, 2],
    );
    let with_numbers = ModelConfig {
        n_heads_num: 2,
        n_num_mlps: 1,
        ..pooled()
    };
    check(
        "pooled hist with numbers",
        with_numbers,
        TaskName::Hist,
        2000,
        &[3, 4],
    );
}

#[test]
fn logits_equal_the_model_bit_for_bit() {
    logits_bit_for_bit(rasp(8), 5);
}

#[test]
fn pooled_logits_equal_the_model_bit_for_bit() {
    logits_bit_for_bit(pooled(), 6);
}

fn logits_bit_for_bit(base: ModelConfig, seed: u64) {
    // The classifier sums the same f32 terms in the model's order (docs/model.md §7), so the
    // logits of every unmasked class are identical, not just the argmax.
    let data = common::dataset(TaskName::Sort, 300);
    let examples = common::all_examples(&data);
    let config = common::for_dataset(base, &data);
    let mut model = config.init(seed).unwrap();
    let program = decompile(&model, &common::vocabularies(&data)).unwrap();
    let interpreter = tprog_program::Interpreter::new(&program).unwrap();
    let (n, width, classes) = (examples.n, examples.n_ctx, config.n_classes);
    let logits = model
        .forward(&examples.tokens, n, width, tprog_model::Sampling::Argmax, 0)
        .unwrap()
        .to_vec(); // [n, width, C]
    let mut compared = 0;
    for s in 0..n {
        let row = examples.tokens_row(s);
        let tokens: Vec<usize> = row
            .iter()
            .take_while(|&&t| t != 0)
            .map(|&t| t as usize)
            .collect();
        let output = interpreter.run_with_logits(&tokens).unwrap();
        for (p, program_logits) in output.logits.iter().enumerate() {
            for c in (0..classes).filter(|c| !config.masked_classes.contains(c)) {
                let model_logit = logits[(s * width + p) * classes + c];
                assert_eq!(
                    program_logits[c].to_bits(),
                    model_logit.to_bits(),
                    "seq {s} pos {p} class {c}"
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 5_000);
}
