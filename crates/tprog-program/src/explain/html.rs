//! One self-contained HTML page (inline CSS, SVG and a few lines of JavaScript, no network):
//! the input as a row of positions; clicking one shows its chain — the heads' selections drawn
//! as arcs, each module's step, and the classifier's features as bars.

use std::fmt::Write as _;

use super::{Explanation, PositionChain};
use crate::graph::xml;

const STYLE: &str = "body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#222}\
h1{font-size:20px}.tokens{display:flex;gap:6px;flex-wrap:wrap;margin:12px 0}\
.tok{border:1px solid #888;border-radius:6px;padding:6px 10px;cursor:pointer;text-align:center;background:#f7f7f7;min-width:38px}\
.tok.on{background:#ffe9a8;border-color:#c90}.tok small{display:block;color:#555;font-size:11px}\
.panel{display:none}.panel.on{display:block}table{border-collapse:collapse;font-size:13px}\
td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}\
.bar{height:10px;display:inline-block;vertical-align:middle}.pos{background:#4c9a2a}.neg{background:#c0392b}\
.step{font-size:13px;margin:2px 0}.mod{font-weight:bold;font-family:monospace}";

const SCRIPT: &str = "function show(p){document.querySelectorAll('.tok').forEach(function(e){e.classList.toggle('on',e.dataset.p==p)});\
document.querySelectorAll('.panel').forEach(function(e){e.classList.toggle('on',e.dataset.p==p)});}\
document.querySelectorAll('.tok').forEach(function(e){e.addEventListener('click',function(){location.hash='p'+e.dataset.p;show(e.dataset.p)})});\
function fromHash(){var m=/^#p(\\d+)$/.exec(location.hash);show(m&&document.querySelector('.tok[data-p=\"'+m[1]+'\"]')?m[1]:'0')}\
window.addEventListener('hashchange',fromHash);fromHash();";

/// The explanation as one self-contained HTML page.
pub fn to_html(explanation: &Explanation) -> String {
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{name}: explain</title><style>{STYLE}</style></head><body>\n\
         <h1>{name}: why the program predicts what it does</h1>\n<p>Click a position to see its chain.</p>\n<div class=\"tokens\">",
        name = xml(&explanation.program)
    );
    for (position, (token, label)) in explanation
        .tokens
        .iter()
        .zip(&explanation.predictions)
        .enumerate()
    {
        let _ = write!(
            page,
            "<div class=\"tok\" data-p=\"{position}\">{}<small>{position} → {}</small></div>",
            xml(token),
            xml(label)
        );
    }
    page.push_str("</div>\n");
    for chain in &explanation.positions {
        panel(&mut page, explanation, chain);
    }
    let _ = write!(page, "<script>{SCRIPT}</script>\n</body></html>\n");
    page
}

fn panel(page: &mut String, explanation: &Explanation, chain: &PositionChain) {
    let versus = chain.other.as_deref().unwrap_or("-");
    let _ = writeln!(
        page,
        "<div class=\"panel\" data-p=\"{}\"><h2>position {}: {} (logit gap {:.3} over {})</h2>",
        chain.position,
        chain.position,
        xml(&chain.predicted),
        chain.gap,
        xml(versus)
    );
    arcs(page, explanation, chain);
    page.push_str("<h3>modules</h3>\n");
    for step in &chain.steps {
        let _ = writeln!(
            page,
            "<div class=\"step\"><span class=\"mod\">{}</span>: {}</div>",
            xml(&step.module),
            xml(&step.text)
        );
    }
    let _ = write!(
        page,
        "<h3>classifier: features by contribution to {} over {}</h3>\n<table><tr><th>feature</th><th>value</th><th>margin</th><th></th><th>{}</th><th>{}</th></tr>\n",
        xml(&chain.predicted),
        xml(versus),
        xml(&chain.predicted),
        xml(versus)
    );
    let scale = chain
        .contributions
        .iter()
        .map(|c| c.margin().abs())
        .fold(1e-6, f32::max);
    for c in &chain.contributions {
        let width = (120.0 * c.margin().abs() / scale).round();
        let class = if c.margin() >= 0.0 { "pos" } else { "neg" };
        let _ = writeln!(
            page,
            "<tr><td class=\"mod\">{}</td><td>{}</td><td>{:+.3}</td><td><span class=\"bar {class}\" style=\"width:{width}px\"></span></td><td>{:.3}</td><td>{:.3}</td></tr>",
            xml(&c.variable),
            xml(&c.value),
            c.margin(),
            c.to_predicted,
            c.to_other
        );
    }
    page.push_str("</table></div>\n");
}

/// The tokens in a row with one arc per categorical head from this position to the key it
/// selected.
fn arcs(page: &mut String, explanation: &Explanation, chain: &PositionChain) {
    let step_x = 56.0;
    let selected: Vec<(&str, usize)> = chain
        .steps
        .iter()
        .filter_map(|s| Some((s.module.as_str(), s.selected?)))
        .collect();
    let n = explanation.tokens.len();
    let width = 40.0 + step_x * n as f64 + 220.0;
    let height = 70.0 + 22.0 * selected.len() as f64;
    let _ = write!(
        page,
        "<svg width=\"{width:.0}\" height=\"{height:.0}\" font-size=\"12\">"
    );
    let baseline = height - 14.0;
    for (position, token) in explanation.tokens.iter().enumerate() {
        let x = 30.0 + step_x * position as f64;
        let weight = if position == chain.position {
            "bold"
        } else {
            "normal"
        };
        let _ = write!(
            page,
            "<text x=\"{x:.0}\" y=\"{baseline:.0}\" text-anchor=\"middle\" font-weight=\"{weight}\">{}</text>",
            xml(token)
        );
    }
    let colours = [
        "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
    ];
    for (index, (name, key)) in selected.iter().enumerate() {
        let colour = colours[index % colours.len()];
        let x1 = 30.0 + step_x * chain.position as f64;
        let x2 = 30.0 + step_x * *key as f64;
        let lift = 24.0 + 20.0 * index as f64;
        let top = baseline - 14.0 - lift;
        let _ = write!(
            page,
            "<path d=\"M{x1:.0},{:.0} C{x1:.0},{top:.0} {x2:.0},{top:.0} {x2:.0},{:.0}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/><circle cx=\"{x2:.0}\" cy=\"{:.0}\" r=\"3\" fill=\"{colour}\"/>\
             <text x=\"{:.0}\" y=\"{:.0}\" fill=\"{colour}\">{} → {key}</text>",
            baseline - 14.0,
            baseline - 14.0,
            baseline - 14.0,
            30.0 + step_x * n as f64,
            top + 4.0,
            xml(name)
        );
    }
    page.push_str("</svg>\n");
}
