//! A unit's trend over the years: its total (left) and its rank in its
//! group (right, first at the top), one point per year, each point
//! coloured by that year's grade and labelled with its value.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One year.
#[derive(Debug, Clone, PartialEq)]
pub struct Year {
    pub year: i32,
    pub total: f64,
    /// None for an ungraded year (no rank).
    pub rank: Option<i64>,
    pub grade: String,
    /// Not published yet: its point is drawn hollow and its year labelled
    /// with [`Labels::provisional`], so a provisional figure never looks
    /// final.
    pub provisional: bool,
}

/// The words of a chart: the two panels' titles and the mark of a
/// provisional year (暂定).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Labels<'a> {
    pub total: &'a str,
    pub rank: &'a str,
    pub provisional: &'a str,
}

/// Width and height of the whole chart.
const SIZE: (u32, u32) = (640, 240);

/// The SVG of `years` (oldest first), ranks drawn on an axis from 1 to
/// `group_size` at most, in the words of `labels`.
pub fn render(title: &str, description: &str, years: &[Year], group_size: i64, labels: Labels<'_>) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let _ = root.fill(&WHITE);
        let (left, right) = root.split_horizontally(SIZE.0 / 2);
        let first = years.first().map_or(0, |y| y.year);
        let last = years.last().map_or(0, |y| y.year);
        // A segmented range holds both ends: one segment per year.
        let x = first..last;
        let font = ("sans-serif", super::FONT_PX);

        // Totals: from 0 to 100 (or the best total, bonus included).
        let top = years.iter().map(|y| y.total).fold(100.0_f64, f64::max);
        if let Ok(mut chart) = ChartBuilder::on(&left)
            .caption(labels.total, font)
            .margin(8)
            .margin_right(16)
            .x_label_area_size(22)
            .y_label_area_size(34)
            .build_cartesian_2d(x.clone().into_segmented(), 0.0..top)
        {
            let _ = chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(years.len().max(1))
                .x_label_formatter(&|v| year_label(v, years, labels.provisional))
                .y_labels(6)
                .y_label_formatter(&|v| format!("{v:.0}"))
                .label_style(font)
                .draw();
            let at = |y: &Year| (SegmentValue::CenterOf(y.year), y.total);
            let _ = chart.draw_series(std::iter::once(PathElement::new(years.iter().map(at).collect::<Vec<_>>(), RGBColor(82, 96, 109).stroke_width(2))));
            let _ = chart.draw_series(years.iter().map(|y| marker(at(y), y)));
            let _ = chart.draw_series(years.iter().map(|y| {
                Text::new(format!("{:.2}", y.total), at(y), font.into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Bottom)))
            }));
        }

        // Ranks: 1 at the top. Plotted as −rank so the axis runs downwards.
        let worst = years.iter().filter_map(|y| y.rank).max().unwrap_or(1).max(group_size).max(1);
        if let Ok(mut chart) = ChartBuilder::on(&right)
            .caption(labels.rank, font)
            .margin(8)
            .margin_right(16)
            .x_label_area_size(22)
            .y_label_area_size(34)
            .build_cartesian_2d(x.into_segmented(), -(worst as f64) - 0.5..-0.5)
        {
            let _ = chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(years.len().max(1))
                .x_label_formatter(&|v| year_label(v, years, labels.provisional))
                .y_labels((worst as usize).min(6))
                .y_label_formatter(&|v| if v.fract().abs() < 1e-9 && *v < 0.0 { format!("{}", -v) } else { String::new() })
                .label_style(font)
                .draw();
            let ranked: Vec<&Year> = years.iter().filter(|y| y.rank.is_some()).collect();
            let at = |y: &Year| (SegmentValue::CenterOf(y.year), -(y.rank.unwrap_or(0) as f64));
            let _ = chart.draw_series(std::iter::once(PathElement::new(ranked.iter().map(|y| at(y)).collect::<Vec<_>>(), RGBColor(82, 96, 109).stroke_width(2))));
            let _ = chart.draw_series(ranked.iter().map(|y| marker(at(y), y)));
            let _ = chart.draw_series(ranked.iter().map(|y| {
                let rank = y.rank.unwrap_or(0);
                Text::new(format!("{rank}"), at(y), font.into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Bottom)))
            }));
        }
        let _ = root.present();
    }
    super::accessible(svg, title, description)
}

/// A year's point: filled in its grade's colour, hollow while provisional.
fn marker(at: (SegmentValue<i32>, f64), y: &Year) -> Circle<(SegmentValue<i32>, f64), i32> {
    let colour = super::grade_colour(&y.grade);
    if y.provisional { Circle::new(at, 5, colour.stroke_width(2)) } else { Circle::new(at, 5, colour.filled()) }
}

fn year_label(v: &SegmentValue<i32>, years: &[Year], provisional: &str) -> String {
    match v {
        SegmentValue::CenterOf(year) if years.iter().any(|y| y.year == *year && y.provisional) => format!("{year}{provisional}"),
        SegmentValue::CenterOf(year) => year.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text ")
            .skip(1)
            .map(|t| {
                let open = t.find('>').unwrap();
                t[open + 1..t.find("</text>").unwrap()].trim().to_string()
            })
            .collect()
    }

    /// The circles: (cx, cy, fill), left to right as drawn.
    fn circles(svg: &str) -> Vec<(f64, f64, String)> {
        svg.split("<circle ")
            .skip(1)
            .map(|c| {
                let c = format!(" {}", &c[..c.find("/>").unwrap()]);
                let attr = |name: &str| -> String { c.split(&format!(" {name}=\"")).nth(1).unwrap().split('"').next().unwrap().to_string() };
                (attr("cx").parse().unwrap(), attr("cy").parse().unwrap(), attr("fill").to_ascii_uppercase())
            })
            .collect()
    }

    const L: Labels<'static> = Labels { total: "总分", rank: "排名", provisional: "暂定" };

    #[test]
    fn a_provisional_year_is_labelled_and_drawn_hollow() {
        let years = vec![
            Year { year: 2025, total: 80.0, rank: Some(2), grade: "good".into(), provisional: false },
            Year { year: 2026, total: 85.0, rank: Some(1), grade: "excellent".into(), provisional: true },
        ];
        let svg = render("走势", "两年", &years, 3, L);
        let texts = texts(&svg);
        assert!(texts.iter().any(|t| t == "2026暂定") && texts.iter().any(|t| t == "2025"), "{texts:?}");
        assert!(!texts.iter().any(|t| t == "2025暂定"));
        let hollow = svg.split("<circle ").skip(1).filter(|c| c.contains("fill=\"none\"")).count();
        assert_eq!(hollow, 2, "2026's point in each panel, and only it");
    }

    #[test]
    fn totals_rise_and_ranks_fall_as_they_should_with_every_value_labelled() {
        let years = vec![
            Year { year: 2023, total: 70.5, rank: Some(9), grade: "pass".into(), provisional: false },
            Year { year: 2024, total: 84.25, rank: Some(3), grade: "good".into(), provisional: false },
            Year { year: 2025, total: 91.0, rank: Some(1), grade: "excellent".into(), provisional: false },
        ];
        let svg = render("走势", "三年", &years, 12, L);
        let texts = texts(&svg);
        for label in ["2023", "2024", "2025", "70.50", "84.25", "91.00", "9", "3", "1", "总分", "排名"] {
            assert!(texts.iter().any(|t| t == label), "{label} in {texts:?}");
        }
        assert!(!texts.iter().any(|t| t == "2026" || t == "2022"), "no year beyond the data: {texts:?}");
        let points = circles(&svg);
        assert_eq!(points.len(), 6, "a point per year in each panel");
        let (totals, ranks) = points.split_at(3);
        // SVG y grows downwards: a higher total is drawn higher, a better
        // (smaller) rank too.
        assert!(totals[0].1 > totals[1].1 && totals[1].1 > totals[2].1, "{totals:?}");
        assert!(ranks[0].1 > ranks[1].1 && ranks[1].1 > ranks[2].1, "{ranks:?}");
        assert!(totals[0].0 < totals[1].0 && totals[1].0 < totals[2].0, "years left to right");
        assert_eq!(totals.iter().map(|p| p.2.as_str()).collect::<Vec<_>>(), ["#D69E2E", "#3168B2", "#2F855A"], "coloured by grade");
    }

    #[test]
    fn one_year_is_one_point() {
        let years = vec![Year { year: 2025, total: 80.0, rank: Some(2), grade: "good".into(), provisional: false }];
        let svg = render("走势", "一年", &years, 3, L);
        assert_eq!(circles(&svg).len(), 2);
        assert!(texts(&svg).iter().any(|t| t == "2025"));
    }

    #[test]
    fn an_ungraded_year_has_a_total_but_no_rank() {
        let years = vec![
            Year { year: 2024, total: 60.0, rank: None, grade: "ungraded".into(), provisional: false },
            Year { year: 2025, total: 80.0, rank: Some(2), grade: "good".into(), provisional: false },
        ];
        let svg = render("走势", "两年", &years, 3, L);
        assert_eq!(circles(&svg).len(), 3);
    }
}
