//! `tprog sweep collect`: every `summary.json` below a directory (a sweep's run directories,
//! or archived summaries such as `results/categorical/`) in one table, grouped by
//! configuration (everything but the seed), with the best seed of each group by validation
//! accuracy, as the paper reports.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use tprog_train::rundir::files;

use crate::SweepError;
use crate::result::RunResult;
use crate::status::scan;

/// One run's results.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Its directory, relative to the collected directory.
    pub dir: String,
    /// Its results, from its `summary.json`.
    pub summary: RunResult,
    /// Its group (index into [`Collection::groups`]).
    pub group: usize,
}

/// Runs that differ only in their seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The task (the run's name).
    pub task: String,
    /// What sets it apart from the task's other groups, `key=value` joined by `, ` (empty when
    /// the task has one group).
    pub label: String,
    /// Its runs (indices into [`Collection::rows`]), by seed.
    pub rows: Vec<usize>,
    /// The run with the best validation accuracy among those that finished, if any has one.
    pub best: Option<usize>,
}

impl Group {
    /// `task` or `task (label)`.
    pub fn title(&self) -> String {
        if self.label.is_empty() {
            self.task.clone()
        } else {
            format!("{} ({})", self.task, self.label)
        }
    }
}

/// Every run found, and their groups.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Collection {
    /// Runs, by directory.
    pub rows: Vec<Row>,
    /// Groups, by task then label.
    pub groups: Vec<Group>,
    /// The configuration keys that tell groups of one task apart (short names).
    pub varying: Vec<String>,
    /// Summaries that could not be read, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
    /// Runs whose summary has no configuration (version 1), grouped by task and preset.
    pub unrecorded: usize,
}

/// Reads every `summary.json` below `root`.
pub fn collect(root: &Path) -> Result<Collection, SweepError> {
    if !root.is_dir() {
        return Err(SweepError::io(
            root,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
        ));
    }
    let mut collection = Collection::default();
    let mut configs = Vec::new();
    for dir in scan(root) {
        let path = root.join(&dir);
        if !path.join(files::SUMMARY).is_file() {
            continue;
        }
        match RunResult::read(&path) {
            Ok(summary) => {
                configs.push(flat_config(&summary));
                collection.rows.push(Row {
                    dir,
                    summary,
                    group: 0,
                });
            }
            Err(e) => collection
                .unreadable
                .push((path.join(files::SUMMARY), e.to_string())),
        }
    }
    group(&mut collection, &configs);
    Ok(collection)
}

/// The run's configuration as `path → value` leaves, without the seed; `None` for a version 1
/// summary, which has none.
fn flat_config(summary: &RunResult) -> Option<BTreeMap<String, String>> {
    let config = summary.config.as_ref()?;
    let mut out = BTreeMap::new();
    if let Ok(value) = serde_json::to_value(config) {
        flatten("", &value, &mut out);
    }
    out.remove("train.seed");
    out.insert(
        "architecture".into(),
        format!("{:?}", summary.architecture).to_lowercase(),
    );
    Some(out)
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match value {
        serde_json::Value::Object(fields) => {
            for (key, value) in fields {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, value, out);
            }
        }
        serde_json::Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

/// Groups the rows by task and configuration, labels the groups by what varies within their
/// task, and picks each group's best run.
fn group(collection: &mut Collection, configs: &[Option<BTreeMap<String, String>>]) {
    let tasks: BTreeSet<String> = collection
        .rows
        .iter()
        .map(|r| r.summary.name.clone())
        .collect();
    let mut varying_all: BTreeSet<String> = BTreeSet::new();
    let mut keyed: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    let empty = BTreeMap::new();
    for task in &tasks {
        let members: Vec<usize> = (0..collection.rows.len())
            .filter(|&i| &collection.rows[i].summary.name == task)
            .collect();
        let (configured, unrecorded): (Vec<usize>, Vec<usize>) =
            members.iter().partition(|&&i| configs[i].is_some());
        let config = |i: usize| configs[i].as_ref().unwrap_or(&empty);
        let keys: BTreeSet<&String> = configured.iter().flat_map(|&i| config(i).keys()).collect();
        let varying: Vec<&String> = keys
            .into_iter()
            .filter(|key| {
                let values: BTreeSet<Option<&String>> =
                    configured.iter().map(|&i| config(i).get(*key)).collect();
                values.len() > 1
            })
            .collect();
        let short = short_names(&varying);
        varying_all.extend(short.iter().cloned());
        let mut labels: BTreeMap<usize, String> = BTreeMap::new();
        for &i in &configured {
            let label = varying
                .iter()
                .zip(&short)
                .map(|(key, name)| {
                    let value = config(i).get(*key).map_or("-", String::as_str);
                    format!("{name}={value}")
                })
                .collect::<Vec<_>>()
                .join(", ");
            labels.insert(i, label.clone());
            keyed.entry((task.clone(), label)).or_default().push(i);
        }
        // A summary without its configuration joins the task's one configuration of the same
        // preset and model, when there is exactly one; otherwise it is a group of its own.
        for i in unrecorded {
            let run = &collection.rows[i].summary;
            let same: BTreeSet<&String> = configured
                .iter()
                .filter(|&&j| {
                    let other = &collection.rows[j].summary;
                    other.preset == run.preset && other.architecture == run.architecture
                })
                .map(|j| &labels[j])
                .collect();
            let label = match same.into_iter().collect::<Vec<_>>().as_slice() {
                [only] => (*only).clone(),
                _ => format!(
                    "preset={} (configuration not recorded)",
                    run.preset.as_deref().unwrap_or("-")
                ),
            };
            collection.unrecorded += 1;
            keyed.entry((task.clone(), label)).or_default().push(i);
        }
    }
    for ((task, label), mut rows) in keyed {
        rows.sort_by_key(|&i| collection.rows[i].summary.seed);
        let best = rows
            .iter()
            .copied()
            .filter_map(|i| {
                collection.rows[i]
                    .summary
                    .selection_metric()
                    .map(|m| (i, m))
            })
            // The first of equal bests (lowest seed) is kept.
            .fold(None::<(usize, f64)>, |best, (i, m)| match best {
                Some((_, b)) if b >= m => best,
                _ => Some((i, m)),
            })
            .map(|(i, _)| i);
        let g = collection.groups.len();
        for &i in &rows {
            collection.rows[i].group = g;
        }
        collection.groups.push(Group {
            task,
            label,
            rows,
            best,
        });
    }
    collection.varying = varying_all.into_iter().collect();
}

/// The last segment of each key, or the whole key where two would share a last segment.
fn short_names(keys: &[&String]) -> Vec<String> {
    let last = |k: &str| k.rsplit('.').next().unwrap_or(k).to_owned();
    keys.iter()
        .map(|k| {
            let name = last(k);
            if keys.iter().filter(|o| last(o) == name).count() > 1 {
                (*k).clone()
            } else {
                name
            }
        })
        .collect()
}

/// A fraction as a percentage with two decimals; empty when absent.
fn percent(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{:.2}", 100.0 * v))
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Every run as CSV, one line each (accuracies in %, empty when absent).
pub fn to_csv(collection: &Collection) -> String {
    let mut out = String::from(
        "run,task,configuration,preset,architecture,seed,epochs,best_epoch,train_acc,val_acc,\
         test_acc,val_seq_acc,test_seq_acc,val_f1,test_f1,best_in_group,interrupted,program,\
         modules,python_lines,train_seconds\n",
    );
    for (i, row) in collection.rows.iter().enumerate() {
        let s = &row.summary;
        let group = &collection.groups[row.group];
        let program = match (&s.faithful, &s.program_error) {
            (Some(f), _) if f.all_agree => "faithful",
            (Some(_), _) => "unfaithful",
            (None, Some(_)) => "failed",
            (None, None) => "none",
        };
        let fields = [
            row.dir.clone(),
            s.name.clone(),
            group.label.clone(),
            s.preset.clone().unwrap_or_default(),
            format!("{:?}", s.architecture).to_lowercase(),
            s.seed.to_string(),
            s.epochs.to_string(),
            s.best_epoch.to_string(),
            percent(s.train.token_acc),
            percent(s.val.token_acc),
            percent(s.test.token_acc),
            percent(s.val.sequence_acc),
            percent(s.test.sequence_acc),
            percent(s.val.entity.map(|e| e.f1)),
            percent(s.test.entity.map(|e| e.f1)),
            (group.best == Some(i)).to_string(),
            s.interrupted.to_string(),
            program.to_owned(),
            s.faithful
                .as_ref()
                .map_or(String::new(), |f| f.modules.to_string()),
            s.faithful
                .as_ref()
                .map_or(String::new(), |f| f.python_lines.to_string()),
            format!("{:.1}", s.train_seconds),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        let _ = writeln!(out, "{}", line.join(","));
    }
    out
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The Markdown tables: the best seed of every group, then every run.
pub fn to_markdown(collection: &Collection, title: &str) -> String {
    let mut out = format!("# {title}\n\n");
    let _ = writeln!(
        out,
        "{} runs in {} configurations. Figures are the discrete model's token accuracy (%), or \
         for tagging runs that report it (CoNLL) the entity F1 (%, seqeval strict IOB2); the \
         best seed of a configuration is the one with the best validation figure, and its test \
         figure is the result (as the paper reports).\n",
        collection.rows.len(),
        collection.groups.len()
    );
    out.push_str("## Best seed per configuration\n\n");
    // The configuration column only when some task has more than one.
    let labelled = collection.groups.iter().any(|g| !g.label.is_empty());
    out.push_str(if labelled {
        "| task | configuration | seeds | best seed | val | test | test (sequences) | test over seeds (min–max) | program |\n\
         |---|---|---:|---:|---:|---:|---:|---|---|\n"
    } else {
        "| task | seeds | best seed | val | test | test (sequences) | test over seeds (min–max) | program |\n\
         |---|---:|---:|---:|---:|---:|---|---|\n"
    });
    for group in &collection.groups {
        let tests: Vec<f64> = group
            .rows
            .iter()
            .filter_map(|&i| collection.rows[i].summary.test_metric())
            .collect();
        let spread = if tests.is_empty() {
            String::new()
        } else {
            let lo = tests.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = tests.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            format!("{:.2}–{:.2}", 100.0 * lo, 100.0 * hi)
        };
        let (seed, val, test, seq, program) = match group.best {
            Some(i) => {
                let s = &collection.rows[i].summary;
                (
                    s.seed.to_string(),
                    percent(crate::result::headline(&s.val)),
                    percent(s.test_metric()),
                    percent(s.test.sequence_acc),
                    program_cell(s),
                )
            }
            None => (
                "–".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ),
        };
        let label = if labelled {
            format!(" {} |", md_cell(&group.label))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "| {} |{label} {} | {seed} | {val} | {test} | {seq} | {spread} | {program} |",
            md_cell(&group.task),
            group.rows.len()
        );
    }
    out.push_str("\n## Every run\n\n| run | seed | epochs | best epoch | train | val | test | program |\n|---|---:|---:|---:|---:|---:|---:|---|\n");
    for row in &collection.rows {
        let s = &row.summary;
        let epochs = if s.interrupted {
            format!("{} (interrupted)", s.epochs)
        } else {
            s.epochs.to_string()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {epochs} | {} | {} | {} | {} | {} |",
            md_cell(&row.dir),
            s.seed,
            s.best_epoch,
            percent(crate::result::headline(&s.train)),
            percent(crate::result::headline(&s.val)),
            percent(s.test_metric()),
            program_cell(s)
        );
    }
    if collection.unrecorded > 0 {
        let _ = writeln!(
            out,
            "\n{} summaries were written before summaries held the run's configuration (version \
             1): each is grouped with its task's configuration of the same preset when the task \
             has one, else on its own.",
            collection.unrecorded
        );
    }
    if !collection.unreadable.is_empty() {
        out.push_str("\nSummaries that could not be read:\n\n");
        for (path, why) in &collection.unreadable {
            let _ = writeln!(out, "- `{}`: {}", path.display(), why);
        }
    }
    out
}

fn program_cell(s: &RunResult) -> String {
    match (&s.faithful, &s.program_error) {
        (Some(f), _) if f.all_agree => format!("{} modules, faithful", f.modules),
        (Some(f), _) => format!(
            "{} modules, differs at {} positions",
            f.modules,
            f.positions - f.positions_agreeing
        ),
        (None, Some(e)) => format!("failed: {}", e.lines().next().unwrap_or("")),
        (None, None) => "none (standard Transformer)".into(),
    }
}

/// Copies every finished run's `summary.json`, `report.md` and `curves.svg` to the same
/// relative place under `dest` ([`crate::state::archive_run`]); returns how many were copied.
pub fn archive(root: &Path, collection: &Collection, dest: &Path) -> Result<usize, SweepError> {
    let sweep = crate::manifest::SweepDir::new(root);
    let mut copied = 0;
    for row in collection.rows.iter().filter(|r| !r.summary.interrupted) {
        crate::state::archive_run(&sweep, dest, &row.dir)?;
        copied += 1;
    }
    Ok(copied)
}
