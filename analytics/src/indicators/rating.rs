//! D6 社会评价: the public rating (万人评议), 0–100, for the year.

use polars::prelude::*;

use super::Ctx;
use crate::columns::*;

pub const PUBLIC_RATING: &str = "public_rating";

/// "万人评议 score for `Y`"; n/a when the unit has no rating for `Y`.
/// Ratings carry only a year, so they apply whatever the as_of.
pub fn measures(lf: LazyFrame, ctx: Ctx<'_>) -> LazyFrame {
    lf.filter(col(YEAR).eq(lit(ctx.window.year))).select([
        col(UNIT_CODE),
        lit(PUBLIC_RATING).alias(INDICATOR),
        col(SCORE).alias(NUMERATOR),
        lit(NULL).cast(DataType::Float64).alias(DENOMINATOR),
        col(SCORE).alias(VALUE),
    ])
}

/// Bonus points (加分) for integrity honours in `Y`: the rulebook's points
/// per level, at most its cap in all. One row per unit with honours.
pub fn bonus(honours: LazyFrame, ctx: Ctx<'_>) -> LazyFrame {
    let bonus = &ctx.rules.bonus;
    let mut points = lit(0.0);
    for (level, p) in bonus.points.iter().rev() {
        points = when(col(LEVEL).eq(lit(level.code()))).then(lit(*p)).otherwise(points);
    }
    honours
        .filter(col(YEAR).eq(lit(ctx.window.year)))
        .group_by([col(UNIT_CODE)])
        .agg([points.sum().alias(BONUS)])
        .with_column(
            when(col(BONUS).gt(lit(bonus.cap)))
                .then(lit(bonus.cap))
                .otherwise(col(BONUS))
                .alias(BONUS),
        )
}
