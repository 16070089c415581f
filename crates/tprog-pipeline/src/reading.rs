//! Reading a run's program: the labelled inputs to check or explain it on (the task's whole
//! input space when it is enumerable, otherwise the run's examples), simplifying it into
//! `program.simplified.json` / `.py`, and loading either program.

use tprog_program::simplify::{Evidence, Simplified, simplify};
use tprog_program::{Interpreter, Program, to_python};
use tprog_tasks::{Split, Task};
use tprog_train::TaskSource;
use tprog_train::session::OpenRun;

use crate::{PipelineError, saved, stages};

/// The simplified program's JSON file in a run directory.
pub const SIMPLIFIED_JSON: &str = "program.simplified.json";
/// The simplified program's Python file in a run directory.
pub const SIMPLIFIED_PY: &str = "program.simplified.py";

/// Which inputs to read a program on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputSet {
    /// Every input of the task's support when it is enumerable, otherwise every example of
    /// every split.
    Everything,
    /// Every input of the task's support (an error when it is not enumerable).
    Exhaustive,
    /// The examples of one split.
    Split(Split),
}

/// Labelled inputs and what they are.
#[derive(Debug, Clone)]
pub struct LabelledInputs {
    /// What the inputs are, in one line.
    pub description: String,
    /// Input tokens.
    pub tokens: Vec<Vec<String>>,
    /// The task's label at every position.
    pub labels: Vec<Vec<String>>,
}

/// The labelled inputs of `set` for the run.
pub fn inputs(run: &OpenRun, set: InputSet) -> Result<LabelledInputs, PipelineError> {
    let task = match &run.config.data {
        TaskSource::Generated { task, params } => Some(Task::new(*task, *params)?),
        TaskSource::File { .. } | TaskSource::Nlp { .. } => None,
    };
    if set != InputSet::Exhaustive
        && let InputSet::Split(split) = set
    {
        return examples(run, &[split]);
    }
    let support = task.as_ref().and_then(Task::support);
    match (task.as_ref(), support) {
        (Some(task), Some(support)) => {
            let tokens: Vec<Vec<String>> = support.collect();
            let labels = tokens
                .iter()
                .map(|t| task.label(t))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(LabelledInputs {
                description: format!(
                    "exhaustive: every one of the {} inputs of the {} task's support",
                    tokens.len(),
                    task.name().as_str()
                ),
                tokens,
                labels,
            })
        }
        _ if set == InputSet::Exhaustive => Err(PipelineError::Invalid(vec![match task {
            Some(task) => format!(
                "the {} task's support has {} inputs, too many to enumerate; use --split",
                task.name().as_str(),
                task.support_size()
            ),
            None => "this run trained on a file: it has no enumerable input space; use --split"
                .to_string(),
        }])),
        _ => examples(run, &Split::ALL),
    }
}

/// Every example of `splits`.
fn examples(run: &OpenRun, splits: &[Split]) -> Result<LabelledInputs, PipelineError> {
    let data = stages::task(&run.config)?;
    let mut tokens = Vec::new();
    let mut labels = Vec::new();
    // As the model reads them: a word outside the vocabulary is `<unk>` (NLP data), the same
    // encoding the encoded splits use.
    let (inputs, outputs) = (&data.dataset.input_vocab, &data.dataset.output_vocab);
    let as_read =
        |vocab: &tprog_tasks::Vocab, words: &[String]| -> Result<Vec<String>, PipelineError> {
            let indices = vocab.encode(words)?;
            Ok(vocab.decode(&indices)?)
        };
    for &split in splits {
        for example in data.dataset.split(split) {
            tokens.push(as_read(inputs, &example.tokens)?);
            labels.push(as_read(outputs, &example.labels)?);
        }
    }
    let names: Vec<&str> = splits.iter().map(|s| s.as_str()).collect();
    Ok(LabelledInputs {
        description: format!(
            "examples: every example of the {} split{} ({} sequences; the input space is not \
             enumerated)",
            names.join(", "),
            if names.len() == 1 { "" } else { "s" },
            tokens.len()
        ),
        tokens,
        labels,
    })
}

/// Simplifies the run's saved program on [`InputSet::Everything`] and writes
/// [`SIMPLIFIED_JSON`] and [`SIMPLIFIED_PY`] beside the original (which is kept).
pub fn simplify_run(run: &OpenRun) -> Result<Simplified, PipelineError> {
    let program = saved::program(run)?;
    let labelled = inputs(run, InputSet::Everything)?;
    let interpreter = Interpreter::new(&program)?;
    let encoded = labelled
        .tokens
        .iter()
        .map(|tokens| interpreter.encode(tokens))
        .collect::<Result<Vec<_>, _>>()?;
    let evidence = Evidence {
        description: labelled.description,
        inputs: encoded,
    };
    let simplified = simplify(&program, &evidence)?;
    run.dir.write_atomic(
        SIMPLIFIED_JSON,
        (simplified.program.to_json() + "\n").as_bytes(),
    )?;
    run.dir
        .write_atomic(SIMPLIFIED_PY, to_python(&simplified.program).as_bytes())?;
    Ok(simplified)
}

/// The run's saved program, or its simplified one (`simplified`), which `tprog simplify` must
/// have written.
pub fn load(run: &OpenRun, simplified: bool) -> Result<Program, PipelineError> {
    if !simplified {
        return saved::program(run);
    }
    let path = run.dir.path(SIMPLIFIED_JSON);
    if !path.is_file() {
        return Err(PipelineError::Invalid(vec![format!(
            "{} does not exist: run `tprog simplify {}` first",
            path.display(),
            run.dir.root().display()
        )]));
    }
    Ok(Program::from_json_file(&path)?)
}
