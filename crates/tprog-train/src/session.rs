//! Starting, resuming and reopening runs: the glue between a run directory, its `config.json`,
//! its data and its model, so that every command (train, eval, verify, export) opens a run the
//! same way.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use tprog_baseline::standard::StandardTransformer;
use tprog_model::Model;
use tprog_tasks::jsonl::read_for_model;
use tprog_tasks::{Dataset, EncodedSplit, Vocab, encode_examples};

use crate::TrainError;
use crate::checkpoint;
use crate::config::RunConfig;
use crate::data;
use crate::rundir::{RunDir, files};
use crate::trainer::{self, Observer, Outcome, Splits};

/// A run opened from disk: its directory and configuration. Its data is rebuilt only by the
/// commands that need it ([`load_data`]).
#[derive(Debug, Clone)]
pub struct OpenRun {
    /// The directory.
    pub dir: RunDir,
    /// Its `config.json`.
    pub config: RunConfig,
}

/// A run's data: the dataset and its encoded splits.
#[derive(Debug, Clone)]
pub struct RunData {
    /// The data, generated (or loaded) from the configuration.
    pub dataset: Dataset,
    /// The encoded splits.
    pub splits: Splits,
}

/// Creates the run directory for a new run and writes `config.json` before anything else.
/// A directory holding any file a run writes (a run, or a user's own `report.md`) is never
/// written into unless `overwrite` is set; other files in it are never touched.
pub fn create(dir: &Path, config: &RunConfig, overwrite: bool) -> Result<RunDir, TrainError> {
    if dir.join(files::CONFIG).exists() && !overwrite {
        return Err(TrainError::RunExists {
            path: dir.to_path_buf(),
        });
    }
    let existing: Vec<String> = files::ALL
        .iter()
        .filter(|name| dir.join(name).exists())
        .map(|name| (*name).to_owned())
        .collect();
    if !existing.is_empty() && !overwrite {
        return Err(TrainError::WouldOverwrite {
            dir: dir.to_path_buf(),
            files: existing,
        });
    }
    if dir.exists() && !dir.is_dir() {
        return Err(TrainError::InvalidConfig {
            problems: vec![format!("{} is a file, not a directory", dir.display())],
        });
    }
    config.validate_model()?;
    config.train.validate()?;
    let run = RunDir::create(dir)?;
    for stale in files::ALL {
        let _ = std::fs::remove_file(run.path(stale));
    }
    run.write_json(files::CONFIG, config)?;
    Ok(run)
}

/// Opens an existing run: its directory and validated configuration.
pub fn open(dir: &Path) -> Result<OpenRun, TrainError> {
    let run = RunDir::open(dir)?;
    let config: RunConfig = run.read_json(files::CONFIG)?;
    config.model.validate()?;
    Ok(OpenRun { dir: run, config })
}

/// Generates (or reloads) a run's data from its configuration and checks that it still has the
/// shape the model was built for.
pub fn load_data(config: &RunConfig) -> Result<RunData, TrainError> {
    let dataset = data::load(&config.data)?;
    data::check_shape(&config.shape, &data::shape_of(&dataset))?;
    let splits = data::encode(&dataset)?;
    Ok(RunData { dataset, splits })
}

/// Reads a JSONL file against the run's vocabularies and encodes it like the run's splits;
/// an unknown token is an error naming the file, line and token.
pub fn encode_file(run: &OpenRun, path: &Path) -> Result<EncodedSplit, TrainError> {
    let input = Vocab::new(run.config.shape.input_vocab.clone())?;
    let output = Vocab::new(run.config.shape.output_vocab.clone())?;
    let examples = read_for_model(path, &input, &output, run.config.shape.n_ctx)?;
    Ok(encode_examples(
        &examples,
        &path.display().to_string(),
        &input,
        &output,
        run.config.shape.n_ctx,
    )?)
}

/// The run's reported model (`model.safetensors`, the best epoch by validation).
pub fn load_model(run: &OpenRun) -> Result<Model, TrainError> {
    let path = run.dir.path(files::MODEL);
    if !path.is_file() {
        return Err(TrainError::NoModel { path });
    }
    let mut model = run.config.model.init(run.config.train.seed)?;
    model.load_safetensors(&path)?;
    Ok(model)
}

/// Trains a freshly created run from a new model.
pub fn train_new(
    run: &RunDir,
    config: &RunConfig,
    splits: &Splits,
    observer: &mut dyn Observer,
    stop: &AtomicBool,
) -> Result<Outcome, TrainError> {
    let mut model = config.model.init(config.train.seed)?;
    if let Some(path) = &config.train.glove {
        crate::glove::initialise(
            &mut model,
            path,
            &config.shape.input_vocab,
            config.train.seed,
        )?;
    }
    trainer::train(run, config, splits, model, None, observer, stop)
}

/// Continues an interrupted run from its last checkpoint.
pub fn resume(
    run: &OpenRun,
    splits: &Splits,
    observer: &mut dyn Observer,
    stop: &AtomicBool,
) -> Result<Outcome, TrainError> {
    let mut model = run.config.model.init(run.config.train.seed)?;
    let state = checkpoint::resume_point(&run.dir, model.params_mut())?;
    trainer::train(
        &run.dir,
        &run.config,
        splits,
        model,
        Some(state),
        observer,
        stop,
    )
}

/// The standard Transformer a standard-Transformer run trains, freshly initialised from the
/// run's seed; an error for a Transformer Program run.
pub fn init_standard(config: &RunConfig) -> Result<StandardTransformer, TrainError> {
    let standard = config
        .standard_config()
        .ok_or_else(|| TrainError::InvalidConfig {
            problems: vec![format!(
                "run {} trains a Transformer Program, not the standard Transformer",
                config.name
            )],
        })?;
    Ok(standard.init(config.train.seed)?)
}

/// Trains a freshly created standard-Transformer run from a new model.
pub fn train_new_standard(
    run: &RunDir,
    config: &RunConfig,
    splits: &Splits,
    observer: &mut dyn Observer,
    stop: &AtomicBool,
) -> Result<Outcome<StandardTransformer>, TrainError> {
    let mut model = init_standard(config)?;
    if let Some(path) = &config.train.glove {
        crate::glove::initialise_standard(
            &mut model,
            path,
            &config.shape.input_vocab,
            config.train.seed,
        )?;
    }
    trainer::train(run, config, splits, model, None, observer, stop)
}

/// Continues an interrupted standard-Transformer run from its last checkpoint.
pub fn resume_standard(
    run: &OpenRun,
    splits: &Splits,
    observer: &mut dyn Observer,
    stop: &AtomicBool,
) -> Result<Outcome<StandardTransformer>, TrainError> {
    let mut model = init_standard(&run.config)?;
    let state = checkpoint::resume_point(&run.dir, model.params_mut())?;
    trainer::train(
        &run.dir,
        &run.config,
        splits,
        model,
        Some(state),
        observer,
        stop,
    )
}

/// A standard-Transformer run's reported model (`model.safetensors`, the best epoch).
pub fn load_standard_model(run: &OpenRun) -> Result<StandardTransformer, TrainError> {
    let path = run.dir.path(files::MODEL);
    if !path.is_file() {
        return Err(TrainError::NoModel { path });
    }
    let mut model = init_standard(&run.config)?;
    model.load_safetensors(&path)?;
    Ok(model)
}
