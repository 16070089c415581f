//! Simplification keeps every prediction on the evidence and never makes a program larger.

#![allow(clippy::unwrap_used)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tprog_program::random::{RandomSpec, random_program};
use tprog_program::simplify::{Evidence, Size, simplify};
use tprog_program::{Interpreter, Program};

/// Random inputs: BOS then tokens drawn from the vocabulary (never `<pad>`, index 0).
fn inputs(program: &Program, count: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let bos = program
        .input_vocab
        .iter()
        .position(|t| t == "<s>")
        .unwrap_or(1);
    (0..count)
        .map(|_| {
            let length = rng.gen_range(1..program.n_ctx);
            let mut tokens = vec![bos];
            tokens.extend((0..length).map(|_| rng.gen_range(1..program.input_vocab.len())));
            tokens
        })
        .collect()
}

#[test]
fn simplified_random_programs_predict_exactly_what_the_originals_predict() {
    for seed in 0..4 {
        let program = random_program(&RandomSpec::sort_sized(), seed);
        let evidence = Evidence {
            description: "random test inputs".into(),
            inputs: inputs(&program, 400, seed),
        };
        let simplified = simplify(&program, &evidence).unwrap();
        let before = Interpreter::new(&program)
            .unwrap()
            .run_batch(&evidence.inputs)
            .unwrap();
        let after = Interpreter::new(&simplified.program)
            .unwrap()
            .run_batch(&evidence.inputs)
            .unwrap();
        assert_eq!(before, after, "seed {seed}");
        assert_eq!(simplified.before, Size::of(&program));
        assert!(simplified.after.modules <= simplified.before.modules);
        assert!(simplified.after.table_entries <= simplified.before.table_entries);
        let provenance = simplified.program.provenance.as_ref().unwrap();
        assert_eq!(provenance.evidence, "random test inputs");
        assert_eq!(provenance.sequences, 400);
        // The simplified program survives a JSON round trip (provenance included).
        let reloaded = Program::from_json_str(&simplified.program.to_json()).unwrap();
        assert_eq!(reloaded, simplified.program);
    }
}

#[test]
fn a_module_no_path_reaches_the_classifier_through_is_dropped() {
    let mut program = random_program(&RandomSpec::sort_sized(), 11);
    program.classifier.features.truncate(1);
    let evidence = Evidence {
        description: "random".into(),
        inputs: inputs(&program, 200, 3),
    };
    let simplified = simplify(&program, &evidence).unwrap();
    // Only the first input feeds the classifier, so every module is dead.
    assert_eq!(simplified.after.modules, 0);
}
