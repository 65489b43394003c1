//! How the grades were spread in each year: one bar per year, top to
//! bottom in the order of the table beside it, split into the number of
//! units of each grade (in grade order, left to right), each part
//! coloured by its grade and labelled with its count when there is room.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One year's bar.
#[derive(Debug, Clone, PartialEq)]
pub struct YearGrades {
    pub year: i32,
    /// (grade code, units) in grade order.
    pub counts: Vec<(String, usize)>,
}

/// The SVG; `legend` gives each grade code's label in the page's language.
pub fn render(title: &str, description: &str, years: &[YearGrades], legend: &[(String, String)]) -> String {
    let row = 28u32;
    let height = 70 + row * years.len().max(1) as u32;
    let width = 640u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let (plot, key) = root.split_vertically(height - 28);
        let most = years.iter().map(|y| y.counts.iter().map(|(_, n)| n).sum::<usize>()).max().unwrap_or(0).max(1);
        let n = years.len().max(1) as i32;
        let at = |i: usize| n - 1 - i as i32;
        let font = ("sans-serif", super::FONT_PX);
        if let Ok(mut chart) = ChartBuilder::on(&plot)
            .margin(8)
            .margin_right(28)
            .x_label_area_size(24)
            .y_label_area_size(48)
            .build_cartesian_2d(0.0..most as f64, (0..n).into_segmented())
        {
            let _ = chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(years.len().max(1))
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(row) => usize::try_from(n - 1 - row).ok().and_then(|i| years.get(i)).map(|y| y.year.to_string()).unwrap_or_default(),
                    _ => String::new(),
                })
                .x_label_formatter(&|v| format!("{v:.0}"))
                .label_style(font)
                .draw();
            for (i, y) in years.iter().enumerate() {
                let row = at(i);
                let mut from = 0.0;
                for (grade, count) in y.counts.iter().filter(|(_, c)| *c > 0) {
                    let to = from + *count as f64;
                    let _ = chart.draw_series(std::iter::once(Rectangle::new(
                        [(from, SegmentValue::Exact(row)), (to, SegmentValue::Exact(row + 1))],
                        super::grade_colour(grade).filled(),
                    )));
                    // A count inside its part when the part is wide enough.
                    if *count as f64 / most as f64 >= 0.04 {
                        let style = font.into_font().color(&WHITE).pos(Pos::new(HPos::Center, VPos::Center));
                        let _ = chart.draw_series(std::iter::once(Text::new(count.to_string(), ((from + to) / 2.0, SegmentValue::CenterOf(row)), style)));
                    }
                    from = to;
                }
            }
        }
        // The key: a swatch and a label per grade.
        let mut x = 56i32;
        for (code, label) in legend {
            let _ = key.draw(&Rectangle::new([(x, 8), (x + 12, 20)], super::grade_colour(code).filled()));
            let _ = key.draw(&Text::new(label.clone(), (x + 16, 8), font.into_font().color(&BLACK)));
            x += 24 + 14 * label.chars().count() as i32;
        }
        let _ = root.present();
    }
    super::accessible(svg, title, description)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts of the bars: (y, x, width, fill), top to bottom, left to right.
    fn parts(svg: &str) -> Vec<(f64, f64, f64, String)> {
        let mut out: Vec<_> = svg
            .split("<rect ")
            .skip(1)
            .map(|r| {
                let r = format!(" {}", &r[..r.find("/>").unwrap()]);
                let attr = |name: &str| -> String { r.split(&format!(" {name}=\"")).nth(1).unwrap().split('"').next().unwrap().to_string() };
                (attr("y").parse().unwrap(), attr("x").parse().unwrap(), attr("width").parse().unwrap(), attr("fill").to_ascii_uppercase())
            })
            .filter(|(_, _, w, fill): &(f64, f64, f64, String)| *w > 12.5 && fill != "#FFFFFF")
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        out
    }

    #[test]
    fn each_year_is_a_bar_split_by_grade_in_proportion_to_its_counts() {
        let years = vec![
            YearGrades { year: 2024, counts: vec![("excellent".into(), 2), ("good".into(), 4), ("pass".into(), 0), ("fail".into(), 2)] },
            YearGrades { year: 2025, counts: vec![("excellent".into(), 4), ("good".into(), 2), ("pass".into(), 2), ("fail".into(), 0)] },
        ];
        let legend = vec![("excellent".into(), "优秀".into()), ("good".into(), "良好".into()), ("pass".into(), "合格".into()), ("fail".into(), "不合格".into())];
        let svg = render("等次分布", "两年", &years, &legend);
        let parts = parts(&svg);
        assert_eq!(parts.len(), 6, "{parts:?}");
        let (first, second) = parts.split_at(3);
        assert!(first.iter().all(|p| p.0 == first[0].0) && second[0].0 > first[0].0, "2024 on top, then 2025");
        assert_eq!(first.iter().map(|p| p.3.as_str()).collect::<Vec<_>>(), ["#2F855A", "#3168B2", "#C53030"]);
        assert_eq!(second.iter().map(|p| p.3.as_str()).collect::<Vec<_>>(), ["#2F855A", "#3168B2", "#D69E2E"]);
        // Pixels are whole: each part within two of its share.
        let unit = (first.iter().map(|p| p.2).sum::<f64>()) / 8.0;
        for (p, count) in first.iter().zip([2.0, 4.0, 2.0]).chain(second.iter().zip([4.0, 2.0, 2.0])) {
            assert!((p.2 - unit * count).abs() <= 2.0, "{p:?} for {count}");
        }
        for label in ["2024", "2025", "优秀", "不合格"] {
            assert!(svg.contains(label), "{label}");
        }
    }
}
