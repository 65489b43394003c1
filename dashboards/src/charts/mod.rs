//! Charts as SVG strings (plotters' SVG backend), one module per kind.
//! Every chart has a title and a text alternative, and the page shows the
//! same numbers in a table beside it.

pub mod bars;
pub mod grades;
pub mod intervals;
pub mod trend;

use plotters::style::RGBColor;

/// The size of every chart's text as given to plotters. Its SVG backend
/// writes text at 1/1.24 of the size asked for (17 becomes 13.7 px), so
/// this reads at about the 14 px of the tables beside the charts, which
/// are drawn at about the width they are shown at (see [`label_area`]).
pub const FONT_PX: u32 = 17;

/// The text's size as the SVG carries it (see [`FONT_PX`]).
const RENDERED_PX: f64 = FONT_PX as f64 / 1.24;

/// The width the longest of `labels` needs at [`RENDERED_PX`], plus a gap:
/// the y-label area of a chart whose rows are named by unit. A fixed area
/// cut the longest department names (温州市人民政府国有资产监督管理委员会).
/// CJK and other wide characters count one em, the rest about 0.6 em.
pub fn label_area<'a>(labels: impl IntoIterator<Item = &'a str>) -> u32 {
    let em = RENDERED_PX;
    let widest = labels
        .into_iter()
        .map(|l| l.chars().map(|c| if c.is_ascii() { 0.6 * em } else { em }).sum::<f64>())
        .fold(0.0_f64, f64::max);
    widest.ceil() as u32 + 12
}

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
