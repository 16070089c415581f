//! `curves.svg`: a run's training curves from its `metrics.jsonl`, three panels over the
//! epochs: the relaxed model's mean training loss, the temperature τ (log scale, as it is
//! annealed geometrically), and the discrete model's validation accuracy, the best epoch (the
//! one the run reports) marked. Drawn with plotters' SVG backend (text stays text; no fonts
//! are needed to write it).

use std::error::Error;

use plotters::coord::Shift;
use plotters::prelude::*;
use tprog_train::EpochRecord;
use tprog_train::rundir::{RunDir, files};

/// Width and height of the picture, in pixels.
const SIZE: (u32, u32) = (820, 720);

/// Draws the curves of `records` (in epoch order) titled `title`; `None` when there is no
/// epoch to draw. Errors are plotters' own, as text.
pub fn draw(records: &[EpochRecord], title: &str) -> Result<Option<String>, String> {
    if records.is_empty() {
        return Ok(None);
    }
    let mut svg = String::new();
    render(records, title, &mut svg).map_err(|e| e.to_string())?;
    Ok(Some(svg))
}

/// One panel's chart builder: the same margins and label room for every panel.
fn panel<'a, 'b, DB: DrawingBackend>(area: &'a DrawingArea<DB, Shift>) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(64);
    builder
}

/// Integer epoch ticks; ticks between two epochs (short runs) get no label.
fn epoch_label(x: &f64) -> String {
    if (x - x.round()).abs() > 1e-6 {
        return String::new();
    }
    format!("{x:.0}")
}

fn render(records: &[EpochRecord], title: &str, svg: &mut String) -> Result<(), Box<dyn Error>> {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 20))?;
    let panels = root.split_evenly((3, 1));
    let last = records.last().map_or(1.0, |r| r.epoch as f64).max(2.0);
    let x_range = 1.0..last;
    let points = |y: fn(&EpochRecord) -> f64| -> Vec<(f64, f64)> {
        records.iter().map(|r| (r.epoch as f64, y(r))).collect()
    };
    let loss = points(|r| r.loss);
    let acc = points(|r| 100.0 * r.val_acc);
    // τ is 0 for models without a temperature (the standard baseline): no τ panel then.
    let tau: Vec<(f64, f64)> = points(|r| r.tau)
        .into_iter()
        .filter(|p| p.1 > 0.0)
        .collect();

    let (lo, hi) = bounds(loss.iter().map(|p| p.1));
    let mut chart = panel(&panels[0]).build_cartesian_2d(x_range.clone(), lo..hi)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&epoch_label)
        .y_desc("training loss")
        .draw()?;
    chart.draw_series(LineSeries::new(loss, &BLUE))?;

    if !tau.is_empty() {
        // A log axis from a little below the lowest τ to above the highest.
        let lo = tau.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let hi = tau.iter().map(|p| p.1).fold(0.0, f64::max);
        let mut chart = panel(&panels[1])
            .build_cartesian_2d(x_range.clone(), (lo / 1.5..hi * 1.5).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .x_label_formatter(&epoch_label)
            .y_desc("temperature τ (log)")
            .draw()?;
        chart.draw_series(LineSeries::new(tau, &RED))?;
    }

    let mut chart = panel(&panels[2]).build_cartesian_2d(x_range, 0.0..100.0)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&epoch_label)
        .y_desc("validation accuracy (%)")
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    chart
        .draw_series(LineSeries::new(acc, &GREEN))?
        .label("discrete model, every real position")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], GREEN));
    if let Some(b) = records.iter().rev().find(|r| r.best) {
        let point = (b.epoch as f64, 100.0 * b.val_acc);
        chart
            .draw_series(std::iter::once(Circle::new(point, 5, BLACK.filled())))?
            .label(format!(
                "best epoch {} ({:.2} %)",
                b.epoch,
                100.0 * b.val_acc
            ))
            .legend(|(x, y)| Circle::new((x + 8, y), 4, BLACK.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// A range covering `values` with a little room, never empty.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-3 * hi.abs().max(1e-3));
    (lo - pad, hi + pad)
}

/// Writes `curves.svg` into the run from its `metrics.jsonl`; returns whether it was written.
/// The curves are an extra: a run whose metrics cannot be read or drawn keeps everything else,
/// and the reason is returned instead.
pub fn write(run: &RunDir, title: &str) -> Result<bool, String> {
    let records: Vec<EpochRecord> = run.read_metrics().map_err(|e| e.to_string())?;
    match draw(&records, title)? {
        Some(svg) => {
            run.write_atomic(files::CURVES_SVG, svg.as_bytes())
                .map_err(|e| e.to_string())?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Colours of the overlaid runs (Tableau's ten), cycled.
const RUN_COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Several runs' curves in one picture (`tprog plot`): the same three panels as
/// [`draw`], one colour per run, its best epoch a dot, a legend naming each run. `runs` are
/// (name, records) pairs; runs without records are left out. `None` when no run has any.
pub fn draw_overlay(
    runs: &[(String, Vec<EpochRecord>)],
    title: &str,
) -> Result<Option<String>, String> {
    let runs: Vec<&(String, Vec<EpochRecord>)> = runs
        .iter()
        .filter(|(_, records)| !records.is_empty())
        .collect();
    if runs.is_empty() {
        return Ok(None);
    }
    let mut svg = String::new();
    render_overlay(&runs, title, &mut svg).map_err(|e| e.to_string())?;
    Ok(Some(svg))
}

fn render_overlay(
    runs: &[&(String, Vec<EpochRecord>)],
    title: &str,
    svg: &mut String,
) -> Result<(), Box<dyn Error>> {
    // Room below the panels for a legend line per run.
    let legend_height = 26 * runs.len() as u32 + 16;
    let size = (SIZE.0, SIZE.1 + legend_height);
    let root = SVGBackend::with_string(svg, size).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 20))?;
    let (plots, legend) = root.split_vertically(SIZE.1 - 30);
    let panels = plots.split_evenly((3, 1));
    let last = runs
        .iter()
        .flat_map(|(_, records)| records.last())
        .map(|r| r.epoch as f64)
        .fold(2.0, f64::max);
    let x_range = 1.0..last;
    let colour = |i: usize| RUN_COLOURS[i % RUN_COLOURS.len()];

    let (lo, hi) = bounds(runs.iter().flat_map(|(_, rs)| rs.iter().map(|r| r.loss)));
    let mut chart = panel(&panels[0]).build_cartesian_2d(x_range.clone(), lo..hi)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&epoch_label)
        .y_desc("training loss")
        .draw()?;
    for (i, (_, records)) in runs.iter().enumerate() {
        let points = records.iter().map(|r| (r.epoch as f64, r.loss));
        chart.draw_series(LineSeries::new(points, colour(i).stroke_width(2)))?;
    }

    let taus: Vec<f64> = runs
        .iter()
        .flat_map(|(_, rs)| rs.iter().map(|r| r.tau))
        .filter(|t| *t > 0.0)
        .collect();
    if !taus.is_empty() {
        let lo = taus.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = taus.iter().copied().fold(0.0, f64::max);
        let mut chart = panel(&panels[1])
            .build_cartesian_2d(x_range.clone(), (lo / 1.5..hi * 1.5).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .x_label_formatter(&epoch_label)
            .y_desc("temperature τ (log)")
            .draw()?;
        // Runs share their schedule more often than not: earlier runs are drawn wider, so
        // that lines on top of each other still show every colour.
        let widest = 2 * runs.len() as u32;
        for (i, (_, records)) in runs.iter().enumerate() {
            let points = records
                .iter()
                .filter(|r| r.tau > 0.0)
                .map(|r| (r.epoch as f64, r.tau));
            let width = widest - 2 * i as u32;
            chart.draw_series(LineSeries::new(points, colour(i).stroke_width(width)))?;
        }
    }

    let mut chart = panel(&panels[2]).build_cartesian_2d(x_range, 0.0..100.0)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&epoch_label)
        .y_desc("validation accuracy (%)")
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    for (i, (_, records)) in runs.iter().enumerate() {
        let points = records.iter().map(|r| (r.epoch as f64, 100.0 * r.val_acc));
        chart.draw_series(LineSeries::new(points, colour(i).stroke_width(2)))?;
        if let Some(b) = records.iter().rev().find(|r| r.best) {
            let point = (b.epoch as f64, 100.0 * b.val_acc);
            chart.draw_series(std::iter::once(Circle::new(point, 5, colour(i).filled())))?;
        }
    }

    // The legend: one line per run under the panels, its colour, name and best epoch.
    for (i, (name, records)) in runs.iter().enumerate() {
        let y = 10 + 26 * i as i32;
        legend.draw(&PathElement::new(
            [(24, y + 8), (56, y + 8)],
            colour(i).stroke_width(3),
        ))?;
        legend.draw(&Circle::new((40, y + 8), 5, colour(i).filled()))?;
        let best = records
            .iter()
            .rev()
            .find(|r| r.best)
            .map_or_else(String::new, |b| {
                format!(
                    " — best epoch {} of {}, validation {:.2} %",
                    b.epoch,
                    records.last().map_or(0, |r| r.epoch),
                    100.0 * b.val_acc
                )
            });
        legend.draw(&Text::new(
            format!("{name}{best}"),
            (66, y),
            ("sans-serif", 15).into_font(),
        ))?;
    }
    root.present()?;
    Ok(())
}
