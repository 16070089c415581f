//! The sweep file: grid expansion, run naming, the `tprog train` arguments of each run, and
//! the errors of malformed files. Also parses every file in the repository's `sweeps/`.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use tprog_sweep::{Sweep, SweepError};

fn parse(text: &str) -> Result<Sweep, SweepError> {
    Sweep::parse(text, Path::new("test.toml"))
}

fn error(text: &str) -> String {
    match parse(text) {
        Ok(sweep) => panic!("accepted: {sweep:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn grid_is_the_cartesian_product_seeds_outermost() {
    let sweep = parse(
        r#"
        name = "g"
        preset = "tiny"
        tasks = ["sort", "reverse"]
        seeds = "3..4"
        [set]
        n_epochs = 2
        [grid]
        n_layers = [1, 2, 3]
        lr = [0.05, 0.01]
        "#,
    )
    .unwrap();
    assert_eq!(sweep.runs.len(), 2 * 2 * 3 * 2);
    assert_eq!(sweep.grid_keys, ["lr", "n_layers"]);
    let first = &sweep.runs[0];
    assert_eq!(first.dir, "sort/lr=0.05,n_layers=1/seed3");
    assert_eq!(first.seed, 3);
    // The last grid key changes fastest, then the next, then the task, then the seed.
    assert_eq!(sweep.runs[1].dir, "sort/lr=0.05,n_layers=2/seed3");
    assert_eq!(sweep.runs[3].dir, "sort/lr=0.01,n_layers=1/seed3");
    assert_eq!(sweep.runs[6].dir, "reverse/lr=0.05,n_layers=1/seed3");
    assert_eq!(sweep.runs[12].dir, "sort/lr=0.05,n_layers=1/seed4");
    let dirs: std::collections::BTreeSet<&str> =
        sweep.runs.iter().map(|r| r.dir.as_str()).collect();
    assert_eq!(dirs.len(), sweep.runs.len(), "directories are distinct");
    assert_eq!(
        sweep.runs[5].args,
        [
            "--task",
            "sort",
            "--preset",
            "tiny",
            "--seed",
            "3",
            "--epochs",
            "2",
            "--lr",
            "0.01",
            "--n-layers",
            "3"
        ]
    );
}

#[test]
fn no_grid_is_one_configuration_and_layout_placeholders() {
    let sweep = parse(
        r#"
        name = "t3"
        preset = "categorical"
        tasks = ["hist"]
        seeds = [0, 2]
        "#,
    )
    .unwrap();
    let dirs: Vec<&str> = sweep.runs.iter().map(|r| r.dir.as_str()).collect();
    assert_eq!(dirs, ["hist/seed0", "hist/seed2"]);
    let sweep = parse(
        r#"
        name = "x"
        tasks = ["sort"]
        seeds = [1]
        layout = "{preset}-{task}/L{n_layers}/s{seed}"
        [grid]
        n_layers = [2]
        "#,
    )
    .unwrap();
    assert_eq!(sweep.runs[0].dir, "paper-sort/L2/s1");
}

#[test]
fn tied_parameters_and_model_alias() {
    let sweep = parse(
        r#"
        name = "tied"
        tasks = ["sort"]
        seeds = [0]
        [grid]
        heads = [{ n_heads_cat = 2, n_heads_num = 2 }, { n_heads_cat = 4, n_heads_num = 4 }]
        model = ["program", "standard"]
        "#,
    )
    .unwrap();
    assert_eq!(sweep.runs.len(), 4);
    assert_eq!(sweep.runs[0].dir, "sort/heads=2+2,model=program/seed0");
    let args = sweep.runs[3].args.join(" ");
    assert!(
        args.ends_with("--n-heads-cat 4 --n-heads-num 4 --model standard"),
        "{args}"
    );
}

#[test]
fn malformed_toml_names_the_file_and_line() {
    let message = error("name = \"x\"\ntasks = [\"sort\"\nseeds = [0]\n");
    assert!(message.starts_with("test.toml: "), "{message}");
    // The array opened on line 2 is found unclosed where line 3 starts.
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("missing comma"), "{message}");
}

#[test]
fn wrong_type_names_the_key() {
    let message = error("name = \"x\"\ntasks = \"sort\"\nseeds = [0]\n");
    assert!(message.contains("tasks"), "{message}");
}

#[test]
fn unknown_parameter_is_named_with_the_valid_ones() {
    let message = error(
        r#"
        name = "x"
        tasks = ["sort"]
        seeds = [0]
        [grid]
        n_layer = [1, 2]
        "#,
    );
    assert!(message.contains("n_layer"), "{message}");
    assert!(
        message.contains("n_layers"),
        "lists the valid names: {message}"
    );
}

#[test]
fn unknown_top_level_key_and_task_and_preset() {
    let message = error("name = \"x\"\ntasks = [\"sort\"]\nseeds = [0]\nepochs = 3\n");
    assert!(message.contains("epochs"), "{message}");
    let message = error("name = \"x\"\npreset = \"huge\"\ntasks = [\"srot\"]\nseeds = [0]\n");
    assert!(
        message.contains("preset: unknown preset 'huge'"),
        "{message}"
    );
    assert!(
        message.contains("unknown task 'srot'"),
        "both problems at once: {message}"
    );
}

#[test]
fn empty_grid_axis_empty_seeds_and_scalar_axis() {
    let message = error("name = \"x\"\ntasks = [\"sort\"]\nseeds = [0]\n[grid]\nn_layers = []\n");
    assert!(
        message.contains("grid.n_layers: the list is empty"),
        "{message}"
    );
    let message = error("name = \"x\"\ntasks = [\"sort\"]\nseeds = []\n");
    assert!(message.contains("seeds: the list is empty"), "{message}");
    let message = error("name = \"x\"\ntasks = []\nseeds = [0]\n");
    assert!(message.contains("tasks: the list is empty"), "{message}");
    let message = error("name = \"x\"\ntasks = [\"sort\"]\nseeds = [0]\n[grid]\nn_layers = 2\n");
    assert!(message.contains("expected a list of values"), "{message}");
    let message = error("name = \"x\"\ntasks = [\"sort\"]\nseeds = \"4..1\"\n");
    assert!(message.contains("empty"), "{message}");
}

#[test]
fn conflicts_and_bad_values() {
    let message = error(
        "name = \"x\"\ntasks = [\"sort\"]\nseeds = [0]\n[set]\nn_layers = 1\n[grid]\nn_layers = [1, 2]\n",
    );
    assert!(message.contains("also in [set]"), "{message}");
    let message = error("name = \"x\"\ntasks = [\"sort\"]\nseeds = [0]\n[set]\nseed = 1\n");
    assert!(message.contains("seeds are given by"), "{message}");
    let message =
        error("name = \"x\"\ntasks = [\"sort\"]\nseeds = [0]\n[grid]\nn_layers = [1, 0]\n");
    assert!(
        message.contains("--n-layers must be at least 1"),
        "{message}"
    );
    let message = error("name = \"x\"\ntasks = [\"sort\"]\nseeds = [0]\n[grid]\nlr = [\"fast\"]\n");
    assert!(
        message.contains("lr") || message.contains("float"),
        "{message}"
    );
    let message = error("name = \"x\"\ntasks = [\"trec\"]\nseeds = [0]\n");
    assert!(message.contains("data_dir"), "{message}");
}

#[test]
fn per_task_settings_replace_the_fixed_ones_for_that_task_only() {
    let sweep = parse(
        r#"
        name = "at16"
        preset = "tiny"
        tasks = ["sort", "dyck1"]
        seeds = [0]
        layout = "{task}/seed{seed}"
        [set]
        vocab_size = 16
        max_length = 16
        [per_task.dyck1]
        min_length = 32
        max_length = 32
        "#,
    )
    .unwrap();
    let args = |task: &str| {
        let run = sweep.runs.iter().find(|r| r.task == task).unwrap();
        run.args.join(" ")
    };
    assert_eq!(
        args("sort"),
        "--task sort --preset tiny --seed 0 --vocab-size 16 --max-length 16"
    );
    assert_eq!(
        args("dyck1"),
        "--task dyck1 --preset tiny --seed 0 --vocab-size 16 --min-length 32 --max-length 32"
    );
    // Settings for a task the sweep does not run, a parameter both per task and swept, and a
    // bad value in one task's settings (named with the task).
    let message = error(
        "name = \"x\"\ntasks = [\"sort\"]\nseeds = [0]\n[per_task.reverse]\nmax_length = 4\n",
    );
    assert!(
        message.contains("per_task.reverse: 'reverse' is not in `tasks`"),
        "{message}"
    );
    let message = error(
        "name = \"x\"\ntasks = [\"sort\"]\nseeds = [0]\n[grid]\nmax_length = [4, 8]\n[per_task.sort]\nmax_length = 4\n",
    );
    assert!(message.contains("either fixed or swept"), "{message}");
    let message =
        error("name = \"x\"\ntasks = [\"sort\"]\nseeds = [0]\n[per_task.sort]\nn_layers = 0\n");
    assert!(
        message.contains("sort: --n-layers must be at least 1"),
        "{message}"
    );
}

#[test]
fn layout_must_tell_runs_apart() {
    let message = error("name = \"x\"\ntasks = [\"sort\"]\nseeds = [0, 1]\nlayout = \"{task}\"\n");
    assert!(
        message.contains("gives two runs the directory 'sort'"),
        "{message}"
    );
    let message =
        error("name = \"x\"\ntasks = [\"sort\"]\nseeds = [0]\nlayout = \"{tsak}/{seed}\"\n");
    assert!(message.contains("unknown placeholder {tsak}"), "{message}");
    let message = error("name = \"x\"\ntasks = [\"sort\"]\nseeds = [0]\nlayout = \"../{seed}\"\n");
    assert!(
        message.contains("not below the sweep directory"),
        "{message}"
    );
}

#[test]
fn every_sweep_file_of_the_repository_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sweeps");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "sweeps/ holds {} files", files.len());
    for file in &files {
        let sweep = Sweep::read(file).unwrap_or_else(|e| panic!("{e}"));
        assert!(!sweep.runs.is_empty(), "{}", file.display());
    }
    let conll = Sweep::read(&dir.join("conll-grid.toml")).unwrap();
    // layers × heads × epochs × embedding variables × seeds
    assert_eq!(conll.runs.len(), 3 * 2 * 3 * 3 * 3);
    let classification = Sweep::read(&dir.join("classification.toml")).unwrap();
    // tasks × layers × heads × embedding variables × seeds
    assert_eq!(classification.runs.len(), 3 * 3 * 2 * 3 * 3);
    let table1 = Sweep::read(&dir.join("table1-grid.toml")).unwrap();
    assert_eq!(table1.runs.len(), 7 * 8 * 5);
    let table3 = Sweep::read(&dir.join("table3-categorical.toml")).unwrap();
    assert_eq!(table3.runs.len(), 35);
    assert!(table3.runs.iter().any(|r| r.dir == "dyck2/seed4"));
}
