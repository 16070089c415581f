//! Run states and the restart rule on hand-made run directories, and `collect` on hand-made
//! summaries: groups are everything but the seed, the best of a group is by validation.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use tprog_sweep::collect::{collect, to_csv, to_markdown};
use tprog_sweep::manifest::{RunRecord, SweepDir, host_name, now};
use tprog_sweep::state::{Action, RunState, action, run_state};
use tprog_sweep::status::{counts, status};
use tprog_sweep::{Sweep, grid_plot};

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("sweep-runs")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fixture() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/summary.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Writes a summary for `seed` with `n_layers` layers and the given accuracies (fractions).
fn write_summary(dir: &Path, seed: u64, n_layers: u64, val: f64, test: f64, interrupted: bool) {
    let mut summary = fixture();
    summary["seed"] = seed.into();
    summary["config"]["train"]["seed"] = seed.into();
    summary["config"]["model"]["n_layers"] = n_layers.into();
    summary["val"]["token_acc"] = val.into();
    summary["test"]["token_acc"] = test.into();
    summary["interrupted"] = interrupted.into();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("summary.json"),
        serde_json::to_vec(&summary).unwrap(),
    )
    .unwrap();
}

fn record(running: bool, pid: u32, exit_code: Option<i32>) -> RunRecord {
    RunRecord {
        running,
        action: "fresh".into(),
        pid: Some(pid),
        host: host_name(),
        slurm_job: None,
        started: now(),
        seconds: None,
        exit_code,
        attempt: 1,
    }
}

#[test]
fn states_and_restart_actions() {
    let root = scratch("states");
    let sweep = SweepDir::new(&root);
    // Done: a final summary. Skipped.
    write_summary(&root.join("done"), 0, 3, 0.9, 0.9, false);
    let state = run_state(&sweep, "done");
    assert_eq!(state, RunState::Done { no_program: None });
    assert_eq!(action(&state, &root.join("done")), Action::Skip);
    // Interrupted with a checkpoint (and a summary marked interrupted): resumed.
    let dir = root.join("interrupted");
    write_summary(&dir, 0, 3, 0.5, 0.5, true);
    std::fs::write(dir.join("config.json"), "{}").unwrap();
    std::fs::write(dir.join("checkpoint.safetensors"), "x").unwrap();
    std::fs::write(
        dir.join("state.json"),
        r#"{"epochs_completed": 7, "adam_steps": 70, "best_val": 0.5, "best_epoch": 6,
            "epochs_since_best": 1, "seconds": 3.0}"#,
    )
    .unwrap();
    // Checkpointed just now and not started by this sweep: someone is running it.
    assert_eq!(run_state(&sweep, "interrupted"), RunState::Running);
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(dir.join("state.json"))
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    let state = run_state(&sweep, "interrupted");
    assert_eq!(state, RunState::Interrupted { epochs: Some(7) });
    assert_eq!(action(&state, &dir), Action::Resume);
    // Started but stopped before its first checkpoint: started again over its files.
    let dir = root.join("started");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.json"), "{}").unwrap();
    let state = run_state(&sweep, "started");
    assert_eq!(state, RunState::Pending);
    assert_eq!(action(&state, &dir), Action::Fresh { overwrite: true });
    // Never started.
    let state = run_state(&sweep, "pending");
    assert_eq!(state, RunState::Pending);
    assert_eq!(
        action(&state, &root.join("pending")),
        Action::Fresh { overwrite: false }
    );
    // Failed: the last attempt exited with 1; retried on restart.
    sweep
        .write_record("failed", &record(false, 1, Some(1)))
        .unwrap();
    let state = run_state(&sweep, "failed");
    assert_eq!(state, RunState::Failed { exit_code: Some(1) });
    assert_eq!(
        action(&state, &root.join("failed")),
        Action::Fresh { overwrite: false }
    );
    // Running: its process (this test) is alive. Skipped.
    sweep
        .write_record("running", &record(true, std::process::id(), None))
        .unwrap();
    let state = run_state(&sweep, "running");
    assert_eq!(state, RunState::Running);
    assert_eq!(action(&state, &root.join("running")), Action::Skip);
    // A running record whose process is gone is not running.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    sweep
        .write_record("gone", &record(true, dead, None))
        .unwrap();
    assert_eq!(run_state(&sweep, "gone"), RunState::Pending);
}

#[test]
fn status_follows_the_manifest() {
    let root = scratch("status");
    let sweep_dir = SweepDir::new(&root);
    let sweep = Sweep::parse(
        "name = \"s\"\npreset = \"tiny\"\ntasks = [\"sort\"]\nseeds = [0, 1, 2]\n",
        Path::new("s.toml"),
    )
    .unwrap();
    let manifest = tprog_sweep::manifest::Manifest {
        file: "s.toml".into(),
        binary: "tprog".into(),
        sweep,
    };
    sweep_dir.write_manifest(&manifest, "").unwrap();
    write_summary(&root.join("sort/seed1"), 1, 1, 0.5, 0.5, false);
    sweep_dir
        .write_record("sort/seed2", &record(false, 1, Some(101)))
        .unwrap();
    let runs = status(&sweep_dir).unwrap();
    let states: Vec<(&str, &str)> = runs
        .iter()
        .map(|r| (r.dir.as_str(), r.state.word()))
        .collect();
    assert_eq!(
        states,
        [
            ("sort/seed0", "pending"),
            ("sort/seed1", "done"),
            ("sort/seed2", "failed")
        ]
    );
    assert_eq!(
        counts(&runs),
        [
            ("done", 1),
            ("running", 0),
            ("failed", 1),
            ("interrupted", 0),
            ("pending", 1)
        ]
    );
}

#[test]
fn collect_groups_by_everything_but_the_seed_and_picks_the_best_by_validation() {
    let root = scratch("collect");
    // n_layers 1: seed 1 has the best validation (not the best test).
    write_summary(&root.join("sort/L1/seed0"), 0, 1, 0.80, 0.95, false);
    write_summary(&root.join("sort/L1/seed1"), 1, 1, 0.90, 0.85, false);
    write_summary(&root.join("sort/L1/seed2"), 2, 1, 0.70, 0.70, false);
    // n_layers 2: the interrupted seed has the highest validation but is not eligible; seeds
    // 0 and 3 tie, the lower seed is kept.
    write_summary(&root.join("sort/L2/seed0"), 0, 2, 0.60, 0.61, false);
    write_summary(&root.join("sort/L2/seed3"), 3, 2, 0.60, 0.64, false);
    write_summary(&root.join("sort/L2/seed4"), 4, 2, 0.99, 0.99, true);
    // An unreadable summary is reported, not fatal.
    std::fs::create_dir_all(root.join("broken")).unwrap();
    std::fs::write(root.join("broken/summary.json"), "{").unwrap();
    // The sweep's own files are not runs.
    std::fs::create_dir_all(root.join("_sweep/x")).unwrap();
    std::fs::write(root.join("_sweep/x/summary.json"), "{").unwrap();

    let collection = collect(&root).unwrap();
    assert_eq!(collection.rows.len(), 6);
    assert_eq!(collection.unreadable.len(), 1);
    assert_eq!(collection.varying, ["n_layers"]);
    assert_eq!(collection.groups.len(), 2);
    let g1 = &collection.groups[0];
    assert_eq!(g1.label, "n_layers=1");
    assert_eq!(g1.rows.len(), 3);
    assert_eq!(collection.rows[g1.best.unwrap()].dir, "sort/L1/seed1");
    let g2 = &collection.groups[1];
    assert_eq!(g2.label, "n_layers=2");
    assert_eq!(collection.rows[g2.best.unwrap()].dir, "sort/L2/seed0");

    let csv = to_csv(&collection);
    assert_eq!(csv.lines().count(), 7);
    assert!(
        csv.lines().any(
            |l| l.starts_with("sort/L1/seed1,sort,n_layers=1,categorical,program,1,")
                && l.contains(",90.00,85.00,")
                && l.contains(",true,false,faithful,")
        ),
        "{csv}"
    );
    let markdown = to_markdown(&collection, "t");
    assert!(
        markdown.contains("| sort | n_layers=1 | 3 | 1 | 90.00 | 85.00 |"),
        "{markdown}"
    );
    assert!(markdown.contains("70.00–95.00"), "{markdown}");
    assert!(
        markdown.contains("| sort | n_layers=2 | 3 | 0 | 60.00 | 61.00 |"),
        "{markdown}"
    );
    assert!(markdown.contains("6 (interrupted)") || markdown.contains("(interrupted)"));

    let svg = grid_plot::draw(&collection, "t").unwrap().unwrap();
    assert!(svg.contains("sort (n_layers=1)") && svg.contains("sort (n_layers=2)"));
    // Six seeds, each a circle (the two best filled).
    assert_eq!(
        svg.matches("<circle").count(),
        6 + 2,
        "six points and two legend marks"
    );
}

#[test]
fn collect_on_one_configuration_per_task_labels_by_task() {
    let root = scratch("one-config");
    write_summary(&root.join("sort/seed0"), 0, 3, 0.5, 0.5, false);
    write_summary(&root.join("sort/seed1"), 1, 3, 0.6, 0.4, false);
    let collection = collect(&root).unwrap();
    assert_eq!(collection.groups.len(), 1);
    assert_eq!(collection.groups[0].label, "");
    assert_eq!(collection.groups[0].title(), "sort");
    assert_eq!(
        collection.rows[collection.groups[0].best.unwrap()]
            .summary
            .seed,
        1
    );
}

#[test]
fn summaries_without_configuration_join_their_tasks_configuration() {
    let root = scratch("version-one");
    write_summary(&root.join("sort/seed0"), 0, 3, 0.5, 0.5, false);
    write_summary(&root.join("sort/seed1"), 1, 3, 0.6, 0.6, false);
    // A version 1 file: no configuration, the best validation of the three.
    write_summary(&root.join("sort/seed2"), 2, 3, 0.9, 0.4, false);
    let path = root.join("sort/seed2/summary.json");
    let mut old: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    old.as_object_mut().unwrap().remove("config");
    std::fs::write(&path, serde_json::to_vec(&old).unwrap()).unwrap();
    // Another task with only version 1 files is a group of its own, so named.
    write_summary(&root.join("hist/seed0"), 0, 3, 0.7, 0.7, false);
    let path = root.join("hist/seed0/summary.json");
    let mut old: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    old.as_object_mut().unwrap().remove("config");
    old["name"] = "hist".into();
    std::fs::write(&path, serde_json::to_vec(&old).unwrap()).unwrap();

    let collection = collect(&root).unwrap();
    assert_eq!(collection.rows.len(), 4);
    assert_eq!(collection.unrecorded, 2);
    assert_eq!(collection.groups.len(), 2);
    let sort = collection.groups.iter().find(|g| g.task == "sort").unwrap();
    assert_eq!(sort.rows.len(), 3);
    assert_eq!(collection.rows[sort.best.unwrap()].summary.seed, 2);
    let hist = collection.groups.iter().find(|g| g.task == "hist").unwrap();
    assert_eq!(
        hist.label,
        "preset=categorical (configuration not recorded)"
    );
    assert!(to_markdown(&collection, "t").contains("2 summaries were written before"));
}

#[test]
fn tagging_runs_are_selected_and_reported_by_entity_f1() {
    let root = scratch("entity-f1");
    // Seed 0 has the better validation token accuracy, seed 1 the better validation F1.
    write_summary(&root.join("conll/seed0"), 0, 2, 0.95, 0.94, false);
    write_summary(&root.join("conll/seed1"), 1, 2, 0.93, 0.92, false);
    for (seed, val_f1, test_f1) in [(0, 0.60, 0.58), (1, 0.70, 0.66)] {
        let path = root.join(format!("conll/seed{seed}/summary.json"));
        let mut summary: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (split, f1) in [("val", val_f1), ("test", test_f1)] {
            summary[split]["entity"] = serde_json::json!({
                "precision": f1, "recall": f1, "f1": f1, "gold": 10, "predicted": 10, "correct": 7
            });
        }
        std::fs::write(&path, serde_json::to_vec(&summary).unwrap()).unwrap();
    }
    let collection = collect(&root).unwrap();
    let best = &collection.rows[collection.groups[0].best.unwrap()].summary;
    assert_eq!(best.seed, 1);
    assert_eq!(best.test_metric(), Some(0.66));
    let markdown = to_markdown(&collection, "CoNLL");
    assert!(markdown.contains("| 1 | 70.00 | 66.00 |"), "{markdown}");
    let csv = to_csv(&collection);
    assert!(
        csv.lines().next().unwrap().contains("val_f1,test_f1"),
        "{csv}"
    );
}
