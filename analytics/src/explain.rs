//! Provenance (§6): for a unit and an indicator, the formula with its
//! thresholds and the source records behind the numerator, the denominator
//! or the deductions, so a unit sees exactly which records cost it points.
//!
//! The records come from the same per-record flags the score was computed
//! from ([`crate::indicators`]), so explanation and score cannot disagree.

use polars::prelude::*;

use crate::columns::*;
use crate::indicators::{self, Ctx, Measure};
use crate::inputs::Inputs;
use crate::rulebook::{Function, IndicatorRule};
use crate::{EngineError, score};

/// Column of [`records`]: the record cost the unit points (a late ticket,
/// an unsatisfied rating, a repeat ticket, a deduction).
pub const COSTS_POINTS: &str = "costs_points";

/// The scoring function with its numbers, e.g.
/// `s = 15 × clamp((v − 0.6) / (1 − 0.6), 0, 1)`.
pub fn formula(rule: &IndicatorRule) -> String {
    let w = rule.weight;
    match &rule.function {
        Function::Linear { bad, good } => format!("s = {w} × clamp((v − {bad}) / ({good} − {bad}), 0, 1)"),
        Function::Deduct { per_item: Some(p) } => format!("s = max(0, {w} − {p} × n)"),
        Function::Deduct { per_item: None } => format!("s = max(0, {w} − D)"),
        Function::PassFail => format!("s = {w} if the condition holds, else 0"),
    }
}

/// The scoring function in words, for readers rather than programmers:
/// (Chinese, English), e.g. "完成率 60% 及以下得 0 分，100% 及以上得满分
/// 15 分，其间按比例计分". Thresholds between 0 and 1 are rates and are
/// written as percentages.
pub fn method_in_words(rule: &IndicatorRule) -> (String, String) {
    let w = number(rule.weight);
    match &rule.function {
        Function::Linear { bad, good } => {
            let as_percent = (0.0..=1.0).contains(bad) && (0.0..=1.0).contains(good);
            let show = |x: f64| if as_percent { format!("{}%", number(x * 100.0)) } else { number(x) };
            let (zero, full) = (show(*bad), show(*good));
            if good >= bad {
                (
                    format!("指标值 {zero} 及以下得 0 分，{full} 及以上得满分 {w} 分，其间按比例计分"),
                    format!("{zero} or less scores 0, {full} or more the full {w} points, in proportion between"),
                )
            } else {
                (
                    format!("指标值 {zero} 及以上得 0 分，{full} 及以下得满分 {w} 分，其间按比例计分（越低越好）"),
                    format!("{zero} or more scores 0, {full} or less the full {w} points, in proportion between (lower is better)"),
                )
            }
        }
        Function::Deduct { per_item: Some(p) } => {
            let p = number(*p);
            (format!("满分 {w} 分，每条记录扣 {p} 分，扣完为止"), format!("{w} points, less {p} for each record, down to 0"))
        }
        Function::Deduct { per_item: None } => (
            format!("满分 {w} 分，按各条记录的扣分标准扣分，扣完为止"),
            format!("{w} points, less each record's deduction as the method sets it, down to 0"),
        ),
        Function::PassFail => (format!("达到要求得 {w} 分，否则得 0 分"), format!("{w} points if the requirement is met, else 0")),
    }
}

/// A number as a reader writes it: no trailing zeros (15, 0.5, 2.25).
fn number(x: f64) -> String {
    let text = format!("{:.4}", x);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_string() } else { text.to_string() }
}

/// The records of `unit_code` that `indicator` counted (and voided ones,
/// marked, which count for nothing): `id, unit_code, voided,
/// in_denominator, numerator_weight | deduction, costs_points`, sorted by
/// id. `None` for indicators computed from a yearly row rather than from
/// records (debt, public rating).
pub fn records(inputs: &Inputs, ctx: Ctx<'_>, unit_code: &str, indicator: &str) -> Result<Option<DataFrame>, EngineError> {
    let Some(rule) = ctx.rules.indicator(indicator) else {
        return Err(EngineError::UnknownIndicator(indicator.to_string()));
    };
    let Some((flagged, measure)) = score::flagged_source(inputs, ctx, indicator) else {
        return Ok(None);
    };
    let lower_is_better = matches!(rule.function, Function::Linear { bad, good } if good < bad);
    let costs = match measure {
        Measure::Deduction => col(DEDUCTION).gt(lit(0.0)),
        Measure::Rate { .. } if lower_is_better => col(NUMERATOR_WEIGHT).gt(lit(0.0)),
        Measure::Rate { .. } => col(IN_DENOMINATOR).and(col(NUMERATOR_WEIGHT).lt(lit(1.0))),
    };
    let out = flagged
        .filter(col(UNIT_CODE).eq(lit(unit_code)))
        .select(indicators::explanation_columns(indicator, measure))
        .filter(col(IN_DENOMINATOR).or(col(VOIDED)))
        .with_column(costs.alias(COSTS_POINTS))
        .sort([ID], SortMultipleOptions::default())
        .collect()?;
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(weight: f64, function: Function) -> IndicatorRule {
        IndicatorRule { id: "x".into(), dimension: "D1".into(), weight, function, groups: Vec::new() }
    }

    #[test]
    fn the_method_is_written_in_words_with_its_own_numbers() {
        let (zh, en) = method_in_words(&rule(15.0, Function::Linear { bad: 0.6, good: 1.0 }));
        assert_eq!(zh, "指标值 60% 及以下得 0 分，100% 及以上得满分 15 分，其间按比例计分");
        assert_eq!(en, "60% or less scores 0, 100% or more the full 15 points, in proportion between");
        let (zh, _) = method_in_words(&rule(10.0, Function::Linear { bad: 1.2, good: 0.8 }));
        assert_eq!(zh, "指标值 1.2 及以上得 0 分，0.8 及以下得满分 10 分，其间按比例计分（越低越好）");
        let (zh, _) = method_in_words(&rule(5.0, Function::Linear { bad: 0.3, good: 0.05 }));
        assert!(zh.starts_with("指标值 30% 及以上得 0 分，5% 及以下得满分 5 分"), "{zh}");
        assert_eq!(method_in_words(&rule(10.0, Function::Deduct { per_item: Some(0.5) })).0, "满分 10 分，每条记录扣 0.5 分，扣完为止");
        assert_eq!(method_in_words(&rule(8.0, Function::Deduct { per_item: None })).0, "满分 8 分，按各条记录的扣分标准扣分，扣完为止");
        assert_eq!(method_in_words(&rule(2.5, Function::PassFail)).0, "达到要求得 2.5 分，否则得 0 分");
    }
}
