//! The circuit as Graphviz DOT: left to right, one cluster per layer.

use std::fmt::Write as _;

use super::{Circuit, Role};

/// DOT string literal contents: quotes and backslashes escaped, no raw newlines.
fn quoted(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(['\n', '\r'], " ")
}

/// The colour of an arrow by role (shared with the SVG).
pub(super) fn colour(role: Role) -> &'static str {
    match role {
        Role::Query => "#1f77b4",
        Role::Key => "#2ca02c",
        Role::Value => "#d62728",
        Role::Input => "#7f7f7f",
        Role::Feature => "#9467bd",
    }
}

/// The circuit of a program in Graphviz DOT.
pub fn to_dot(circuit: &Circuit) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "digraph \"{}\" {{", quoted(&circuit.name));
    text.push_str("  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f7f7f7\", fontname=\"Helvetica\", fontsize=10];\n");
    let columns = circuit.nodes.iter().map(|n| n.column).max().unwrap_or(0);
    for column in 0..=columns {
        let members: Vec<usize> = (0..circuit.nodes.len())
            .filter(|&i| circuit.nodes[i].column == column)
            .collect();
        if members.is_empty() {
            continue;
        }
        let title = match column {
            0 => "inputs".to_string(),
            c if c == columns => "output".to_string(),
            c => format!(
                "layer {} {}",
                (c - 1) / 2,
                if c % 2 == 1 { "heads" } else { "MLPs" }
            ),
        };
        let _ = writeln!(
            text,
            "  subgraph cluster_{column} {{\n    label=\"{title}\"; style=dashed; color=\"#bbbbbb\";"
        );
        for index in members {
            let node = &circuit.nodes[index];
            let _ = writeln!(
                text,
                "    n{index} [label=\"{}\\n({})\\n{}\"];",
                quoted(&node.name),
                node.kind,
                quoted(&node.summary)
            );
        }
        text.push_str("  }\n");
    }
    for edge in &circuit.edges {
        let _ = writeln!(
            text,
            "  n{} -> n{} [color=\"{}\", label=\"{}\", fontsize=8];",
            edge.from,
            edge.to,
            colour(edge.role),
            edge.role.word()
        );
    }
    text.push_str("}\n");
    text
}
