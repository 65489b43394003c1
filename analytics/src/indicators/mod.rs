//! One module per dimension of §3. Each turns its source into per-record
//! flags (which indicator counts the record in its denominator, with what
//! weight in its numerator, or what it deducts) and aggregates the flags per
//! unit into the long *measure* frame:
//! `unit_code, indicator, numerator, denominator, value`.
//!
//! Scoring ([`crate::score`]) and explanation ([`crate::explain`]) both
//! read the same flags, so a unit's explanation lists exactly the records
//! its points were computed from.
//!
//! Flag columns are named `<indicator>:den` (counted: in the denominator of
//! a rate, or an item of a deduction), `<indicator>:num` (the record's
//! weight in a rate's numerator) and `<indicator>:ded` (the points a record
//! deducts).

pub mod commitments;
pub mod debt;
pub mod dishonesty;
pub mod hotline;
pub mod proposals;
pub mod rating;

use polars::prelude::*;

use crate::columns::*;
use crate::rulebook::Rulebook;
use crate::window::Window;

/// What the indicator modules need to know.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub window: &'a Window,
    pub rules: &'a Rulebook,
}

impl Ctx<'_> {
    /// The rulebook's deduction per item for `id` (0 when the rulebook does
    /// not use the indicator).
    pub fn per_item(&self, id: &str) -> f64 {
        match self.rules.indicator(id).map(|r| &r.function) {
            Some(crate::rulebook::Function::Deduct { per_item: Some(p) }) => *p,
            _ => 0.0,
        }
    }
}

/// The Chinese and English names of an indicator, for pages and exports.
/// A dimension's name in English, from its Chinese name in the rulebook
/// (the method's six; another name is returned as it is, so nothing is
/// hidden, merely untranslated).
pub fn dimension_in_english(name_zh: &str) -> &str {
    match name_zh {
        "践诺履约" => "Keeping commitments",
        "建议提案办理" => "NPC and CPPCC proposals",
        "12345热线" => "12345 hotline",
        "政府债务" => "Government debt",
        "失信记录" => "Dishonesty records",
        "社会评价" => "Public rating",
        other => other,
    }
}

pub fn label(id: &str) -> (&'static str, &'static str) {
    match id {
        commitments::ONTIME => ("承诺按期兑现率", "Commitments kept on time"),
        commitments::BREACH => ("承诺违约", "Breached commitments"),
        proposals::ONTIME => ("建议提案按期答复率", "Proposals answered on time"),
        proposals::SATISFACTION_ID => ("建议提案满意率", "Proposal satisfaction"),
        proposals::RESOLUTION_ID => ("建议提案解决率", "Proposals resolved"),
        hotline::ONTIME => ("热线按期办结率", "Hotline tickets closed on time"),
        hotline::SATISFACTION_ID => ("热线满意率", "Hotline satisfaction"),
        hotline::REPEAT_ID => ("热线重复诉求率", "Repeat hotline requests"),
        hotline::INTEGRITY => ("涉政务失信诉求(每千件)", "Verified integrity complaints per 1,000"),
        debt::RATIO => ("债务率", "Debt ratio"),
        debt::LIMIT_ID => ("债务限额管理", "Within the debt limit"),
        debt::OVERDUE => ("逾期债务率", "Overdue debt ratio"),
        debt::VIOLATIONS_ID => ("违规举债担保", "Debt violations"),
        dishonesty::DISHONESTY => ("失信记录", "Dishonesty records"),
        rating::PUBLIC_RATING => ("万人评议", "Public rating"),
        _ => ("未知指标", "Unknown indicator"),
    }
}

/// The source whose individual records an indicator counts (`None` for
/// those computed from a yearly row: debt and the public rating), named as
/// the import formats name it. Listed per indicator, not guessed from ids.
pub fn record_source(id: &str) -> Option<&'static str> {
    match id {
        commitments::ONTIME | commitments::BREACH => Some("commitments"),
        proposals::ONTIME | proposals::SATISFACTION_ID | proposals::RESOLUTION_ID => Some("proposals"),
        hotline::ONTIME | hotline::SATISFACTION_ID | hotline::REPEAT_ID | hotline::INTEGRITY => Some("hotline"),
        dishonesty::DISHONESTY => Some("dishonesty"),
        _ => None,
    }
}

pub fn den(id: &str) -> String {
    format!("{id}:den")
}

pub fn num(id: &str) -> String {
    format!("{id}:num")
}

pub fn ded(id: &str) -> String {
    format!("{id}:ded")
}

/// How an indicator's value is formed from its flags.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measure {
    /// `value = scale × Σ num / Σ den`; n/a when nothing is counted.
    Rate { scale: f64 },
    /// `value = Σ ded`; numerator is the number of counted items.
    Deduction,
}

/// A deduct indicator whose unit has no records scores full points (zero
/// deductions); every other indicator is n/a without data.
pub fn absent_means_zero(id: &str) -> bool {
    matches!(id, commitments::BREACH | dishonesty::DISHONESTY)
}

/// Aggregates a flagged source per unit into measure rows for `ids`.
pub fn measures(flagged: LazyFrame, ids: &[(&'static str, Measure)]) -> LazyFrame {
    let aggs: Vec<Expr> = ids
        .iter()
        .flat_map(|(id, m)| {
            // Flags are summed as they are and the sums made f64: a flag
            // column cast first would be 8 bytes a record (24 MB for each
            // flag of 3 M tickets), and a count is the same number.
            let count = col(den(id)).sum().cast(DataType::Float64).alias(den(id));
            let second = match m {
                Measure::Rate { .. } => col(num(id)).sum().cast(DataType::Float64).alias(num(id)),
                Measure::Deduction => col(ded(id)).sum().alias(ded(id)),
            };
            [count, second]
        })
        .collect();
    // Cached: each indicator's rows below select from it, and without the
    // cache every one of them ran the group-by over all the source's
    // records again (four times over millions of tickets, in parallel).
    let per_unit = flagged.group_by([col(UNIT_CODE)]).agg(aggs).cache();
    let frames: Vec<LazyFrame> = ids
        .iter()
        .map(|(id, m)| {
            let (numerator, denominator, value) = match m {
                Measure::Rate { scale } => (
                    col(num(id)),
                    col(den(id)),
                    when(col(den(id)).gt(lit(0.0)))
                        .then(col(num(id)) / col(den(id)) * lit(*scale))
                        .otherwise(lit(NULL).cast(DataType::Float64)),
                ),
                Measure::Deduction => (col(den(id)), lit(NULL).cast(DataType::Float64), col(ded(id))),
            };
            per_unit.clone().select([
                col(UNIT_CODE),
                lit(*id).alias(INDICATOR),
                numerator.alias(NUMERATOR),
                denominator.alias(DENOMINATOR),
                value.alias(VALUE),
            ])
        })
        .collect();
    concat(frames, UnionArgs::default()).expect("measure frames share a schema")
}

/// A record's weight in a numerator when it is all or nothing: the flag
/// itself, counted as 1 when true ([`measures`] sums it as a count and
/// [`explanation_columns`] shows it as 1.0 or 0.0). Fractional weights are
/// f64 columns of their own.
pub fn weight_of(flag: Expr) -> Expr {
    flag
}

/// The flag columns of one indicator renamed to the explanation's names.
pub fn explanation_columns(id: &str, measure: Measure) -> Vec<Expr> {
    let mut cols = vec![col(ID), col(UNIT_CODE), col(VOIDED), col(den(id)).alias(IN_DENOMINATOR)];
    match measure {
        Measure::Rate { .. } => cols.push(col(num(id)).cast(DataType::Float64).alias(NUMERATOR_WEIGHT)),
        Measure::Deduction => cols.push(col(ded(id)).alias(DEDUCTION)),
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every indicator of the method's table (§3), in its order, with the
    /// Chinese and English names the pages, the workbook's headers and the
    /// notices print, and the import source (import-formats.md) whose
    /// records it counts: debt and the public rating come from one yearly
    /// row each, so no record list stands behind them.
    const TABLE: [(&str, &str, &str, Option<&str>); 15] = [
        ("commit_ontime", "承诺按期兑现率", "Commitments kept on time", Some("commitments")),
        ("commit_breach", "承诺违约", "Breached commitments", Some("commitments")),
        ("proposal_ontime", "建议提案按期答复率", "Proposals answered on time", Some("proposals")),
        ("proposal_satisfaction", "建议提案满意率", "Proposal satisfaction", Some("proposals")),
        ("proposal_resolution", "建议提案解决率", "Proposals resolved", Some("proposals")),
        ("hotline_ontime", "热线按期办结率", "Hotline tickets closed on time", Some("hotline")),
        ("hotline_satisfaction", "热线满意率", "Hotline satisfaction", Some("hotline")),
        ("hotline_repeat", "热线重复诉求率", "Repeat hotline requests", Some("hotline")),
        ("hotline_integrity", "涉政务失信诉求(每千件)", "Verified integrity complaints per 1,000", Some("hotline")),
        ("debt_ratio", "债务率", "Debt ratio", None),
        ("debt_limit", "债务限额管理", "Within the debt limit", None),
        ("debt_overdue", "逾期债务率", "Overdue debt ratio", None),
        ("debt_violations", "违规举债担保", "Debt violations", None),
        ("dishonesty", "失信记录", "Dishonesty records", Some("dishonesty")),
        ("public_rating", "万人评议", "Public rating", None),
    ];

    #[test]
    fn each_indicator_of_the_methods_table_has_its_names_and_its_record_source() {
        for (id, zh, en, source) in TABLE {
            assert_eq!(label(id), (zh, en), "{id}'s names");
            assert_eq!(record_source(id), source, "{id}'s records");
        }
        assert_eq!(label("no_such_indicator"), ("未知指标", "Unknown indicator"));
        assert_eq!(record_source("no_such_indicator"), None);
    }

    /// The shipped rulebooks hold exactly the method's indicators, so the
    /// table above is the whole of it.
    #[test]
    fn the_table_is_every_indicator_of_the_shipped_rulebook() {
        let rules = Rulebook::parse(include_str!("../../../seeds/rulebooks/2026.toml")).unwrap();
        let ids: Vec<&str> = rules.indicators.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, TABLE.map(|t| t.0));
    }

    /// The method's six dimensions (D1–D6) by their Chinese names, as the
    /// English pages print them; a name not among them is left as it is.
    #[test]
    fn each_dimension_has_its_english_name() {
        let names = [
            ("践诺履约", "Keeping commitments"),
            ("建议提案办理", "NPC and CPPCC proposals"),
            ("12345热线", "12345 hotline"),
            ("政府债务", "Government debt"),
            ("失信记录", "Dishonesty records"),
            ("社会评价", "Public rating"),
        ];
        for (zh, en) in names {
            assert_eq!(dimension_in_english(zh), en);
        }
        assert_eq!(dimension_in_english("其他维度"), "其他维度");
    }

    /// An indicator's count, numerator and deductions are three columns of
    /// one frame: their names differ from each other and from another
    /// indicator's, or one would overwrite the other.
    #[test]
    fn an_indicators_working_columns_are_its_own() {
        let names = [den("a"), num("a"), ded("a"), den("b"), num("b"), ded("b")];
        let distinct: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), names.len(), "{names:?}");
        assert!(names.iter().all(|n| n.starts_with('a') || n.starts_with('b')), "named after their indicator: {names:?}");
    }
}
