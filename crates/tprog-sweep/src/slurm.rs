//! The Slurm backend: an array job whose task `i` runs run `i` of the manifest
//! (`tprog sweep task DIR $SLURM_ARRAY_TASK_ID`), submitted with `sbatch`; and what `squeue` and
//! `sacct` say about the tasks.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::SweepError;
use crate::manifest::{Manifest, SweepDir, write_atomic};
use crate::spec::SlurmSettings;

/// The job script's file name under `_sweep/`.
pub const JOB_SCRIPT: &str = "job.sh";
/// The submitted jobs' ids, one a line, under `_sweep/`.
pub const JOBS: &str = "slurm-jobs";

/// Settings from the command line override the file's, field by field; `extra` options add up.
pub fn merge(file: &SlurmSettings, flags: &SlurmSettings) -> SlurmSettings {
    SlurmSettings {
        partition: flags.partition.clone().or_else(|| file.partition.clone()),
        account: flags.account.clone().or_else(|| file.account.clone()),
        time: flags.time.clone().or_else(|| file.time.clone()),
        cpus_per_task: flags.cpus_per_task.or(file.cpus_per_task),
        mem: flags.mem.clone().or_else(|| file.mem.clone()),
        max_parallel: flags.max_parallel.or(file.max_parallel),
        extra: file.extra.iter().chain(&flags.extra).cloned().collect(),
    }
}

/// `0-3,5,7-9`: the indices (sorted, distinct) as Slurm array ranges, with `%N` when at most
/// N may run at once.
pub fn array_spec(indices: &[usize], max_parallel: Option<usize>) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < indices.len() {
        let start = indices[i];
        let mut end = start;
        while i + 1 < indices.len() && indices[i + 1] == end + 1 {
            i += 1;
            end = indices[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    let mut spec = parts.join(",");
    if let Some(n) = max_parallel {
        let _ = write!(spec, "%{n}");
    }
    spec
}

/// A word quoted for the shell.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The array job script for the runs `indices` of the sweep in `sweep`.
pub fn job_script(
    sweep: &SweepDir,
    manifest: &Manifest,
    indices: &[usize],
    settings: &SlurmSettings,
) -> String {
    let root = std::path::absolute(sweep.root()).unwrap_or_else(|_| sweep.root().to_path_buf());
    let logs = root.join(crate::manifest::BOOKKEEPING).join("logs");
    let mut script = String::from("#!/bin/bash\n");
    let mut option = |text: String| {
        let _ = writeln!(script, "#SBATCH {text}");
    };
    option(format!("--job-name=tprog-{}", manifest.sweep.name));
    option(format!(
        "--array={}",
        array_spec(indices, settings.max_parallel)
    ));
    option(format!("--output={}/slurm-%A_%a.out", logs.display()));
    option(format!(
        "--cpus-per-task={}",
        settings.cpus_per_task.unwrap_or(1)
    ));
    if let Some(partition) = &settings.partition {
        option(format!("--partition={partition}"));
    }
    if let Some(account) = &settings.account {
        option(format!("--account={account}"));
    }
    if let Some(time) = &settings.time {
        option(format!("--time={time}"));
    }
    if let Some(mem) = &settings.mem {
        option(format!("--mem={mem}"));
    }
    for extra in &settings.extra {
        option(extra.clone());
    }
    let _ = write!(
        script,
        "\n# Array task i runs run i of {manifest} (skipped when done, resumed when interrupted).\n\
         # {runs} runs in the sweep; this job holds {count} of them.\n\
         exec {binary} sweep task {dir} \"$SLURM_ARRAY_TASK_ID\"\n",
        manifest = root
            .join(crate::manifest::BOOKKEEPING)
            .join(crate::manifest::MANIFEST)
            .display(),
        runs = manifest.sweep.runs.len(),
        count = indices.len(),
        binary = quote(&manifest.binary.display().to_string()),
        dir = quote(&root.display().to_string()),
    );
    script
}

/// Writes the job script; returns its path.
pub fn write_job(sweep: &SweepDir, script: &str) -> Result<std::path::PathBuf, SweepError> {
    // Slurm opens the tasks' output files there, and fails a task whose directory is missing.
    let logs = sweep.own("logs");
    std::fs::create_dir_all(&logs).map_err(|e| SweepError::io(&logs, e))?;
    let path = sweep.own(JOB_SCRIPT);
    write_atomic(&path, script.as_bytes())?;
    Ok(path)
}

/// The job id in `sbatch --parsable`'s output (`1234` or `1234;cluster`).
pub fn parse_job_id(stdout: &str) -> Option<String> {
    let first = stdout.lines().map(str::trim).find(|l| !l.is_empty())?;
    let id = first.split(';').next()?.trim();
    (!id.is_empty() && id.chars().all(|c| c.is_ascii_digit())).then(|| id.to_owned())
}

/// Submits the job script with `sbatch`; returns the job id, also appended to
/// `_sweep/slurm-jobs` with the run indices it holds (`JOBID 0-3,5`).
pub fn submit(sweep: &SweepDir, script: &Path, indices: &[usize]) -> Result<String, SweepError> {
    let command_line = format!("sbatch --parsable {}", script.display());
    let output = Command::new("sbatch")
        .arg("--parsable")
        .arg(script)
        .output()
        .map_err(|e| SweepError::Command {
            command: command_line.clone(),
            message: format!("cannot run sbatch ({e}); is Slurm installed and on PATH?"),
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(SweepError::Command {
            command: command_line,
            message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    let id = parse_job_id(&stdout).ok_or_else(|| SweepError::Command {
        command: command_line,
        message: format!("no job id in its output: {stdout:?}"),
    })?;
    let path = sweep.own(JOBS);
    let mut jobs = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = writeln!(jobs, "{id} {}", array_spec(indices, None));
    write_atomic(&path, jobs.as_bytes())?;
    Ok(id)
}

/// The jobs submitted for this sweep, oldest first: each id with the run indices it holds.
pub fn submitted_jobs(sweep: &SweepDir) -> Vec<(String, Vec<usize>)> {
    std::fs::read_to_string(sweep.own(JOBS))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let id = words.next()?.to_owned();
            let indices = parse_states(&format!("{id}_[{}]|x", words.next().unwrap_or("")))
                .into_iter()
                .map(|(i, _)| i)
                .collect();
            Some((id, indices))
        })
        .collect()
}

/// Whether a command is on PATH.
pub fn available(command: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(command).is_file()))
}

/// What Slurm says about each array task (manifest index → state such as `PENDING`,
/// `RUNNING`, `COMPLETED`, `FAILED`, `TIMEOUT`): `sacct` first, then `squeue` (live, so it
/// wins). `None` when neither command is available.
/// Tasks of a submitted job that neither command lists any more (finished, and forgotten
/// without an accounting database) are `NOT_QUEUED`.
pub fn task_states(jobs: &[(String, Vec<usize>)]) -> Option<BTreeMap<usize, String>> {
    if jobs.is_empty() || !(available("squeue") || available("sacct")) {
        return None;
    }
    let ids = jobs
        .iter()
        .map(|j| j.0.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let mut states: BTreeMap<usize, String> = jobs
        .iter()
        .flat_map(|(_, indices)| indices.iter().map(|&i| (i, "NOT_QUEUED".to_owned())))
        .collect();
    // Later jobs of the same index (resubmissions) override earlier ones: both commands list
    // jobs in id order.
    if let Some(text) = query(
        "sacct",
        &["-n", "-X", "-P", "-o", "JobID,State", "-j", &ids],
    ) {
        states.extend(parse_states(&text));
    }
    if let Some(text) = query("squeue", &["-h", "-r", "-o", "%i|%T", "-j", &ids]) {
        states.extend(parse_states(&text));
    }
    Some(states)
}

fn query(command: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(command).args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Lines `JOBID_TASK|STATE` (tasks may be ranges, `1234_[3-5,7]`); other lines are ignored.
pub fn parse_states(text: &str) -> Vec<(usize, String)> {
    let mut states = Vec::new();
    for line in text.lines() {
        let mut fields = line.split('|');
        let (Some(id), Some(state)) = (fields.next(), fields.next()) else {
            continue;
        };
        // sacct says "CANCELLED by 0": the first word is the state.
        let state = state.split_whitespace().next().unwrap_or("").to_owned();
        let Some((_, task)) = id.trim().split_once('_') else {
            continue;
        };
        let task = task.trim_start_matches('[');
        let task = task.split('%').next().unwrap_or("").trim_end_matches(']');
        for part in task.split(',') {
            let range = match part.split_once('-') {
                Some((a, b)) => a.parse::<usize>().ok().zip(b.parse::<usize>().ok()),
                None => part.parse::<usize>().ok().map(|a| (a, a)),
            };
            if let Some((a, b)) = range
                && b >= a
                && b - a < 1_000_000
            {
                states.extend((a..=b).map(|i| (i, state.clone())));
            }
        }
    }
    states
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_ranges() {
        assert_eq!(array_spec(&[0, 1, 2, 3, 5, 7, 8, 9], None), "0-3,5,7-9");
        assert_eq!(array_spec(&[4], Some(2)), "4%2");
        assert_eq!(array_spec(&[], None), "");
    }

    #[test]
    fn job_ids() {
        assert_eq!(parse_job_id("1234\n"), Some("1234".into()));
        assert_eq!(parse_job_id("77;cluster\n"), Some("77".into()));
        assert_eq!(parse_job_id("Submitted batch job 5"), None);
    }

    #[test]
    fn states_with_ranges() {
        let text =
            "12_0|COMPLETED\n12_1|FAILED\n12_[2-4,6%2]|PENDING\n12_5|CANCELLED by 0\n13|RUNNING\n";
        let states: BTreeMap<usize, String> = parse_states(text).into_iter().collect();
        assert_eq!(states.len(), 7);
        assert_eq!(states[&0], "COMPLETED");
        assert_eq!(states[&1], "FAILED");
        assert_eq!(states[&3], "PENDING");
        assert_eq!(states[&5], "CANCELLED");
        assert_eq!(states[&6], "PENDING");
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
