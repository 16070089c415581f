//! A two-configuration sweep of the `tiny` preset through a real Slurm: `tprog sweep run
//! --backend slurm` submits an array job with `sbatch`, the test waits for both runs, then
//! checks `sweep status` and `sweep collect`. Skipped (passing, with a message) where `sbatch`
//! is not on PATH or no controller answers, unless `TPROG_REQUIRE_SLURM=1`; `.ci/run` starts a
//! single-node cluster with scripts/slurm-single-node.sh and requires it.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{success, temp_dir, text, tprog};

fn on_path(command: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(command).is_file()))
}

/// Set to `1` (as `.ci/run` does after starting the cluster) to make a missing or unreachable
/// Slurm a failure instead of a skip.
const REQUIRE: &str = "TPROG_REQUIRE_SLURM";

/// Whether a Slurm controller answers (`scontrol ping`): the client programs alone (installed,
/// but no cluster running) cannot run the test.
fn controller_answers() -> bool {
    std::process::Command::new("scontrol")
        .arg("ping")
        .output()
        .is_ok_and(|out| {
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("UP")
        })
}

#[test]
fn tiny_sweep_through_sbatch() {
    let required = std::env::var(REQUIRE).is_ok_and(|v| v == "1");
    let missing = if !on_path("sbatch") {
        Some("sbatch is not on PATH")
    } else if !controller_answers() {
        Some("no Slurm controller answers `scontrol ping`")
    } else {
        None
    };
    if let Some(reason) = missing {
        assert!(!required, "{REQUIRE}=1 but {reason}");
        eprintln!(
            "skipped: {reason} (scripts/slurm-single-node.sh up starts a one-node Slurm cluster)"
        );
        return;
    }
    let started = Instant::now();
    let root = temp_dir("slurm", "tiny");
    std::fs::create_dir_all(&root).unwrap();
    let file = root.join("sweep.toml");
    std::fs::write(
        &file,
        "name = \"slurm-tiny\"\npreset = \"tiny\"\ntasks = [\"sort\"]\nseeds = [0]\n\
         [set]\nn_epochs = 2\n[grid]\nn_layers = [1, 2]\n[slurm]\ntime = \"00:05:00\"\n",
    )
    .unwrap();
    let out = root.join("runs");
    let out_s = out.to_string_lossy().into_owned();
    let submit = tprog(&[
        "sweep",
        "run",
        file.to_str().unwrap(),
        "--backend",
        "slurm",
        "--out",
        &out_s,
    ]);
    assert!(submit.status.success(), "{}", text(&submit.stderr));
    let job = text(&submit.stdout).trim().to_owned();
    assert!(
        !job.is_empty() && job.chars().all(|c| c.is_ascii_digit()),
        "sbatch's job id on stdout: {job:?}"
    );

    // Wait for both runs (a few seconds of work; generous for a busy machine).
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        let status = success(&["sweep", "status", &out_s]);
        if status.contains("2 runs: 2 done") {
            break status;
        }
        if status.contains("failed") {
            let logs: String = std::fs::read_dir(out.join("_sweep/logs"))
                .map(|d| {
                    d.filter_map(Result::ok)
                        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                        .collect()
                })
                .unwrap_or_default();
            panic!("a run failed: {status}\nSlurm's output: {logs}");
        }
        assert!(Instant::now() < deadline, "not done after 180 s: {status}");
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(status.contains("sort/n_layers=1/seed0"), "{status}");

    // Each run was an array task of the submitted job, recorded as such.
    for (index, dir) in ["sort/n_layers=1/seed0", "sort/n_layers=2/seed0"]
        .iter()
        .enumerate()
    {
        let record =
            std::fs::read_to_string(out.join(format!("_sweep/records/{dir}.json"))).unwrap();
        let record: serde_json::Value = serde_json::from_str(&record).unwrap();
        assert_eq!(record["slurm_job"], format!("{job}_{index}"), "{record}");
        assert_eq!(record["exit_code"], 0);
        assert!(
            Path::new(&out_s)
                .join(format!("_sweep/logs/slurm-{job}_{index}.out"))
                .is_file(),
            "Slurm's own output file"
        );
    }

    let csv = root.join("all.csv");
    success(&[
        "sweep",
        "collect",
        &out_s,
        "--out-csv",
        csv.to_str().unwrap(),
    ]);
    let csv = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows.iter().all(|r| r.contains(",faithful,")), "{csv}");
    assert!(
        rows.iter().all(|r| r.contains(",true,false,")),
        "each configuration's only seed is its best: {csv}"
    );

    // Submitting again finds nothing to do.
    let again = tprog(&[
        "sweep",
        "run",
        file.to_str().unwrap(),
        "--backend",
        "slurm",
        "--out",
        &out_s,
    ]);
    assert!(
        text(&again.stderr).contains("nothing to submit"),
        "{}",
        text(&again.stderr)
    );

    // A held job: squeue's view appears in status, and the manifest may not change under it.
    let held = root.join("held.toml");
    let write_held = |seeds: &str| {
        std::fs::write(
            &held,
            format!(
                "name = \"held\"\npreset = \"tiny\"\ntasks = [\"sort\"]\nseeds = {seeds}\n\
                 [set]\nn_epochs = 1\n[slurm]\nextra = [\"--hold\"]\n"
            ),
        )
        .unwrap();
    };
    write_held("[0, 1]");
    let held_out = root.join("held-runs");
    let held_out = held_out.to_str().unwrap();
    let held_s = held.to_str().unwrap();
    let submit = tprog(&[
        "sweep",
        "run",
        held_s,
        "--backend",
        "slurm",
        "--out",
        held_out,
    ]);
    assert!(submit.status.success(), "{}", text(&submit.stderr));
    let held_job = text(&submit.stdout).trim().to_owned();
    let status = success(&["sweep", "status", held_out]);
    assert_eq!(status.matches("PENDING").count(), 2, "{status}");
    assert!(status.contains("2 runs: 2 pending"), "{status}");
    write_held("[0, 1, 2]");
    let refused = tprog(&[
        "sweep",
        "run",
        held_s,
        "--backend",
        "slurm",
        "--out",
        held_out,
    ]);
    let stderr = text(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("2 of its Slurm array tasks are still queued"),
        "{stderr}"
    );
    let cancel = std::process::Command::new("scancel")
        .arg(&held_job)
        .output()
        .unwrap();
    assert!(cancel.status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = success(&["sweep", "status", held_out]);
        if status.contains("2 runs: 2 failed") {
            assert_eq!(status.matches("NOT_QUEUED").count(), 2, "{status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "cancelled tasks still listed: {status}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }

    eprintln!(
        "Slurm sweep test: submitted, ran and collected in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
