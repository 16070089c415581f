//! Throughput of the interpreter on a sort-sized program (k = 8, N = 8, 3 layers of 2 + 2 heads
//! and 1 + 1 MLPs) over the 19,530 sort inputs: one thread and all threads. Ignored by default;
//! run with `cargo test --release -p tprog-program --test bench_interpreter -- --ignored --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use tprog_program::random::{RandomSpec, random_program};
use tprog_program::{Interpreter, verify};

/// Every sequence of 1..=6 symbols among 5 (19,530 of them), as token indices and strings.
fn sort_inputs(program: &tprog_program::Program) -> (Vec<Vec<usize>>, Vec<Vec<String>>) {
    let mut indices = Vec::new();
    for length in 1..=6u32 {
        for code in 0..5usize.pow(length) {
            let mut tokens = vec![1];
            let mut rest = code;
            for _ in 0..length {
                tokens.push(2 + rest % 5);
                rest /= 5;
            }
            indices.push(tokens);
        }
    }
    let strings = indices
        .iter()
        .map(|t| t.iter().map(|&i| program.input_vocab[i].clone()).collect())
        .collect();
    (indices, strings)
}

#[test]
#[ignore = "benchmark: prints figures"]
fn interpreter_throughput() {
    let program = random_program(&RandomSpec::sort_sized(), 0);
    let interpreter = Interpreter::new(&program).unwrap();
    let (indices, strings) = sort_inputs(&program);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    for (name, pool) in [("1 thread", Some(&one)), ("all threads", None)] {
        let run = || {
            let start = Instant::now();
            let out = interpreter.run_batch(&indices).unwrap();
            assert_eq!(out.len(), indices.len());
            let batch = start.elapsed();
            let start = Instant::now();
            let report = verify(
                &interpreter,
                &strings,
                |t: &[String]| -> Result<Vec<String>, String> {
                    Ok(vec!["c0".to_string(); t.len()])
                },
                5,
            )
            .unwrap();
            assert_eq!(report.sequences, strings.len());
            (batch, start.elapsed())
        };
        let (batch, verified) = match pool {
            Some(pool) => pool.install(run),
            None => run(),
        };
        println!(
            "{name}: run_batch {} seqs in {:.1} ms ({:.0} seqs/s); verify {:.1} ms ({:.0} seqs/s)",
            indices.len(),
            batch.as_secs_f64() * 1e3,
            indices.len() as f64 / batch.as_secs_f64(),
            verified.as_secs_f64() * 1e3,
            indices.len() as f64 / verified.as_secs_f64(),
        );
    }
}
