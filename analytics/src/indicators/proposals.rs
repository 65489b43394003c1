//! D2 建议提案办理: handling NPC/CPPCC proposals, by lead unit (主办).

use polars::prelude::*;

use super::{Ctx, Measure, den, num, weight_of};
use crate::columns::*;

pub const ONTIME: &str = "proposal_ontime";
pub const SATISFACTION_ID: &str = "proposal_satisfaction";
pub const RESOLUTION_ID: &str = "proposal_resolution";

pub const INDICATORS: &[(&str, Measure)] = &[
    (ONTIME, Measure::Rate { scale: 1.0 }),
    (SATISFACTION_ID, Measure::Rate { scale: 1.0 }),
    (RESOLUTION_ID, Measure::Rate { scale: 1.0 }),
];

/// The due date: the proposal's own, else assigned_on + N calendar months,
/// clamped to the month's last day ("30 November → 28 or 29 February";
/// polars' `offset_by` clamps exactly so).
pub fn effective_due(ctx: Ctx<'_>) -> Expr {
    let months = format!("{}mo", ctx.rules.proposals.default_due_months);
    col(DUE_ON).fill_null(col(ASSIGNED_ON).dt().offset_by(lit(months)))
}

/// Flags each proposal.
///
/// The population: "proposals whose lead unit is the unit, assigned_on in
/// `Y`, due_on ≤ as_of". `proposal_ontime`: share with replied_on ≤ due_on
/// (a reply after as_of has not happened). `proposal_satisfaction`: "of
/// those with a satisfaction rating: (satisfied + basic) / rated".
/// `proposal_resolution`: "of those with a resolution class: (A + 0.5 × B)
/// / classified".
pub fn flagged(lf: LazyFrame, ctx: Ctx<'_>) -> LazyFrame {
    let w = ctx.window;
    let due = col(EFFECTIVE_DUE);
    let population = col(VOIDED)
        .not()
        .and(w.date_in_year(col(ASSIGNED_ON)))
        .and(w.date_by_as_of(col(ASSIGNED_ON)))
        .and(w.date_by_as_of(due.clone()));
    let replied_in_time = w.date_by_as_of(col(REPLIED_ON)).and(col(REPLIED_ON).lt_eq(due).fill_null(lit(false)));
    let rated = population.clone().and(col(SATISFACTION).is_not_null());
    let satisfied = col(SATISFACTION).eq(lit("satisfied")).or(col(SATISFACTION).eq(lit("basic")));
    let classified = population.clone().and(col(RESOLUTION).is_not_null());
    let resolution_weight = when(col(RESOLUTION).eq(lit("A")))
        .then(lit(1.0))
        .when(col(RESOLUTION).eq(lit("B")))
        .then(lit(0.5))
        .otherwise(lit(0.0));
    lf.with_column(effective_due(ctx).alias(EFFECTIVE_DUE)).with_columns([
        population.clone().alias(den(ONTIME)),
        weight_of(population.and(replied_in_time)).alias(num(ONTIME)),
        rated.clone().alias(den(SATISFACTION_ID)),
        weight_of(rated.and(satisfied).fill_null(lit(false))).alias(num(SATISFACTION_ID)),
        classified.clone().alias(den(RESOLUTION_ID)),
        when(classified).then(resolution_weight).otherwise(lit(0.0)).alias(num(RESOLUTION_ID)),
    ])
}
