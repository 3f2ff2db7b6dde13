"""Benchmark: `cxgap demo --customers N` end to end, its parts, and a bare DuckDB copy of the same data.

Usage: python benchmarks/demo_scale.py [--customers 1000000] [--seed 42] [--out docs/benchmarks.md]

Measured in one run, on one machine:
- the whole CLI command in a child process (wall time and the child's peak memory),
- simulate() alone and write_demo() alone (in this process),
- the baseline: the same Arrow tables copied into a fresh DuckDB file with plain CREATE TABLE AS
  (no schema, constraints, keys or transaction bookkeeping): the floor any loader can reach.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from cxgap.demo import simulate, write_demo
from cxgap.store import Store

from report import emit, machine


def _cli_run(customers: int, seed: int, folder: Path) -> tuple[float, float]:
    env = {**os.environ, "CXGAP_STORE_URL": f"duckdb:///{folder / 'cli.duckdb'}"}
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cxgap",
            "demo",
            "--customers",
            str(customers),
            "--seed",
            str(seed),
            "--no-analysis",
            "--no-loop",
        ],
        check=True,
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=None, help="Append the results to this Markdown file.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cli_wall, cli_peak = _cli_run(args.customers, args.seed, folder)
        start = time.perf_counter()
        data = simulate(args.customers, args.seed)
        simulate_s = time.perf_counter() - start
        store = Store(f"duckdb:///{folder / 'api.duckdb'}")
        start = time.perf_counter()
        write_demo(store, data)
        write_s = time.perf_counter() - start
        store.close()
        start = time.perf_counter()
        bare = duckdb.connect(str(folder / "bare.duckdb"))
        for name, table in data.tables.items():
            bare.register("t", table)
            bare.execute(f"CREATE TABLE {name} AS SELECT * FROM t")
            bare.unregister("t")
        bare.close()
        bare_s = time.perf_counter() - start
    rows = data.rows
    lines = [
        f"### `cxgap demo --customers {args.customers:,}` ({machine()})",
        "",
        f"- rows: {sum(rows.values()):,} in all; responses + interactions: {rows['responses'] + rows['interactions']:,};"
        f" item ratings: {rows['response_items']:,}",
        f"- whole command (child process): **{cli_wall:.1f} s**, peak memory **{cli_peak:,.0f} MB**",
        f"- simulate: {simulate_s:.1f} s; write to the store (schema, keys, checks, one transaction): {write_s:.1f} s",
        f"- baseline, bare DuckDB `CREATE TABLE AS` of the same Arrow tables: {bare_s:.1f} s;"
        f" store write / baseline = **{write_s / bare_s:.1f}x**",
        "",
    ]
    text = "\n".join(lines)
    emit(text, args.out)


if __name__ == "__main__":
    main()
