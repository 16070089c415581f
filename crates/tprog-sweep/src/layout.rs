//! Run directories and grid points: the Cartesian product of a sweep's grid, how a value is
//! written in a directory name, and a run's directory from the layout's placeholders.

use std::collections::BTreeMap;

/// Every point of the grid (the Cartesian product of the axes, the last axis fastest); one
/// empty point when there is no axis.
pub(crate) fn grid_points(axes: &[(String, Vec<toml::Value>)]) -> Vec<Vec<(String, toml::Value)>> {
    let mut points: Vec<Vec<(String, toml::Value)>> = vec![Vec::new()];
    for (key, values) in axes {
        points = points
            .into_iter()
            .flat_map(|point| {
                values.iter().map(move |value| {
                    let mut point = point.clone();
                    point.push((key.clone(), value.clone()));
                    point
                })
            })
            .collect();
    }
    points
}

/// A TOML value as it appears in names: a table of values set together as its values joined
/// by `+`.
pub(crate) fn value_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Table(together) => together
            .values()
            .map(value_text)
            .collect::<Vec<_>>()
            .join("+"),
        other => other.to_string(),
    }
}

/// The run directory of one run, from the layout.
pub(crate) fn render(
    layout: &str,
    task: &str,
    seed: u64,
    preset: &str,
    grid_keys: &[String],
    point: &BTreeMap<String, String>,
) -> Result<String, String> {
    let grid = grid_keys
        .iter()
        .map(|k| format!("{k}={}", point[k]))
        .collect::<Vec<_>>()
        .join(",");
    let mut out = String::new();
    let mut rest = layout;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            return Err(format!("layout: '{layout}' has a '{{' without '}}'"));
        };
        let key = &rest[open + 1..open + close];
        let value = match key {
            "task" => task.to_owned(),
            "seed" => seed.to_string(),
            "preset" => preset.to_owned(),
            "grid" => grid.clone(),
            _ => match point.get(key) {
                Some(value) => value.clone(),
                None => {
                    return Err(format!(
                        "layout: unknown placeholder {{{key}}}; use {{task}}, {{seed}}, \
                         {{preset}}, {{grid}} or a grid key"
                    ));
                }
            },
        };
        out.push_str(&value.replace(['/', '\\'], "_"));
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    // Empty segments ({grid} without a grid) are dropped.
    let segments: Vec<&str> = out.split('/').filter(|s| !s.is_empty()).collect();
    if segments.is_empty() || segments.iter().any(|s| *s == "." || *s == "..") {
        return Err(format!(
            "layout: '{layout}' gives the directory '{out}', which is not below the sweep directory"
        ));
    }
    if segments[0] == crate::manifest::BOOKKEEPING {
        return Err(format!(
            "layout: run directories may not start with '{}' (the sweep's own files)",
            crate::manifest::BOOKKEEPING
        ));
    }
    Ok(segments.join("/"))
}
