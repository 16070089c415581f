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
    let mut reader = Reader {
        task,
        dir: data_dir,
        options,
        encoding: options.encoding.unwrap_or(task.default_encoding()),
        files: Vec::new(),
        notes: Vec::new(),
    };
    let raw = match task {
        NlpTask::ConllNer => reader.conll()?,
        NlpTask::Trec => reader.trec()?,
        NlpTask::Mr => reader.mr()?,
        NlpTask::Subj => reader.subj()?,
        NlpTask::AgNews => reader.ag_news()?,
    };
    let (dataset, counts) = build_dataset(task.as_str(), &raw, options)?;
    Ok(NlpData {
        dataset,
        counts,
        files: reader.files,
        notes: reader.notes,
    })
}

/// Reads one task's files, remembering which and how the splits were made.
struct Reader<'a> {
    task: NlpTask,
    dir: &'a Path,
    options: &'a NlpOptions,
    encoding: Encoding,
    files: Vec<PathBuf>,
    notes: Vec<String>,
}

impl Reader<'_> {
    /// The path of the task's file `name` (`what` describes it in errors).
    fn locate(&mut self, name: &str, what: &str) -> Result<PathBuf, TaskError> {
        let path = locate(self.task, self.dir, name, what)?;
        self.files.push(path.clone());
        Ok(path)
    }

    /// CoNLL-2003: `train.txt`, `valid.txt`, `test.txt`.
    fn conll(&mut self) -> Result<RawSplits, TaskError> {
        let conll = ConllOptions {
            tag_column: self.options.tag_column,
            iob1: self.options.iob1,
            encoding: self.encoding,
        };
        let mut read = |name: &str, what: &str| -> Result<Vec<RawExample>, TaskError> {
            Ok(read_conll(&self.locate(name, what)?, &conll)?
                .into_iter()
                .map(|s| RawExample::Tagged {
                    words: s.words,
                    tags: s.tags,
                })
                .collect())
        };
        Ok(RawSplits {
            train: read("train.txt", "the training sentences")?,
            val: read("valid.txt", "the validation sentences")?,
            test: read("test.txt", "the test sentences")?,
        })
    }

    /// TREC: `train_5500.label` (validation held out from it) and `TREC_10.label`.
    fn trec(&mut self) -> Result<RawSplits, TaskError> {
        let train = self.locate("train_5500.label", "the training questions")?;
        let train = read_trec(&train, self.encoding)?;
        let test = self.locate("TREC_10.label", "the test questions")?;
        let test = read_trec(&test, self.encoding)?;
        Ok(self.hold_out_validation(train, test))
    }

    /// MR: `rt-polarity.pos` and `.neg`, cut per class as HuggingFace's rotten_tomatoes.
    fn mr(&mut self) -> Result<RawSplits, TaskError> {
        let pos = self.locate("rt-polarity.pos", "the positive reviews")?;
        let pos = read_sentences(&pos, "Positive", self.encoding)?;
        let neg = self.locate("rt-polarity.neg", "the negative reviews")?;
        let neg = read_sentences(&neg, "Negative", self.encoding)?;
        self.notes.push(
            "splits as HuggingFace rotten_tomatoes: per class the first 80 % train, the next \
             10 % validation, the rest test (positives first)"
                .to_owned(),
        );
        let (pos, neg) = (hf_thirds(pos), hf_thirds(neg));
        let [train, val, test] = [0, 1, 2].map(|i| [&pos[i][..], &neg[i][..]].concat());
        Ok(classified(train, val, test))
    }

    /// Subj: `subj.subjective` and `subj.objective`, with a stand-in seeded split.
    fn subj(&mut self) -> Result<RawSplits, TaskError> {
        let subjective = self.locate("subj.subjective", "the subjective sentences")?;
        let subjective = read_sentences(&subjective, "Subjective", self.encoding)?;
        let objective = self.locate("subj.objective", "the objective sentences")?;
        let objective = read_sentences(&objective, "Objective", self.encoding)?;
        let seed = self.options.split_seed;
        let (rest, test) = take_fraction([subjective, objective].concat(), 0.2, seed);
        self.notes.push(format!(
            "SetFit/subj's own 8,000/2,000 split is not available: a stand-in split holds out \
             20 % for test (RandomState({seed}).permutation), then 10 % of the rest for \
             validation"
        ));
        let (train, val) = hold_out(rest, seed);
        Ok(classified(train, val, test))
    }

    /// AG News: `train.csv` (validation held out from it) and `test.csv`.
    fn ag_news(&mut self) -> Result<RawSplits, TaskError> {
        let csv = CsvOptions {
            label_column: 0,
            text_columns: vec![1, 2],
            header: false,
            label_names: Some(
                ["World", "Sports", "Business", "Sci/Tech"]
                    .map(String::from)
                    .to_vec(),
            ),
            encoding: self.encoding,
        };
        let train = self.locate("train.csv", "the 120,000 training rows of ag_news_csv")?;
        let train = read_csv(&train, &csv)?;
        let test = self.locate("test.csv", "the 7,600 test rows")?;
        let test = read_csv(&test, &csv)?;
        Ok(self.hold_out_validation(train, test))
    }

    /// Classification splits with 10 % of `train` held out for validation (noted).
    fn hold_out_validation(
        &mut self,
        train: Vec<LabelledText>,
        test: Vec<LabelledText>,
    ) -> RawSplits {
        let seed = self.options.split_seed;
        self.notes.push(format!(
            "no validation file: 10 % of the {} training texts held out as sklearn's \
             train_test_split(test_size=0.1, random_state={seed})",
            train.len()
        ));
        let (train, val) = hold_out(train, seed);
        classified(train, val, test)
    }
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
