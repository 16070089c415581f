//! The paper's NLP tasks read from a data directory: CoNLL-2003 NER, TREC, MR, Subj and AG
//! News, each with its files, encoding, splits and class names as the reference's HuggingFace
//! loaders have them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::rng::RandomState;
use crate::split::shuffle_split;
use crate::text::conll::{ConllOptions, read_conll};
use crate::text::csv::{CsvOptions, read_csv};
use crate::text::encoding::Encoding;
use crate::text::labelled::{LabelledText, read_sentences, read_trec};
use crate::text::prepare::{NlpOptions, RawExample, RawSplits, SplitCounts, build_dataset};
use crate::text::tokenize::word_tokenize;
use crate::{Dataset, TaskError};

/// An NLP task of the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NlpTask {
    /// CoNLL-2003 English named entities (per-token IOB2 tags).
    ConllNer,
    /// TREC question classification, 6 coarse classes.
    Trec,
    /// Movie review polarity (rotten_tomatoes), 2 classes.
    Mr,
    /// Subjectivity, 2 classes.
    Subj,
    /// AG News topics, 4 classes.
    AgNews,
}

impl NlpTask {
    /// Every NLP task.
    pub const ALL: [NlpTask; 5] = [
        NlpTask::ConllNer,
        NlpTask::Trec,
        NlpTask::Mr,
        NlpTask::Subj,
        NlpTask::AgNews,
    ];

    /// The task's name (`conll_ner`, `trec`, `mr`, `subj`, `ag_news`).
    pub fn as_str(self) -> &'static str {
        match self {
            NlpTask::ConllNer => "conll_ner",
            NlpTask::Trec => "trec",
            NlpTask::Mr => "mr",
            NlpTask::Subj => "subj",
            NlpTask::AgNews => "ag_news",
        }
    }

    /// Whether every token is labelled (NER) rather than the sentence (classification).
    pub fn is_tagging(self) -> bool {
        self == NlpTask::ConllNer
    }

    /// The reference scripts' settings (`conll.sh`, `classification.sh`): lengths 1..32 with
    /// digits replaced for CoNLL, 1..64 for classification; 10,000 words; no lower-casing.
    pub fn default_options(self) -> NlpOptions {
        NlpOptions {
            min_length: 1,
            max_length: if self.is_tagging() { 32 } else { 64 },
            vocab_size: 10_000,
            replace_numbers: self.is_tagging(),
            do_lower: false,
            encoding: None,
            iob1: false,
            tag_column: None,
            split_seed: 0,
        }
    }

    /// The directory under the data directory where the task's files are looked for first.
    pub fn folder(self) -> &'static str {
        match self {
            NlpTask::ConllNer => "conll2003",
            NlpTask::Trec => "trec",
            NlpTask::Mr => "mr",
            NlpTask::Subj => "subj/senteval",
            NlpTask::AgNews => "ag_news",
        }
    }

    /// The encoding of the task's files when none is given.
    pub fn default_encoding(self) -> Encoding {
        match self {
            NlpTask::Mr => Encoding::Latin1,
            _ => Encoding::Utf8,
        }
    }
}

impl fmt::Display for NlpTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NlpTask {
    type Err = TaskError;

    fn from_str(name: &str) -> Result<Self, TaskError> {
        let name = if name == "rotten_tomatoes" {
            "mr"
        } else {
            name
        };
        Self::ALL
            .into_iter()
            .find(|task| task.as_str() == name)
            .ok_or_else(|| TaskError::UnknownTask {
                name: name.to_owned(),
                valid: Self::ALL.map(NlpTask::as_str).join(", "),
            })
    }
}

/// A loaded NLP data set: the dataset, what each split kept, and the files read.
#[derive(Debug, Clone)]
pub struct NlpData {
    /// The preprocessed dataset (train/val/test examples, vocabularies, `n_ctx`).
    pub dataset: Dataset,
    /// Sentences read and kept per split (train, val, test).
    pub counts: [SplitCounts; 3],
    /// The files read, in order.
    pub files: Vec<PathBuf>,
    /// How the splits were made, when not from the files alone.
    pub notes: Vec<String>,
}

/// Reads `task` from `data_dir` and preprocesses it with `options`.
pub fn load_nlp(
    task: NlpTask,
    data_dir: &Path,
    options: &NlpOptions,
) -> Result<NlpData, TaskError> {
    let problems = options.check();
    if !problems.is_empty() {
        return Err(TaskError::InvalidParams {
            task: task.as_str().to_owned(),
            problems,
        });
    }
    let encoding = options.encoding.unwrap_or(task.default_encoding());
    let mut files = Vec::new();
    let mut notes = Vec::new();
    let mut locate = |name: &str, what: &str| -> Result<PathBuf, TaskError> {
        let path = locate(task, data_dir, name, what)?;
        files.push(path.clone());
        Ok(path)
    };
    let raw = match task {
        NlpTask::ConllNer => {
            let conll = ConllOptions {
                tag_column: options.tag_column,
                iob1: options.iob1,
                encoding,
            };
            let mut read = |name: &str, what: &str| -> Result<Vec<RawExample>, TaskError> {
                Ok(read_conll(&locate(name, what)?, &conll)?
                    .into_iter()
                    .map(|s| RawExample::Tagged {
                        words: s.words,
                        tags: s.tags,
                    })
                    .collect())
            };
            RawSplits {
                train: read("train.txt", "the training sentences")?,
                val: read("valid.txt", "the validation sentences")?,
                test: read("test.txt", "the test sentences")?,
            }
        }
        NlpTask::Trec => {
            let train = read_trec(
                &locate("train_5500.label", "the training questions")?,
                encoding,
            )?;
            let test = read_trec(&locate("TREC_10.label", "the test questions")?, encoding)?;
            notes.push(validation_note(train.len(), options.split_seed));
            let (train, val) = hold_out(train, options.split_seed);
            classified(train, val, test)
        }
        NlpTask::Mr => {
            let pos = read_sentences(
                &locate("rt-polarity.pos", "the positive reviews")?,
                "Positive",
                encoding,
            )?;
            let neg = read_sentences(
                &locate("rt-polarity.neg", "the negative reviews")?,
                "Negative",
                encoding,
            )?;
            notes.push(
                "splits as HuggingFace rotten_tomatoes: per class the first 80 % train, the next \
                 10 % validation, the rest test (positives first)"
                    .to_owned(),
            );
            let (pos, neg) = (hf_thirds(pos), hf_thirds(neg));
            let [train, val, test] = [0, 1, 2].map(|i| [&pos[i][..], &neg[i][..]].concat());
            classified(train, val, test)
        }
        NlpTask::Subj => {
            let subjective = read_sentences(
                &locate("subj.subjective", "the subjective sentences")?,
                "Subjective",
                encoding,
            )?;
            let objective = read_sentences(
                &locate("subj.objective", "the objective sentences")?,
                "Objective",
                encoding,
            )?;
            let all = [subjective, objective].concat();
            let (rest, test) = take_fraction(all, 0.2, options.split_seed);
            notes.push(format!(
                "SetFit/subj's own 8,000/2,000 split is not available: a stand-in split holds \
                 out 20 % for test (RandomState({}).permutation), then 10 % of the rest for \
                 validation",
                options.split_seed
            ));
            let (train, val) = hold_out(rest, options.split_seed);
            classified(train, val, test)
        }
        NlpTask::AgNews => {
            let csv = CsvOptions {
                label_column: 0,
                text_columns: vec![1, 2],
                header: false,
                label_names: Some(
                    ["World", "Sports", "Business", "Sci/Tech"]
                        .map(String::from)
                        .to_vec(),
                ),
                encoding,
            };
            let train = read_csv(
                &locate("train.csv", "the 120,000 training rows of ag_news_csv")?,
                &csv,
            )?;
            let test = read_csv(&locate("test.csv", "the 7,600 test rows")?, &csv)?;
            notes.push(validation_note(train.len(), options.split_seed));
            let (train, val) = hold_out(train, options.split_seed);
            classified(train, val, test)
        }
    };
    let (dataset, counts) = build_dataset(task.as_str(), &raw, options)?;
    Ok(NlpData {
        dataset,
        counts,
        files,
        notes,
    })
}

/// `dir/<task folder>/name`, else `dir/name`; neither existing is an error naming both.
fn locate(task: NlpTask, dir: &Path, name: &str, what: &str) -> Result<PathBuf, TaskError> {
    let nested = dir.join(task.folder()).join(name);
    let flat = dir.join(name);
    [&nested, &flat]
        .into_iter()
        .find(|p| p.exists())
        .cloned()
        .ok_or_else(|| TaskError::MissingFile {
            task: task.as_str().to_owned(),
            file: nested.clone(),
            hint: format!("{what}; also looked for {}", flat.display()),
        })
}

/// The note saying how validation was taken from training.
fn validation_note(n: usize, seed: u32) -> String {
    format!(
        "no validation file: 10 % of the {n} training texts held out as sklearn's \
         train_test_split(test_size=0.1, random_state={seed})"
    )
}

/// `(train, val)`: sklearn's `train_test_split(items, test_size=0.1, random_state=seed)`.
fn hold_out<T: Clone>(items: Vec<T>, seed: u32) -> (Vec<T>, Vec<T>) {
    let (train, val) = shuffle_split(items.len(), seed);
    let pick = |indices: Vec<usize>| indices.into_iter().map(|i| items[i].clone()).collect();
    (pick(train), pick(val))
}

/// `(rest, held)`: the first `ceil(fraction · n)` of `RandomState(seed).permutation(n)` held
/// out, the rest in permutation order.
fn take_fraction<T: Clone>(items: Vec<T>, fraction: f64, seed: u32) -> (Vec<T>, Vec<T>) {
    let n = items.len();
    let n_held = ((fraction * n as f64).ceil() as usize).min(n);
    let permutation = RandomState::new(seed).permutation(n);
    let pick = |indices: &[usize]| indices.iter().map(|&i| items[i].clone()).collect();
    (pick(&permutation[n_held..]), pick(&permutation[..n_held]))
}

/// HuggingFace rotten_tomatoes' cut of one class: `[..int(0.8n+0.5)]`, then up to
/// `int(0.9n+0.5)`, then the rest.
fn hf_thirds(items: Vec<LabelledText>) -> [Vec<LabelledText>; 3] {
    let n = items.len() as f64;
    let first = ((n * 0.8 + 0.5) as usize).min(items.len());
    let second = ((n * 0.9 + 0.5) as usize).min(items.len());
    [
        items[..first].to_vec(),
        items[first..second].to_vec(),
        items[second..].to_vec(),
    ]
}

/// Tokenizes labelled texts into raw classification splits.
fn classified(
    train: Vec<LabelledText>,
    val: Vec<LabelledText>,
    test: Vec<LabelledText>,
) -> RawSplits {
    let convert = |texts: Vec<LabelledText>| {
        texts
            .into_iter()
            .map(|t| RawExample::Classified {
                words: word_tokenize(&t.text),
                label: t.label,
            })
            .collect()
    };
    RawSplits {
        train: convert(train),
        val: convert(val),
        test: convert(test),
    }
}
