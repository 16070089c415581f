//! Reading programs: the circuit picture (DOT, SVG), explanations and error groups, on random
//! programs built in code.

#![allow(clippy::unwrap_used)]

mod common;

use tprog_program::explain::{explain, find_errors, to_html};
use tprog_program::graph::{Circuit, to_dot, to_svg};
use tprog_program::random::{RandomSpec, random_program};
use tprog_program::{Interpreter, Program, Selection};

/// Checks that `text` is well-formed XML as far as tags go: every element closed in order,
/// attribute quotes balanced, no raw `<` or `&` in text.
fn assert_well_formed(text: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        let between = &rest[..start];
        assert!(!between.contains('>'), "stray '>' in text: {between:?}");
        for (index, _) in between.match_indices('&') {
            let entity = &between[index..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;"]
                    .iter()
                    .any(|e| entity.starts_with(e)),
                "raw '&' in text: {entity:?}"
            );
        }
        let end = rest[start..].find('>').unwrap() + start;
        let tag = &rest[start + 1..end];
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "unbalanced quotes in <{tag}>"
        );
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.trim()),
                "mismatched </{name}>"
            );
        } else if !tag.ends_with('/') && !tag.starts_with('!') && !tag.starts_with('?') {
            let name = tag.split_whitespace().next().unwrap().to_string();
            stack.push(name);
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
}

fn program() -> Program {
    random_program(&RandomSpec::sort_sized(), 5)
}

#[test]
fn the_svg_is_well_formed_and_shows_every_module() {
    let program = program();
    let circuit = Circuit::of(&program);
    let svg = to_svg(&circuit);
    assert!(svg.starts_with("<svg"));
    assert_well_formed(&svg);
    for module in &program.modules {
        assert!(
            svg.contains(&format!("id=\"{}\"", module.output())),
            "{} missing",
            module.output()
        );
    }
    for input in &program.inputs {
        assert!(svg.contains(&format!("id=\"{}\"", input.name)));
    }
    assert!(svg.contains("id=\"classifier\""));
    // One arrow per distinct read and per classifier feature.
    assert_eq!(svg.matches("<path").count(), circuit.edges.len());
}

#[test]
fn the_dot_names_every_module_and_every_read() {
    let program = program();
    let circuit = Circuit::of(&program);
    let dot = to_dot(&circuit);
    assert!(dot.starts_with("digraph"));
    for module in &program.modules {
        assert!(dot.contains(module.output()));
    }
    assert_eq!(dot.matches(" -> ").count(), circuit.edges.len());
}

#[test]
fn explanations_follow_the_interpreter() {
    let program = program();
    let tokens: Vec<String> = ["<s>", "t3", "t1", "t4", "t1"]
        .iter()
        .map(|t| t.to_string())
        .collect();
    let explanation = explain(&program, &tokens).unwrap();
    let interpreter = Interpreter::new(&program).unwrap();
    let trace = interpreter.trace(&tokens).unwrap();
    assert_eq!(explanation.predictions, interpreter.run(&tokens).unwrap());
    for chain in &explanation.positions {
        assert_eq!(chain.steps.len(), program.modules.len());
        assert_eq!(chain.contributions.len(), program.classifier.features.len());
        // Features are ranked by how much they favour the prediction over the runner-up, and
        // their margins add up to the logit gap (up to float32 rounding).
        let margins: Vec<f32> = chain.contributions.iter().map(|c| c.margin()).collect();
        assert!(margins.windows(2).all(|w| w[0] >= w[1]));
        let total: f32 = margins.iter().sum();
        assert!(
            (total - chain.gap).abs() < 1e-2 * (1.0 + chain.gap.abs()),
            "{total} vs {}",
            chain.gap
        );
        assert!(chain.gap >= 0.0);
        // Every categorical head's selection is the trace's.
        let closest = trace.heads.iter().filter_map(|h| match &h.selection {
            Selection::Closest(chosen) => Some((&h.name, chosen[chain.position])),
            Selection::Sum(_) => None,
        });
        for (step, (name, key)) in chain
            .steps
            .iter()
            .filter(|s| s.selected.is_some())
            .zip(closest)
        {
            assert_eq!(&step.module, name);
            assert_eq!(step.selected, Some(key));
        }
    }
    let html = to_html(&explanation);
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Self-contained: nothing is fetched.
    assert!(!html.contains("src=") && !html.contains("href="));
    assert_eq!(html.matches("class=\"panel\"").count(), tokens.len());
    assert!(html.contains("<svg") && html.contains("<script>"));
    // A chain can be linked to: `page.html#p3` opens position 3 (checked in headless Chromium
    // by scripts/explain_screenshot.sh PAGE SHOT SIZE 3), and a click sets the fragment.
    assert!(html.contains("location.hash='p'+") && html.contains("hashchange"));
}

#[test]
fn errors_are_grouped_with_a_representative() {
    let program = program();
    let interpreter = Interpreter::new(&program).unwrap();
    let inputs: Vec<Vec<String>> = (1..5)
        .flat_map(|a| {
            (1..5).map(move |b| vec!["<s>".to_string(), format!("t{a}"), format!("t{b}")])
        })
        .collect();
    // Labels: the program's own predictions, except position 2 always expects class 1's label
    // and position 0 is not scored.
    let wanted = program.output_vocab[1].clone();
    let labels: Vec<Vec<String>> = inputs
        .iter()
        .map(|tokens| {
            let mut labels = interpreter.run(tokens).unwrap();
            labels[0] = "<pad>".into();
            labels[2] = wanted.clone();
            labels
        })
        .collect();
    let report = find_errors(&program, &inputs, &labels).unwrap();
    let wrong: usize = report.groups.iter().map(|g| g.count).sum();
    assert_eq!(wrong, report.wrong);
    assert_eq!(report.positions, 2 * inputs.len());
    assert!(
        report
            .groups
            .iter()
            .all(|g| g.position == 2 && g.expected == wanted)
    );
    assert!(report.groups.windows(2).all(|w| w[0].count >= w[1].count));
    for group in &report.groups {
        assert_eq!(group.chain.other.as_deref(), Some(wanted.as_str()));
        assert_eq!(group.chain.predicted, group.predicted);
        assert!(
            group
                .shared
                .iter()
                .any(|(name, value)| name == "positions" && value == "2")
        );
    }
}

#[test]
fn analysis_reports_embeddings_head_offsets_and_class_rows() {
    // Tokens "a" look for the closest "b": in "<s> b a b a" the queries at 2 and 4 pick the
    // key at 1 and 3 (offset −1, the left one on a tie), every other query the start.
    let mut program =
        common::hand_program(vec![common::position_head("find_b", &[("a", "b")])], false);
    program.inputs.push(tprog_program::InputVariable {
        name: "kind".into(),
        source: tprog_program::InputSource::Embedding {
            values: vec![0, 0, 1, 2, 2],
        },
    });
    let mut rows = vec![vec![0.0; 4]; 8];
    rows[2] = vec![0.0, 0.0, 3.0, -1.0];
    program.classifier.features = vec![common::feature("kind", rows)];
    program.validate().unwrap();
    let inputs = vec![common::words("<s> b a b a"), common::words("<s> c a")];
    let analysis = tprog_program::explain::analyze(&program, &inputs, 5).unwrap();
    assert_eq!(analysis.sequences, 2);
    let kind = &analysis.embeddings[0];
    assert_eq!(kind.variable, "kind");
    // Value 2 (b, c) occurs 3 times, value 1 (a) 3 times: ties by value, so 1 first.
    assert_eq!(kind.values[0].value, 1);
    assert_eq!(kind.values[0].top, vec![("a".to_string(), 3)]);
    assert_eq!(kind.values[1].value, 2);
    assert_eq!(kind.values[1].top[0], ("b".to_string(), 2));
    let head = &analysis.heads[0];
    assert_eq!(head.queries, 8);
    assert!((head.start - 6.0 / 8.0).abs() < 1e-12, "{}", head.start);
    assert_eq!(head.offsets, vec![(-1, 2.0 / 8.0)]);
    assert!(head.pairs.contains(&("a".to_string(), "b".to_string(), 2)));
    // Class y's strongest row: kind = 2 (3 − mean(0, 3, −1) = 2.333), with its words.
    let y = analysis.classes.iter().find(|c| c.class == "y").unwrap();
    assert_eq!(y.features[0].value, "2");
    assert!((y.features[0].score - (3.0 - 2.0 / 3.0)).abs() < 1e-6);
    assert_eq!(y.features[0].words, vec!["b".to_string(), "c".to_string()]);
    let text = analysis.to_text();
    assert!(text.contains("selects: start 75.0%, -1 25.0%"), "{text}");
}
