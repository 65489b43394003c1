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

/// The SVG of `bars` (top to bottom, in the order of the table beside
/// it), with `title` as its accessible name and `description` as its text
/// alternative.
pub fn render(title: &str, description: &str, bars: &[Bar]) -> String {
    let row = 24u32;
    let height = 40 + row * bars.len().max(1) as u32;
    let labels_px = super::label_area(bars.iter().map(|b| b.label.as_str()));
    // The plot keeps 320 px whatever the names: the label area grows.
    let width = labels_px + 320;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let max = bars.iter().map(|b| b.value).fold(100.0_f64, f64::max);
        let n = bars.len().max(1) as i32;
        // The chart's y axis counts upwards: bar `i` sits in row `n − 1 − i`
        // so the first bar is on top, as in the table.
        let at = |i: usize| n - 1 - i as i32;
        let chart = ChartBuilder::on(&root)
            .margin(8)
            .margin_right(28)
            .x_label_area_size(24)
            .y_label_area_size(labels_px)
            .build_cartesian_2d(0.0..max, (0..n).into_segmented());
        if let Ok(mut chart) = chart {
            let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
            let _ = chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(bars.len().max(1))
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(row) => usize::try_from(n - 1 - row).ok().and_then(|i| labels.get(i)).cloned().unwrap_or_default(),
                    _ => String::new(),
                })
                .x_label_formatter(&|v| format!("{v:.0}"))
                .label_style(("sans-serif", super::FONT_PX))
                .draw();
            let _ = chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
                let y = at(i);
                Rectangle::new(
                    [(0.0, SegmentValue::Exact(y)), (b.value, SegmentValue::Exact(y + 1))],
                    super::grade_colour(&b.grade).filled(),
                )
            }));
        }
        let _ = root.present();
    }
    super::accessible(svg, title, description)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An element's attribute, read from the SVG text.
    fn attr(element: &str, name: &str) -> f64 {
        let start = element.find(&format!(" {name}=\"")).unwrap_or_else(|| panic!("{name} in {element}")) + name.len() + 3;
        let len = element[start..].find('"').unwrap();
        element[start..start + len].parse().unwrap()
    }

    /// The y-axis labels, top to bottom: (centre y, text).
    fn labels(svg: &str) -> Vec<(f64, String)> {
        let mut out: Vec<(f64, String)> = svg
            .split("<text ")
            .skip(1)
            .filter(|t| t.contains("text-anchor=\"end\""))
            .map(|t| {
                let open = &t[..t.find('>').unwrap()];
                let text = &t[open.len() + 1..t.find("</text>").unwrap()];
                (attr(open, "y"), text.trim().to_string())
            })
            .filter(|(_, text)| !text.is_empty())
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out
    }

    /// The bars, top to bottom: (top, height, width, fill).
    fn rects(svg: &str) -> Vec<(f64, f64, f64, String)> {
        let mut out: Vec<_> = svg
            .split("<rect ")
            .skip(2) // the white background
            .map(|r| {
                let r = &r[..r.find("/>").unwrap()];
                let fill = r.split("fill=\"").nth(1).unwrap().split('"').next().unwrap().to_ascii_uppercase();
                (attr(r, "y"), attr(r, "height"), attr(r, "width"), fill)
            })
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out
    }

    /// The chart agrees with its table: the first bar on top, each label
    /// beside its own bar, each bar coloured by its grade and as long as
    /// its value. The names appear nowhere but in the labels (the title and
    /// description here do not name them).
    #[test]
    fn bars_run_top_to_bottom_in_order_labelled_and_coloured_by_grade() {
        let bars = vec![
            Bar { label: "鹿城区".into(), value: 91.5, grade: "excellent".into() },
            Bar { label: "瑞安市".into(), value: 84.0, grade: "good".into() },
            Bar { label: "龙湾区".into(), value: 45.75, grade: "fail".into() },
        ];
        let svg = render("排名", "三个单位", &bars);
        let labels = labels(&svg);
        let names: Vec<&str> = labels.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(names, ["鹿城区", "瑞安市", "龙湾区"], "top to bottom as given");
        let rects = rects(&svg);
        assert_eq!(rects.len(), 3, "one bar per unit");
        let fills: Vec<&str> = rects.iter().map(|r| r.3.as_str()).collect();
        assert_eq!(fills, ["#2F855A", "#3168B2", "#C53030"], "excellent, good, fail");
        for ((top, height, _, _), (y, name)) in rects.iter().zip(&labels) {
            assert!(*top <= *y && *y <= top + height, "{name}'s label at {y} is beside its bar ({top}..{})", top + height);
        }
        // Widths in proportion to the values (the axis runs 0 to 100).
        let unit = rects[0].2 / 91.5;
        for (r, b) in rects.iter().zip(&bars) {
            assert!((r.2 - unit * b.value).abs() <= 1.0, "{}: width {} for {}", b.label, r.2, b.value);
        }
        // Axis numbers as whole points, the last one not clipped ("100").
        assert!(svg.contains(">\n100\n</text>") || svg.contains(">100</text>"), "{svg}");
    }

    /// The longest department name is drawn whole: the label's right end
    /// leaves room for every character at the size the SVG gives it (a
    /// CJK character is one em wide), inside the chart's left edge.
    #[test]
    fn the_longest_department_name_fits_left_of_its_bar() {
        let name = "温州市人民政府国有资产监督管理委员会";
        let svg = render("排名", "", &[Bar { label: name.into(), value: 69.06, grade: "pass".into() }]);
        let label = svg.split("<text ").find(|t| t.contains(name)).expect("the name is drawn");
        let open = format!(" {}", &label[..label.find('>').unwrap()]);
        let (right_end, size) = (attr(&open, "x"), attr(&open, "font-size"));
        assert!(size >= 13.0, "text at {size} px reads as the table beside it");
        assert!(right_end - size * name.chars().count() as f64 >= 0.0, "{name} at x ≤ {right_end}, {size} px each");
    }

    #[test]
    fn a_chart_has_an_accessible_name_and_description_escaped() {
        let svg = render("<x>", "a & b", &[]);
        assert!(svg.starts_with("<svg role=\"img\" "));
        assert!(svg.contains("<title>&lt;x&gt;</title><desc>a &amp; b</desc>"));
    }
}
