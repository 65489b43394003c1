//! Indicator statistics of a stored version (robustness.md §4), computed
//! by [`analytics::statistics`] from the version's points: for the
//! statistics page and the result workbook's two sheets.

use analytics::rulebook::Rulebook;
use analytics::statistics::{Statistics, UnitPoints, statistics};

use super::export::Cell;
use super::results::ResultRows;

/// The statistics of `rows` over `rules`' indicators.
pub fn of_rows(rows: &ResultRows, rules: &Rulebook) -> Statistics {
    let ids: Vec<String> = rules.indicators.iter().map(|r| r.id.clone()).collect();
    let weights: Vec<f64> = rules.indicators.iter().map(|r| r.weight).collect();
    let mut by_unit: std::collections::HashMap<(&str, &str), Option<f64>> = std::collections::HashMap::new();
    for r in &rows.indicators {
        by_unit.insert((r.unit_code.as_str(), r.indicator.as_str()), r.points.filter(|_| r.applicable));
    }
    let units: Vec<UnitPoints> = rows
        .units
        .iter()
        .map(|u| UnitPoints { group: u.group, points: ids.iter().map(|id| by_unit.get(&(u.unit_code.as_str(), id.as_str())).copied().flatten()).collect() })
        .collect();
    statistics(&ids, &weights, &units)
}

fn name(id: &str) -> String {
    analytics::indicators::label(id).0.to_string()
}

fn opt(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, |v| Cell::Number(v, Some(4)))
}

/// The distributions as a table for people (labels, not codes): (English
/// name, Chinese title) of each column and its rows.
pub fn distribution_table(s: &Statistics) -> (Vec<(String, String)>, Vec<Vec<Cell>>) {
    const COLUMNS: [(&str, &str); 12] = [
        ("group_label", "组别"),
        ("indicator_name", "指标"),
        ("weight", "分值"),
        ("units", "适用单位数"),
        ("min", "最低分"),
        ("q1", "下四分位"),
        ("median", "中位数"),
        ("q3", "上四分位"),
        ("max", "最高分"),
        ("share_full", "满分占比"),
        ("share_zero", "零分占比"),
        ("warning", "提示"),
    ];
    let rows = s
        .distributions
        .iter()
        .map(|d| {
            vec![
                Cell::Text(d.group.label_zh().into()),
                Cell::Text(name(&d.indicator)),
                Cell::Number(d.weight, None),
                Cell::Number(d.units as f64, Some(0)),
                Cell::Number(d.min, Some(4)),
                Cell::Number(d.q1, Some(4)),
                Cell::Number(d.median, Some(4)),
                Cell::Number(d.q3, Some(4)),
                Cell::Number(d.max, Some(4)),
                Cell::Number(d.share_full, Some(4)),
                Cell::Number(d.share_zero, Some(4)),
                Cell::Text(if d.does_not_separate { "90%以上单位满分，不能区分单位".into() } else { String::new() }),
            ]
        })
        .collect();
    (COLUMNS.iter().map(|(en, zh)| (en.to_string(), zh.to_string())).collect(), rows)
}

/// The correlations as a table.
pub fn correlation_table(s: &Statistics) -> (Vec<(String, String)>, Vec<Vec<Cell>>) {
    const COLUMNS: [(&str, &str); 7] = [
        ("group_label", "组别"),
        ("name_a", "指标甲"),
        ("name_b", "指标乙"),
        ("units", "单位数"),
        ("pearson", "皮尔逊相关"),
        ("spearman", "斯皮尔曼相关"),
        ("warning", "提示"),
    ];
    let rows = s
        .correlations
        .iter()
        .map(|c| {
            vec![
                Cell::Text(c.group.label_zh().into()),
                Cell::Text(name(&c.a)),
                Cell::Text(name(&c.b)),
                Cell::Number(c.units as f64, Some(0)),
                opt(c.pearson),
                opt(c.spearman),
                Cell::Text(if c.same_thing { "|ρ| ≥ 0.9：两项指标衡量的可能是同一件事".into() } else { String::new() }),
            ]
        })
        .collect();
    (COLUMNS.iter().map(|(en, zh)| (en.to_string(), zh.to_string())).collect(), rows)
}
