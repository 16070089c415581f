//! Rebuilding a run's data from its configuration, and checking that data fits a model.

use tprog_tasks::jsonl::{LengthPolicy, LoadOptions, load_dataset};
use tprog_tasks::text::load_nlp;
use tprog_tasks::{Dataset, Split, Task, TaskName, TaskParams};

use crate::TrainError;
use crate::config::{DataShape, TaskSource};
use crate::trainer::Splits;

/// Generates or loads the dataset described by `source`.
pub fn load(source: &TaskSource) -> Result<Dataset, TrainError> {
    match source {
        TaskSource::Generated { task, params } => generate(*task, *params),
        TaskSource::File {
            path,
            seed,
            causal,
            max_length,
            drop_long,
            n_ctx,
            all_labels,
        } => {
            let seed = u32::try_from(*seed).map_err(|_| TrainError::InvalidConfig {
                problems: vec![format!("split seed {seed} does not fit 32 bits")],
            })?;
            Ok(load_dataset(
                path,
                LoadOptions {
                    seed,
                    causal: *causal,
                    unk: false,
                    max_len: *max_length,
                    too_long: if *drop_long {
                        LengthPolicy::Drop
                    } else {
                        LengthPolicy::Error
                    },
                    n_ctx: *n_ctx,
                    all_labels: *all_labels,
                },
            )?)
        }
        TaskSource::Nlp {
            task,
            data_dir,
            options,
        } => Ok(load_nlp(*task, data_dir, options)?.dataset),
    }
}

/// Generates a built-in task's dataset.
pub fn generate(task: TaskName, params: TaskParams) -> Result<Dataset, TrainError> {
    Ok(Task::new(task, params)?.generate()?)
}

/// The vocabularies and context length of `dataset`.
pub fn shape_of(dataset: &Dataset) -> DataShape {
    DataShape {
        input_vocab: dataset.input_vocab.tokens().to_vec(),
        output_vocab: dataset.output_vocab.tokens().to_vec(),
        n_ctx: dataset.n_ctx,
        causal: dataset.causal,
    }
}

/// Encodes the three splits.
pub fn encode(dataset: &Dataset) -> Result<Splits, TrainError> {
    Ok(Splits {
        train: dataset.encode(Split::Train)?,
        val: dataset.encode(Split::Val)?,
        test: dataset.encode(Split::Test)?,
    })
}

/// Checks that regenerated data still has the shape a saved model was trained on.
pub fn check_shape(expected: &DataShape, found: &DataShape) -> Result<(), TrainError> {
    let mut problems = Vec::new();
    if expected.input_vocab != found.input_vocab {
        problems.push(format!(
            "input vocabulary changed: run has {:?}, data has {:?}",
            expected.input_vocab, found.input_vocab
        ));
    }
    if expected.output_vocab != found.output_vocab {
        problems.push(format!(
            "output vocabulary changed: run has {:?}, data has {:?}",
            expected.output_vocab, found.output_vocab
        ));
    }
    if expected.n_ctx != found.n_ctx {
        problems.push(format!(
            "n_ctx changed: run has {}, data has {}",
            expected.n_ctx, found.n_ctx
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(TrainError::InvalidConfig { problems })
    }
}
