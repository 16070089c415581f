//! The grid plot of `tprog sweep collect --plot`: one row per configuration, the test accuracy
//! of every seed as a point on it, the seed chosen by validation accuracy filled. Rows are
//! horizontal so that long configuration names stay readable. SVG through plotters, as the
//! run's `curves.svg`.

use plotters::prelude::*;

use crate::SweepError;
use crate::collect::Collection;

/// Pixels per configuration row.
const ROW: u32 = 30;
/// Height of the legend strip.
const LEGEND: u32 = 34;
/// Width of the picture.
const WIDTH: u32 = 960;

/// The grid plot as SVG text; `None` when no run has a test accuracy.
pub fn draw(collection: &Collection, title: &str) -> Result<Option<String>, SweepError> {
    // Integer rows 0..=n-1: one segment per configuration.
    let rows: Vec<(String, Vec<(f64, bool)>)> = collection
        .groups
        .iter()
        .map(|g| {
            let points = g
                .rows
                .iter()
                .filter_map(|&i| {
                    let acc = collection.rows[i].summary.test_metric()?;
                    Some((100.0 * acc, g.best == Some(i)))
                })
                .collect();
            (g.title(), points)
        })
        .collect();
    let values: Vec<f64> = rows.iter().flat_map(|r| r.1.iter().map(|p| p.0)).collect();
    if values.is_empty() {
        return Ok(None);
    }
    let lowest = values.iter().copied().fold(f64::INFINITY, f64::min);
    // From a round number below the lowest point to 100 %, so that the best runs sit at the
    // right edge and differences near 100 % stay visible.
    let x_min = ((lowest - 2.0) / 5.0).floor().max(0.0) * 5.0;
    let longest = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(10);
    let label_width = (longest as u32 * 8 + 20).clamp(80, 560);
    let height = 110 + LEGEND + ROW * rows.len() as u32;
    let mut svg = String::new();
    render(&rows, title, x_min, label_width, height, &mut svg).map_err(|e| SweepError::Plot {
        what: "the grid plot".into(),
        message: e.to_string(),
    })?;
    Ok(Some(svg))
}

fn render(
    rows: &[(String, Vec<(f64, bool)>)],
    title: &str,
    x_min: f64,
    label_width: u32,
    height: u32,
    svg: &mut String,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 20))?;
    // The legend gets its own strip under the chart, so that it never covers a point.
    let (plot, legend) = root.split_vertically(height - 30 - LEGEND);
    let n = rows.len() as i32;
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(label_width)
        .build_cartesian_2d(x_min..100.5, (0..n - 1).into_segmented())?;
    let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    // Configurations top to bottom in table order: row i sits at n-1-i.
    let label = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(k) if (0..n).contains(k) => names[(n - 1 - k) as usize].to_owned(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .x_desc("test accuracy (%, discrete model, every scored position)")
        .y_labels(rows.len())
        .y_label_formatter(&label)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .disable_y_mesh()
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let blue = RGBColor(31, 119, 180);
    let seeds = rows.iter().enumerate().flat_map(|(i, (_, points))| {
        let y = n - 1 - i as i32;
        points
            .iter()
            .filter(|p| !p.1)
            .map(move |p| Circle::new((p.0, SegmentValue::CenterOf(y)), 5, blue.stroke_width(2)))
    });
    chart.draw_series(seeds)?;
    let best = rows.iter().enumerate().flat_map(|(i, (_, points))| {
        let y = n - 1 - i as i32;
        points
            .iter()
            .filter(|p| p.1)
            .map(move |p| Circle::new((p.0, SegmentValue::CenterOf(y)), 6, BLACK.filled()))
    });
    chart.draw_series(best)?;
    let font = ("sans-serif", 15).into_font();
    let x = label_width as i32 + 12;
    legend.draw(&Circle::new((x + 6, 16), 5, blue.stroke_width(2)))?;
    legend.draw(&Text::new("one seed", (x + 18, 8), font.clone()))?;
    legend.draw(&Circle::new((x + 126, 16), 6, BLACK.filled()))?;
    legend.draw(&Text::new(
        "the seed with the best validation accuracy (the one reported)",
        (x + 138, 8),
        font,
    ))?;
    root.present()?;
    Ok(())
}
