#!/usr/bin/env python3
"""DuckDB reference for the engine benchmark (scripts/bench-score).

Loads the engine's inputs (Parquet written by `cargo bench --bench score --
--parquet DIR`) into DuckDB tables, then times one SQL statement computing
the same 15 indicators for 2025 as of 2025-12-31 23:59:59 with the default
rulebook: per unit the value, points, re-weighted base, bonus and total.
Loading is not timed (the engine's figure is on in-memory data too).
Usage: bench_duckdb.py DIR [TIMES]   (TIMES: record tables repeated, as the bench does)
"""
import sys
import time

import duckdb

DIR = sys.argv[1]
TIMES = int(sys.argv[2]) if len(sys.argv) > 2 else 1
Y0, Y1, ASOF = "DATE '2025-01-01'", "DATE '2025-12-31'", "TIMESTAMP '2025-12-31 23:59:59'"
ASOF_DAY = "DATE '2025-12-31'"

SQL = f"""
WITH
c AS (
  SELECT unit_code,
    SUM(CASE WHEN d THEN 1 ELSE 0 END)::DOUBLE AS den,
    SUM(CASE WHEN d AND status = 'fulfilled' AND fulfilled_on <= due_on AND fulfilled_on <= {ASOF_DAY} THEN 1 ELSE 0 END)::DOUBLE AS num,
    SUM(CASE WHEN e AND due_on BETWEEN {Y0} AND {Y1} AND status = 'breached' THEN 1 ELSE 0 END)::DOUBLE AS breaches
  FROM (SELECT *, (NOT voided AND made_on <= {ASOF_DAY}) AS e,
               (NOT voided AND made_on <= {ASOF_DAY} AND due_on BETWEEN {Y0} AND {Y1} AND due_on <= {ASOF_DAY} AND status <> 'lawfully_changed') AS d
        FROM commitments) GROUP BY unit_code),
p AS (
  SELECT unit_code,
    SUM(CASE WHEN pop THEN 1 ELSE 0 END)::DOUBLE AS den,
    SUM(CASE WHEN pop AND replied_on <= due AND replied_on <= {ASOF_DAY} THEN 1 ELSE 0 END)::DOUBLE AS num,
    SUM(CASE WHEN pop AND satisfaction IS NOT NULL THEN 1 ELSE 0 END)::DOUBLE AS rated,
    SUM(CASE WHEN pop AND satisfaction IN ('satisfied', 'basic') THEN 1 ELSE 0 END)::DOUBLE AS sat,
    SUM(CASE WHEN pop AND resolution IS NOT NULL THEN 1 ELSE 0 END)::DOUBLE AS classified,
    SUM(CASE WHEN pop AND resolution = 'A' THEN 1 WHEN pop AND resolution = 'B' THEN 0.5 ELSE 0 END)::DOUBLE AS resolved
  FROM (SELECT *, (NOT voided AND assigned_on BETWEEN {Y0} AND {Y1} AND assigned_on <= {ASOF_DAY} AND due <= {ASOF_DAY}) AS pop
        FROM (SELECT *, COALESCE(due_on, CAST(assigned_on + INTERVAL 3 MONTH AS DATE)) AS due FROM proposals))
  GROUP BY unit_code),
h AS (
  SELECT unit_code,
    SUM(CASE WHEN due_at <= {ASOF} THEN 1 ELSE 0 END)::DOUBLE AS due,
    SUM(CASE WHEN due_at <= {ASOF} AND closed_at <= due_at THEN 1 ELSE 0 END)::DOUBLE AS ontime,
    SUM(CASE WHEN satisfaction IS NOT NULL THEN 1 ELSE 0 END)::DOUBLE AS rated,
    SUM(CASE WHEN satisfaction IN ('satisfied', 'basic') THEN 1 ELSE 0 END)::DOUBLE AS sat,
    COUNT(*)::DOUBLE AS received,
    SUM(CASE WHEN "repeat" THEN 1 ELSE 0 END)::DOUBLE AS repeats,
    SUM(CASE WHEN integrity_related AND verified THEN 1 ELSE 0 END)::DOUBLE AS integrity
  FROM hotline
  WHERE NOT voided AND received_at >= TIMESTAMP '2025-01-01 00:00:00' AND received_at < TIMESTAMP '2026-01-01 00:00:00' AND received_at <= {ASOF}
  GROUP BY unit_code),
x AS (
  SELECT unit_code, SUM(CASE WHEN counts THEN base * late * factor ELSE 0 END) AS d
  FROM (SELECT unit_code,
          (NOT voided AND occurred_on <= {ASOF_DAY} AND (occurred_on BETWEEN {Y0} AND {Y1}
             OR (type = 'court_listing' AND occurred_on <= {Y1} AND NOT COALESCE(r < {Y0}, false)))) AS counts,
          CASE type WHEN 'court_listing' THEN 5 WHEN 'judgment' THEN 2 WHEN 'penalty' THEN 2 ELSE 1 END AS base,
          CASE WHEN type = 'court_listing' AND r > rectify_deadline THEN 2 ELSE 1 END AS late,
          CASE mitigation WHEN 'reduced' THEN 0.5 WHEN 'exempt' THEN 0 ELSE 1 END AS factor
        FROM (SELECT *, CASE WHEN rectified_on <= {ASOF_DAY} THEN rectified_on END AS r FROM dishonesty))
  GROUP BY unit_code),
dt AS (SELECT * FROM debt WHERE year = 2025),
rt AS (SELECT * FROM ratings WHERE year = 2025),
bn AS (SELECT unit_code, LEAST(5, SUM(CASE level WHEN 'national' THEN 3 WHEN 'provincial' THEN 2 ELSE 1 END)) AS bonus
       FROM honours WHERE year = 2025 GROUP BY unit_code),
m AS (
  SELECT u.unit_code, u."group" AS g,
    CASE WHEN c.den > 0 THEN c.num / c.den END AS commit_ontime,
    2.5 * COALESCE(c.breaches, 0) AS commit_breach,
    CASE WHEN u."group" <> 'township' AND p.den > 0 THEN p.num / p.den END AS proposal_ontime,
    CASE WHEN u."group" <> 'township' AND p.rated > 0 THEN p.sat / p.rated END AS proposal_satisfaction,
    CASE WHEN u."group" <> 'township' AND p.classified > 0 THEN p.resolved / p.classified END AS proposal_resolution,
    CASE WHEN h.due > 0 THEN h.ontime / h.due END AS hotline_ontime,
    CASE WHEN h.rated > 0 THEN h.sat / h.rated END AS hotline_satisfaction,
    CASE WHEN h.received > 0 THEN h.repeats / h.received END AS hotline_repeat,
    CASE WHEN h.received > 0 THEN 1000 * h.integrity / h.received END AS hotline_integrity,
    CASE WHEN u."group" = 'county' THEN dt.balance / dt.capacity END AS debt_ratio,
    CASE WHEN u."group" = 'county' THEN CASE WHEN dt.balance <= dt."limit" THEN 1.0 ELSE 0.0 END END AS debt_limit,
    CASE WHEN u."group" = 'county' THEN CASE WHEN dt.due_amount = 0 THEN 0 ELSE dt.overdue_amount / dt.due_amount END END AS debt_overdue,
    CASE WHEN u."group" = 'county' THEN 2.5 * dt.violations END AS debt_violations,
    COALESCE(x.d, 0) AS dishonesty,
    rt.score AS public_rating,
    COALESCE(bn.bonus, 0) AS bonus
  FROM units u LEFT JOIN c USING (unit_code) LEFT JOIN p USING (unit_code) LEFT JOIN h USING (unit_code)
  LEFT JOIN x USING (unit_code) LEFT JOIN dt USING (unit_code) LEFT JOIN rt USING (unit_code) LEFT JOIN bn USING (unit_code)),
s AS (
  SELECT unit_code, g, bonus,
    15 * LEAST(1, GREATEST(0, (commit_ontime - 0.60) / 0.40)) AS s1, CASE WHEN commit_ontime IS NOT NULL THEN 15 END AS w1,
    GREATEST(0, 5 - commit_breach) AS s2, 5 AS w2,
    5 * LEAST(1, GREATEST(0, (proposal_ontime - 0.80) / 0.20)) AS s3, CASE WHEN proposal_ontime IS NOT NULL THEN 5 END AS w3,
    5 * LEAST(1, GREATEST(0, (proposal_satisfaction - 0.85) / 0.15)) AS s4, CASE WHEN proposal_satisfaction IS NOT NULL THEN 5 END AS w4,
    5 * LEAST(1, GREATEST(0, (proposal_resolution - 0.30) / 0.50)) AS s5, CASE WHEN proposal_resolution IS NOT NULL THEN 5 END AS w5,
    6 * LEAST(1, GREATEST(0, (hotline_ontime - 0.85) / 0.15)) AS s6, CASE WHEN hotline_ontime IS NOT NULL THEN 6 END AS w6,
    6 * LEAST(1, GREATEST(0, (hotline_satisfaction - 0.80) / 0.18)) AS s7, CASE WHEN hotline_satisfaction IS NOT NULL THEN 6 END AS w7,
    3 * LEAST(1, GREATEST(0, (hotline_repeat - 0.15) / (0.02 - 0.15))) AS s8, CASE WHEN hotline_repeat IS NOT NULL THEN 3 END AS w8,
    5 * LEAST(1, GREATEST(0, (hotline_integrity - 5.0) / (0.0 - 5.0))) AS s9, CASE WHEN hotline_integrity IS NOT NULL THEN 5 END AS w9,
    5 * LEAST(1, GREATEST(0, (debt_ratio - 1.50) / (1.00 - 1.50))) AS s10, CASE WHEN debt_ratio IS NOT NULL THEN 5 END AS w10,
    5 * debt_limit AS s11, CASE WHEN debt_limit IS NOT NULL THEN 5 END AS w11,
    5 * LEAST(1, GREATEST(0, (debt_overdue - 0.05) / (0.0 - 0.05))) AS s12, CASE WHEN debt_overdue IS NOT NULL THEN 5 END AS w12,
    GREATEST(0, 5 - debt_violations) AS s13, CASE WHEN debt_violations IS NOT NULL THEN 5 END AS w13,
    GREATEST(0, 15 - dishonesty) AS s14, 15 AS w14,
    10 * LEAST(1, GREATEST(0, (public_rating - 60) / 35)) AS s15, CASE WHEN public_rating IS NOT NULL THEN 10 END AS w15
  FROM m)
SELECT unit_code, g,
  100 * (COALESCE(s1,0)+s2+COALESCE(s3,0)+COALESCE(s4,0)+COALESCE(s5,0)+COALESCE(s6,0)+COALESCE(s7,0)+COALESCE(s8,0)
         +COALESCE(s9,0)+COALESCE(s10,0)+COALESCE(s11,0)+COALESCE(s12,0)+COALESCE(s13,0)+s14+COALESCE(s15,0))
      / (COALESCE(w1,0)+w2+COALESCE(w3,0)+COALESCE(w4,0)+COALESCE(w5,0)+COALESCE(w6,0)+COALESCE(w7,0)+COALESCE(w8,0)
         +COALESCE(w9,0)+COALESCE(w10,0)+COALESCE(w11,0)+COALESCE(w12,0)+COALESCE(w13,0)+w14+COALESCE(w15,0)) + bonus AS total
FROM s ORDER BY g, total DESC, unit_code
"""


def main():
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    for name in ["units", "commitments", "proposals", "hotline", "debt", "dishonesty", "ratings", "honours"]:
        src = f"read_parquet('{DIR}/{name}.parquet')"
        if TIMES > 1 and name in ("commitments", "proposals", "hotline", "dishonesty"):
            src = " UNION ALL ".join([f"SELECT * FROM {src}"] * TIMES)
            con.execute(f"CREATE TABLE {name} AS {src}")
        else:
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM {src}")
    tickets = con.execute("SELECT COUNT(*) FROM hotline").fetchone()[0]
    runs = []
    for _ in range(5 if TIMES == 1 else 3):
        started = time.perf_counter()
        rows = con.execute(SQL).fetchall()
        runs.append(time.perf_counter() - started)
    runs.sort()
    print(f"duckdb {duckdb.__version__}: {tickets} tickets, {len(rows)} units: min {runs[0]:.3f} s, median {runs[len(runs)//2]:.3f} s")


if __name__ == "__main__":
    main()
