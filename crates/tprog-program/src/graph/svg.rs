//! The circuit as a standalone SVG, laid out here: one column per stage (inputs, each layer's
//! heads, each layer's MLPs, the classifier), boxes ordered to follow what they read, arrows
//! as curves coloured by role, a legend on top.

use std::fmt::Write as _;

use super::dot::colour;
use super::{Circuit, Role};

const WIDTH: f64 = 250.0;
const HEIGHT: f64 = 54.0;
const GAP_X: f64 = 90.0;
const GAP_Y: f64 = 18.0;
const TOP: f64 = 110.0;
const LEFT: f64 = 20.0;
const SUMMARY_CHARS: usize = 44;

/// Text escaped for XML.
pub(crate) fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn shortened(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(limit - 1).collect();
        short.push('…');
        short
    }
}

/// Each node's (x, y) top-left corner: non-empty columns side by side; within a column, nodes
/// sorted by the mean row of what they read (inputs keep their order).
fn layout(circuit: &Circuit) -> Vec<(f64, f64)> {
    let mut columns: Vec<usize> = circuit.nodes.iter().map(|n| n.column).collect();
    columns.sort_unstable();
    columns.dedup();
    let mut position = vec![(0.0, 0.0); circuit.nodes.len()];
    let mut row_of = vec![0.0f64; circuit.nodes.len()];
    for (slot, &column) in columns.iter().enumerate() {
        let mut members: Vec<usize> = (0..circuit.nodes.len())
            .filter(|&i| circuit.nodes[i].column == column)
            .collect();
        let weight = |index: usize| {
            let sources: Vec<f64> = circuit
                .edges
                .iter()
                .filter(|e| e.to == index)
                .map(|e| row_of[e.from])
                .collect();
            if sources.is_empty() {
                index as f64
            } else {
                sources.iter().sum::<f64>() / sources.len() as f64
            }
        };
        if slot > 0 {
            members.sort_by(|&a, &b| weight(a).total_cmp(&weight(b)));
        }
        for (row, &index) in members.iter().enumerate() {
            row_of[index] = row as f64;
            position[index] = (
                LEFT + slot as f64 * (WIDTH + GAP_X),
                TOP + row as f64 * (HEIGHT + GAP_Y),
            );
        }
    }
    position
}

/// Where each edge leaves its source and enters its target (y coordinates): a node's outgoing
/// edges spread over its right side and incoming ones over its left side, ordered by the other
/// end's height so that parallel arrows do not overlap.
fn ports(circuit: &Circuit, position: &[(f64, f64)], heights: &[f64]) -> Vec<(f64, f64)> {
    let mut ends = vec![(0.0, 0.0); circuit.edges.len()];
    for node in 0..circuit.nodes.len() {
        let spread = |mut members: Vec<(usize, f64)>| -> Vec<(usize, f64)> {
            members.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            let count = members.len() as f64;
            members
                .iter()
                .enumerate()
                .map(|(slot, &(edge, _))| {
                    let y = position[node].1 + heights[node] * (slot as f64 + 1.0) / (count + 1.0);
                    (edge, y)
                })
                .collect()
        };
        let outgoing: Vec<(usize, f64)> = (0..circuit.edges.len())
            .filter(|&e| circuit.edges[e].from == node)
            .map(|e| (e, position[circuit.edges[e].to].1))
            .collect();
        for (edge, y) in spread(outgoing) {
            ends[edge].0 = y;
        }
        let incoming: Vec<(usize, f64)> = (0..circuit.edges.len())
            .filter(|&e| circuit.edges[e].to == node)
            .map(|e| (e, position[circuit.edges[e].from].1))
            .collect();
        for (edge, y) in spread(incoming) {
            ends[edge].1 = y;
        }
    }
    ends
}

/// Box heights: the classifier spans every row, so that its many incoming arrows spread out.
fn heights(circuit: &Circuit, position: &[(f64, f64)]) -> Vec<f64> {
    let bottom = position.iter().map(|p| p.1).fold(TOP, f64::max) + HEIGHT;
    circuit
        .nodes
        .iter()
        .map(|node| {
            if node.kind == "classifier" {
                bottom - TOP
            } else {
                HEIGHT
            }
        })
        .collect()
}

/// The circuit of a program as a standalone SVG document.
pub fn to_svg(circuit: &Circuit) -> String {
    let position = layout(circuit);
    let width = position.iter().map(|p| p.0).fold(0.0, f64::max) + WIDTH + 2.0 * LEFT;
    let height = position.iter().map(|p| p.1).fold(0.0, f64::max) + HEIGHT + 40.0;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"Helvetica, Arial, sans-serif\">"
    );
    let _ = writeln!(text, "<title>{}</title>", xml(&circuit.name));
    text.push_str("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    let _ = writeln!(
        text,
        "<text x=\"{LEFT}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{} — circuit</text>",
        xml(&circuit.name)
    );
    let roles = [
        Role::Query,
        Role::Key,
        Role::Value,
        Role::Input,
        Role::Feature,
    ];
    for (index, role) in roles.iter().enumerate() {
        let x = LEFT + index as f64 * 110.0;
        let _ = writeln!(
            text,
            "<line x1=\"{x}\" y1=\"44\" x2=\"{}\" y2=\"44\" stroke=\"{}\" stroke-width=\"2\"/><text x=\"{}\" y=\"48\" font-size=\"11\">{}</text>",
            x + 24.0,
            colour(*role),
            x + 30.0,
            role.word()
        );
    }
    let heights = heights(circuit, &position);
    let ports = ports(circuit, &position, &heights);
    for (edge, &(y1, y2)) in circuit.edges.iter().zip(&ports) {
        let (fx, _) = position[edge.from];
        let (tx, _) = position[edge.to];
        let (x1, x2) = (fx + WIDTH, tx);
        let bend = ((x2 - x1) / 2.0).max(30.0);
        // An arrow that skips a column would pass behind its boxes: it arcs over the top.
        let skips = x2 - x1 > GAP_X + 1.0;
        let (c1, c2) = if skips {
            let lane = TOP - 14.0 - 5.0 * (edge.from % 6) as f64;
            let control = (lane - 0.25 * (y1 + y2) / 2.0) / 0.75;
            (control, control)
        } else {
            (y1, y2)
        };
        let (bend1, bend2) = if skips { (60.0, 60.0) } else { (bend, bend) };
        let _ = writeln!(
            text,
            "<path d=\"M{x1:.1},{y1:.1} C{:.1},{c1:.1} {:.1},{c2:.1} {x2:.1},{y2:.1}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.4\" stroke-opacity=\"0.8\"{}><title>{} → {} ({})</title></path>",
            x1 + bend1,
            x2 - bend2,
            colour(edge.role),
            if edge.role == Role::Feature {
                " stroke-dasharray=\"5,3\""
            } else {
                ""
            },
            xml(&circuit.nodes[edge.from].name),
            xml(&circuit.nodes[edge.to].name),
            edge.role.word()
        );
    }
    for ((node, &(x, y)), &box_height) in circuit.nodes.iter().zip(&position).zip(&heights) {
        let fill = match node.kind {
            "input" => "#e8f0fe",
            "head" | "numerical head" => "#fff4e0",
            "classifier" => "#f0e8fb",
            _ => "#eaf6ea",
        };
        let _ = writeln!(
            text,
            "<g class=\"node\" id=\"{}\"><title>{} ({}): {}</title><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{WIDTH}\" height=\"{box_height:.1}\" rx=\"6\" fill=\"{fill}\" stroke=\"#555555\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" font-weight=\"bold\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#444444\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#222222\">{}</text></g>",
            xml(&node.name),
            xml(&node.name),
            node.kind,
            xml(&node.summary),
            x + 8.0,
            y + 17.0,
            xml(&shortened(&node.name, 34)),
            x + WIDTH - 8.0 - 6.0 * node.kind.len() as f64,
            y + 17.0,
            node.kind,
            x + 8.0,
            y + 38.0,
            xml(&shortened(&node.summary, SUMMARY_CHARS))
        );
    }
    text.push_str("</svg>\n");
    text
}
