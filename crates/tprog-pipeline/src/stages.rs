//! The stages of the pipeline, each a function with typed input and output, in the order the
//! README's "How it works" lists them. [`crate::learn`] and [`crate::finish`] call them.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use tprog_decompile::{Examples, Vocabularies};
use tprog_model::Model;
use tprog_program::graph::{Circuit, to_svg};
use tprog_program::{Program, TextInput, to_python};
use tprog_train::checkpoint::LoopState;
use tprog_train::rundir::files;
use tprog_train::session::{self, OpenRun, RunData};
use tprog_train::{
    Accuracy, Observer, Outcome, RunConfig, RunDir, Splits, TaskSource, Trainable, trainer,
};

use crate::PipelineError;
use crate::summary::{SplitAgreement, require_exact};

/// Stage 1, *Task*: the dataset a run's configuration describes, generated (built-in tasks, exactly
/// from their parameters) or loaded (data files), checked against the vocabularies the model
/// was built for.
pub fn task(config: &RunConfig) -> Result<RunData, PipelineError> {
    Ok(session::load_data(config)?)
}

/// Stage 2, *Relaxed model*: trains a new run's model from its initialisation with Gumbel-softmax
/// choices while τ anneals, keeping the best epoch by discrete validation accuracy and a
/// checkpoint after every epoch.
pub fn train_relaxed(
    run: &RunDir,
    config: &RunConfig,
    data: &RunData,
    observer: &mut dyn Observer,
    stop: &AtomicBool,
) -> Result<Outcome, PipelineError> {
    Ok(session::train_new(
        run,
        config,
        &data.splits,
        observer,
        stop,
    )?)
}

/// Stage 2', *Relaxed model*, continued: the same loop from an interrupted run's last checkpoint (a
/// finished run goes straight on to the next stages).
pub fn continue_relaxed(
    run: &OpenRun,
    data: &RunData,
    observer: &mut dyn Observer,
    stop: &AtomicBool,
) -> Result<Outcome, PipelineError> {
    Ok(session::resume(run, &data.splits, observer, stop)?)
}

/// The discrete model and what training did (for a Transformer Program by default; the
/// standard Transformer baseline's evaluated model is a `Discrete<StandardTransformer>`).
#[derive(Debug)]
pub struct Discrete<M = Model> {
    /// Every choice taken by argmax: the model we report.
    pub model: M,
    /// Its token and sequence accuracy on train, val and test.
    pub accuracy: [Accuracy; 3],
    /// The training loop's state (epochs, best epoch, seconds).
    pub state: LoopState,
    /// Training was interrupted before its last epoch.
    pub interrupted: bool,
    /// The patience rule stopped training.
    pub stopped_early: bool,
    /// When it was evaluated: the program stages' time is measured from here.
    pub evaluated_at: Instant,
}

/// Stage 3, *Discrete model*: the best epoch's parameters with every choice replaced by its argmax,
/// evaluated on every split. A run interrupted before its first epoch has nothing to report.
pub fn discrete<M: Trainable>(
    run: &RunDir,
    trained: Outcome<M>,
    data: &RunData,
) -> Result<Discrete<M>, PipelineError> {
    if trained.state.epochs_completed == 0 {
        return Err(PipelineError::NothingTrained {
            dir: run.root().to_path_buf(),
        });
    }
    let mut model = trained.model;
    let accuracy =
        trainer::final_accuracy(&mut model, &data.splits, data.dataset.output_vocab.tokens())?;
    Ok(Discrete {
        model,
        accuracy,
        state: trained.state,
        interrupted: trained.interrupted,
        stopped_early: trained.stopped_early,
        evaluated_at: Instant::now(),
    })
}

/// The vocabularies and name of a run, for the decompiler.
pub fn vocabularies(config: &RunConfig) -> Vocabularies {
    Vocabularies {
        input: config.shape.input_vocab.clone(),
        output: config.shape.output_vocab.clone(),
        name: config.name.clone(),
        text: text_input(&config.data),
    }
}

/// For a text task, how the data were prepared from words (`<s> words </s>`, unknown words
/// as `<unk>`, digit runs and lower-casing as set), so that the program reads sentences.
fn text_input(data: &TaskSource) -> Option<TextInput> {
    match data {
        TaskSource::Nlp { options, .. } => Some(TextInput {
            bos: Some(tprog_tasks::BOS.to_string()),
            eos: Some(tprog_tasks::EOS.to_string()),
            unknown: tprog_tasks::UNK.to_string(),
            replace_numbers: options.replace_numbers,
            lower: options.do_lower,
        }),
        _ => None,
    }
}

/// Stage 4, *Decompile*: discrete model → program (named variables, `select` with predicate tables,
/// `aggregate`, numerical sums, MLP lookup tables, classifier weights).
pub fn decompile(model: &Model, config: &RunConfig) -> Result<Program, PipelineError> {
    Ok(tprog_decompile::decompile(model, &vocabularies(config))?)
}

/// A program checked against the discrete model.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The program.
    pub program: Program,
    /// Program against model, per split.
    pub splits: Vec<SplitAgreement>,
}

/// Program against model on named splits.
pub fn agreement(
    model: &mut Model,
    program: &Program,
    splits: &[(&str, &tprog_tasks::EncodedSplit)],
) -> Result<Vec<SplitAgreement>, PipelineError> {
    splits
        .iter()
        .map(|(name, split)| {
            let agreement = tprog_decompile::verify(model, program, &Examples::from_split(split))?;
            Ok(SplitAgreement::new(*name, &agreement))
        })
        .collect()
}

/// The three splits, named.
pub fn named(splits: &Splits) -> [(&'static str, &tprog_tasks::EncodedSplit); 3] {
    [
        ("train", &splits.train),
        ("val", &splits.val),
        ("test", &splits.test),
    ]
}

/// Stage 5, *Verify*: the program's output equals the discrete model's at every real position of
/// every split; anything else is a faithfulness failure.
pub fn verify(
    model: &mut Model,
    program: Program,
    splits: &Splits,
) -> Result<Verified, PipelineError> {
    let rows = agreement(model, &program, &named(splits))?;
    require_exact(&rows)?;
    Ok(Verified {
        program,
        splits: rows,
    })
}

/// A verified program written into the run directory.
#[derive(Debug, Clone)]
pub struct Emitted {
    /// The program and its agreement with the model.
    pub verified: Verified,
    /// Lines of `program.py`.
    pub python_lines: usize,
}

/// Stage 6, *Emit*: `program.json` (the IR) and `program.py` (self-contained Python), atomically.
pub fn emit(run: &RunDir, verified: Verified) -> Result<Emitted, PipelineError> {
    let python = to_python(&verified.program);
    run.write_atomic(
        files::PROGRAM_JSON,
        (verified.program.to_json() + "\n").as_bytes(),
    )?;
    run.write_atomic(files::PROGRAM_PY, python.as_bytes())?;
    let picture = to_svg(&Circuit::of(&verified.program));
    run.write_atomic(files::PROGRAM_SVG, picture.as_bytes())?;
    Ok(Emitted {
        verified,
        python_lines: python.lines().count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tprog_tasks::text::{NlpOptions, NlpTask};

    /// A program's word normalisation (tprog-program, which reads no task crate) must be the
    /// data preparation's (tprog-tasks), or a sentence would be read differently from training.
    #[test]
    fn program_text_rules_normalise_words_as_the_data_were_prepared() {
        let words = [
            "EU",
            "1995",
            "19.5",
            "3rd",
            "Ünïcödé",
            "٣٤",
            "ΣΟΦΙΑ",
            "İstanbul",
            "don't",
            "a1b22c333",
        ];
        for (replace_numbers, do_lower) in
            [(false, false), (true, false), (false, true), (true, true)]
        {
            let options = NlpOptions {
                replace_numbers,
                do_lower,
                ..NlpTask::ConllNer.default_options()
            };
            let data = TaskSource::Nlp {
                task: NlpTask::ConllNer,
                data_dir: std::path::PathBuf::from("data"),
                options,
            };
            let text = text_input(&data).expect("an NLP source has text rules");
            for word in words {
                assert_eq!(
                    text.normalise(word),
                    options.transform(word),
                    "{word:?} with replace_numbers {replace_numbers}, lower {do_lower}"
                );
            }
        }
    }
}
