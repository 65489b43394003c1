//! D5 失信记录: dishonesty records, credit repair and the one-vote veto
//! (一票否决), §4.

use polars::prelude::*;

use super::{Ctx, Measure, ded, den};
use crate::columns::*;

pub const DISHONESTY: &str = "dishonesty";

pub const INDICATORS: &[(&str, Measure)] = &[(DISHONESTY, Measure::Deduction)];

/// Flags each record.
///
/// A record counts for `Y` "when its occurred_on is in `Y`, or, for a
/// `court_listing`, when the listing is active at any time in `Y`
/// (occurred_on ≤ end of `Y` and not rectified before the start of `Y`)".
/// It deducts its type's amount × its mitigation factor; "a
/// `court_listing` rectified after its rectify_deadline (but by as_of)
/// deducts twice its amount, in every year it counts for".
///
/// Veto: "a `court_listing` (subject `unit`) that counts for `Y`, whose
/// rectify_deadline is by as_of and that is not rectified by as_of.
/// Mitigation does not lift a veto; voiding the listing does."
///
/// Records after as_of have not happened; a rectification after as_of has
/// not happened either.
pub fn flagged(lf: LazyFrame, ctx: Ctx<'_>) -> LazyFrame {
    let w = ctx.window;
    let rules = &ctx.rules.dishonesty;
    let listing = col(TYPE).eq(lit("court_listing"));
    let rectified = col(RECTIFIED_ON);
    let active_in_year = listing
        .clone()
        .and(col(OCCURRED_ON).lt_eq(w.lit_last_day()))
        .and(rectified.clone().lt(w.lit_first_day()).fill_null(lit(false)).not());
    let counts = col(VOIDED)
        .not()
        .and(w.date_by_as_of(col(OCCURRED_ON)))
        .and(w.date_in_year(col(OCCURRED_ON)).or(active_in_year));
    let rectified_late = listing
        .clone()
        .and(rectified.clone().gt(col(RECTIFY_DEADLINE)).fill_null(lit(false)));
    let mut base = lit(0.0);
    for (kind, amount) in &rules.deduction {
        base = when(col(TYPE).eq(lit(kind.code()))).then(lit(*amount)).otherwise(base);
    }
    let mut factor = lit(1.0);
    for (mitigation, f) in &rules.mitigation {
        factor = when(col(MITIGATION).eq(lit(mitigation.code()))).then(lit(*f)).otherwise(factor);
    }
    let late = when(col(RECTIFIED_LATE)).then(lit(rules.late_rectification_factor)).otherwise(lit(1.0));
    let vetoes = col(COUNTS)
        .and(listing)
        .and(col(SUBJECT).eq(lit("unit")))
        .and(w.date_by_as_of(col(RECTIFY_DEADLINE)))
        .and(rectified.is_null());
    lf.with_column(w.date_if_by_as_of(col(RECTIFIED_ON)).alias(RECTIFIED_ON))
        .with_columns([counts.alias(COUNTS), rectified_late.alias(RECTIFIED_LATE)])
        .with_columns([
            col(COUNTS).alias(den(DISHONESTY)),
            when(col(COUNTS)).then(base * late * factor).otherwise(lit(0.0)).alias(ded(DISHONESTY)),
            vetoes.alias(VETOES),
        ])
}

/// Vetoed units with their reason: the qualifying listings' ids, earliest
/// occurred_on first (listings of the same day by id, a reading the method
/// leaves open), joined with `;`.
pub fn vetoes(flagged: LazyFrame) -> LazyFrame {
    flagged
        .filter(col(VETOES))
        .sort_by_exprs([col(OCCURRED_ON), col(ID)], SortMultipleOptions::default())
        .group_by_stable([col(UNIT_CODE)])
        .agg([col(ID).alias(VETO_REASON)])
        .with_columns([col(VETO_REASON).list().join(lit(";"), true), lit(true).alias(VETOED)])
}
