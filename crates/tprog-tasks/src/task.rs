//! The task registry: [`TaskName`] (every built-in task, parsed from its name) and [`Task`] (a
//! task with validated parameters: labelling, support enumeration, raw draws).

use std::fmt;
use std::str::FromStr;

use crate::params::TaskParams;
use crate::rng::RandomState;
use crate::support::{SUPPORT_LIMIT, Support};
use crate::tasks::{double_hist, dyck, hist, induction, most_freq, reverse, sort};
use crate::{Example, TaskError};

/// The built-in synthetic tasks of the paper (§4, RASP tasks and in-context learning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskName {
    /// Reverse the input ([`crate::tasks::reverse`]).
    Reverse,
    /// Sort the input ([`crate::tasks::sort`]).
    Sort,
    /// Count each token's occurrences ([`crate::tasks::hist`]).
    Hist,
    /// Count the tokens sharing each token's count ([`crate::tasks::double_hist`]).
    DoubleHist,
    /// Distinct tokens by decreasing frequency ([`crate::tasks::most_freq`]).
    MostFreq,
    /// One bracket type, prefix classes ([`crate::tasks::dyck`]).
    Dyck1,
    /// Two bracket types, prefix classes ([`crate::tasks::dyck`]).
    Dyck2,
    /// In-context associative recall ([`crate::tasks::induction`]).
    Induction,
}

impl TaskName {
    /// Every built-in task, in the order `tprog tasks` lists them.
    pub const ALL: [TaskName; 8] = [
        TaskName::Reverse,
        TaskName::Sort,
        TaskName::Hist,
        TaskName::DoubleHist,
        TaskName::MostFreq,
        TaskName::Dyck1,
        TaskName::Dyck2,
        TaskName::Induction,
    ];

    /// The reference's name of the task (`double_hist`, `dyck1`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            TaskName::Reverse => "reverse",
            TaskName::Sort => "sort",
            TaskName::Hist => "hist",
            TaskName::DoubleHist => "double_hist",
            TaskName::MostFreq => "most_freq",
            TaskName::Dyck1 => "dyck1",
            TaskName::Dyck2 => "dyck2",
            TaskName::Induction => "induction",
        }
    }

    /// One line saying what the task computes.
    pub fn description(self) -> &'static str {
        match self {
            TaskName::Reverse => "reverse the tokens between <s> and </s>",
            TaskName::Sort => "sort the tokens between <s> and </s>",
            TaskName::Hist => "count the occurrences of each token",
            TaskName::DoubleHist => "count the distinct tokens with the same count as each token",
            TaskName::MostFreq => "distinct tokens by decreasing count (ties: first seen)",
            TaskName::Dyck1 => "is each prefix of () balanced (T), open (P) or invalid (F)",
            TaskName::Dyck2 => "is each prefix of (){} balanced (T), open (P) or invalid (F)",
            TaskName::Induction => "recall the digit that followed an earlier letter",
        }
    }

    /// The paper's settings (the reference's scripts): vocab 8, lengths 1–8, 20,000
    /// examples asked, unique, seed 0; Dyck length 16; induction vocab 10, length 9, seed 6.
    pub fn default_params(self) -> TaskParams {
        let rasp = TaskParams {
            vocab_size: 8,
            min_length: 1,
            max_length: 8,
            dataset_size: 20_000,
            seed: 0,
            unique: true,
        };
        match self {
            TaskName::Reverse
            | TaskName::Sort
            | TaskName::Hist
            | TaskName::DoubleHist
            | TaskName::MostFreq => rasp,
            TaskName::Dyck1 | TaskName::Dyck2 => TaskParams {
                vocab_size: if self == TaskName::Dyck1 { 1 } else { 2 },
                min_length: 16,
                max_length: 16,
                ..rasp
            },
            TaskName::Induction => TaskParams {
                vocab_size: 10,
                min_length: 9,
                max_length: 9,
                seed: 6,
                ..rasp
            },
        }
    }

    /// Whether the task is autoregressive (trained with a causal attention mask).
    pub fn causal(self) -> bool {
        matches!(
            self,
            TaskName::Dyck1 | TaskName::Dyck2 | TaskName::Induction
        )
    }

    /// The valid names, comma separated (for error messages and help).
    pub fn valid_names() -> String {
        Self::ALL.map(TaskName::as_str).join(", ")
    }
}

impl fmt::Display for TaskName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TaskName {
    type Err = TaskError;

    fn from_str(name: &str) -> Result<Self, TaskError> {
        Self::ALL
            .into_iter()
            .find(|task| task.as_str() == name)
            .ok_or_else(|| TaskError::UnknownTask {
                name: name.to_string(),
                valid: Self::valid_names(),
            })
    }
}

/// A task with validated parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Task {
    name: TaskName,
    params: TaskParams,
}

impl Task {
    /// Validates `params` for `name`, reporting every problem at once.
    pub fn new(name: TaskName, params: TaskParams) -> Result<Self, TaskError> {
        let mut problems = Vec::new();
        params.common_problems(&mut problems);
        match name {
            TaskName::Reverse | TaskName::Sort => reverse::check(&params, &mut problems),
            TaskName::Hist | TaskName::DoubleHist | TaskName::MostFreq => {
                hist::check(&params, &mut problems)
            }
            TaskName::Dyck1 => dyck::check(1, &params, &mut problems),
            TaskName::Dyck2 => dyck::check(2, &params, &mut problems),
            TaskName::Induction => induction::check(&params, &mut problems),
        }
        if problems.is_empty() {
            Ok(Self { name, params })
        } else {
            Err(TaskError::InvalidParams {
                task: name.as_str().to_string(),
                problems,
            })
        }
    }

    /// The task with the paper's settings ([`TaskName::default_params`]).
    pub fn with_defaults(name: TaskName) -> Self {
        Self {
            name,
            params: name.default_params(),
        }
    }

    /// The task's name.
    pub fn name(&self) -> TaskName {
        self.name
    }

    /// The task's parameters.
    pub fn params(&self) -> &TaskParams {
        &self.params
    }

    /// Whether the task is autoregressive (causal attention mask).
    pub fn causal(&self) -> bool {
        self.name.causal()
    }

    /// The labels of any input sequence over the task's tokens (`<pad>` where unscored).
    pub fn label(&self, tokens: &[String]) -> Result<Vec<String>, TaskError> {
        let p = &self.params;
        let labels = match self.name {
            TaskName::Reverse => reverse::label(p, tokens),
            TaskName::Sort => sort::label(p, tokens),
            TaskName::Hist => hist::label(p, tokens),
            TaskName::DoubleHist => double_hist::label(p, tokens),
            TaskName::MostFreq => most_freq::label(p, tokens),
            TaskName::Dyck1 => dyck::label(1, tokens),
            TaskName::Dyck2 => dyck::label(2, tokens),
            TaskName::Induction => induction::label(p, tokens),
        };
        labels.map_err(|reason| TaskError::BadSequence {
            task: self.name.to_string(),
            reason,
        })
    }

    /// The number of distinct inputs the generator can produce (saturating).
    pub fn support_size(&self) -> u128 {
        self.full_support().size()
    }

    /// Every input the generator can produce, or `None` when there are more than
    /// [`SUPPORT_LIMIT`] of them (e.g. dyck2 at length 16).
    pub fn support(&self) -> Option<Support> {
        let support = self.full_support();
        (support.size() <= SUPPORT_LIMIT).then_some(support)
    }

    fn full_support(&self) -> Support {
        let p = &self.params;
        match self.name {
            TaskName::Reverse | TaskName::Sort => reverse::support(p),
            TaskName::Hist | TaskName::DoubleHist | TaskName::MostFreq => hist::support(p),
            TaskName::Dyck1 => dyck::support(1, p),
            TaskName::Dyck2 => dyck::support(2, p),
            TaskName::Induction => induction::support(p),
        }
    }

    /// One input drawn exactly as the reference's generator draws it from `rng`.
    pub(crate) fn sample(&self, rng: &mut RandomState) -> Vec<String> {
        let p = &self.params;
        match self.name {
            TaskName::Reverse | TaskName::Sort => reverse::sample(p, rng),
            TaskName::Hist | TaskName::DoubleHist | TaskName::MostFreq => hist::sample(p, rng),
            TaskName::Dyck1 => dyck::sample(1, p, rng),
            TaskName::Dyck2 => dyck::sample(2, p, rng),
            TaskName::Induction => induction::sample(p, rng),
        }
    }

    /// Labels an input the generator produced (always labellable).
    pub(crate) fn example(&self, tokens: Vec<String>) -> Result<Example, TaskError> {
        let labels = self.label(&tokens)?;
        Ok(Example { tokens, labels })
    }
}
