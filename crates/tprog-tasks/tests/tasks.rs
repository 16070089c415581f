//! The task API: registry, validation, support enumeration, generation and encoding.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use tprog_tasks::{Split, Task, TaskError, TaskName, TaskParams};

#[test]
fn names_round_trip_and_unknown_names_list_the_valid_ones() {
    for name in TaskName::ALL {
        assert_eq!(name.as_str().parse::<TaskName>().unwrap(), name);
    }
    let error = "sorting".parse::<TaskName>().unwrap_err().to_string();
    assert!(
        error.contains("sorting") && error.contains("double_hist, most_freq"),
        "{error}"
    );
}

#[test]
fn defaults_are_the_paper_settings() {
    let sort = TaskName::Sort.default_params();
    assert_eq!(
        (sort.vocab_size, sort.min_length, sort.max_length),
        (8, 1, 8)
    );
    assert_eq!(
        (sort.dataset_size, sort.seed, sort.unique),
        (20_000, 0, true)
    );
    let dyck = TaskName::Dyck2.default_params();
    assert_eq!(
        (dyck.vocab_size, dyck.min_length, dyck.max_length),
        (2, 16, 16)
    );
    let induction = TaskName::Induction.default_params();
    assert_eq!(
        (induction.vocab_size, induction.max_length, induction.seed),
        (10, 9, 6)
    );
    let causal: Vec<bool> = TaskName::ALL.iter().map(|t| t.causal()).collect();
    assert_eq!(
        causal,
        [false, false, false, false, false, true, true, true]
    );
    for name in TaskName::ALL {
        assert_eq!(
            Task::new(name, name.default_params()).unwrap(),
            Task::with_defaults(name)
        );
    }
}

#[test]
fn validation_reports_every_problem_at_once() {
    let params = TaskParams {
        vocab_size: 3,
        min_length: 9,
        max_length: 8,
        dataset_size: 0,
        seed: 1 << 40,
        unique: true,
    };
    let Err(TaskError::InvalidParams { task, problems }) = Task::new(TaskName::Sort, params) else {
        panic!("expected invalid parameters");
    };
    assert_eq!(task, "sort");
    let all = problems.join("\n");
    for needle in [
        "vocab_size",
        "min_length 9 is greater",
        "dataset_size",
        "seed",
        "max_length",
    ] {
        assert!(all.contains(needle), "missing {needle} in {all}");
    }
    let dyck = TaskParams {
        vocab_size: 8,
        ..TaskName::Dyck1.default_params()
    };
    assert!(
        Task::new(TaskName::Dyck1, dyck)
            .unwrap_err()
            .to_string()
            .contains("must be 1")
    );
    let induction = TaskParams {
        vocab_size: 60,
        ..TaskName::Induction.default_params()
    };
    assert!(Task::new(TaskName::Induction, induction).is_err());
}

#[test]
fn support_sizes_at_the_paper_settings() {
    let size = |name| Task::with_defaults(name).support_size();
    assert_eq!(size(TaskName::Sort), 19_530);
    assert_eq!(size(TaskName::Reverse), 19_530);
    assert_eq!(size(TaskName::Hist), 335_922);
    assert_eq!(size(TaskName::MostFreq), 335_922);
    assert_eq!(size(TaskName::Dyck1), 1 << 15);
    assert_eq!(size(TaskName::Dyck2), 1 << 30);
    assert!(Task::with_defaults(TaskName::Dyck2).support().is_none());
    // Letters words weighted by 4^(distinct letters), times 4 digits + 4 query letters.
    assert_eq!(size(TaskName::Induction), 16_720 * 8);
}

/// Every generated input is in the support, and the support has no duplicate.
fn check_support_covers_dataset(task: Task) {
    let support = task.support().unwrap();
    let expected = support.size();
    let mut all = HashSet::new();
    for sequence in support {
        assert!(task.label(&sequence).is_ok());
        assert!(all.insert(sequence.concat()), "duplicate {sequence:?}");
    }
    assert_eq!(all.len() as u128, expected);
    for example in task.draw().unwrap() {
        assert!(
            all.contains(&example.tokens.concat()),
            "{:?} not in support",
            example.tokens
        );
    }
}

#[test]
fn supports_contain_every_generated_input() {
    for name in [TaskName::Sort, TaskName::Dyck1, TaskName::Induction] {
        let params = TaskParams {
            dataset_size: 2_000,
            ..name.default_params()
        };
        check_support_covers_dataset(Task::new(name, params).unwrap());
    }
    let small = TaskParams {
        vocab_size: 5,
        max_length: 6,
        dataset_size: 500,
        ..TaskName::Hist.default_params()
    };
    check_support_covers_dataset(Task::new(TaskName::Hist, small).unwrap());
}

#[test]
fn generation_is_deterministic_and_reports_what_it_produced() {
    let params = TaskParams {
        dataset_size: 500,
        seed: 3,
        ..TaskName::Reverse.default_params()
    };
    let task = Task::new(TaskName::Reverse, params).unwrap();
    let a = task.generate().unwrap();
    assert_eq!(a, task.generate().unwrap());
    assert_eq!((a.requested, a.produced()), (Some(500), 500));
    // Only 5 + 25 inputs exist with content lengths 1..=2: fewer are produced than asked.
    let tiny = TaskParams {
        max_length: 4,
        ..params
    };
    let b = Task::new(TaskName::Reverse, tiny)
        .unwrap()
        .generate()
        .unwrap();
    assert_eq!((b.requested, b.produced()), (Some(500), 30));
    // Without `unique`, repeats are kept.
    let repeated = TaskParams {
        unique: false,
        ..tiny
    };
    let c = Task::new(TaskName::Reverse, repeated)
        .unwrap()
        .generate()
        .unwrap();
    assert_eq!(c.produced(), 500);
}

#[test]
fn encoding_pads_with_zero_and_rejects_long_sequences() {
    let params = TaskParams {
        dataset_size: 200,
        ..TaskName::Hist.default_params()
    };
    let mut dataset = Task::new(TaskName::Hist, params)
        .unwrap()
        .generate()
        .unwrap();
    let encoded = dataset.encode(Split::Val).unwrap();
    assert_eq!(encoded.tokens.len(), encoded.n * encoded.n_ctx);
    for (i, example) in dataset.val.iter().enumerate() {
        let row = encoded.tokens_row(i);
        let labels = encoded.labels_row(i);
        assert!(row[example.tokens.len()..].iter().all(|&t| t == 0));
        assert_eq!(labels[0], 0, "<s> is unscored");
        assert_eq!(
            dataset
                .output_vocab
                .decode(&labels[..example.labels.len()])
                .unwrap(),
            example.labels
        );
    }
    dataset.n_ctx = 3;
    let error = dataset.encode(Split::Train).unwrap_err().to_string();
    assert!(error.contains("more than n_ctx = 3"), "{error}");
}

#[test]
fn labelling_rejects_foreign_sequences() {
    let sort = Task::with_defaults(TaskName::Sort);
    let seq = |tokens: &[&str]| tokens.iter().map(|t| t.to_string()).collect::<Vec<_>>();
    let error = sort
        .label(&seq(&["<s>", "9", "</s>"]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("`9` at position 1"), "{error}");
    assert!(sort.label(&seq(&["1", "</s>"])).is_err());
    assert!(sort.label(&seq(&["<s>", "1"])).is_err());
    assert!(sort.label(&[]).is_err());
    assert!(
        Task::with_defaults(TaskName::Dyck1)
            .label(&seq(&["<s>", "{"]))
            .is_err()
    );
}
