//! Rank intervals (robustness.md §1): one row per unit in nominal order,
//! the P5–P95 interval as a whisker, the median as a dot and the nominal
//! rank as a tick, rank 1 at the left.

use plotters::prelude::*;

/// One unit's row.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    pub label: String,
    pub nominal: u32,
    pub median: u32,
    pub p5: u32,
    pub p95: u32,
}

const INK: RGBColor = RGBColor(31, 41, 51);
const WHISKER: RGBColor = RGBColor(49, 104, 178);
const TICK: RGBColor = RGBColor(197, 48, 48);

/// The SVG of `rows` (top to bottom, as the table beside it) on a rank
/// axis from 1 to `places`.
pub fn render(title: &str, description: &str, rows: &[Interval], places: u32) -> String {
    let row = 24u32;
    let height = 44 + row * rows.len().max(1) as u32;
    let labels_px = super::label_area(rows.iter().map(|r| r.label.as_str()));
    let width = labels_px + 360;
    let places = places.max(2);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let n = rows.len().max(1) as i32;
        // Row `i` sits at y = n − i so the first unit is on top.
        let y = |i: usize| f64::from(n) - i as f64;
        let chart = ChartBuilder::on(&root)
            .margin(8)
            .margin_right(20)
            .x_label_area_size(24)
            .y_label_area_size(labels_px)
            .build_cartesian_2d(0.5..f64::from(places) + 0.5, 0.5..f64::from(n) + 0.5);
        if let Ok(mut chart) = chart {
            let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
            let _ = chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(rows.len().max(1))
                .y_label_formatter(&|v| {
                    let i = f64::from(n) - v;
                    if (i - i.round()).abs() < 1e-6 { usize::try_from(i.round() as i64).ok().and_then(|i| labels.get(i)).cloned().unwrap_or_default() } else { String::new() }
                })
                .x_labels((places as usize).min(12))
                .x_label_formatter(&|v| format!("{v:.0}"))
                .label_style(("sans-serif", super::FONT_PX))
                .draw();
            let _ = chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
                PathElement::new(vec![(f64::from(r.p5), y(i)), (f64::from(r.p95), y(i))], WHISKER.stroke_width(3))
            }));
            let _ = chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
                PathElement::new(vec![(f64::from(r.nominal), y(i) - 0.35), (f64::from(r.nominal), y(i) + 0.35)], TICK.stroke_width(2))
            }));
            let _ = chart.draw_series(rows.iter().enumerate().map(|(i, r)| Circle::new((f64::from(r.median), y(i)), 4, INK.filled())));
        }
        let _ = root.present();
    }
    super::accessible(svg, title, description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_unit_has_its_whisker_tick_and_dot_and_is_named() {
        let rows = vec![
            Interval { label: "文成县".into(), nominal: 1, median: 2, p5: 1, p95: 2 },
            Interval { label: "龙湾区".into(), nominal: 2, median: 1, p5: 1, p95: 3 },
        ];
        let svg = render("排名稳健区间", "两个单位", &rows, 12);
        assert!(svg.starts_with("<svg role=\"img\""));
        assert!(svg.contains("<title>排名稳健区间</title>") && svg.contains("<desc>两个单位</desc>"));
        assert!(svg.contains("文成县") && svg.contains("龙湾区"));
        assert_eq!(svg.matches("<circle").count(), 2, "a median dot per unit");
        assert_eq!(svg.matches("stroke=\"#3168B2\"").count(), 2, "a whisker per unit");
        assert_eq!(svg.matches("stroke=\"#C53030\"").count(), 2, "a nominal tick per unit");
    }
}
