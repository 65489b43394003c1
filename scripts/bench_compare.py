#!/usr/bin/env python3
"""Checks the peer's results (bench_polars.py's CSV) against Zhengxin's
§9 export of the same year: every unit's total to the cent, its rank and
its grade. Prints the differences and exits 1 if there are any.

Usage: bench_compare.py ZHENGXIN_EXPORT.csv PEER.csv
"""
import csv
import sys


def rows(path, code, total, rank, grade):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return {r[code]: (round(float(r[total]), 2), r[rank] or "", r[grade]) for r in csv.DictReader(f)}


def main():
    ours = rows(sys.argv[1], "unit_code", "total", "rank", "grade")
    peer = rows(sys.argv[2], "unit_code", "total", "rank", "grade")
    differ = [(c, ours.get(c), peer.get(c)) for c in sorted(set(ours) | set(peer)) if ours.get(c) != peer.get(c)]
    for c, a, b in differ[:20]:
        print(f"  {c}: zhengxin {a}, peer {b}")
    print(f"{len(ours)} units; {len(differ)} differ between Zhengxin and the peer")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
