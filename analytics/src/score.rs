//! Points, re-weighting, bonus, veto, rank and grade (§3, §5): from the
//! measure frame of [`crate::indicators`] to one row per unit and one row per
//! unit and indicator.

use polars::prelude::*;

use crate::columns::*;
use crate::indicators::{self, Ctx, Measure, absent_means_zero, commitments, debt, dishonesty, hotline, proposals, rating};
use crate::inputs::Inputs;
use crate::rulebook::{Function, Rulebook};
use crate::window::Window;
use crate::{Assessment, EngineError, quality};

/// Grades as exported.
pub const EXCELLENT: &str = "excellent";
pub const GOOD: &str = "good";
pub const PASS: &str = "pass";
pub const FAIL: &str = "fail";
pub const UNGRADED: &str = "ungraded";

/// Scores year `window.year` as of `window.as_of`. `previous` is the
/// result of `Y − 1` (columns `unit_code, total, rank`), when one exists,
/// for the year-over-year change.
pub fn assess(inputs: &Inputs, rules: &Rulebook, window: &Window, previous: Option<&DataFrame>) -> Result<Assessment, EngineError> {
    inputs.check()?;
    if rules.year != window.year {
        return Err(EngineError::BadWindow(format!("the rulebook is for {}, not {}", rules.year, window.year)));
    }
    let ctx = Ctx { window, rules };
    // Collected once: indicator results and the data-quality report both
    // read it, so the large sources are aggregated a single time.
    let measures = all_measures(inputs, ctx)?;
    let indicator_rows = indicator_results(inputs, ctx, &measures)?;
    let units = unit_results(inputs, ctx, indicator_rows.clone().lazy(), previous)?;
    let quality = quality::findings(inputs, ctx, &units, &measures)?;
    Ok(Assessment {
        units,
        indicators: indicator_rows,
        quality,
    })
}

/// Every source's measures in the long form `unit_code, indicator,
/// numerator, denominator, value`, ordered by unit and indicator.
///
/// The tickets' part runs on the streaming engine ([`crate::inputs::collect`]):
/// they may be a file of millions of rows, read in morsels. Their flags are
/// all booleans, so each sum is a count, the same whatever order the morsels
/// are added in. The other sources are thousands of rows and may weigh a
/// record by a fraction (a rulebook's deduction per item), whose sum must be
/// formed in one order: they run in memory, as before, over their rows in
/// the order given (the server gives them sorted by unit and id).
pub fn all_measures(inputs: &Inputs, ctx: Ctx<'_>) -> PolarsResult<DataFrame> {
    let tickets = crate::inputs::collect(indicators::measures(hotline::flagged(inputs.hotline.lazy(), ctx), hotline::INDICATORS))?;
    let frames = vec![
        indicators::measures(commitments::flagged(inputs.commitments.clone().lazy(), ctx), commitments::INDICATORS),
        indicators::measures(proposals::flagged(inputs.proposals.clone().lazy(), ctx), proposals::INDICATORS),
        tickets.lazy(),
        indicators::measures(dishonesty::flagged(inputs.dishonesty.clone().lazy(), ctx), dishonesty::INDICATORS),
        debt::measures(inputs.debt.clone().lazy(), ctx),
        rating::measures(inputs.ratings.clone().lazy(), ctx),
    ];
    concat(frames, UnionArgs::default())?.sort([UNIT_CODE, INDICATOR], SortMultipleOptions::default()).collect()
}

/// The rulebook as a frame: one row per indicator with its weight,
/// function and order, and one row per (indicator, group) it applies to.
fn rule_frames(rules: &Rulebook) -> Result<(DataFrame, DataFrame), EngineError> {
    let n = rules.indicators.len();
    let (mut ids, mut dims, mut weights, mut kinds, mut bads, mut goods, mut zero) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut app_ids, mut app_groups) = (Vec::new(), Vec::new());
    for r in &rules.indicators {
        ids.push(r.id.clone());
        dims.push(r.dimension.clone());
        weights.push(r.weight);
        let (bad, good) = match r.function {
            Function::Linear { bad, good } => (Some(bad), Some(good)),
            Function::Deduct { .. } | Function::PassFail => (None, None),
        };
        kinds.push(r.function.kind().code());
        bads.push(bad);
        goods.push(good);
        zero.push(absent_means_zero(&r.id));
        for g in &r.groups {
            app_ids.push(r.id.clone());
            app_groups.push(g.code());
        }
    }
    let order: Vec<u32> = (0..n as u32).collect();
    let rule_df = df!(
        INDICATOR => ids,
        DIMENSION => dims,
        WEIGHT => weights,
        KIND => kinds,
        BAD => bads,
        GOOD => goods,
        ABSENT_MEANS_ZERO => zero,
        ORDER => order,
    )?;
    let applies = app_ids.len();
    let app_df = df!(INDICATOR => app_ids, GROUP => app_groups, APPLICABLE => vec![true; applies])?;
    Ok((rule_df, app_df))
}

/// One row per unit and rulebook indicator: value, numerator, denominator,
/// applicability and points `s_i` (null when n/a). Points are not rounded.
pub fn indicator_results(inputs: &Inputs, ctx: Ctx<'_>, measures: &DataFrame) -> Result<DataFrame, EngineError> {
    let (rule_df, app_df) = rule_frames(ctx.rules)?;
    let measures = measures.clone().lazy();
    let grid = inputs
        .units
        .clone()
        .lazy()
        .select([col(UNIT_CODE), col(GROUP), lit(true).alias(ALL)])
        // Every unit with every indicator (a cross join on a constant key).
        .join(rule_df.lazy().with_column(lit(true).alias(ALL)), [col(ALL)], [col(ALL)], JoinArgs::new(JoinType::Inner))
        .join(
            app_df.lazy(),
            [col(INDICATOR), col(GROUP)],
            [col(INDICATOR), col(GROUP)],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            measures,
            [col(UNIT_CODE), col(INDICATOR)],
            [col(UNIT_CODE), col(INDICATOR)],
            JoinArgs::new(JoinType::Left),
        );
    let zero_if_absent = |c: &str| {
        when(col(ABSENT_MEANS_ZERO).and(col(c).is_null()))
            .then(lit(0.0))
            .otherwise(col(c))
            .alias(c)
    };
    let w = col(WEIGHT);
    let linear = w.clone()
        * ((col(VALUE) - col(BAD)) / (col(GOOD) - col(BAD)))
            .clip(lit(0.0), lit(1.0));
    let deduct = when(w.clone().gt(col(VALUE))).then(w.clone() - col(VALUE)).otherwise(lit(0.0));
    let pass_fail = w * col(VALUE);
    let points = when(col(APPLICABLE).not())
        .then(lit(NULL).cast(DataType::Float64))
        .when(col(KIND).eq(lit("linear")))
        .then(linear)
        .when(col(KIND).eq(lit("deduct")))
        .then(deduct)
        .otherwise(pass_fail);
    let out = grid
        .with_columns([zero_if_absent(VALUE), zero_if_absent(NUMERATOR)])
        .with_column(
            col(APPLICABLE)
                .fill_null(lit(false))
                .and(col(VALUE).is_not_null())
                .alias(APPLICABLE),
        )
        .with_column(points.alias(POINTS))
        .sort([UNIT_CODE, ORDER], SortMultipleOptions::default())
        .select([
            col(UNIT_CODE),
            col(INDICATOR),
            col(DIMENSION),
            col(KIND),
            col(WEIGHT),
            col(BAD),
            col(GOOD),
            col(NUMERATOR),
            col(DENOMINATOR),
            col(VALUE),
            col(APPLICABLE),
            col(POINTS),
        ])
        .collect()?;
    Ok(out)
}

/// `round(x, 2)` half away from zero, where a value within 1e-9 of a half
/// cent counts as the half (91.875 → 91.88), as §5 defines `total`.
///
/// Value by value through [`round_half_away`], not as polars arithmetic:
/// polars divides a column by a scalar by multiplying with its reciprocal,
/// and `10110 × 0.01` is 101.10000000000001, not the double nearest 101.10
/// that a reader of the API, the export or the database expects.
pub fn round_cents(x: Expr) -> Expr {
    x.map(
        |c| {
            let rounded = c.as_materialized_series().f64()?.apply_values(|v| round_half_away(v, 2));
            Ok(rounded.into_series().into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Float64)),
    )
}

/// The same rounding for one number, to `decimals` places (exports show
/// points and base to 4). The last step divides (exactly rounded), so the
/// result is the double nearest the decimal.
pub fn round_half_away(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    let tolerance = 1e-9 * scale;
    let scaled = x * scale;
    let r = if scaled >= 0.0 { (scaled + 0.5 + tolerance).floor() } else { (scaled - 0.5 - tolerance).ceil() };
    r / scale
}

fn unit_results(inputs: &Inputs, ctx: Ctx<'_>, indicator_rows: LazyFrame, previous: Option<&DataFrame>) -> Result<DataFrame, EngineError> {
    let grades = &ctx.rules.grades;
    let sums = indicator_rows.group_by([col(UNIT_CODE)]).agg([
        col(POINTS).sum().alias(POINTS_SUM),
        col(WEIGHT).filter(col(APPLICABLE)).sum().alias(WEIGHT_SUM),
        col(APPLICABLE)
            .and(col(KIND).neq(lit("deduct")))
            .cast(DataType::UInt32)
            .sum()
            .alias(RATED_INDICATORS),
    ]);
    let bonus = rating::bonus(inputs.honours.clone().lazy(), ctx);
    let vetoes = dishonesty::vetoes(dishonesty::flagged(inputs.dishonesty.clone().lazy(), ctx));
    let left = || JoinArgs::new(JoinType::Left);
    let mut lf = inputs
        .units
        .clone()
        .lazy()
        .join(sums, [col(UNIT_CODE)], [col(UNIT_CODE)], left())
        .join(bonus, [col(UNIT_CODE)], [col(UNIT_CODE)], left())
        .join(vetoes, [col(UNIT_CODE)], [col(UNIT_CODE)], left())
        .with_columns([
            when(col(WEIGHT_SUM).gt(lit(0.0)))
                .then(lit(100.0) * col(POINTS_SUM) / col(WEIGHT_SUM))
                .otherwise(lit(0.0))
                .alias(BASE),
            col(BONUS).fill_null(lit(0.0)),
            col(VETOED).fill_null(lit(false)),
        ])
        .with_columns([
            round_cents(col(BASE) + col(BONUS)).alias(TOTAL),
            // "A vetoed unit is fail, never ungraded."
            col(RATED_INDICATORS).fill_null(lit(0)).gt(lit(0)).or(col(VETOED)).alias(GRADED),
        ])
        .with_column(
            when(col(GRADED))
                .then(col(TOTAL))
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias(RANK_TOTAL),
        );
    let rank = |over: Vec<Expr>| -> Result<Expr, EngineError> {
        Ok(col(RANK_TOTAL)
            .rank(
                RankOptions {
                    method: RankMethod::Min,
                    descending: true,
                },
                None,
            )
            .over(over)?)
    };
    let county_rank = when(col(GROUP).eq(lit("township")).and(col(GRADED)))
        .then(rank(vec![col(GROUP), col(PARENT_CODE)])?)
        .otherwise(lit(NULL).cast(DataType::UInt32));
    lf = lf.with_columns([
        when(col(GRADED))
            .then(rank(vec![col(GROUP)])?)
            .otherwise(lit(NULL).cast(DataType::UInt32))
            .alias(RANK),
        county_rank.alias(COUNTY_RANK),
        col(GRADED).cast(DataType::UInt32).sum().over([col(GROUP)])?.alias(GROUP_SIZE),
    ]);
    // The quota: rank ≤ max(1, floor(q × n)). The tiny nudge keeps
    // floor(0.3 × 10) at 3 where binary floating point gives 2.999….
    let quota = (lit(grades.excellent_quota) * col(GROUP_SIZE).cast(DataType::Float64) + lit(1e-9)).floor();
    let quota = when(quota.clone().lt(lit(1.0))).then(lit(1.0)).otherwise(quota);
    let grade = when(col(VETOED))
        .then(lit(FAIL))
        .when(col(GRADED).not())
        .then(lit(UNGRADED))
        .when(
            col(TOTAL)
                .gt_eq(lit(grades.excellent))
                .and(col(RANK).cast(DataType::Float64).lt_eq(quota)),
        )
        .then(lit(EXCELLENT))
        .when(col(TOTAL).gt_eq(lit(grades.good)))
        .then(lit(GOOD))
        .when(col(TOTAL).gt_eq(lit(grades.pass)))
        .then(lit(PASS))
        .otherwise(lit(FAIL));
    lf = lf.with_column(grade.alias(GRADE));
    lf = with_previous(lf, previous);
    let out = lf
        .sort(
            [GROUP, RANK_TOTAL, UNIT_CODE],
            SortMultipleOptions::default()
                .with_order_descending_multi([false, true, false])
                .with_nulls_last(true),
        )
        .select([
            col(UNIT_CODE),
            col(UNIT_NAME),
            col(GROUP),
            col(PARENT_CODE),
            col(TOTAL),
            col(BASE),
            col(BONUS),
            col(RANK),
            col(COUNTY_RANK),
            col(GROUP_SIZE),
            col(GRADE),
            col(GRADED),
            col(VETOED),
            col(VETO_REASON),
            col(POINTS_SUM),
            col(WEIGHT_SUM),
            col(PREV_TOTAL),
            col(PREV_RANK),
            col(TOTAL_CHANGE),
            col(RANK_CHANGE),
        ])
        .collect()?;
    Ok(out)
}

/// Year over year: the change of total and of rank against `Y − 1`
/// (`rank_change` > 0 means the unit moved up); no rank change where
/// either year is ungraded (has no rank).
fn with_previous(lf: LazyFrame, previous: Option<&DataFrame>) -> LazyFrame {
    let null_f = || lit(NULL).cast(DataType::Float64);
    let null_i = || lit(NULL).cast(DataType::Int64);
    match previous {
        None => lf.with_columns([
            null_f().alias(PREV_TOTAL),
            null_i().alias(PREV_RANK),
            null_f().alias(TOTAL_CHANGE),
            null_i().alias(RANK_CHANGE),
        ]),
        Some(prev) => {
            let prev = prev.clone().lazy().select([
                col(UNIT_CODE),
                col(TOTAL).cast(DataType::Float64).alias(PREV_TOTAL),
                col(RANK).cast(DataType::Int64).alias(PREV_RANK),
            ]);
            lf.join(prev, [col(UNIT_CODE)], [col(UNIT_CODE)], JoinArgs::new(JoinType::Left))
                .with_columns([
                    round_cents(col(TOTAL) - col(PREV_TOTAL)).alias(TOTAL_CHANGE),
                    (col(PREV_RANK) - col(RANK).cast(DataType::Int64)).alias(RANK_CHANGE),
                ])
        }
    }
}

/// The flags of one indicator's source, for explanation.
pub fn flagged_source(inputs: &Inputs, ctx: Ctx<'_>, indicator: &str) -> Option<(LazyFrame, Measure)> {
    let find = |list: &[(&str, Measure)]| list.iter().find(|(id, _)| *id == indicator).map(|(_, m)| *m);
    if let Some(m) = find(commitments::INDICATORS) {
        return Some((commitments::flagged(inputs.commitments.clone().lazy(), ctx), m));
    }
    if let Some(m) = find(proposals::INDICATORS) {
        return Some((proposals::flagged(inputs.proposals.clone().lazy(), ctx), m));
    }
    if let Some(m) = find(hotline::INDICATORS) {
        return Some((hotline::flagged(inputs.hotline.lazy(), ctx), m));
    }
    if let Some(m) = find(dishonesty::INDICATORS) {
        return Some((dishonesty::flagged(inputs.dishonesty.clone().lazy(), ctx), m));
    }
    None
}
