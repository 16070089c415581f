//! Programs decompiled from the reference's untrained all-components models (categorical and
//! numerical heads and MLPs; sort, and dyck1 with a causal mask) predict what the reference's
//! discretized model predicted on its fixture inputs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use tprog_decompile::{Vocabularies, decompile};
use tprog_program::Interpreter;

fn check(tag: &str) {
    let json = common::fixture_json(tag);
    let mut model = common::fixture_config(&json).init(0).unwrap();
    model
        .load_safetensors(&common::reference_dir().join(format!("{tag}.safetensors")))
        .unwrap();
    let vocab = Vocabularies {
        input: common::strings(&json, "input_vocab"),
        output: common::strings(&json, "output_vocab"),
        name: tag.into(),
        text: None,
    };
    let program = decompile(&model, &vocab).unwrap();
    let interpreter = Interpreter::new(&program).unwrap();
    let (shape, x) = common::fixture_tensor(tag, "input.x"); // [B, N]
    let (_, logits) = {
        // Logits are floats; read them through the f32 path and keep the argmax.
        let bytes =
            std::fs::read(common::reference_dir().join(format!("{tag}.safetensors"))).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let view = st.tensor("out.logits_argmax").unwrap();
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        (view.shape().to_vec(), values)
    };
    let (batch, n, classes) = (shape[0], shape[1], vocab.output.len());
    let mut compared = 0;
    for b in 0..batch {
        let row = &x[b * n..(b + 1) * n];
        let length = row.iter().position(|&t| t == 0).unwrap_or(n);
        let tokens: Vec<usize> = row[..length].iter().map(|&t| t as usize).collect();
        let predicted = interpreter.run_indices(&tokens).unwrap();
        for (p, &class) in predicted.iter().enumerate() {
            let l = &logits[(b * n + p) * classes..(b * n + p + 1) * classes];
            let reference = (0..classes).fold(0, |best, c| if l[c] > l[best] { c } else { best });
            assert_eq!(class, reference, "{tag}: example {b} position {p}");
            compared += 1;
        }
    }
    eprintln!("{tag}: {compared} positions equal the reference's discretized model");
    assert!(compared > 100);
}

#[test]
fn untrained_all_components_sort() {
    check("tiny_all_components_sort");
}

#[test]
fn untrained_all_components_dyck1_causal() {
    check("tiny_all_components_dyck1");
}
