//! D3 12345热线: the unit's hotline tickets.

use polars::prelude::*;

use super::{Ctx, Measure, den, num, weight_of};
use crate::columns::*;

pub const ONTIME: &str = "hotline_ontime";
pub const SATISFACTION_ID: &str = "hotline_satisfaction";
pub const REPEAT_ID: &str = "hotline_repeat";
pub const INTEGRITY: &str = "hotline_integrity";

pub const INDICATORS: &[(&str, Measure)] = &[
    (ONTIME, Measure::Rate { scale: 1.0 }),
    (SATISFACTION_ID, Measure::Rate { scale: 1.0 }),
    (REPEAT_ID, Measure::Rate { scale: 1.0 }),
    // "per 1,000 tickets"
    (INTEGRITY, Measure::Rate { scale: 1000.0 }),
];

/// Flags each ticket.
///
/// Tickets "received in `Y`" (and by as_of). `hotline_ontime`: those with
/// due_at ≤ as_of, share with closed_at ≤ due_at. `hotline_satisfaction`:
/// those with a rating, (satisfied + basic) / rated. `hotline_repeat`:
/// share flagged repeat. `hotline_integrity`: verified integrity-related
/// tickets (any category) per 1,000 tickets.
pub fn flagged(lf: LazyFrame, ctx: Ctx<'_>) -> LazyFrame {
    let w = ctx.window;
    let received = col(VOIDED).not().and(w.instant_in_year_by_as_of(col(RECEIVED_AT)));
    let due = received.clone().and(col(DUE_AT).lt_eq(w.lit_as_of()));
    let closed_in_time = col(CLOSED_AT).lt_eq(col(DUE_AT)).fill_null(lit(false));
    let rated = received.clone().and(col(SATISFACTION).is_not_null());
    let satisfied = col(SATISFACTION).eq(lit("satisfied")).or(col(SATISFACTION).eq(lit("basic"))).fill_null(lit(false));
    lf.with_columns([
        due.clone().alias(den(ONTIME)),
        weight_of(due.and(closed_in_time)).alias(num(ONTIME)),
        rated.clone().alias(den(SATISFACTION_ID)),
        weight_of(rated.and(satisfied)).alias(num(SATISFACTION_ID)),
        received.clone().alias(den(REPEAT_ID)),
        weight_of(received.clone().and(col(REPEAT))).alias(num(REPEAT_ID)),
        received.clone().alias(den(INTEGRITY)),
        weight_of(received.and(col(INTEGRITY_RELATED)).and(col(VERIFIED))).alias(num(INTEGRITY)),
    ])
}
