//! Contracts of the training loop: determinism, best-by-validation model, resume after an
//! interruption gives exactly the uninterrupted run, NaN detection keeps the last checkpoint.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use tprog_tasks::TaskName;
use tprog_train::rundir::files;
use tprog_train::session;
use tprog_train::{EpochRecord, Observer, Preset, RunConfig, Silent, TaskSource, TrainError, data};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tprog-train-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn tiny_config(epochs: usize) -> (RunConfig, tprog_train::Splits) {
    let mut resolved = Preset::Tiny.resolve(TaskName::Sort);
    resolved.params.dataset_size = 300;
    resolved.train.n_epochs = epochs;
    let source = TaskSource::Generated {
        task: TaskName::Sort,
        params: resolved.params,
    };
    let dataset = data::load(&source).unwrap();
    let config = RunConfig {
        name: "sort".into(),
        preset: Some("tiny".into()),
        data: source,
        shape: data::shape_of(&dataset),
        model: resolved.model_config(&dataset),
        train: resolved.train.clone(),
        standard: None,
    };
    (config, data::encode(&dataset).unwrap())
}

/// Stops the run after `after` epochs (as Ctrl-C would).
struct StopAfter<'a> {
    after: usize,
    stop: &'a AtomicBool,
    records: Vec<EpochRecord>,
}

impl Observer for StopAfter<'_> {
    fn on_epoch(&mut self, record: &EpochRecord) {
        self.records.push(record.clone());
        if record.epoch == self.after {
            self.stop.store(true, Ordering::SeqCst);
        }
    }
}

#[test]
fn training_is_deterministic_and_writes_the_run_directory() {
    let (config, splits) = tiny_config(3);
    let never = AtomicBool::new(false);
    let mut bytes = Vec::new();
    for attempt in 0..2 {
        let dir = temp_dir(&format!("det{attempt}"));
        let run = session::create(&dir, &config, false).unwrap();
        let outcome = session::train_new(&run, &config, &splits, &mut Silent, &never).unwrap();
        assert!(!outcome.interrupted);
        assert_eq!(outcome.state.epochs_completed, 3);
        let metrics = std::fs::read_to_string(run.path(files::METRICS)).unwrap();
        assert_eq!(metrics.lines().count(), 3);
        for line in metrics.lines() {
            let record: EpochRecord = serde_json::from_str(line).unwrap();
            assert!(record.loss.is_finite() && (0.0..=1.0).contains(&record.val_acc));
        }
        bytes.push(std::fs::read(run.path(files::MODEL)).unwrap());
        // An existing run is never overwritten by accident.
        let error = session::create(&dir, &config, false).unwrap_err();
        assert!(matches!(error, TrainError::RunExists { .. }), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
    assert_eq!(bytes[0], bytes[1], "same seed, same model");
}

#[test]
fn resume_after_interruption_equals_the_uninterrupted_run() {
    let (config, splits) = tiny_config(4);
    let never = AtomicBool::new(false);
    let straight_dir = temp_dir("straight");
    let run = session::create(&straight_dir, &config, false).unwrap();
    session::train_new(&run, &config, &splits, &mut Silent, &never).unwrap();
    let straight = std::fs::read(run.path(files::CHECKPOINT)).unwrap();
    let straight_metrics = std::fs::read_to_string(run.path(files::METRICS)).unwrap();

    let dir = temp_dir("resumed");
    let run = session::create(&dir, &config, false).unwrap();
    let stop = AtomicBool::new(false);
    let mut observer = StopAfter {
        after: 2,
        stop: &stop,
        records: Vec::new(),
    };
    let outcome = session::train_new(&run, &config, &splits, &mut observer, &stop).unwrap();
    assert!(outcome.interrupted);
    assert_eq!(outcome.state.epochs_completed, 2);
    let opened = session::open(&dir).unwrap();
    let resumed = session::resume(&opened, &splits, &mut Silent, &never).unwrap();
    assert_eq!(resumed.state.epochs_completed, 4);
    assert_eq!(
        std::fs::read(run.path(files::CHECKPOINT)).unwrap(),
        straight
    );
    // Metrics agree line by line except for the wall-clock seconds.
    let strip = |text: &str| -> Vec<serde_json::Value> {
        text.lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["seconds"] = serde_json::Value::Null;
                v
            })
            .collect()
    };
    let resumed_metrics = std::fs::read_to_string(run.path(files::METRICS)).unwrap();
    assert_eq!(strip(&resumed_metrics), strip(&straight_metrics));
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&straight_dir).unwrap();
}

#[test]
fn a_diverging_loss_is_an_error_naming_the_step_and_keeps_the_checkpoint() {
    let (mut config, splits) = tiny_config(3);
    config.train.lr = 1e30;
    let dir = temp_dir("nan");
    let run = session::create(&dir, &config, false).unwrap();
    let never = AtomicBool::new(false);
    let error = session::train_new(&run, &config, &splits, &mut Silent, &never).unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, TrainError::NonFiniteLoss { .. }), "{text}");
    assert!(text.contains("epoch") && text.contains("step"), "{text}");
    // The checkpoint written before the failure is still readable and resumable.
    assert!(run.path(files::CHECKPOINT).is_file() && run.path(files::STATE).is_file());
    let state: serde_json::Value = run.read_json(files::STATE).unwrap();
    assert!(state["epochs_completed"].as_u64().is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}
