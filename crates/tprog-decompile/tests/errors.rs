//! Clear errors: tables too large, real-valued numerical inputs, mismatched vocabularies,
//! malformed examples, supports too large; and `verify` notices a program that differs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tprog_decompile::{
    DecompileError, Examples, Vocabularies, decompile, verify, verify_exhaustive,
};
use tprog_model::{Model, ModelConfig};
use tprog_tasks::{Task, TaskName};

fn sort_vocab() -> Vocabularies {
    Vocabularies {
        input: ["<pad>", "0", "1", "2", "3", "4", "</s>", "<s>"]
            .map(String::from)
            .to_vec(),
        output: ["<pad>", "0", "1", "2", "3", "4"]
            .map(String::from)
            .to_vec(),
        name: "sort".into(),
        text: None,
    }
}

/// Makes read `row` of parameter `name` choose variable `choice` (+10 there, −10 elsewhere).
fn force_read(model: &mut Model, name: &str, row: usize, choice: usize) {
    let params = model.params_mut();
    let id = params.id(name).unwrap();
    let n = params.spec(id).shape[1];
    for (i, x) in params.get_mut(id)[row * n..(row + 1) * n]
        .iter_mut()
        .enumerate()
    {
        *x = if i == choice { 10.0 } else { -10.0 };
    }
}

#[test]
fn numerical_mlp_grid_past_the_limit_is_refused() {
    // Four layers of one numerical head each, every head summing the previous one: ranges
    // 0..=16, 0..=256, 0..=4096, 0..=65536; an MLP reading the last two has 2.7e8 cells.
    let config = ModelConfig {
        n_layers: 4,
        n_heads_cat: 0,
        n_heads_num: 1,
        n_cat_mlps: 0,
        n_num_mlps: 1,
        d_var: 16,
        autoregressive: true,
        ..ModelConfig::readme_sort(16, 4, 4)
    };
    let mut model = config.init(0).unwrap();
    for l in 0..4 {
        force_read(&mut model, &format!("blocks.{l}.num_attn.W_V.W"), 0, l);
        // Keep the cheaper MLPs of layers 0..3 on `ones`.
        for r in 0..2 {
            force_read(
                &mut model,
                &format!("blocks.{l}.num_mlp.mlps.0.W_read.W"),
                r,
                0,
            );
        }
    }
    force_read(&mut model, "blocks.3.num_mlp.mlps.0.W_read.W", 0, 4);
    force_read(&mut model, "blocks.3.num_mlp.mlps.0.W_read.W", 1, 3);
    let vocab = Vocabularies {
        input: ["<pad>", "(", ")", "<s>"].map(String::from).to_vec(),
        output: ["<pad>", "F", "P", "T"].map(String::from).to_vec(),
        name: "dyck1".into(),
        text: None,
    };
    let error = decompile(&model, &vocab).unwrap_err();
    let message = error.to_string();
    eprintln!("{message}");
    assert!(matches!(error, DecompileError::TableTooLarge { .. }));
    assert!(message.contains("num_mlp_3_0_outputs"), "{message}");
    assert!(
        message.contains("num_attn_3_0_outputs in 0..=65536"),
        "{message}"
    );
    assert!(
        message.contains("num_attn_2_0_outputs in 0..=4096"),
        "{message}"
    );
}

#[test]
fn real_valued_numerical_inputs_are_refused() {
    let config = ModelConfig {
        count_only: false,
        ..ModelConfig::readme_sort(8, 8, 6)
    };
    let model = config.init(0).unwrap();
    let message = decompile(&model, &sort_vocab()).unwrap_err().to_string();
    assert!(message.contains("count_only is off"), "{message}");
}

#[test]
fn pooled_program_needs_examples_at_its_padded_width() {
    // The pooled mean divides by n_ctx, so comparing at another width would compare two
    // different computations: refused with a reason instead.
    let config = ModelConfig {
        pool_outputs: true,
        ..ModelConfig::readme_sort(8, 8, 6)
    };
    let mut model = config.init(0).unwrap();
    let program = decompile(&model, &sort_vocab()).unwrap();
    assert!(program.classifier.pooled);
    let tokens = [7u32, 1, 2, 6, 0, 0];
    let error = verify(&mut model, &program, &Examples::unlabelled(&tokens, 6)).unwrap_err();
    assert!(
        error.to_string().contains("padded width n_ctx = 8"),
        "{error}"
    );
}

#[test]
fn vocabulary_of_the_wrong_size_is_refused() {
    let model = ModelConfig::readme_sort(8, 8, 6).init(0).unwrap();
    let mut vocab = sort_vocab();
    vocab.output.pop();
    let message = decompile(&model, &vocab).unwrap_err().to_string();
    assert!(
        message.contains("output vocabulary has 5 entries but the model has 6"),
        "{message}"
    );
}

#[test]
fn support_too_large_is_refused() {
    let model = ModelConfig::readme_sort(8, 8, 6).init(0).unwrap();
    let program = decompile(&model, &sort_vocab()).unwrap();
    let task = Task::with_defaults(TaskName::Dyck2);
    let message = verify_exhaustive(&program, &task, 1)
        .unwrap_err()
        .to_string();
    assert!(message.starts_with("support too large"), "{message}");
}

#[test]
fn verify_notices_a_changed_program_and_bad_examples() {
    let mut model = ModelConfig::readme_sort(8, 8, 6).init(0).unwrap();
    let mut program = decompile(&model, &sort_vocab()).unwrap();
    // <s> 2 0 1 </s> and <s> 4 </s>, padded to 8.
    let tokens = [7, 3, 1, 2, 6, 0, 0, 0, 7, 5, 6, 0, 0, 0, 0, 0];
    let examples = Examples::unlabelled(&tokens, 8);
    let exact = verify(&mut model, &program, &examples).unwrap();
    assert!(exact.is_exact());
    assert_eq!((exact.positions, exact.sequences), (8, 2));
    // Make class "3" win everywhere in the program only.
    let positions = program
        .classifier
        .features
        .iter_mut()
        .find(|f| f.variable == "positions")
        .unwrap();
    for row in &mut positions.weights {
        row[4] += 1e6;
    }
    let changed = verify(&mut model, &program, &examples).unwrap();
    assert!(!changed.is_exact());
    assert!(changed.positions_agreeing < changed.positions);
    assert!(changed.disagreements.iter().all(|d| d.program == 4));

    let bad = [7, 3, 0, 2, 6, 0, 0, 0];
    let message = verify(&mut model, &program, &Examples::unlabelled(&bad, 8))
        .unwrap_err()
        .to_string();
    assert!(message.contains("token after padding"), "{message}");
}
