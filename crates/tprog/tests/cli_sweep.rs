//! `tprog sweep` and `tprog plot` end to end on the `tiny` preset (seconds): a local sweep run
//! twice (the second skips everything), an interrupted run resumed and a failing one reported
//! without stopping the others, status and collect on the result, dry runs, the Slurm job
//! script, malformed files.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{failure, success, temp_dir, text, tprog};

/// A sweep file of the tiny preset on sort: n_layers {1, 2} × seeds {0, 1}, two epochs.
fn tiny_sweep(dir: &Path, extra_grid: &str) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join("sweep.toml");
    std::fs::write(
        &file,
        format!(
            "name = \"tiny\"\npreset = \"tiny\"\ntasks = [\"sort\"]\nseeds = [0, 1]\n\
             [set]\nn_epochs = 2\n[grid]\nn_layers = [1, 2]\n{extra_grid}"
        ),
    )
    .unwrap();
    file.to_string_lossy().into_owned()
}

fn attempts(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .matches("== attempt")
        .count()
}

#[test]
fn local_sweep_runs_restarts_and_collects() {
    let root = temp_dir("sweep", "local");
    let file = tiny_sweep(&root, "");
    let out = root.join("runs");
    let out_s = out.to_string_lossy().into_owned();
    let run = tprog(&["sweep", "run", &file, "--out", &out_s, "--jobs", "2"]);
    let stderr = text(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("4 runs in"), "{stderr}");
    assert!(
        stderr.contains("done now 4, done before 0, failed 0"),
        "{stderr}"
    );
    for dir in [
        "sort/n_layers=1/seed0",
        "sort/n_layers=2/seed0",
        "sort/n_layers=1/seed1",
        "sort/n_layers=2/seed1",
    ] {
        assert!(out.join(dir).join("summary.json").is_file(), "{dir}");
        assert!(out.join(dir).join("program.py").is_file(), "{dir}");
    }
    // The runs got the grid's settings.
    let config = std::fs::read_to_string(out.join("sort/n_layers=2/seed1/config.json")).unwrap();
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(config["model"]["n_layers"], 2);
    assert_eq!(config["train"]["seed"], 1);
    assert_eq!(config["train"]["n_epochs"], 2);

    // Status: all done.
    let status = success(&["sweep", "status", &out_s]);
    assert!(status.contains("4 runs: 4 done"), "{status}");

    // An interrupted run (its summary gone, its checkpoint there) is resumed on restart; the
    // finished ones are skipped.
    let interrupted = out.join("sort/n_layers=2/seed0");
    std::fs::remove_file(interrupted.join("summary.json")).unwrap();
    let status = success(&["sweep", "status", &out_s]);
    let line = status
        .lines()
        .find(|l| l.starts_with("sort/n_layers=2/seed0 "))
        .unwrap_or_else(|| panic!("{status}"));
    assert!(line.contains("interrupted after epoch 2"), "{status}");
    let run = tprog(&["sweep", "run", &file, "--out", &out_s, "--jobs", "2"]);
    let stderr = text(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("3 done or running, 1 to resume, 0 to start"),
        "{stderr}"
    );
    assert!(
        stderr.contains("resuming sort/n_layers=2/seed0"),
        "{stderr}"
    );
    assert!(interrupted.join("summary.json").is_file());
    let logs = out.join("_sweep/logs/sort");
    assert_eq!(attempts(&logs.join("n_layers=2/seed0.log")), 2);
    assert_eq!(
        attempts(&logs.join("n_layers=1/seed0.log")),
        1,
        "a finished run is not rerun"
    );
    let log = std::fs::read_to_string(logs.join("n_layers=2/seed0.log")).unwrap();
    assert!(
        log.contains("(resume)") && log.contains("--resume"),
        "{log}"
    );

    // Collect: every run in the CSV, the best seed of each configuration by validation.
    let csv = root.join("all.csv");
    let md = root.join("all.md");
    let plot = root.join("grid.svg");
    success(&[
        "sweep",
        "collect",
        &out_s,
        "--out-csv",
        csv.to_str().unwrap(),
        "--out-md",
        md.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
    ]);
    let csv = std::fs::read_to_string(&csv).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (best_column, val_column) = (column("best_in_group"), column("val_acc"));
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 4, "{csv}");
    for layers in ["n_layers=1", "n_layers=2"] {
        let group: Vec<&Vec<&str>> = rows.iter().filter(|r| r[2] == layers).collect();
        assert_eq!(group.len(), 2, "{csv}");
        let best: Vec<&&Vec<&str>> = group.iter().filter(|r| r[best_column] == "true").collect();
        assert_eq!(best.len(), 1, "one best per configuration: {csv}");
        let val = |r: &Vec<&str>| r[val_column].parse::<f64>().unwrap();
        let top = group.iter().map(|r| val(r)).fold(f64::MIN, f64::max);
        assert_eq!(
            val(best[0]),
            top,
            "the best has the top validation accuracy: {csv}"
        );
    }
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("| sort | n_layers=1 | 2 |"), "{md}");
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(
        svg.contains("sort (n_layers=2)"),
        "the grid plot names the configurations"
    );

    // An existing output is kept unless --force.
    let again = failure(&["sweep", "collect", &out_s, "--plot", plot.to_str().unwrap()]);
    assert!(again.contains("--force"), "{again}");

    // tprog plot overlays two runs, naming each.
    let overlay = root.join("overlay.svg");
    let a = out.join("sort/n_layers=1/seed0");
    let b = out.join("sort/n_layers=2/seed1");
    success(&[
        "plot",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        overlay.to_str().unwrap(),
    ]);
    let svg = std::fs::read_to_string(&overlay).unwrap();
    assert!(svg.contains("n_layers=1/seed0") && svg.contains("n_layers=2/seed1"));
    let png = failure(&["plot", a.to_str().unwrap(), "--out", "x.png"]);
    assert!(
        png.contains("SVG only") && png.contains("rsvg-convert"),
        "{png}"
    );
}

#[test]
fn a_failing_run_is_reported_and_the_others_finish() {
    let root = temp_dir("sweep", "failing");
    // batch_size 0 passes the file check but `tprog train` refuses it.
    let file = tiny_sweep(&root, "batch_size = [0, 64]\n");
    let out = root.join("runs");
    let out_s = out.to_string_lossy().into_owned();
    let run = tprog(&["sweep", "run", &file, "--out", &out_s, "--jobs", "2"]);
    let stderr = text(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("done now 4, done before 0, failed 4"),
        "{stderr}"
    );
    assert!(
        stderr.contains("batch_size (--batch-size) must be between 1"),
        "the log's tail: {stderr}"
    );
    assert!(stderr.contains("4 of 8 runs failed"), "{stderr}");
    let status = success(&["sweep", "status", &out_s]);
    assert!(status.contains("8 runs: 4 done, 4 failed"), "{status}");
    let line = status
        .lines()
        .find(|l| l.starts_with("sort/batch_size=0,n_layers=1/seed0 "))
        .unwrap_or_else(|| panic!("{status}"));
    assert!(line.ends_with("failed (exit code 1)"), "{status}");
}

#[test]
fn dry_runs_write_nothing_or_only_the_job_script() {
    let root = temp_dir("sweep", "dry");
    let file = tiny_sweep(&root, "");
    let out = root.join("runs");
    let out_s = out.to_string_lossy().into_owned();
    let listing = success(&[
        "sweep",
        "run",
        &file,
        "--out",
        &out_s,
        "--dry-run",
        "--jobs",
        "2",
    ]);
    assert_eq!(listing.lines().count(), 4, "{listing}");
    assert!(
        listing.contains("train --task sort --preset tiny --seed 1 --epochs 2 --n-layers 2 --out ")
            && listing.contains("--quiet --threads"),
        "{listing}"
    );
    assert!(!out.exists(), "a local dry run writes nothing");

    let stderr = text(
        &tprog(&[
            "sweep",
            "run",
            &file,
            "--out",
            &out_s,
            "--backend",
            "slurm",
            "--dry-run",
            "--time",
            "00:10:00",
            "--mem",
            "1G",
        ])
        .stderr,
    );
    let script =
        std::fs::read_to_string(out.join("_sweep/job.sh")).unwrap_or_else(|_| panic!("{stderr}"));
    assert!(script.contains("#SBATCH --array=0-3\n"), "{script}");
    assert!(script.contains("#SBATCH --time=00:10:00\n"), "{script}");
    assert!(script.contains("#SBATCH --mem=1G\n"), "{script}");
    assert!(script.contains("#SBATCH --cpus-per-task=1\n"), "{script}");
    assert!(script.contains("sweep task") && script.contains("\"$SLURM_ARRAY_TASK_ID\""));
    assert!(out.join("_sweep/manifest.json").is_file());
    assert!(!out.join("_sweep/slurm-jobs").exists(), "not submitted");
    assert!(stderr.contains("sbatch"), "says how to submit: {stderr}");

    // The array task of index 1 runs the second run of the manifest, here, as a Slurm node would.
    let task = tprog(&["sweep", "task", &out_s, "1"]);
    assert!(task.status.success(), "{}", text(&task.stderr));
    assert!(out.join("sort/n_layers=2/seed0/summary.json").is_file());
    let skipped = tprog(&["sweep", "task", &out_s, "1"]);
    assert!(text(&skipped.stderr).contains("nothing to do"));
    let wrong = failure(&["sweep", "task", &out_s, "9"]);
    assert!(
        wrong.contains("run index 9 is out of range: the sweep has 4 runs"),
        "{wrong}"
    );

    // Resubmitting includes only what is not done.
    tprog(&[
        "sweep",
        "run",
        &file,
        "--out",
        &out_s,
        "--backend",
        "slurm",
        "--dry-run",
    ]);
    let script = std::fs::read_to_string(out.join("_sweep/job.sh")).unwrap();
    assert!(script.contains("#SBATCH --array=0,2-3\n"), "{script}");
}

/// A sweep directory has one driver: a second `sweep run` on it is refused (naming the holder)
/// and starts nothing; a lock left by a process that is gone is taken over and released.
#[test]
fn one_driver_per_sweep_directory() {
    let root = temp_dir("sweep", "lock");
    let file = tiny_sweep(&root, "");
    let out = root.join("runs");
    let out_s = out.to_string_lossy().into_owned();
    let lock = out.join("_sweep/driver.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_owned();
    // This test's own process (a `cli_sweep` binary) holds it.
    let held = format!(
        "{{\"pid\":{},\"host\":\"{host}\",\"since\":1796000000}}",
        std::process::id()
    );
    std::fs::write(&lock, &held).unwrap();
    let message = failure(&["sweep", "run", &file, "--out", &out_s]);
    assert!(
        message.contains("another `tprog sweep run` drives this sweep")
            && message.contains(&format!("process {} on host {host}", std::process::id()))
            && message.contains("driver.lock"),
        "{message}"
    );
    assert!(!out.join("sort").exists(), "nothing started");
    let status = success(&["sweep", "status", &out_s]);
    assert!(
        status.contains(&format!(
            "driven by `tprog sweep run`: process {}",
            std::process::id()
        )),
        "{status}"
    );
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), held, "lock kept");
    // A dry run takes no lock.
    success(&["sweep", "run", &file, "--out", &out_s, "--dry-run"]);
    // The holder is gone (no such process): taken over, then released at the end.
    std::fs::write(
        &lock,
        format!(
            "{{\"pid\":{},\"host\":\"{host}\",\"since\":0}}",
            u32::MAX - 1
        ),
    )
    .unwrap();
    success(&["sweep", "run", &file, "--out", &out_s, "--jobs", "2"]);
    assert!(out.join("sort/n_layers=2/seed1/summary.json").is_file());
    assert!(!lock.exists(), "released");
    let status = success(&["sweep", "status", &out_s]);
    assert!(!status.contains("driven by"), "{status}");
}

#[test]
fn malformed_files_are_clear_errors() {
    let root = temp_dir("sweep", "errors");
    std::fs::create_dir_all(&root).unwrap();
    let bad = root.join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\ntasks = [\"sort\"\nseeds = [0]\n").unwrap();
    let message = failure(&["sweep", "run", bad.to_str().unwrap(), "--dry-run"]);
    assert!(
        message.contains("bad.toml") && message.contains("line 3"),
        "{message}"
    );
    let unknown = root.join("unknown.toml");
    std::fs::write(
        &unknown,
        "name = \"x\"\ntasks = [\"sort\"]\nseeds = [0]\n[grid]\nlayers = [1, 2]\n",
    )
    .unwrap();
    let message = failure(&["sweep", "run", unknown.to_str().unwrap(), "--dry-run"]);
    assert!(
        message.contains("unknown field `layers`") && message.contains("n_layers"),
        "{message}"
    );
    let message = failure(&["sweep", "run", "/nonexistent/sweep.toml"]);
    assert!(
        message.contains("cannot read the sweep file /nonexistent/sweep.toml"),
        "{message}"
    );
    let message = failure(&["sweep", "collect", root.to_str().unwrap()]);
    assert!(message.contains("no summary.json below"), "{message}");
    let message = failure(&["sweep", "task", root.to_str().unwrap(), "0"]);
    assert!(message.contains("is not a sweep directory"), "{message}");
}

#[test]
fn archived_runs_count_as_done() {
    let root = temp_dir("sweep", "archive");
    let file = tiny_sweep(&root, "");
    let archive = root.join("results");
    let contents = std::fs::read_to_string(&file).unwrap().replace(
        "[set]",
        &format!("archive = \"{}\"\n[set]", archive.display()),
    );
    std::fs::write(&file, contents).unwrap();
    let out = root.join("runs");
    let out_s = out.to_string_lossy().into_owned();
    success(&["sweep", "run", &file, "--out", &out_s, "--jobs", "2"]);
    for dir in ["sort/n_layers=1/seed0", "sort/n_layers=2/seed1"] {
        for name in ["summary.json", "report.md", "curves.svg"] {
            assert!(
                archive.join(dir).join(name).is_file(),
                "{dir}/{name} archived"
            );
        }
    }
    // The run directories go (runs/ is not kept); the archive still says the runs are done.
    std::fs::remove_dir_all(out.join("sort")).unwrap();
    let status = success(&["sweep", "status", &out_s]);
    assert!(status.contains("4 runs: 4 done"), "{status}");
    let unfinished = success(&["sweep", "status", &out_s, "--unfinished"]);
    assert_eq!(
        unfinished.lines().count(),
        2,
        "header and counts only: {unfinished}"
    );
    let run = tprog(&["sweep", "run", &file, "--out", &out_s]);
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("4 done or running, 0 to resume, 0 to start"),
        "{stderr}"
    );
    assert!(!out.join("sort").exists(), "nothing was run again");
}
