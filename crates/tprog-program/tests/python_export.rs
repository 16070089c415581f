//! The Python export agrees with the interpreter: labels, and logits bit for bit, on random
//! inputs for random programs. Needs `python3` on PATH: a missing one fails the tests, unless
//! `TPROG_SKIP_PYTHON=1` skips them (with a note).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tprog_program::random::{RandomSpec, random_program};
use tprog_program::{Interpreter, Program, to_python};

const DRIVER: &str = r#"
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("program", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
for line in sys.stdin:
    tokens = json.loads(line)
    try:
        labels, logits = module.run(tokens, return_logits=True)
        print(json.dumps([labels, logits]))
    except ValueError as error:
        print(json.dumps(["error", str(error)]))
"#;

/// Set to `1` to skip the tests that run `python3` (they fail when it is missing otherwise).
const SKIP_VARIABLE: &str = "TPROG_SKIP_PYTHON";

/// `Some("python3")`, or `None` (with a note) when the tests are skipped on purpose with
/// `TPROG_SKIP_PYTHON=1`. A missing `python3` is a failure, never a silent pass.
fn python(test: &str) -> Option<&'static str> {
    if std::env::var(SKIP_VARIABLE).is_ok_and(|value| value == "1") {
        eprintln!("note: {SKIP_VARIABLE}=1: skipping {test} (it runs the Python export)");
        return None;
    }
    match Command::new("python3").arg("--version").output() {
        Ok(output) if output.status.success() => Some("python3"),
        Ok(output) => panic!(
            "{test}: `python3 --version` failed ({}); these tests need Python 3 (set {SKIP_VARIABLE}=1 to skip them)",
            output.status
        ),
        Err(error) => panic!(
            "{test}: cannot run python3 ({error}); these tests need Python 3 on PATH (set {SKIP_VARIABLE}=1 to skip them)"
        ),
    }
}

fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tprog-python-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the driver on `inputs` and returns its output lines.
fn run_python(
    python: &str,
    file: &Path,
    driver: &Path,
    inputs: &[Vec<String>],
) -> Vec<serde_json::Value> {
    let mut child = Command::new(python)
        .arg(driver)
        .arg(file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let text: String = inputs
        .iter()
        .map(|t| serde_json::to_string(t).unwrap() + "\n")
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()).unwrap());
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        output.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn random_inputs(program: &Program, count: usize, seed: u64) -> Vec<Vec<String>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let length = rng.gen_range(1..=program.n_ctx);
            let mut tokens = vec!["<s>".to_string()];
            tokens.extend(
                (1..length).map(|_| {
                    program.input_vocab[rng.gen_range(2..program.input_vocab.len())].clone()
                }),
            );
            tokens
        })
        .collect()
}

fn check_agreement(python: &str, program: &Program, dir: &Path, inputs: &[Vec<String>]) {
    let file = dir.join(format!("{}.py", program.name));
    std::fs::write(&file, to_python(program)).unwrap();
    let driver = dir.join("driver.py");
    std::fs::write(&driver, DRIVER).unwrap();
    let interpreter = Interpreter::new(program).unwrap();
    let results = run_python(python, &file, &driver, inputs);
    assert_eq!(
        results.len(),
        inputs.len(),
        "{}: one output line per input (nothing printed on import)",
        program.name
    );
    for (tokens, result) in inputs.iter().zip(results) {
        let indices = interpreter.encode(tokens).unwrap();
        let output = interpreter.run_with_logits(&indices).unwrap();
        let labels: Vec<String> = output
            .predictions
            .iter()
            .map(|&c| program.output_vocab[c].clone())
            .collect();
        let python_labels: Vec<String> = serde_json::from_value(result[0].clone()).unwrap();
        assert_eq!(
            python_labels, labels,
            "{}: labels on {tokens:?}",
            program.name
        );
        let python_logits: Vec<Vec<f64>> = serde_json::from_value(result[1].clone()).unwrap();
        for (row, python_row) in output.logits.iter().zip(&python_logits) {
            let bits: Vec<u32> = row.iter().map(|x| x.to_bits()).collect();
            let python_bits: Vec<u32> = python_row.iter().map(|&x| (x as f32).to_bits()).collect();
            assert_eq!(python_bits, bits, "{}: logits on {tokens:?}", program.name);
        }
    }
}

#[test]
fn python_export_agrees_with_the_interpreter() {
    let Some(python) = python("python_export_agrees_with_the_interpreter") else {
        return;
    };
    let dir = scratch_dir("agree");
    let mut used_runs = false;
    let mut specs = Vec::new();
    for seed in 0..3u64 {
        specs.push((RandomSpec::sort_sized(), seed));
        let mut causal = RandomSpec::sort_sized();
        causal.causal = true;
        causal.embedding = true;
        causal.n_ctx = 6;
        causal.mlp_vars_in = 1 + seed as usize % 2;
        specs.push((causal, 10 + seed));
    }
    // The first sort-sized program with a numerical MLP too large for sets (run-length form).
    let runs_seed = (100..200u64)
        .find(|&seed| {
            to_python(&random_program(&RandomSpec::sort_sized(), seed)).contains("_RUNS_")
        })
        .expect("a program with a large numerical MLP");
    specs.push((RandomSpec::sort_sized(), runs_seed));
    // Sequence classifiers: position 0 from the mean of the features (one plain, one causal
    // with a learned embedding).
    let pooled_seeds = [20u64, 21];
    specs.push((RandomSpec::sort_sized(), pooled_seeds[0]));
    let mut pooled_causal = RandomSpec::sort_sized();
    pooled_causal.causal = true;
    pooled_causal.embedding = true;
    specs.push((pooled_causal, pooled_seeds[1]));
    for (spec, seed) in specs {
        let mut program = random_program(&spec, seed);
        program.classifier.pooled = pooled_seeds.contains(&seed);
        used_runs |= to_python(&program).contains("_RUNS_");
        let inputs = random_inputs(&program, 150, seed);
        check_agreement(python, &program, &dir, &inputs);
    }
    assert!(
        used_runs,
        "some program should exercise the run-length numerical MLP form"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

const WORDS_DRIVER: &str = r#"
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("program", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
for line in sys.stdin:
    words = json.loads(line)
    try:
        print(json.dumps(module.run_words(words)))
    except ValueError as error:
        print(json.dumps(["error", str(error)]))
"#;

#[test]
fn python_run_words_agrees_with_the_interpreter() {
    let Some(python) = python("python_run_words_agrees_with_the_interpreter") else {
        return;
    };
    let dir = scratch_dir("words");
    let driver = dir.join("driver.py");
    std::fs::write(&driver, WORDS_DRIVER).unwrap();
    // Words are lower-cased, unknown words become "t0"; for the sequence classifier digit runs
    // also become `@` (so every vocabulary word "t<digit>" becomes unknown).
    let sentences: Vec<Vec<String>> = [
        "T3 t4 T5",
        "t2 x9 t1",
        "t2",
        "<pad> T@ t9 t12",
        "t3 t3 t3 t3 t3 t3",
    ]
    .iter()
    .map(|s| s.split_whitespace().map(String::from).collect())
    .collect();
    for (pooled, seed) in [(false, 30u64), (true, 31)] {
        let mut program = random_program(&RandomSpec::sort_sized(), seed);
        program.name = format!("words_{seed}");
        program.classifier.pooled = pooled;
        program.text = Some(tprog_program::TextInput {
            bos: Some("<s>".into()),
            eos: Some("t1".into()),
            unknown: "t0".into(),
            replace_numbers: pooled,
            lower: true,
        });
        program.validate().unwrap();
        let file = dir.join(format!("{}.py", program.name));
        std::fs::write(&file, to_python(&program)).unwrap();
        let interpreter = Interpreter::new(&program).unwrap();
        let results = run_python(python, &file, &driver, &sentences);
        for (words, result) in sentences.iter().zip(results) {
            let labels = interpreter.run_words(words).unwrap();
            assert_eq!(labels.len(), if pooled { 1 } else { words.len() });
            let python_labels: Vec<String> = serde_json::from_value(result).unwrap();
            assert_eq!(python_labels, labels, "seed {seed} on {words:?}");
        }
        let tokens = program.words_to_tokens(&sentences[1]).unwrap();
        if pooled {
            assert_eq!(tokens, ["<s>", "t0", "t0", "t0", "t1"]);
        } else {
            assert_eq!(tokens, ["<s>", "t2", "t0", "t1", "t1"]);
        }
        let tokens = program.words_to_tokens(&sentences[3]).unwrap();
        assert_eq!(tokens, ["<s>", "t0", "t0", "t0", "t0", "t1"]);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn python_export_of_hand_program_reads_like_the_reference_and_has_a_main() {
    let Some(python) =
        python("python_export_of_hand_program_reads_like_the_reference_and_has_a_main")
    else {
        return;
    };
    let dir = scratch_dir("main");
    let mut program = common::hand_program(
        vec![
            common::position_head("attn_0_0_outputs", &[("a", "b"), ("c", "b"), ("b", "a")]),
            common::count_head("num_attn_0_0_outputs", 0, "ones", &[("a", "a")]),
        ],
        false,
    );
    program.classifier.features = vec![
        common::feature("tokens", vec![vec![0.0, 0.5, 0.25, 0.125]; 8]),
        common::feature(
            "attn_0_0_outputs",
            (0..8)
                .map(|p| vec![0.0, 0.0, p as f32 * 0.1, 0.3])
                .collect(),
        ),
        common::feature("num_attn_0_0_outputs", vec![vec![0.0, 0.2, 0.0, 0.0]]),
    ];
    let text = to_python(&program);
    for expected in [
        "def predicate_0_0(q_token, k_token):",
        "    if q_token in {\"a\", \"c\"}:\n        return k_token == \"b\"",
        "    elif q_token in {\"b\"}:\n        return k_token == \"a\"",
        "attn_0_0_outputs = aggregate(select_closest(tokens, tokens, predicate_0_0), positions)",
        "num_attn_0_0_outputs = aggregate_sum(select(tokens, tokens, num_predicate_0_0), ones)",
        "(\"tokens\", \"<s>\"): [0.0, 0.5, 0.25, 0.125],",
        "(\"num_attn_0_0_outputs\", \"_\"): [0.0, 0.20000000298023224, 0.0, 0.0],",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains("import pandas") && !text.contains("open("));
    let file = dir.join("hand.py");
    std::fs::write(&file, &text).unwrap();
    let output = Command::new(python)
        .arg(&file)
        .arg("<s> a b a c")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = program
        .run(&common::words("<s> a b a c"))
        .unwrap()
        .join(" ");
    assert_eq!(String::from_utf8(output.stdout).unwrap().trim(), expected);
    let bad = Command::new(python)
        .arg(&file)
        .arg("<s> q")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not in the input vocabulary"));
    // The same rule as the interpreter: an empty input is an error, exit status 1.
    for empty in ["", "   "] {
        let output = Command::new(python).arg(&file).arg(empty).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{empty:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("error: the input is empty"), "{stderr}");
    }
    assert_eq!(
        program.run(&[]).unwrap_err().to_string(),
        "the input is empty: a program runs on at least one token"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
