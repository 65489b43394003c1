#!/usr/bin/env python3
"""The peer of `zhengxin score` (BENCHMARKS.md, issue 12): Python polars
scoring one year from typed Parquet files, as a whole process.

It reads the same files `zhengxin score` reads on a warm run (the year's
snapshot: units, commitments, proposals, hotline, debt, dishonesty,
ratings, honours as Parquet with the engine's column names and types) and
computes what the method computes for 2025 as of 2025-12-31 23:59:59 with
the 2025 rulebook: the fifteen indicators, points, re-weighted base, bonus,
total rounded half away from zero, the one-vote veto, the ungraded rule,
competition ranks within the peer group, county ranks of townships and
grades with the excellent quota. It writes unit_code,total,rank,grade as
CSV (to check against Zhengxin's export, not to be timed).

It does not compute what `zhengxin score` also does: the data-quality
report, the year-over-year change, the inputs' digest and the result's
content hash, nor does it store anything.

Usage: bench_polars.py SNAPSHOT_DIR [OUT.csv]
Packages: scripts/bench-requirements.txt (polars pinned).
"""
import sys
from datetime import date, datetime

import polars as pl

DIR = sys.argv[1]
OUT = sys.argv[2] if len(sys.argv) > 2 else None
Y0, Y1 = date(2025, 1, 1), date(2025, 12, 31)
ASOF = datetime(2025, 12, 31, 23, 59, 59)
DAY = Y1  # as_of's calendar day


def read(name):
    # A snapshot keeps its tickets in parts (hotline-0.parquet, hotline-1,
    # ...); bench-score also gives the peer one file (hotline.parquet).
    return pl.scan_parquet(f"{DIR}/hotline*.parquet" if name == "hotline" else f"{DIR}/{name}.parquet")


def rate(num, den):
    return pl.when(den > 0).then(num / den)


def linear(value, worst, best, weight):
    """Points on a line from `worst` (0) to `best` (full weight), clamped."""
    return (weight * ((value - worst) / (best - worst)).clip(0.0, 1.0)), pl.when(value.is_not_null()).then(pl.lit(weight, pl.Float64))


def main():
    units = read("units").select("unit_code", "group", "parent_code")
    not_void = ~pl.col("voided")

    c = (
        read("commitments")
        .with_columns(
            e=not_void & (pl.col("made_on") <= DAY),
        )
        .with_columns(
            d=pl.col("e") & pl.col("due_on").is_between(Y0, Y1) & (pl.col("due_on") <= DAY) & (pl.col("status") != "lawfully_changed"),
        )
        .group_by("unit_code")
        .agg(
            c_den=pl.col("d").sum().cast(pl.Float64),
            c_num=(pl.col("d") & (pl.col("status") == "fulfilled") & (pl.col("fulfilled_on") <= pl.col("due_on")) & (pl.col("fulfilled_on") <= DAY)).sum().cast(pl.Float64),
            c_breaches=(pl.col("e") & pl.col("due_on").is_between(Y0, Y1) & (pl.col("status") == "breached")).sum().cast(pl.Float64),
        )
    )

    due = pl.coalesce(pl.col("due_on"), pl.col("assigned_on").dt.offset_by("3mo"))
    p = (
        read("proposals")
        .with_columns(pop=not_void & pl.col("assigned_on").is_between(Y0, Y1) & (pl.col("assigned_on") <= DAY) & (due <= DAY), due=due)
        .group_by("unit_code")
        .agg(
            p_den=pl.col("pop").sum().cast(pl.Float64),
            p_num=(pl.col("pop") & (pl.col("replied_on") <= pl.col("due")) & (pl.col("replied_on") <= DAY)).sum().cast(pl.Float64),
            p_rated=(pl.col("pop") & pl.col("satisfaction").is_not_null()).sum().cast(pl.Float64),
            p_sat=(pl.col("pop") & pl.col("satisfaction").is_in(["satisfied", "basic"])).sum().cast(pl.Float64),
            p_classified=(pl.col("pop") & pl.col("resolution").is_not_null()).sum().cast(pl.Float64),
            p_resolved=pl.when(pl.col("pop") & (pl.col("resolution") == "A")).then(1.0).when(pl.col("pop") & (pl.col("resolution") == "B")).then(0.5).otherwise(0.0).sum(),
        )
    )

    h = (
        read("hotline")
        .filter(not_void & (pl.col("received_at") >= datetime(2025, 1, 1)) & (pl.col("received_at") < datetime(2026, 1, 1)) & (pl.col("received_at") <= ASOF))
        .group_by("unit_code")
        .agg(
            h_due=(pl.col("due_at") <= ASOF).sum().cast(pl.Float64),
            h_ontime=((pl.col("due_at") <= ASOF) & (pl.col("closed_at") <= pl.col("due_at"))).sum().cast(pl.Float64),
            h_rated=pl.col("satisfaction").is_not_null().sum().cast(pl.Float64),
            h_sat=pl.col("satisfaction").is_in(["satisfied", "basic"]).sum().cast(pl.Float64),
            h_received=pl.len().cast(pl.Float64),
            h_repeats=pl.col("repeat").sum().cast(pl.Float64),
            h_integrity=(pl.col("integrity_related") & pl.col("verified")).sum().cast(pl.Float64),
        )
    )

    rectified = pl.when(pl.col("rectified_on") <= DAY).then(pl.col("rectified_on"))
    listing = pl.col("type") == "court_listing"
    x = (
        read("dishonesty")
        .with_columns(r=rectified)
        .with_columns(
            counts=not_void
            & (pl.col("occurred_on") <= DAY)
            & (pl.col("occurred_on").is_between(Y0, Y1) | (listing & (pl.col("occurred_on") <= Y1) & ~(pl.col("r") < Y0).fill_null(False))),
        )
        .with_columns(
            deduction=pl.when(pl.col("counts"))
            .then(
                pl.col("type").replace_strict({"court_listing": 5.0, "judgment": 2.0, "penalty": 2.0}, default=1.0)
                * pl.when(listing & (pl.col("r") > pl.col("rectify_deadline"))).then(2.0).otherwise(1.0)
                * pl.col("mitigation").replace_strict({"reduced": 0.5, "exempt": 0.0}, default=1.0)
            )
            .otherwise(0.0),
            veto=pl.col("counts") & listing & (pl.col("subject") == "unit") & (pl.col("rectify_deadline") <= DAY) & pl.col("r").is_null(),
        )
        .group_by("unit_code")
        .agg(x_d=pl.col("deduction").sum(), vetoed=pl.col("veto").any())
    )

    debt = read("debt").filter(pl.col("year") == 2025).drop("year")
    ratings = read("ratings").filter(pl.col("year") == 2025).select("unit_code", rating="score")
    bonus = (
        read("honours")
        .filter(pl.col("year") == 2025)
        .group_by("unit_code")
        .agg(bonus=pl.col("level").replace_strict({"national": 3.0, "provincial": 2.0}, default=1.0).sum().clip(upper_bound=5.0))
    )

    m = units
    for part in (c, p, h, x, debt, ratings, bonus):
        m = m.join(part, on="unit_code", how="left")

    county = pl.col("group") == "county"
    not_township = pl.col("group") != "township"
    values = {
        "commit_ontime": rate(pl.col("c_num"), pl.col("c_den")),
        "proposal_ontime": pl.when(not_township).then(rate(pl.col("p_num"), pl.col("p_den"))),
        "proposal_satisfaction": pl.when(not_township).then(rate(pl.col("p_sat"), pl.col("p_rated"))),
        "proposal_resolution": pl.when(not_township).then(rate(pl.col("p_resolved"), pl.col("p_classified"))),
        "hotline_ontime": rate(pl.col("h_ontime"), pl.col("h_due")),
        "hotline_satisfaction": rate(pl.col("h_sat"), pl.col("h_rated")),
        "hotline_repeat": rate(pl.col("h_repeats"), pl.col("h_received")),
        "hotline_integrity": rate(1000.0 * pl.col("h_integrity"), pl.col("h_received")),
        "debt_ratio": pl.when(county).then(pl.col("balance") / pl.col("capacity")),
        "debt_limit": pl.when(county).then(pl.when(pl.col("balance") <= pl.col("limit")).then(1.0).otherwise(0.0)),
        "debt_overdue": pl.when(county).then(pl.when(pl.col("due_amount") == 0).then(0.0).otherwise(pl.col("overdue_amount") / pl.col("due_amount"))),
        "public_rating": pl.col("rating"),
    }
    m = m.with_columns(**values)
    v = pl.col
    rated = [
        linear(v("commit_ontime"), 0.60, 1.00, 15),
        linear(v("proposal_ontime"), 0.80, 1.00, 5),
        linear(v("proposal_satisfaction"), 0.85, 1.00, 5),
        linear(v("proposal_resolution"), 0.30, 0.80, 5),
        linear(v("hotline_ontime"), 0.85, 1.00, 6),
        linear(v("hotline_satisfaction"), 0.80, 0.98, 6),
        linear(v("hotline_repeat"), 0.15, 0.02, 3),
        linear(v("hotline_integrity"), 5.0, 0.0, 5),
        linear(v("debt_ratio"), 1.50, 1.00, 5),
        (5.0 * v("debt_limit"), pl.when(v("debt_limit").is_not_null()).then(pl.lit(5.0))),
        linear(v("debt_overdue"), 0.05, 0.0, 5),
        linear(v("public_rating"), 60.0, 95.0, 10),
    ]
    deducted = [
        ((5.0 - 2.5 * v("c_breaches").fill_null(0.0)).clip(lower_bound=0.0), pl.lit(5.0)),
        (pl.when(county).then((5.0 - 2.5 * v("violations")).clip(lower_bound=0.0)), pl.when(county & v("violations").is_not_null()).then(pl.lit(5.0))),
        ((15.0 - v("x_d").fill_null(0.0)).clip(lower_bound=0.0), pl.lit(15.0)),
    ]
    points = pl.sum_horizontal([s.fill_null(0.0) for s, _ in rated + deducted])
    weights = pl.sum_horizontal([w.fill_null(0.0) for _, w in rated + deducted])
    any_rated = pl.any_horizontal([w.is_not_null() for _, w in rated])
    raw = 100.0 * points / weights + v("bonus").fill_null(0.0)
    # Half away from zero, a value within 1e-9 of a half cent counting as
    # the half (method §5), as Zhengxin's round_half_away does it.
    cents = raw * 100.0
    tolerance = 1e-9 * 100.0
    total = pl.when(cents >= 0).then((cents + 0.5 + tolerance).floor()).otherwise((cents - 0.5 - tolerance).ceil()) / 100.0
    s = m.select(
        "unit_code",
        "group",
        "parent_code",
        total=total,
        vetoed=v("vetoed").fill_null(False),
        graded=any_rated | v("vetoed").fill_null(False),
    )
    s = s.with_columns(rank=pl.when(v("graded")).then(pl.when(v("graded")).then(v("total")).rank("min", descending=True).over("group")))
    s = s.with_columns(
        county_rank=pl.when(v("graded") & (v("group") == "township")).then(pl.when(v("graded")).then(v("total")).rank("min", descending=True).over("group", "parent_code")),
        n=v("graded").sum().over("group"),
    )
    quota = pl.max_horizontal(pl.lit(1), (0.30 * v("n")).floor().cast(pl.Int64))
    s = s.with_columns(
        grade=pl.when(~v("graded"))
        .then(pl.lit("ungraded"))
        .when(v("vetoed"))
        .then(pl.lit("fail"))
        .when((v("total") >= 90) & (v("rank") <= quota))
        .then(pl.lit("excellent"))
        .when(v("total") >= 80)
        .then(pl.lit("good"))
        .when(v("total") >= 60)
        .then(pl.lit("pass"))
        .otherwise(pl.lit("fail"))
    )
    result = s.sort("group", "rank", "unit_code").collect()
    if OUT:
        result.select("unit_code", "total", "rank", "grade").write_csv(OUT)
    print(f"polars {pl.__version__}: {len(result)} units scored", file=sys.stderr)


if __name__ == "__main__":
    main()
