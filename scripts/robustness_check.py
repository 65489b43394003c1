"""An independent implementation of the rank-robustness simulation
(robustness.md §1), in numpy, run on the same model and the same uniforms as
`zhengxin robustness --dump`, compared with `zhengxin robustness --json`.

Written from the spec, not from the Rust: competition rank as 1 + the number
of graded units of the group with a higher total, all draws at once as
matrices, percentiles by numpy's inverted CDF.

What each indicator is, and so what a draw varies, is read from the
rulebook itself (the method's table as the year's TOML file states it), not
from the engine's dump: robustness.md §1 says "Not perturbed: `pass_fail`
indicators (neither their weight nor their outcome)", so a `pass_fail`
indicator keeps its weight and draws no uniform; `deduct` draws one (its
weight), `linear` three (weight, bad, good), in the rulebook's order. The
dump's weights and thresholds must be the rulebook's, and its count of
uniforms per draw must be the one this reading gives, or the check fails.

    python robustness_check.py DUMP_DIR ANSWER.json [RULEBOOK.toml]
RULEBOOK defaults to seeds/rulebooks/<year>.toml. Exit 0 when every
percentile, median and grade probability agrees.
"""
import json
import math
import sys
import tomllib

import numpy as np


def round_cents(x):
    # §5: half away from zero, a value within 1e-9 of a half cent is the half.
    scaled = x * 100.0
    up = np.floor(scaled + 0.5 + 1e-7)
    down = np.ceil(scaled - 0.5 - 1e-7)
    return np.where(scaled >= 0, up, down) / 100.0


def rules_of(rulebook_path, model):
    """The model's indicators as the rulebook states them: (id, kind,
    weight, bad, good) in the model's order, and the problems found when the
    dump does not hold the rulebook's numbers."""
    book = tomllib.load(open(rulebook_path, "rb"))
    by_id = {r["id"]: r for r in book["indicator"]}
    rules, wrong = [], []
    for ind in model["indicators"]:
        r = by_id.get(ind["id"])
        if r is None:
            wrong.append(f"{ind['id']}: not in {rulebook_path}")
            continue
        f = r["function"]
        rule = (r["id"], f["kind"], float(r["weight"]), float(f.get("bad", 0.0)), float(f.get("good", 0.0)))
        if ind["weight"] != rule[2] or (f["kind"] == "linear" and (ind["bad"], ind["good"]) != rule[3:]):
            wrong.append(f"{ind['id']}: the dump has weight {ind['weight']}, bad {ind['bad']}, good {ind['good']}; the rulebook {rule[2:]}")
        rules.append(rule)
    return rules, wrong


def layout(rules):
    """Each indicator's first uniform and the uniforms per draw: a weight's
    for every indicator but pass_fail, then bad's and good's for linear."""
    offsets, k = [], 0
    for _, kind, *_ in rules:
        offsets.append(k)
        k += {"linear": 3, "deduct": 1, "pass_fail": 0}[kind]
    return offsets, k


def main(dump_dir, answer_path, rulebook_path=None):
    doc = json.load(open(f"{dump_dir}/model.json"))
    answer = json.load(open(answer_path))
    model = doc["model"]
    rulebook_path = rulebook_path or f"seeds/rulebooks/{answer['year']}.toml"
    rules, wrong = rules_of(rulebook_path, model)
    offsets, per_draw = layout(rules)
    if doc["per_draw"] != per_draw:
        wrong.append(f"the engine draws {doc['per_draw']} uniforms per draw; the method's reading of {rulebook_path} needs {per_draw} "
                     "(is a pass_fail weight being perturbed?)")
    if wrong:
        print("DISAGREE before simulating:")
        print("\n".join(wrong))
        return 1
    draws, phi_w, phi_t = doc["draws"], doc["weights"], doc["thresholds"]
    u = np.fromfile(f"{dump_dir}/uniforms.f64", dtype="<f8").reshape(draws, per_draw)
    units, g = model["units"], model["grades"]
    n = len(units)
    points = np.zeros((draws, n))
    weights = np.zeros((draws, n))
    for j, (_, kind, weight, bad0, good0) in enumerate(rules):
        k = offsets[j]
        if kind == "pass_fail":
            w = np.full(draws, weight)
        else:
            w = weight * (1.0 + phi_w * (2.0 * u[:, k] - 1.0))
        values = np.array([np.nan if un["values"][j] is None else un["values"][j] for un in units])
        applies = ~np.isnan(values)
        v = np.nan_to_num(values)
        W = w[:, None] * np.ones((1, n))
        if kind == "linear":
            span = good0 - bad0
            bad = bad0 + phi_t * (2.0 * u[:, k + 1] - 1.0) * span
            good = good0 + phi_t * (2.0 * u[:, k + 2] - 1.0) * span
            s = W * np.clip((v[None, :] - bad[:, None]) / (good[:, None] - bad[:, None]), 0.0, 1.0)
        elif kind == "deduct":
            s = np.where(W > v[None, :], W - v[None, :], 0.0)
        else:
            s = W * v[None, :]
        points = points + np.where(applies[None, :], s, 0.0)
        weights = weights + np.where(applies[None, :], W, 0.0)
    base = np.where(weights > 0, 100.0 * points / np.where(weights > 0, weights, 1.0), 0.0)
    bonus = np.array([un["bonus"] for un in units])
    totals = round_cents(base + bonus[None, :])
    graded = np.array([un["graded"] for un in units])
    vetoed = np.array([un["vetoed"] for un in units])
    groups = np.array([un["group"] for un in units])
    ranks = np.zeros((draws, n), dtype=np.int64)
    grade = np.full((draws, n), "", dtype=object)
    for group in set(groups):
        members = np.where((groups == group) & graded)[0]
        t = totals[:, members]
        # competition rank: 1 + how many in the group scored more
        r = 1 + (t[:, None, :] > t[:, :, None]).sum(axis=2)
        ranks[:, members] = r
        quota = max(1.0, math.floor(g["excellent_quota"] * len(members) + 1e-9))
        for col, m in enumerate(members):
            tt, rr = t[:, col], r[:, col]
            grade[:, m] = np.where(vetoed[m], "fail",
                           np.where((tt >= g["excellent"]) & (rr <= quota), "excellent",
                           np.where(tt >= g["good"], "good", np.where(tt >= g["pass"], "pass", "fail"))))
    wrong = []
    by_code = {x["unit_code"]: x for x in answer["units"]}
    for i, un in enumerate(units):
        mine = by_code[un["code"]]
        if graded[i]:
            for key, p in (("rank_p5", 5), ("median_rank", 50), ("rank_p95", 95)):
                got = int(np.percentile(ranks[:, i], p, method="inverted_cdf"))
                if got != mine[key]:
                    wrong.append(f"{un['code']} {key}: numpy {got}, zhengxin {mine[key]}")
            for name in ("excellent", "good", "pass", "fail"):
                share = float((grade[:, i] == name).sum()) / draws
                if share != mine["grades"][name]:
                    wrong.append(f"{un['code']} P({name}): numpy {share}, zhengxin {mine['grades'][name]}")
    checked = int(graded.sum())
    if wrong:
        print(f"DISAGREE on {len(wrong)} figure(s) of {checked} graded units:")
        print("\n".join(wrong[:40]))
        return 1
    print(f"agree: {checked} graded units × (P5, median, P95, 4 grade probabilities) over {draws} draws")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
