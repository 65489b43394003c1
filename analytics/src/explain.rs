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
