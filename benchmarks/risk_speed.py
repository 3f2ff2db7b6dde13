"""Benchmark: `cxgap risk` on a large demo store, its wall time and peak memory, against a bare scan of
the columns it reads measured in the same run.

Usage: python benchmarks/risk_speed.py [--customers 1000000] [--store PATH] [--out docs/benchmarks.md]

Builds (or reuses, with --store) a demo store and runs `cxgap risk --top 20 --out scores.csv` in its own
process, as a user would: the feature snapshots computed by the engine (90 days before the last data and
now, with every feature), model selection by cross-validation on a sample of at most 50,000 training
customers (3 folds side by side, the trees refitted on at most 100,000 beside them, the baseline, the health
score and a Cox model beside those), held-out scoring, every current customer scored in batches on the
cores, the report's tables and the CSV of every scored customer. Then the same with `--json`, which adds
the health trend (the five earlier month ends with the health components; the tables do not show it, so
they do not compute it). Peak memory is that process's maximum resident set size. The baseline is one pass
over the same tables' columns, fetched to Python (DuckDB, same machine, same run). Both are also given in
CPU seconds (all threads), which a machine shared with other work disturbs less than wall time. The store's
file is read once before anything is timed, so every run finds it in the page cache as the baseline's do;
`cxgap risk` runs twice and the faster counts (the baseline: the fastest of three).
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

from report import emit, machine

SCANS = {
    "customers": "customer_id, segment, started_at, ended_at, churned, revenue",
    "interactions": "customer_id, occurred_at, touchpoint, kind, resolved, handled, on_time, repeat_contact, reason",
    "responses": "customer_id, responded_at, survey_kind, nps",
    "feedback": "customer_id, received_at, rating",
}


def _run(args: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


PEAK = (  # the console script's own entry (it ends the process at once); the peak printed on the way out
    "import atexit, resource, sys\n"
    "from cxgap.cli.commands import run\n"
    "sys.argv = ['cxgap'] + sys.argv[1:]\n"
    "atexit.register(lambda: print('peak_kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr))\n"
    "run()\n"
)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _risk(env: dict[str, str], cwd: Path, options: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak resident MiB of one `cxgap risk` run in its own process."""
    start, cpu = time.perf_counter(), _children_cpu()
    args = [sys.executable, "-c", PEAK, "risk", "--top", "20", *options]
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0:
        sys.exit(f"cxgap risk failed:\n{done.stderr[-2000:]}")
    peak = next(line for line in done.stderr.splitlines() if line.startswith("peak_kib"))
    return elapsed, cpu, int(peak.split()[1]) / 1024


def _bare_scan(path: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one pass over the columns `cxgap risk` reads."""
    con = duckdb.connect(str(path), read_only=True)
    start, cpu = time.perf_counter(), time.process_time()
    for table, columns in SCANS.items():
        con.execute(f"SELECT {columns} FROM {table}").fetch_arrow_table()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    con.close()
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, help="reuse this demo store (built if missing)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cxgap-risk-"))
    path = args.store or folder / "demo.duckdb"
    env = os.environ | {"CXGAP_STORE_URL": f"duckdb:///{path.resolve()}", "COLUMNS": "200"}
    built = None
    if not path.exists():
        built = _run(
            [
                sys.executable,
                "-m",
                "cxgap",
                "demo",
                "--customers",
                str(args.customers),
                "--no-analysis",
                "--no-loop",
            ],
            env,
            path.parent,
        )
    load_before = os.getloadavg()[0]  # other work on the machine: wall times stretch with it
    _bare_scan(path)  # the store's file read once first: every timed run below finds it in the page cache
    table = ["--out", str(folder / "scores.csv")]
    runs = [_risk(env, path.parent, table) for _ in range(2)]  # in its cxgap.toml's folder
    risk, risk_cpu, peak_mib = min(runs)
    trend, trend_cpu, trend_mib = _risk(env, path.parent, ["--json"])
    load_after = os.getloadavg()[0]
    bare, bare_cpu = min(_bare_scan(path) for _ in range(3))
    scored = sum(1 for _ in (folder / "scores.csv").open(encoding="utf-8")) - 1
    lines = [
        f"\n## `cxgap risk` on a {args.customers:,}-customer demo store ({machine()})\n",
        "| what | time | CPU time | peak memory |",
        "|---|---|---|---|",
        f"| `cxgap risk --out CSV` (snapshots, model selection, Cox, scoring, tables, CSV) | {risk:.1f} s | {risk_cpu:.1f} s | {peak_mib:,.0f} MiB |",
        f"| `cxgap risk --json` (the same and the 6-month health trend) | {trend:.1f} s | {trend_cpu:.1f} s | {trend_mib:,.0f} MiB |",
        f"| baseline: one pass over the columns it reads, fetched (DuckDB) | {bare:.2f} s | {bare_cpu:.2f} s | |",
        "",
        f"`cxgap risk` takes {risk / bare:.1f}x the bare scan ({risk_cpu / bare_cpu:.1f}x in CPU time; the faster "
        f"of two runs, {' and '.join(f'{r[0]:.1f} s' for r in runs)}) and scored "
        f"{scored:,} current customers; with `--json` and its trend {trend / bare:.1f}x ({trend_cpu / bare_cpu:.1f}x). "
        "Peak memory is",
        "the maximum resident set of the `cxgap risk` process itself"
        + (f"; building the store first took {built:.0f} s." if built else ".")
        + f" Load average {load_before:.1f} before the run and {load_after:.1f} after it.",
    ]
    emit("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
