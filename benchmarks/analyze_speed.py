"""Benchmark: `analyze` (all six gaps) against a bare DuckDB scan and a straightforward pandas version.

Usage: python benchmarks/analyze_speed.py [--customers 650000] [--out docs/benchmarks.md]

One demo store, three measurements in the same run:
- cxgap: `analyze(engine, settings)` (the backend aggregates; only aggregates reach Python), warm;
- bare scan: DuckDB reading every column analyze uses from the same tables, with no grouping at all;
- pandas: the same per-group sums computed in pandas after loading those columns into DataFrames.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from cxgap.config import Settings
from cxgap.demo import simulate, write_demo
from cxgap.engine import Engine
from cxgap.gaps import analyze
from cxgap.store import Store

from report import emit, machine

SCANS = {
    "response_items": "sum(perception), sum(expectation), count(item), count(response_id)",
    "responses": "count(response_id), count(touchpoint), count(survey_kind), sum(superior::int)",
    "interactions": "count(touchpoint), count(kind), count(customer_id), sum(wait_seconds), sum(resolved::int), sum(on_time::int), sum(handled::int)",
    "beliefs": "count(role), sum(believed_rating), sum(believed_expectation), sum(superior::int)",
}


def _bare_scan(con: Any) -> float:
    start = time.perf_counter()
    for table, columns in SCANS.items():
        con.execute(f"SELECT {columns} FROM {table}").fetchall()
    return time.perf_counter() - start


def _pandas(con: Any, items: dict[str, str]) -> float:
    """The same aggregates as the gap engine, the way a pandas user would write them."""
    start = time.perf_counter()
    ri = con.execute("SELECT response_id, item, perception, expectation FROM response_items").df()
    rs = con.execute("SELECT response_id, touchpoint, survey_kind, superior FROM responses").df()
    it = con.execute(
        "SELECT customer_id, touchpoint, kind, wait_seconds, resolved, on_time, handled FROM interactions"
    ).df()
    be = con.execute(
        "SELECT role, touchpoint, dimension, believed_rating, believed_expectation, superior FROM beliefs"
    ).df()
    rows = ri.merge(rs, on="response_id")
    rows["dimension"] = rows["item"].map(items)
    rows.loc[rows.survey_kind == "relational", "touchpoint"] = None
    rows["d"] = rows.perception - rows.expectation
    keys = ["touchpoint", "dimension"]
    for column in ("d", "perception", "expectation"):
        rows.groupby(keys, dropna=False)[column].agg(["count", "sum", lambda s: (s * s).sum()])
    be.groupby(["role", *keys], dropna=False)[["believed_rating", "believed_expectation"]].agg(
        ["count", "sum", "std"]
    )
    for _touchpoint, group in it.groupby("touchpoint"):
        group[["wait_seconds", "resolved", "on_time", "handled"]].astype(float).agg(["count", "sum", "std"])
    it.groupby("touchpoint")["customer_id"].nunique()
    rs["superior"].agg(["count", "sum"])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=650_000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--store", type=Path, default=None, help="Use this existing demo store instead of building one."
    )
    args = parser.parse_args()
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"duckdb:///{args.store or Path(tmp) / 'bench.duckdb'}")
        if args.store is None:
            data = simulate(args.customers, seed=1)
            write_demo(store, data)
            del data
        engine = Engine(store)
        analyze(engine, settings)  # warm-up: caches, query planning
        start = time.perf_counter()
        report = analyze(engine, settings)
        cxgap_s = time.perf_counter() - start
        con = store.duckdb_connection()
        bare_s = min(_bare_scan(con) for _ in range(2))
        pandas_s = _pandas(con, settings.items)
        counts = store.counts()
        store.close()
    text = "\n".join(
        [
            f"### `analyze` on {counts['responses']:,} responses ({machine()})",
            "",
            f"- store: {counts['responses']:,} responses, {counts['response_items']:,} item ratings, {counts['interactions']:,} interactions;"
            f" {len(report.gaps)} gaps measured",
            f"- cxgap `analyze` (warm): **{cxgap_s:.2f} s**",
            f"- bare DuckDB scan of the same columns: {bare_s:.2f} s; cxgap / bare scan = **{cxgap_s / bare_s:.1f}x** (target: within 3x)",
            f"- pandas implementation of the same aggregates: {pandas_s:.2f} s; pandas / cxgap = **{pandas_s / cxgap_s:.1f}x** (target at 10M: at least 10x)",
            "",
        ]
    )
    emit(text, args.out)


if __name__ == "__main__":
    main()
