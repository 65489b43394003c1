//! What several pages write the same way: the version badge, a chart's
//! colour key, grade and group names, and numbers. Pages import from here,
//! never from each other (`scripts/architecture` checks it).

use maud::{Markup, html};

use crate::layout::Lang;

/// The result version shown.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionBadge {
    pub version: i64,
    pub as_of: String,
    pub published: bool,
    pub content_hash: String,
}

/// A chart's colour key: a swatch of each grade's colour with what it
/// stands for on that chart, one `(grade, label)` per colour.
pub fn colour_key(keys: &[(&str, &str)]) -> Markup {
    html! {
        @for (grade, label) in keys {
            span.legend { span.swatch style={ "background:" (crate::charts::grade_css(grade)) } aria-hidden="true" {} (label) }
        }
    }
}

/// `↑3`, `↓2`, `0` or a dash: up means the unit moved up. Reports print
/// rank changes the same way.
pub fn rank_change(v: Option<i64>) -> String {
    match v {
        Some(v) if v > 0 => format!("↑{v}"),
        Some(v) if v < 0 => format!("↓{}", -v),
        Some(_) => "0".into(),
        None => "–".into(),
    }
}

/// A grade's label.
pub fn grade_label(lang: Lang, grade: &str) -> &'static str {
    match grade {
        "excellent" => lang.pick("优秀", "Excellent"),
        "good" => lang.pick("良好", "Good"),
        "pass" => lang.pick("合格", "Pass"),
        "fail" => lang.pick("不合格", "Fail"),
        _ => lang.pick("未评定", "Ungraded"),
    }
}

/// A peer group's label.
pub fn group_label(lang: Lang, group: &str) -> &'static str {
    match group {
        "county" => lang.pick("县（市、区）", "Counties and districts"),
        "department" => lang.pick("市直单位", "City departments"),
        "township" => lang.pick("乡镇（街道）", "Townships and streets"),
        _ => lang.pick("其他", "Other"),
    }
}

/// A number with fixed decimals, or a dash. A value that rounds to zero
/// is written without a sign: "-0.00" says nothing a reader can use.
pub fn fixed(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "–".to_string(), |v| unsigned_zero(format!("{v:.decimals$}")))
}

/// A change with its sign (+1.25, -0.50), and 0.00 without one.
pub fn signed(value: f64, decimals: usize) -> String {
    let text = format!("{value:+.decimals$}");
    if is_zero(&text[1..]) { text[1..].to_string() } else { text }
}

fn is_zero(digits: &str) -> bool {
    digits.chars().all(|c| c == '0' || c == '.')
}

fn unsigned_zero(text: String) -> String {
    match text.strip_prefix('-') {
        Some(rest) if is_zero(rest) => rest.to_string(),
        _ => text,
    }
}

/// A probability as a percentage, always to one decimal (0.0%, 12.5%,
/// 100.0%), so that a column reads alike; a probability that is not 0 or 1
/// never rounds to look like one ("<0.1%", ">99.9%").
pub fn share(p: f64) -> String {
    let percent = p * 100.0;
    if p > 0.0 && percent < 0.05 {
        "<0.1%".to_string()
    } else if p < 1.0 && percent >= 99.95 {
        ">99.9%".to_string()
    } else {
        format!("{percent:.1}%")
    }
}

/// A count with thousands separators (9,397), never with decimals.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A numerator or denominator: a whole number as a count (9,397), any
/// other to two decimals, none as a dash.
pub fn quantity(value: Option<f64>) -> String {
    match value {
        Some(v) if v >= 0.0 && v.fract() == 0.0 && v < 1e15 => count(v as u64),
        other => fixed(other, 2),
    }
}

#[cfg(test)]
mod number_tests {
    use super::*;

    #[test]
    fn numbers_are_written_for_readers() {
        assert_eq!(fixed(Some(-0.001), 2), "0.00");
        assert_eq!(fixed(Some(-0.006), 2), "-0.01");
        assert_eq!(fixed(None, 2), "–");
        assert_eq!((signed(1.25, 2), signed(-0.5, 2), signed(-0.001, 2), signed(0.0, 2)), ("+1.25".into(), "-0.50".into(), "0.00".into(), "0.00".into()));
        assert_eq!([share(0.0), share(0.0004), share(0.125), share(0.9996), share(1.0)], ["0.0%", "<0.1%", "12.5%", ">99.9%", "100.0%"]);
        assert_eq!([count(0), count(999), count(9397), count(1_234_567)], ["0", "999", "9,397", "1,234,567"]);
        assert_eq!([quantity(Some(9397.0)), quantity(Some(12.5)), quantity(None)], ["9,397", "12.50", "–"]);
    }
}
