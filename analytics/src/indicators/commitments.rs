//! D1 践诺履约: keeping commitments.

use polars::prelude::*;

use super::{Ctx, Measure, ded, den, num, weight_of};
use crate::columns::*;

pub const ONTIME: &str = "commit_ontime";
pub const BREACH: &str = "commit_breach";

pub const INDICATORS: &[(&str, Measure)] = &[(ONTIME, Measure::Rate { scale: 1.0 }), (BREACH, Measure::Deduction)];

/// Flags each commitment.
///
/// `commit_ontime`: "commitments due in `Y` (due_on in `Y`, due_on ≤ as_of,
/// status ≠ `lawfully_changed`): share with status `fulfilled` and
/// fulfilled_on ≤ due_on". A fulfilment dated after as_of has not happened.
///
/// `commit_breach`: "count of commitments made by as_of with status
/// `breached` and due_on in `Y` (due by as_of or not: a breach is known
/// when declared); D = 2.5 per breach" (the amount is the rulebook's).
///
/// A commitment made after as_of does not exist yet; a voided one counts
/// for nothing.
pub fn flagged(lf: LazyFrame, ctx: Ctx<'_>) -> LazyFrame {
    let w = ctx.window;
    let exists = w.date_by_as_of(col(MADE_ON)).and(col(VOIDED).not());
    let due_in_year = w.date_in_year(col(DUE_ON));
    let ontime_den = exists
        .clone()
        .and(due_in_year.clone())
        .and(w.date_by_as_of(col(DUE_ON)))
        .and(col(STATUS).neq(lit("lawfully_changed")));
    let ontime_num = ontime_den
        .clone()
        .and(col(STATUS).eq(lit("fulfilled")))
        .and(w.date_by_as_of(col(FULFILLED_ON)))
        .and(col(FULFILLED_ON).lt_eq(col(DUE_ON)).fill_null(lit(false)));
    let breach = exists.and(due_in_year).and(col(STATUS).eq(lit("breached")));
    lf.with_columns([
        ontime_den.alias(den(ONTIME)),
        weight_of(ontime_num).alias(num(ONTIME)),
        breach.clone().alias(den(BREACH)),
        when(breach).then(lit(ctx.per_item(BREACH))).otherwise(lit(0.0)).alias(ded(BREACH)),
    ])
}
