//! The data-quality report (§3): what a reviewer should see before
//! publishing. One row per finding: `kind, source, unit_code, record_id,
//! detail`, sorted.
//!
//! Kinds: `no_records` (a unit has no records of `Y` in a source that
//! applies to its group), `missing_debt` (a county without a debt row for
//! `Y`: its debt indicators are n/a, never silently neutral),
//! `unknown_unit` (a record names a unit that does not exist),
//! `impossible_date` (e.g. closed before received), `inconsistent_debt`
//! (more overdue than due), `ungraded` (a unit with
//! nothing but deductions behind its score, §5).

use polars::prelude::*;

use crate::columns::*;
use crate::indicators::{Ctx, hotline};
use crate::inputs::Inputs;

pub const NO_RECORDS: &str = "no_records";
pub const MISSING_DEBT: &str = "missing_debt";
pub const UNKNOWN_UNIT: &str = "unknown_unit";
pub const IMPOSSIBLE_DATE: &str = "impossible_date";
pub const UNGRADED: &str = "ungraded";
pub const INCONSISTENT_DEBT: &str = "inconsistent_debt";

/// A finding frame with the report's columns (`record_id` null, as
/// `lit(NULL)`, for a finding about a unit rather than a record).
fn finding(lf: LazyFrame, kind: &str, source: &str, record_id: Expr, detail: Expr) -> LazyFrame {
    lf.select([
        lit(kind).alias(KIND),
        lit(source).alias(SOURCE),
        col(UNIT_CODE),
        record_id.cast(DataType::String).alias(RECORD_ID),
        detail.alias(DETAIL),
    ])
}

/// Sources whose absence a reviewer must see, with the indicators that
/// make a source apply to a group and the records of `Y` in it.
fn year_records(inputs: &Inputs, ctx: Ctx<'_>, measures: &DataFrame) -> Vec<(&'static str, &'static [&'static str], LazyFrame)> {
    let w = ctx.window;
    vec![
        (
            "commitments",
            &["commit_ontime", "commit_breach"][..],
            // Like every population of the method: what exists by as_of
            // and is not voided.
            inputs.commitments.clone().lazy().filter(
                w.date_in_year(col(DUE_ON))
                    .or(w.date_in_year(col(MADE_ON)))
                    .and(w.date_by_as_of(col(MADE_ON)))
                    .and(col(VOIDED).not()),
            ),
        ),
        (
            "proposals",
            &["proposal_ontime", "proposal_satisfaction", "proposal_resolution"][..],
            inputs.proposals.clone().lazy().filter(
                w.date_in_year(col(ASSIGNED_ON))
                    .and(w.date_by_as_of(col(ASSIGNED_ON)))
                    .and(col(VOIDED).not()),
            ),
        ),
        (
            "hotline",
            &["hotline_ontime", "hotline_satisfaction", "hotline_repeat", "hotline_integrity"][..],
            // Tickets are the big source: their per-unit count of tickets
            // received in Y (by as_of) is already in the measures.
            measures
                .clone()
                .lazy()
                .filter(col(INDICATOR).eq(lit(hotline::REPEAT_ID)).and(col(DENOMINATOR).gt(lit(0.0)))),
        ),
        (
            "ratings",
            &["public_rating"][..],
            inputs.ratings.clone().lazy().filter(col(YEAR).eq(lit(w.year))),
        ),
        (
            "debt",
            &["debt_ratio", "debt_limit", "debt_overdue", "debt_violations"][..],
            inputs.debt.clone().lazy().filter(col(YEAR).eq(lit(w.year))),
        ),
    ]
}

/// Every finding for the year; `units` is the engine's unit result.
pub fn findings(inputs: &Inputs, ctx: Ctx<'_>, units: &DataFrame, measures: &DataFrame) -> PolarsResult<DataFrame> {
    let mut frames = Vec::new();
    let all_units = inputs.units.clone().lazy();
    for (source, ids, records) in year_records(inputs, ctx, measures) {
        let groups: Vec<&str> = ctx
            .rules
            .indicators
            .iter()
            .filter(|r| ids.contains(&r.id.as_str()))
            .flat_map(|r| r.groups.iter().map(|g| g.code()))
            .collect();
        if groups.is_empty() {
            continue;
        }
        let groups = Series::new("groups".into(), groups);
        let present = records.clone().select([col(UNIT_CODE)]).unique(None, UniqueKeepStrategy::Any);
        let missing = all_units
            .clone()
            .filter(col(GROUP).is_in(lit(groups).implode(false), false))
            .join(present, [col(UNIT_CODE)], [col(UNIT_CODE)], JoinArgs::new(JoinType::Anti));
        let (kind, detail) = if source == "debt" {
            (MISSING_DEBT, format!("no debt row for {}: debt indicators are n/a", ctx.window.year))
        } else {
            (NO_RECORDS, format!("no {source} records for {}", ctx.window.year))
        };
        frames.push(finding(missing, kind, source, lit(NULL), lit(detail)));
    }
    for (source, df, id) in [
        ("commitments", &inputs.commitments, col(ID)),
        ("proposals", &inputs.proposals, col(ID)),
        ("dishonesty", &inputs.dishonesty, col(ID)),
        ("honours", &inputs.honours, col(ID)),
        ("debt", &inputs.debt, col(YEAR)),
        ("ratings", &inputs.ratings, col(YEAR)),
    ] {
        let unknown = df
            .clone()
            .lazy()
            .join(all_units.clone().select([col(UNIT_CODE)]), [col(UNIT_CODE)], [col(UNIT_CODE)], JoinArgs::new(JoinType::Anti));
        frames.push(finding(unknown, UNKNOWN_UNIT, source, id, lit("the record names a unit that is not in the unit list")));
    }
    // Tickets by unit code from the measures, one finding per unknown code.
    let unknown_ticket_units = measures
        .clone()
        .lazy()
        .filter(col(INDICATOR).eq(lit(hotline::REPEAT_ID)))
        .join(all_units.clone().select([col(UNIT_CODE)]), [col(UNIT_CODE)], [col(UNIT_CODE)], JoinArgs::new(JoinType::Anti));
    frames.push(finding(
        unknown_ticket_units,
        UNKNOWN_UNIT,
        "hotline",
        lit(NULL),
        lit("hotline tickets of this year name a unit that is not in the unit list"),
    ));
    // The tickets may be a file of millions (read as it is streamed): it is
    // read once for both of their checks, and only the few tickets that
    // fail one are kept for them.
    let closed_early = col(CLOSED_AT).lt(col(RECEIVED_AT));
    let due_early = col(DUE_AT).lt(col(RECEIVED_AT));
    let odd_tickets = crate::inputs::collect(
        inputs
            .hotline
            .lazy()
            .filter(closed_early.clone().or(due_early.clone()).fill_null(lit(false)))
            .select([col(ID), col(UNIT_CODE), col(RECEIVED_AT), col(DUE_AT), col(CLOSED_AT)]),
    )?;
    let impossible: [(&str, LazyFrame, Expr, &str); 6] = [
        ("hotline", odd_tickets.clone().lazy(), closed_early, "closed_at is before received_at"),
        ("hotline", odd_tickets.lazy(), due_early, "due_at is before received_at"),
        ("commitments", inputs.commitments.clone().lazy(), col(DUE_ON).lt(col(MADE_ON)), "due_on is before made_on"),
        ("commitments", inputs.commitments.clone().lazy(), col(FULFILLED_ON).lt(col(MADE_ON)), "fulfilled_on is before made_on"),
        ("proposals", inputs.proposals.clone().lazy(), col(REPLIED_ON).lt(col(ASSIGNED_ON)), "replied_on is before assigned_on"),
        ("dishonesty", inputs.dishonesty.clone().lazy(), col(RECTIFIED_ON).lt(col(OCCURRED_ON)), "rectified_on is before occurred_on"),
    ];
    for (source, records, bad, detail) in impossible {
        let rows = records.filter(bad.fill_null(lit(false)));
        frames.push(finding(rows, IMPOSSIBLE_DATE, source, col(ID), lit(detail)));
    }
    // "0 when due_amount is 0" scores full points; overdue debt with
    // nothing due is a contradiction a reviewer should see.
    let contradictory = inputs.debt.clone().lazy().filter(
        col(YEAR)
            .eq(lit(ctx.window.year))
            .and(col(OVERDUE_AMOUNT).gt(col(DUE_AMOUNT))),
    );
    frames.push(finding(
        contradictory,
        INCONSISTENT_DEBT,
        "debt",
        col(YEAR),
        lit("overdue_amount is larger than due_amount"),
    ));
    let ungraded = units.clone().lazy().filter(col(GRADED).not());
    frames.push(finding(
        ungraded,
        UNGRADED,
        "units",
        lit(NULL),
        lit("only deduction indicators apply: no rate, ratio or rating lies behind the score, so it gets no rank"),
    ));
    // A total order: one record can have two findings of one kind (a
    // ticket closed and due before it was received), told apart only by
    // their detail; the findings are hashed in this order, whatever order
    // storage gave the records in.
    concat(frames, UnionArgs::default())?
        .sort([KIND, SOURCE, UNIT_CODE, RECORD_ID, DETAIL], SortMultipleOptions::default().with_nulls_last(true))
        .collect()
}
