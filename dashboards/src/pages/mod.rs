pub mod home;
pub mod imports;
pub mod jobs;
pub mod login;
pub mod objections;
pub mod overview;
pub mod persons;
pub mod public;
pub mod publication;
pub mod records;
pub mod repairs;
pub mod scorecard;
pub mod statistics;
pub mod supervision;
pub mod users;
pub mod whatif;

use crate::layout::Lang;

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

/// A number with fixed decimals, or a dash.
pub fn fixed(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{v:.decimals$}"))
}

/// A probability as a percentage: whole at 0 and 1, else to one decimal,
/// so that 99.5 % never reads as certain.
pub fn share(p: f64) -> String {
    if p == 0.0 || p == 1.0 { format!("{:.0}%", p * 100.0) } else { format!("{:.1}%", p * 100.0) }
}
