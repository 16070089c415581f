//! Property tests: each labelling function against an independent definition, and the JSONL
//! loader against arbitrary bytes.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::Path;

use proptest::prelude::*;
use tprog_tasks::jsonl::parse_jsonl;
use tprog_tasks::{Task, TaskName, TaskParams};

fn task(name: TaskName) -> Task {
    Task::with_defaults(name)
}

/// `<s>` followed by `content`.
fn with_bos(content: &[String]) -> Vec<String> {
    std::iter::once("<s>".to_string())
        .chain(content.iter().cloned())
        .collect()
}

/// Symbols "0".."n-1".
fn symbol_strings(n: u32, max_len: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec((0..n).prop_map(|d| d.to_string()), 0..=max_len)
}

/// P/T/F by reducing each prefix: delete matched pairs until none is left; a closer left over
/// means invalid, nothing left means balanced.
fn dyck_by_reduction(content: &[String]) -> Vec<String> {
    let mut labels = vec!["<pad>".to_string()];
    let mut failed = false;
    for end in 1..=content.len() {
        let mut text: String = content[..end].concat();
        loop {
            let shorter = text.replace("()", "").replace("{}", "");
            if shorter.len() == text.len() {
                break;
            }
            text = shorter;
        }
        failed = failed || text.contains(')') || text.contains('}');
        labels.push(
            if failed {
                "F"
            } else if text.is_empty() {
                "T"
            } else {
                "P"
            }
            .to_string(),
        );
    }
    labels
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn sort_labels_are_the_sorted_content(content in symbol_strings(5, 6)) {
        let mut tokens = with_bos(&content);
        tokens.push("</s>".into());
        let labels = task(TaskName::Sort).label(&tokens).unwrap();
        prop_assert_eq!(labels.len(), tokens.len());
        prop_assert_eq!(&labels[0], "<pad>");
        prop_assert_eq!(&labels[labels.len() - 1], "<pad>");
        let inner = &labels[1..labels.len() - 1];
        prop_assert!(inner.windows(2).all(|w| w[0] <= w[1]));
        let (mut a, mut b) = (inner.to_vec(), content.clone());
        a.sort();
        b.sort();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn reverse_labels_read_backwards(content in symbol_strings(5, 6)) {
        let mut tokens = with_bos(&content);
        tokens.push("</s>".into());
        let labels = task(TaskName::Reverse).label(&tokens).unwrap();
        for (i, token) in content.iter().enumerate() {
            prop_assert_eq!(&labels[content.len() - i], token);
        }
    }

    #[test]
    fn hist_labels_count_occurrences(content in symbol_strings(6, 7)) {
        let labels = task(TaskName::Hist).label(&with_bos(&content)).unwrap();
        for (i, token) in content.iter().enumerate() {
            let count = content.iter().filter(|t| *t == token).count();
            prop_assert_eq!(&labels[i + 1], &count.to_string());
        }
    }

    #[test]
    fn double_hist_and_most_freq_agree_with_counting(content in symbol_strings(6, 7)) {
        let count = |t: &String| content.iter().filter(|u| *u == t).count();
        let mut distinct: Vec<&String> = Vec::new();
        for t in &content {
            if !distinct.contains(&t) {
                distinct.push(t);
            }
        }
        let double = task(TaskName::DoubleHist).label(&with_bos(&content)).unwrap();
        for (i, t) in content.iter().enumerate() {
            let same = distinct.iter().filter(|u| count(u) == count(t)).count();
            prop_assert_eq!(&double[i + 1], &same.to_string());
        }
        let most = task(TaskName::MostFreq).label(&with_bos(&content)).unwrap();
        // A stable sort by decreasing count keeps first-seen order among ties.
        distinct.sort_by_key(|t| std::cmp::Reverse(count(t)));
        for (i, label) in most[1..].iter().enumerate() {
            let expected = distinct.get(i).map_or("<s>", |t| t.as_str());
            prop_assert_eq!(label.as_str(), expected);
        }
    }

    #[test]
    fn dyck_labels_agree_with_reduction(
        content in prop::collection::vec(prop::sample::select(vec!["(", ")", "{", "}"]), 0..16)
    ) {
        let content: Vec<String> = content.into_iter().map(String::from).collect();
        let labels = task(TaskName::Dyck2).label(&with_bos(&content)).unwrap();
        prop_assert_eq!(labels, dyck_by_reduction(&content));
    }

    #[test]
    fn induction_labels_agree_with_the_letter_digit_map(seed in 0u64..10_000) {
        let params = TaskParams { dataset_size: 30, seed, ..TaskName::Induction.default_params() };
        let task = Task::new(TaskName::Induction, params).unwrap();
        for example in task.draw().unwrap() {
            let tokens = &example.tokens;
            let is_letter = |t: &String| t.chars().all(|c| c.is_ascii_lowercase());
            // The map, read off every (letter, digit) pair.
            let mut map: HashMap<&String, &String> = HashMap::new();
            for pair in tokens.windows(2) {
                if is_letter(&pair[0]) && !is_letter(&pair[1]) {
                    prop_assert!(map.insert(&pair[0], &pair[1]).is_none_or(|d| d == &pair[1]));
                }
            }
            for (i, token) in tokens.iter().enumerate() {
                let expected = if i == 0 || !is_letter(token) {
                    "<pad>".to_string()
                } else if tokens[..i].contains(token) {
                    map[token].clone()
                } else {
                    "<unk>".to_string()
                };
                prop_assert_eq!(&example.labels[i], &expected);
            }
        }
    }

    #[test]
    fn jsonl_parser_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_jsonl(Path::new("fuzz.jsonl"), &bytes);
    }

    #[test]
    fn jsonl_parser_never_panics_on_near_json(text in r#"[{}\[\]",: a-z0-9\n]{0,120}"#) {
        let _ = parse_jsonl(Path::new("fuzz.jsonl"), text.as_bytes());
        let with_gzip_magic = [&[0x1f, 0x8b][..], text.as_bytes()].concat();
        let _ = parse_jsonl(Path::new("fuzz.jsonl.gz"), &with_gzip_magic);
    }
}
