//! The sweep file (TOML) and its expansion into runs: every task × every point of the grid ×
//! every seed, each with its run directory and its `tprog train` arguments.
//!
//! ```toml
//! name = "conll-grid"              # required
//! preset = "paper"                 # default: paper
//! tasks = ["conll_ner"]            # required, at least one
//! seeds = "0..2"                   # or a list: [0, 1, 2]
//! layout = "{task}/{grid}/seed{seed}"   # the default; placeholders below
//! archive = "results/conll-grid"   # optional: finished runs' summaries are copied there
//!
//! [set]                            # the same for every run
//! data_dir = "data"
//!
//! [grid]                           # every combination of these values
//! n_layers = [1, 2, 3]
//! n_heads_cat = [4, 8]
//!
//! [per_task.dyck1]                 # optional: settings of one task, over [set]'s
//! max_length = 32
//!
//! [slurm]                          # resources of the Slurm array job (flags override them)
//! time = "04:00:00"
//! cpus_per_task = 2
//! ```
//!
//! Parameters (in `[set]` and `[grid]`) are the fields of [`tprog_pipeline::Overrides`] (the
//! reference's names: `n_epochs`, `lr`, `n_layers`, `n_heads_cat`, `vocab_size`,
//! `max_length`, ...; `model` is accepted for `architecture`), plus `data_dir` for the NLP
//! tasks. `[per_task.NAME]` sets parameters for one task only, replacing `[set]`'s (e.g. the
//! Dyck tasks' longer sequences in a comparison at a larger size); a parameter is still either
//! fixed or swept, never both. A grid value may be a table of parameters set together:
//! `heads = [{n_heads_cat = 2, n_heads_num = 2}, {n_heads_cat = 4, n_heads_num = 4}]` sweeps
//! the heads split evenly (named `heads=2+2`). Layout placeholders:
//! `{task}`, `{seed}`, `{preset}`, `{grid}` (the grid point as `key=value,key=value`, nothing
//! when the grid is empty) and any grid key, e.g. `{n_layers}`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tprog_pipeline::Overrides;
use tprog_tasks::TaskName;
use tprog_tasks::text::NlpTask;
use tprog_train::presets::Preset;

use crate::SweepError;
use crate::layout::{grid_points, render, value_text};

/// The default run directory layout below the sweep directory.
pub const DEFAULT_LAYOUT: &str = "{task}/{grid}/seed{seed}";
/// Most runs one sweep may hold.
pub const MAX_RUNS: usize = 100_000;

/// Parameters that are not [`Overrides`] fields but `tprog train` flags of the NLP tasks.
const DATA_KEYS: [&str; 1] = ["data_dir"];

/// The sweep file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepFile {
    name: String,
    #[serde(default)]
    preset: Option<String>,
    tasks: Vec<String>,
    seeds: toml::Value,
    #[serde(default)]
    layout: Option<String>,
    #[serde(default)]
    threads: Option<usize>,
    #[serde(default)]
    archive: Option<PathBuf>,
    #[serde(default)]
    set: toml::Table,
    #[serde(default)]
    grid: toml::Table,
    #[serde(default)]
    per_task: BTreeMap<String, toml::Table>,
    #[serde(default)]
    slurm: SlurmSettings,
}

/// Resources of the Slurm array job; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlurmSettings {
    /// `--partition`.
    pub partition: Option<String>,
    /// `--account`.
    pub account: Option<String>,
    /// `--time` (e.g. `"04:00:00"`).
    pub time: Option<String>,
    /// `--cpus-per-task`; each run uses this many threads.
    pub cpus_per_task: Option<usize>,
    /// `--mem` (e.g. `"4G"`).
    pub mem: Option<String>,
    /// At most this many array tasks at once (`--array=...%N`).
    pub max_parallel: Option<usize>,
    /// More `#SBATCH` options, each written as given (e.g. `"--qos=short"`).
    #[serde(default)]
    pub extra: Vec<String>,
}

/// A sweep: its name and its runs, in the order they are started (seeds outermost, so that
/// every configuration gets its first seed before any gets its second).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// The sweep's name.
    pub name: String,
    /// Threads per run, when the file fixes it.
    pub threads: Option<usize>,
    /// Slurm resources from the file.
    pub slurm: SlurmSettings,
    /// Where finished runs' `summary.json`, `report.md` and `curves.svg` are copied (absolute);
    /// a run found there counts as done.
    #[serde(default)]
    pub archive: Option<PathBuf>,
    /// The grid's keys, in order (the columns that tell configurations apart).
    pub grid_keys: Vec<String>,
    /// Every run.
    pub runs: Vec<RunSpec>,
}

/// One run of a sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSpec {
    /// Its directory, relative to the sweep directory (`/`-separated).
    pub dir: String,
    /// The task.
    pub task: String,
    /// The seed.
    pub seed: u64,
    /// The grid point: grid key → value as text.
    pub point: BTreeMap<String, String>,
    /// `tprog train` arguments (without `--out`, `--threads`, `--quiet`, `--overwrite`).
    pub args: Vec<String>,
}

impl Sweep {
    /// Reads and expands the sweep file at `path`. Relative paths in it (`data_dir`, `glove`)
    /// are made absolute against the current directory.
    pub fn read(path: &Path) -> Result<Self, SweepError> {
        let text = std::fs::read_to_string(path).map_err(|source| SweepError::ReadFile {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and expands a sweep file's text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, SweepError> {
        let file: SweepFile = toml::from_str(text).map_err(|e| SweepError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        expand(file).map_err(|problems| SweepError::Invalid {
            path: path.to_path_buf(),
            problems,
        })
    }
}

/// Every problem of the file, or its runs.
fn expand(file: SweepFile) -> Result<Sweep, Vec<String>> {
    let mut problems = Vec::new();
    if file.name.trim().is_empty() || file.name.contains('/') {
        problems.push(format!(
            "name: '{}' must be a non-empty name without '/'",
            file.name
        ));
    }
    let preset_name = file.preset.as_deref().unwrap_or("paper");
    if let Err(e) = preset_name.parse::<Preset>() {
        problems.push(format!("preset: {e}"));
    }
    let seeds = parse_seeds(&file.seeds).unwrap_or_else(|e| {
        problems.push(e);
        Vec::new()
    });
    if file.tasks.is_empty() {
        problems.push("tasks: the list is empty; name at least one task".to_owned());
    }
    let has_data_dir = file.set.contains_key("data_dir") || file.grid.contains_key("data_dir");
    for (task, table) in &file.per_task {
        if !file.tasks.contains(task) {
            problems.push(format!(
                "per_task.{task}: '{task}' is not in `tasks`; settings for it would never be used"
            ));
        }
        for key in table.keys() {
            check_key(&format!("per_task.{task}"), key, &mut problems);
            if file.grid.contains_key(key) {
                problems.push(format!(
                    "per_task.{task}.{key}: also in [grid]; a parameter is either fixed or swept"
                ));
            }
        }
    }
    let mut seen_tasks = BTreeSet::new();
    for task in &file.tasks {
        if !seen_tasks.insert(task) {
            problems.push(format!("tasks: '{task}' is listed twice"));
        }
        match task_kind(task) {
            Some(TaskKind::Nlp) if !has_data_dir => problems.push(format!(
                "tasks: '{task}' reads a data set; give its directory in [set] data_dir"
            )),
            Some(TaskKind::Synthetic) if has_data_dir => problems.push(format!(
                "tasks: '{task}' is generated; data_dir is for the NLP tasks only"
            )),
            Some(_) => {}
            None => problems.push(format!("tasks: unknown task '{task}'; {}", valid_tasks())),
        }
    }
    if file.threads == Some(0) {
        problems.push("threads: must be at least 1".to_owned());
    }
    if file.slurm.cpus_per_task == Some(0) || file.slurm.max_parallel == Some(0) {
        problems.push("slurm: cpus_per_task and max_parallel must be at least 1".to_owned());
    }
    for key in file.set.keys() {
        check_key("set", key, &mut problems);
        if file.grid.contains_key(key) {
            problems.push(format!(
                "grid.{key}: also in [set]; a parameter is either fixed or swept"
            ));
        }
    }
    let mut axes: Vec<(String, Vec<toml::Value>)> = Vec::new();
    for (key, values) in &file.grid {
        check_key("grid", key, &mut problems);
        match values {
            toml::Value::Array(values) if values.is_empty() => problems.push(format!(
                "grid.{key}: the list is empty, so the grid has no point; give at least one value"
            )),
            toml::Value::Array(values) => axes.push((key.clone(), values.clone())),
            other => problems.push(format!(
                "grid.{key}: expected a list of values, found {other} (write [{other}] for one value)"
            )),
        }
    }
    let points = grid_points(&axes);
    let total = points.len() * seeds.len() * file.tasks.len();
    if total > MAX_RUNS {
        problems.push(format!(
            "the sweep holds {total} runs; at most {MAX_RUNS} (split it)"
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Each grid point is checked once with [set]'s settings, and once more for each task
    // with settings of its own, before any run is made.
    let mut check = |set: &toml::Table, task: Option<&str>| -> Vec<Vec<String>> {
        let mut flags = Vec::new();
        for point in &points {
            match configuration(set, point) {
                Ok(configuration) => flags.push(configuration),
                Err(more) => {
                    for problem in more {
                        let problem = match task {
                            Some(task) => format!("{task}: {problem}"),
                            None => problem,
                        };
                        if !problems.contains(&problem) {
                            problems.push(problem);
                        }
                    }
                }
            }
        }
        flags
    };
    let shared = check(&file.set, None);
    let mut own: BTreeMap<&str, Vec<Vec<String>>> = BTreeMap::new();
    for (task, settings) in &file.per_task {
        let mut set = file.set.clone();
        set.extend(settings.clone());
        own.insert(task, check(&set, Some(task)));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let layout = file.layout.clone().unwrap_or_else(|| DEFAULT_LAYOUT.into());
    let grid_keys: Vec<String> = axes.iter().map(|(k, _)| k.clone()).collect();
    let mut runs = Vec::with_capacity(total);
    let mut dirs: BTreeMap<String, usize> = BTreeMap::new();
    for &seed in &seeds {
        for task in &file.tasks {
            let configurations = own.get(task.as_str()).unwrap_or(&shared);
            for (point, flags) in points.iter().zip(configurations) {
                let point: BTreeMap<String, String> = point
                    .iter()
                    .map(|(k, v)| (k.clone(), value_text(v)))
                    .collect();
                let dir = match render(&layout, task, seed, preset_name, &grid_keys, &point) {
                    Ok(dir) => dir,
                    Err(problem) => return Err(vec![problem]),
                };
                if let Some(&other) = dirs.get(&dir) {
                    let first: &RunSpec = &runs[other];
                    return Err(vec![format!(
                        "layout: '{layout}' gives two runs the directory '{dir}' ({} seed {} {:?} \
                         and {task} seed {seed} {point:?}); add the placeholders that tell them \
                         apart",
                        first.task, first.seed, first.point
                    )]);
                }
                dirs.insert(dir.clone(), runs.len());
                let mut args = vec![
                    "--task".to_owned(),
                    task.clone(),
                    "--preset".to_owned(),
                    preset_name.to_owned(),
                    "--seed".to_owned(),
                    seed.to_string(),
                ];
                args.extend(flags.iter().cloned());
                runs.push(RunSpec {
                    dir,
                    task: task.clone(),
                    seed,
                    point,
                    args,
                });
            }
        }
    }
    Ok(Sweep {
        name: file.name,
        threads: file.threads,
        archive: file.archive.map(|a| std::path::absolute(&a).unwrap_or(a)),
        slurm: file.slurm,
        grid_keys,
        runs,
    })
}

enum TaskKind {
    Synthetic,
    Nlp,
}

fn task_kind(name: &str) -> Option<TaskKind> {
    if name.parse::<TaskName>().is_ok() {
        Some(TaskKind::Synthetic)
    } else if name.parse::<NlpTask>().is_ok() {
        Some(TaskKind::Nlp)
    } else {
        None
    }
}

fn valid_tasks() -> String {
    let synthetic: Vec<&str> = TaskName::ALL.iter().map(|t| t.as_str()).collect();
    let nlp: Vec<&str> = NlpTask::ALL.iter().map(|t| t.as_str()).collect();
    format!(
        "valid tasks: {} (generated) and {} (with data_dir)",
        synthetic.join(", "),
        nlp.join(", ")
    )
}

/// Keys the sweep sets itself.
fn check_key(table: &str, key: &str, problems: &mut Vec<String>) {
    match key {
        "seed" => problems.push(format!(
            "{table}.seed: seeds are given by the top-level `seeds` key"
        )),
        "task" | "preset" => problems.push(format!(
            "{table}.{key}: give it at the top level (`tasks = [...]`, `preset = \"...\"`)"
        )),
        _ => {}
    }
}

/// `seeds = [0, 1, 2]` or `seeds = "0..4"` (inclusive).
fn parse_seeds(value: &toml::Value) -> Result<Vec<u64>, String> {
    let seeds: Vec<u64> = match value {
        toml::Value::Array(items) => items
            .iter()
            .map(|item| match item.as_integer() {
                Some(n) if n >= 0 => Ok(n as u64),
                _ => Err(format!(
                    "seeds: '{item}' is not a seed (a whole number ≥ 0)"
                )),
            })
            .collect::<Result<_, _>>()?,
        toml::Value::String(text) => {
            let (from, to) = text
                .split_once("..")
                .ok_or_else(|| format!("seeds: '{text}' is not a range like \"0..4\""))?;
            let number = |s: &str| {
                s.trim()
                    .parse::<u64>()
                    .map_err(|_| format!("seeds: '{s}' in \"{text}\" is not a whole number ≥ 0"))
            };
            let (from, to) = (number(from)?, number(to)?);
            if to < from || to - from >= MAX_RUNS as u64 {
                return Err(format!("seeds: the range \"{text}\" is empty or too long"));
            }
            (from..=to).collect()
        }
        other => {
            return Err(format!(
                "seeds: expected a list like [0, 1, 2] or a range like \"0..4\", found {other}"
            ));
        }
    };
    if seeds.is_empty() {
        return Err("seeds: the list is empty; give at least one seed".to_owned());
    }
    for (i, seed) in seeds.iter().enumerate() {
        if seeds[..i].contains(seed) {
            return Err(format!("seeds: seed {seed} is given twice"));
        }
    }
    Ok(seeds)
}

/// The fixed settings with one grid point, checked, as `tprog train` flags.
fn configuration(
    set: &toml::Table,
    point: &[(String, toml::Value)],
) -> Result<Vec<String>, Vec<String>> {
    let mut table = set.clone();
    let mut problems = Vec::new();
    for (key, value) in point {
        match value {
            // A table sets several parameters together (e.g. heads split evenly).
            toml::Value::Table(together) => {
                for (inner, value) in together {
                    if table.insert(inner.clone(), value.clone()).is_some() {
                        problems.push(format!(
                            "grid.{key}: sets {inner}, which another key also sets"
                        ));
                    }
                }
            }
            _ => {
                table.insert(key.clone(), value.clone());
            }
        }
    }
    if let Some(model) = table.remove("model") {
        table.insert("architecture".to_owned(), model);
    }
    let mut flags = Vec::new();
    for key in DATA_KEYS {
        let Some(value) = table.remove(key) else {
            continue;
        };
        match (key, &value) {
            ("data_dir", toml::Value::String(dir)) => {
                let dir = std::path::absolute(dir).unwrap_or_else(|_| PathBuf::from(dir));
                flags.extend(["--data-dir".to_owned(), dir.display().to_string()]);
            }
            _ => problems.push(format!("{key}: unexpected value {value}")),
        }
    }
    let overrides: Overrides = match toml::Value::Table(table).try_into() {
        Ok(overrides) => overrides,
        Err(e) => {
            let message = e.to_string();
            problems.push(format!(
                "parameter: {}; also accepted: model, data_dir",
                message.trim_end()
            ));
            return Err(problems);
        }
    };
    problems.extend(overrides.check());
    if !problems.is_empty() {
        return Err(problems);
    }
    flags.extend(crate::flags::train_flags(&overrides));
    Ok(flags)
}
