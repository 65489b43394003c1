//! Charts as SVG strings (plotters' SVG backend), one module per kind.
//! Every chart has a title and a text alternative, and the page shows the
//! same numbers in a table beside it.

pub mod bars;
pub mod grades;
pub mod intervals;
pub mod trend;

use plotters::style::RGBColor;

/// The fill of a grade band, the same on every chart.
pub fn grade_colour(grade: &str) -> RGBColor {
    match grade {
        "excellent" => RGBColor(47, 133, 90),
        "good" => RGBColor(49, 104, 178),
        "pass" => RGBColor(214, 158, 46),
        "fail" => RGBColor(197, 48, 48),
        _ => RGBColor(160, 168, 176),
    }
}

/// A grade's colour as CSS (`#2f855a`), for legends beside the charts.
pub fn grade_css(grade: &str) -> String {
    let RGBColor(r, g, b) = grade_colour(grade);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// `svg` with an accessible name and description: `role="img"` with
/// `<title>` and `<desc>`.
fn accessible(svg: String, title: &str, description: &str) -> String {
    let open_end = svg.find('>').map_or(0, |i| i + 1);
    let (head, tail) = svg.split_at(open_end);
    format!(
        "{}<title>{}</title><desc>{}</desc>{}",
        head.replacen("<svg ", "<svg role=\"img\" ", 1),
        escape(title),
        escape(description),
        tail
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
