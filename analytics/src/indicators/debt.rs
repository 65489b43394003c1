//! D4 政府债务: a county's debt row for the year. Without a row every debt
//! indicator is n/a (and the data-quality report lists the county).

use polars::prelude::*;

use super::Ctx;
use crate::columns::*;

pub const RATIO: &str = "debt_ratio";
pub const LIMIT_ID: &str = "debt_limit";
pub const OVERDUE: &str = "debt_overdue";
pub const VIOLATIONS_ID: &str = "debt_violations";

pub const INDICATORS: &[&str] = &[RATIO, LIMIT_ID, OVERDUE, VIOLATIONS_ID];

/// The debt rows of `Y`; debt rows carry only a year, so they apply to it
/// whatever the as_of.
pub fn of_year(lf: LazyFrame, ctx: Ctx<'_>) -> LazyFrame {
    lf.filter(col(YEAR).eq(lit(ctx.window.year)))
}

/// Measure rows straight from the year's debt row:
/// `debt_ratio` = balance / capacity (债务率); `debt_limit` = 1 when
/// balance ≤ limit (限额管理), else 0; `debt_overdue` = overdue_amount /
/// due_amount, "0 when due_amount is 0"; `debt_violations`: D = per_item ×
/// confirmed violations.
pub fn measures(lf: LazyFrame, ctx: Ctx<'_>) -> LazyFrame {
    let rows = of_year(lf, ctx);
    let f64 = |name: &str| col(name).cast(DataType::Float64);
    let row = |id: &str, numerator: Expr, denominator: Expr, value: Expr| {
        rows.clone().select([
            col(UNIT_CODE),
            lit(id).alias(INDICATOR),
            numerator.alias(NUMERATOR),
            denominator.alias(DENOMINATOR),
            value.alias(VALUE),
        ])
    };
    let frames = vec![
        row(RATIO, col(BALANCE), col(CAPACITY), col(BALANCE) / col(CAPACITY)),
        row(
            LIMIT_ID,
            col(BALANCE),
            col(LIMIT),
            when(col(BALANCE).lt_eq(col(LIMIT))).then(lit(1.0)).otherwise(lit(0.0)),
        ),
        row(
            OVERDUE,
            col(OVERDUE_AMOUNT),
            col(DUE_AMOUNT),
            when(col(DUE_AMOUNT).eq(lit(0.0)))
                .then(lit(0.0))
                .otherwise(col(OVERDUE_AMOUNT) / col(DUE_AMOUNT)),
        ),
        row(
            VIOLATIONS_ID,
            f64(VIOLATIONS),
            lit(NULL).cast(DataType::Float64),
            f64(VIOLATIONS) * lit(ctx.per_item(VIOLATIONS_ID)),
        ),
    ];
    concat(frames, UnionArgs::default()).expect("debt frames share a schema")
}
