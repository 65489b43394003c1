//! A horizontal bar chart of totals, one bar per unit, coloured by grade.

use plotters::prelude::*;

/// One bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// `excellent|good|pass|fail|ungraded`, for the colour.
    pub grade: String,
}

/// The fill of a grade band.
fn colour(grade: &str) -> RGBColor {
    match grade {
        "excellent" => RGBColor(47, 133, 90),
        "good" => RGBColor(49, 104, 178),
        "pass" => RGBColor(214, 158, 46),
        "fail" => RGBColor(197, 48, 48),
        _ => RGBColor(160, 168, 176),
    }
}

/// The SVG of `bars` (top to bottom), with `title` as its accessible name
/// and `description` as its text alternative.
pub fn render(title: &str, description: &str, bars: &[Bar]) -> String {
    let row = 18u32;
    let height = 40 + row * bars.len().max(1) as u32;
    let width = 560u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let max = bars.iter().map(|b| b.value).fold(100.0_f64, f64::max);
        let n = bars.len().max(1) as i32;
        let chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(150)
            .build_cartesian_2d(0.0..max, (0..n).into_segmented());
        if let Ok(mut chart) = chart {
            let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
            let _ = chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(bars.len().max(1))
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
                    _ => String::new(),
                })
                .label_style(("sans-serif", 13))
                .draw();
            let _ = chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
                let y = i as i32;
                Rectangle::new(
                    [(0.0, SegmentValue::Exact(y)), (b.value, SegmentValue::Exact(y + 1))],
                    colour(&b.grade).filled(),
                )
            }));
        }
        let _ = root.present();
    }
    // An accessible name and description: role=img with <title>/<desc>.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_a_name_a_description_and_one_bar_per_unit() {
        let bars = vec![
            Bar { label: "鹿城区".into(), value: 91.5, grade: "excellent".into() },
            Bar { label: "龙湾区".into(), value: 72.0, grade: "fail".into() },
        ];
        let svg = render("县市区排名", "鹿城区 91.50 优秀；龙湾区 72.00 不合格", &bars);
        assert!(svg.starts_with("<svg role=\"img\" "));
        assert!(svg.contains("<title>县市区排名</title><desc>鹿城区 91.50 优秀；龙湾区 72.00 不合格</desc>"));
        assert!(svg.contains("鹿城区") && svg.contains("龙湾区"));
        assert_eq!(svg.matches("fill=\"#2F855A\"").count() + svg.matches("fill=\"#2f855a\"").count(), 1, "one excellent bar");
        assert!(render("<x>", "a & b", &[]).contains("<title>&lt;x&gt;</title><desc>a &amp; b</desc>"));
    }
}
