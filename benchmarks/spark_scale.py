"""Benchmark: `analyze` in warehouse mode (Spark local[2] over a Parquet export) and on DuckDB, each against
its own engine's bare scan of the same raw columns.

Usage: python benchmarks/spark_scale.py [--responses 10000000] [--keep DIR] [--out docs/benchmarks.md]

A demo store of about N responses (analyze_speed.py's builder: a demo of up to 650,000 customers, scaled up
by copies under new keys), exported with `cxgap export parquet`'s function. Measured in the same run:
- DuckDB: the first `analyze` with no kept results (as after an import: the derived importance's bootstrap
  computed and kept in the store), `analyze` warm (best of 3) and the bare scan analyze_speed.py times
  (best of 3);
- Spark: the session's start, the first `analyze` (cold: the warehouse summaries built from the Parquet
  files), `analyze` warm (best of 3, summaries kept), and the same bare scan in Spark SQL over the same
  tables (best of 3).
`--keep DIR` keeps the store and its export in DIR and reuses them on the next run (the summaries are
always rebuilt and kept results dropped, so the cold run is one).
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from analyze_speed import SCANS, _bare_scan, _rebuild, _scale

from cxgap.config import EngineSettings, Settings
from cxgap.demo import simulate, write_demo
from cxgap.engine import Engine
from cxgap.engine.spark import SparkEngine
from cxgap.gaps import analyze
from cxgap.store import Store
from cxgap.store.export import export_parquet

from report import machine

LAKE_TABLES = ("customers", "responses", "response_items", "feedback", "interactions", "outcomes")
RESPONSES_PER_CUSTOMER = 1.5  # the demo's, about
MOST_CUSTOMERS = 650_000  # the largest demo built directly; more responses come from copies


def _build(folder: Path, responses: int) -> Store:
    """The store of about `responses` responses in `folder` (reused when there) and its Parquet export."""
    store = Store(f"duckdb:///{folder / 'bench.duckdb'}")
    if (folder / "export").exists():
        return store
    customers = min(MOST_CUSTOMERS, max(1_000, round(responses / RESPONSES_PER_CUSTOMER)))
    write_demo(store, simulate(customers, seed=1))
    copies = max(1, math.ceil(responses / store.count("responses")))
    if copies > 1:
        _scale(store.duckdb_connection(), copies)
        _rebuild(store)
    export_parquet(store, folder / "export", LAKE_TABLES)
    return store


def _best(runs: int, action: Any) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def _spark_scan(engine: SparkEngine) -> None:
    """analyze_speed.py's bare scan in Spark SQL, over the tables as the engine reads them."""
    for table, columns in SCANS.items():
        view = engine.table(table).op().name
        engine.session.sql(f"SELECT {columns} FROM `{view}`").collect()


def _forget_kept(store: Store) -> None:
    """Drop every result kept in the store (the derived importance), as an import would make them stale."""
    with store.begin() as conn:
        conn.execute(sa.text("DELETE FROM view_results"))


def _duckdb(store: Store, settings: Settings) -> dict[str, Any]:
    engine = Engine(store)
    _forget_kept(store)
    start = time.perf_counter()
    report = analyze(engine, settings)  # as after an import: the derived importance is computed and kept
    first = time.perf_counter() - start
    con = store.duckdb_connection()
    return {
        "first": first,
        "warm": _best(3, lambda: analyze(engine, settings)),
        "bare": _best(3, lambda: _bare_scan(con)),
        "gaps": len(report.gaps),
    }


def _spark(store: Store, settings: Settings, engine_settings: EngineSettings) -> dict[str, Any]:
    _forget_kept(store)
    start = time.perf_counter()
    engine = SparkEngine(store, engine_settings)
    started = time.perf_counter() - start
    start = time.perf_counter()
    report = analyze(engine, settings)
    cold = time.perf_counter() - start
    result = {
        "start": started,
        "cold": cold,
        "warm": _best(3, lambda: analyze(engine, settings)),
        "bare": _best(3, lambda: _spark_scan(engine)),
        "gaps": len(report.gaps),
    }
    engine.close()
    return result


def _section(counts: dict[str, int], duck: dict[str, Any], spark: dict[str, Any], master: str) -> str:
    responses = counts["responses"]
    return "\n".join(
        [
            f"<!-- spark_scale {responses} -->",
            f"### `analyze` on {responses:,} responses: Spark {master} and DuckDB ({machine()})",
            "",
            f"- data: {responses:,} responses, {counts['response_items']:,} item ratings, "
            f"{counts['interactions']:,} interactions, {counts['customers']:,} customers, as Parquet "
            f"(`cxgap export parquet`); {duck['gaps']} gaps measured on DuckDB, {spark['gaps']} on Spark",
            f"- DuckDB: `analyze` warm (best of 3) {duck['warm']:.2f} s; bare scan of the same columns "
            f"{duck['bare']:.2f} s; **{duck['warm'] / duck['bare']:.1f}x** the bare scan; the first "
            f"`analyze` after an import (the derived importance computed and kept) {duck['first']:.2f} s "
            f"({duck['first'] / duck['bare']:.1f}x)",
            f"- Spark {master}: `analyze` warm (best of 3) {spark['warm']:.2f} s; Spark SQL's bare scan of "
            f"the same columns {spark['bare']:.2f} s; **{spark['warm'] / spark['bare']:.1f}x** the bare scan",
            f"- Spark, first run: session start {spark['start']:.1f} s; `analyze` cold (the warehouse "
            f"summaries built from the Parquet files) {spark['cold']:.1f} s "
            f"({spark['cold'] / spark['bare']:.1f}x the bare scan)",
            f"<!-- /spark_scale {responses} -->",
            "",
        ]
    )


def write_section(text: str, out: Path | None) -> None:
    """Print the section; in `out`, replace the section of the same size, else append it."""
    print(text)
    if out is None:
        return
    marker = text.splitlines()[0]
    closing = marker.replace("<!-- ", "<!-- /")
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    pattern = re.compile(re.escape(marker) + r".*?" + re.escape(closing) + r"\n?", re.S)
    if pattern.search(old):
        out.write_text(pattern.sub(lambda _: text, old), encoding="utf-8")
    else:
        out.write_text(old.rstrip("\n") + "\n\n" + text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="Keep (and reuse) the store and export here.")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--memory", default="6g", help="Spark driver memory (spark.driver.memory).")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        store = _build(folder, args.responses)
        settings = Settings()
        duck = _duckdb(store, settings)
        shutil.rmtree(folder / "summaries", ignore_errors=True)
        engine_settings = EngineSettings(
            url=f"pyspark://{args.master}",
            tables={t: str(folder / "export" / t) for t in LAKE_TABLES},
            summaries=str(folder / "summaries"),
            spark={"spark.driver.memory": args.memory},
        )
        spark = _spark(store, settings, engine_settings)
        counts = store.counts()
        store.close()
    write_section(_section(counts, duck, spark, args.master), args.out)


if __name__ == "__main__":
    main()
