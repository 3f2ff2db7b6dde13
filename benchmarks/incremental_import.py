"""Benchmark: an import's summary refresh costs the batch, not the store (against a full rebuild).

Usage: python benchmarks/incremental_import.py [--customers 65000] [--scales 1,10] [--batches 10000,100000]
       [--repeat 2] [--rebuilds 2] [--keep DIR] [--out docs/benchmarks.md]

For each scale K, one demo store of `--customers` customers copied K times (analyze_speed.py's builder: the
groups stay the demo's, so the rollups keep their size and only the stored rows grow; 65,000 customers give
about 100,000 responses per copy). On it, in the same run:
- baseline: rebuilding every summary from the raw tables (`refresh_derived(conn)`: item context, customer x
  touchpoint, rollups), best of 2; beside it the summaries-only rebuild analyze_speed.py reports (customer x
  touchpoint and rollups, without the item context);
- for each N in `--batches`: `import_file` of N new responses with their item ratings (a CSV), then of N
  new interactions, timing each whole import and, within it, the summary refresh (`refresh_derived`);
  `--repeat` batches of each, keeping the one with the fastest refresh (a shared machine is noisy).
The new rows are copies of stored ones under new ids (same customers, touchpoints and months), without the
free-text comment (redaction is not what this measures). After the imports, the rollups must still count
every rating and interaction (checked), and the section says how the refresh grows with the stored rows.
`--keep DIR` keeps each built store in DIR (demo_<customers>_x<scale>.duckdb) and measures on a copy of it, so
a second run (or a store built beforehand the same way) skips the build, which at 10M rows takes most of the
time; `--rebuilds` sets how many times the baselines are timed (the fastest kept; 0 skips them).

`--postgres URL` measures the same imports on PostgreSQL, the server path, whose keys and customer x touchpoint
pairs are found through indexes: each scale's DuckDB store (built or kept as above) is copied into its own
database on that server (`<database>_x<scale>`, rebuilt when missing, kept afterwards: a copy of the 10M
store took about 30 minutes here) and the batches are imported there, under new ids each run. There is no
checkpoint to time (PostgreSQL's WAL is written at commit, inside the import).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa
from analyze_speed import _rebuild as _rebuild_summaries
from analyze_speed import _scale
from sqlalchemy.engine import make_url

import cxgap.io.importer as importer
from cxgap.demo import simulate, write_demo
from cxgap.io import import_file, mapping_from_dict
from cxgap.store import Store, refresh_derived

from report import emit, machine

CONTACT_COLUMNS = {
    "interaction_id": "id",
    "customer_id": "customer",
    "occurred_at": "at",
    "touchpoint": "touchpoint",
    "channel": "channel",
    "kind": "kind",
    "wait_seconds": "wait",
    "handled": "handled",
    "resolved": "resolved",
    "repeat_contact": "repeat",
    "on_time": "on_time",
    "delay_minutes": "delay",
    "duration_seconds": "duration",
}
RESPONSE_COLUMNS = {
    "response_id": "id",
    "customer_id": "customer",
    "responded_at": "at",
    "survey_kind": "kind",
    "touchpoint": "touchpoint",
    "channel": "channel",
    "nps": "nps",
}


class RefreshClock:
    """Wraps the importer's `refresh_derived` to time it (the import itself is unchanged)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        start = time.perf_counter()
        refresh_derived(*args, **kwargs)
        self.seconds += time.perf_counter() - start


def _rebuild(store: Store) -> float:
    """Every summary rebuilt from the raw tables: what each import cost before."""
    start = time.perf_counter()
    with store.begin() as conn:
        refresh_derived(conn)
    return time.perf_counter() - start


def _response_file(con: Any, folder: Path, n: int, tag: str) -> tuple[Path, dict[str, Any]]:
    """N stored responses copied under new ids, with their ratings as wide columns, and their mapping."""
    items = [r[0] for r in con.execute("SELECT DISTINCT item FROM response_items ORDER BY 1").fetchall()]
    wide = ", ".join(
        f"max(CASE WHEN i.item = '{item}' THEN i.{m} END) AS {m[0]}_{item}"
        for item in items
        for m in ("perception", "expectation")
    )
    path = folder / f"responses_{tag}.csv"
    con.execute(
        f"COPY (SELECT r.response_id || '~{tag}' AS id, r.customer_id AS customer, r.responded_at AS at, "
        f"r.survey_kind AS kind, r.touchpoint, r.channel, r.nps, {wide} "
        f"FROM (SELECT * FROM responses USING SAMPLE {n} ROWS (reservoir, 1)) r "
        "JOIN response_items i ON i.response_id = r.response_id "
        f"GROUP BY ALL) TO '{path}' (HEADER)"
    )
    measures = {
        f"{m[0]}_{item}": {"item": item, "measure": m}
        for item in items
        for m in ("perception", "expectation")
    }
    return path, {"table": "responses", "columns": RESPONSE_COLUMNS, "items": measures}


def _contact_file(con: Any, folder: Path, n: int, tag: str) -> tuple[Path, dict[str, Any]]:
    """N stored interactions copied under new ids, and their mapping."""
    path = folder / f"interactions_{tag}.csv"
    select = ", ".join(
        f"{column} || '~{tag}' AS {name}" if column == "interaction_id" else f"{column} AS {name}"
        for column, name in CONTACT_COLUMNS.items()
    )
    con.execute(
        f"COPY (SELECT {select} FROM interactions USING SAMPLE {n} ROWS (reservoir, 2)) TO '{path}' (HEADER)"
    )
    return path, {"table": "interactions", "columns": CONTACT_COLUMNS}


def _timed_import(store: Store, path: Path, mapping: dict[str, Any]) -> tuple[float, float, float, int]:
    """Seconds of the whole import, of its summary refresh and of the checkpoint right after it, and the
    rows it loaded. DuckDB writes a small transaction to its log and the tables, with their indexes, at
    the next checkpoint (once the log passes 16 MiB, or when the store is closed, as every `cxgap import`
    does): that deferred cost belongs to the import too. PostgreSQL writes its log at commit (0 here)."""
    clock = RefreshClock()
    importer.refresh_derived = clock  # type: ignore[attr-defined]
    try:
        start = time.perf_counter()
        summary = import_file(store, path, mapping_from_dict(mapping))
        total = time.perf_counter() - start
    finally:
        importer.refresh_derived = refresh_derived  # type: ignore[attr-defined]
    start = time.perf_counter()
    if store.backend == "duckdb":
        store.duckdb_connection().execute("CHECKPOINT")
    return total, clock.seconds, time.perf_counter() - start, summary.rows_loaded


def _check(store: Store) -> None:
    """The merged rollups still count every rating and interaction stored, and the customer x touchpoint
    summary every pair."""
    pairs = {
        "SELECT sum(n_perception) FROM rollup_items": "SELECT count(perception) FROM response_items",
        "SELECT sum(interactions) FROM rollup_interactions": "SELECT count(*) FROM interactions",
        "SELECT sum(interactions) FROM customer_touchpoints": "SELECT count(customer_id) FROM interactions",
    }
    with store.engine.connect() as conn:
        for kept, raw in pairs.items():
            assert conn.execute(sa.text(kept)).scalar() == conn.execute(sa.text(raw)).scalar(), kept


# the tables a copy into PostgreSQL carries: every one an import reads or a summary keeps
COPIED_TABLES = (
    "customers",
    "responses",
    "response_items",
    "interactions",
    "feedback",
    "import_batches",
    "customer_touchpoints",
    "rollup_items",
    "rollup_interactions",
)


def _postgres_store(url: str, kept: Path, scale: int) -> Store:
    """The kept DuckDB store `kept` copied into the PostgreSQL database `<database>_x<scale>` on `url`'s
    server (made when missing, under another name until the copy is whole: every table an import reads,
    its summaries included, through COPY)."""
    base = make_url(url)
    name = f"{base.database}_x{scale}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}_building"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}_building"'))
            building = Store(base.set(database=f"{name}_building").render_as_string(hide_password=False))
            _copy_into(building, kept)
            building.close()
            conn.execute(sa.text(f'ALTER DATABASE "{name}_building" RENAME TO "{name}"'))
    admin.dispose()
    return Store(base.set(database=name).render_as_string(hide_password=False))


def _copy_into(store: Store, kept: Path) -> None:
    """Every table of COPIED_TABLES from the DuckDB file `kept` into the PostgreSQL `store`, then ANALYZE."""
    duck = duckdb.connect(str(kept), read_only=True)
    raw = store.engine.raw_connection()
    try:
        for table in COPIED_TABLES:
            columns = ", ".join(c.name for c in sa.Table(table, sa.MetaData(), autoload_with=store.engine).c)
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"{table}.csv"
                duck.execute(f"COPY (SELECT {columns} FROM {table}) TO '{path}' (HEADER false)")
                with raw.cursor() as cursor, path.open("rb") as csv:  # type: ignore[attr-defined]
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                        while chunk := csv.read(1 << 20):
                            copy.write(chunk)
            raw.commit()
    finally:
        raw.close()
        duck.close()
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def _build(customers: int, scale: int, path: Path) -> None:
    """The demo copied `scale` times, with its summaries, checkpointed into `path`."""
    store = Store(f"duckdb:///{path}")
    write_demo(store, simulate(customers, seed=1))
    con = store.duckdb_connection()
    if scale > 1:
        _scale(con, scale)
    _rebuild(store)  # the copies' summaries
    con.execute("CHECKPOINT")
    store.close()


def _kept(customers: int, scale: int, folder: Path, keep: Path | None) -> Path:
    """The built DuckDB store of this scale: built in `folder`, or the one kept in `keep` (built there
    first when missing)."""
    if keep is None:
        path = folder / f"built_{scale}.duckdb"
        _build(customers, scale, path)
        return path
    kept = keep / f"demo_{customers}_x{scale}.duckdb"
    if not kept.exists():
        _build(customers, scale, kept.with_suffix(".building"))
        kept.with_suffix(".building").rename(kept)
    return kept


def _store(kept: Path, scale: int, folder: Path, postgres: str | None) -> Store:
    """A store to measure on: the DuckDB file built for this run, a copy of a kept one, or its copy on the
    PostgreSQL server."""
    if postgres:
        return _postgres_store(postgres, kept, scale)
    if kept.parent == folder:  # built for this run only: measured as it is
        return Store(f"duckdb:///{kept}")
    path = folder / f"store_{scale}.duckdb"
    shutil.copyfile(kept, path)
    return Store(f"duckdb:///{path}")


def _measure_scale(
    customers: int,
    scale: int,
    batches: list[int],
    repeat: int,
    folder: Path,
    keep: Path | None,
    rebuilds: int,
    postgres: str | None = None,
) -> dict[str, Any]:
    load = os.getloadavg()[0]  # a shared machine: said beside the timings
    kept = _kept(customers, scale, folder, keep)
    store = _store(kept, scale, folder, postgres)
    # the batches are copies of stored rows, read from the DuckDB store (the one measured, or the kept one)
    con = duckdb.connect(str(kept), read_only=True) if postgres else store.duckdb_connection()
    stored = store.counts()
    rebuild = min((_rebuild(store) for _ in range(rebuilds)), default=math.nan)
    summaries = min((_rebuild_summaries(store) for _ in range(rebuilds)), default=math.nan)
    if not postgres:
        con.execute("CHECKPOINT")  # each import's checkpoint then writes its own changes only
    run = f"r{time.time_ns() % 10**9}" if postgres else ""  # new ids in a database kept between runs
    runs = []
    for n in batches:
        for kind, make in (("responses", _response_file), ("interactions", _contact_file)):
            tries: list[dict[str, Any]] = []
            for attempt in range(repeat):  # a new batch each time; the store grows by a few percent
                path, mapping = make(con, folder, n, f"{kind[0]}{n}x{attempt}{run}")
                total, refresh, checkpoint, loaded = _timed_import(store, path, mapping)
                tries.append(
                    {
                        "kind": kind,
                        "n": n,
                        "loaded": loaded,
                        "import": total,
                        "refresh": refresh,
                        "checkpoint": checkpoint,
                    }
                )
            runs.append(min(tries, key=lambda t: t["refresh"]))
    _check(store)
    store.close()
    if postgres:
        con.close()
    loads = (load, os.getloadavg()[0])
    return {
        "scale": scale,
        "stored": stored,
        "rebuild": rebuild,
        "summaries": summaries,
        "runs": runs,
        "load": loads,
    }


def _seconds(value: float, digits: int = 2) -> str:
    """A timing, or what stands for a baseline not timed (`--rebuilds 0`)."""
    return "not timed" if math.isnan(value) else f"{value:.{digits}f} s"


def _ratio(value: float, unit: str = "") -> str:
    """A ratio to a baseline, or a dash where the baseline was not timed."""
    return "-" if math.isnan(value) else f"{value:.3g}{unit}"


def _lines(results: list[dict[str, Any]], customers: int) -> list[str]:
    lines = [
        "| stored responses | stored interactions | batch | rows | import | summary refresh | checkpoint after "
        "| full rebuild (baseline) | refresh / rebuild | summaries-only rebuild |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for run in r["runs"]:
            lines.append(
                f"| {r['stored']['responses']:,} | {r['stored']['interactions']:,} | {run['n']:,} {run['kind']} | "
                f"{run['loaded']:,} | {run['import']:.2f} s | **{run['refresh']:.3f} s** | "
                f"{run['checkpoint']:.2f} s | {_seconds(r['rebuild'])} | "
                f"{_ratio(run['refresh'] / r['rebuild'])} | {_seconds(r['summaries'])} |"
            )
    small, large = results[0], results[-1]
    growth = large["stored"]["responses"] / small["stored"]["responses"]
    lines.append("")
    for a, b in zip(small["runs"], large["runs"], strict=True):
        before, after = a["import"] + a["checkpoint"], b["import"] + b["checkpoint"]
        lines.append(
            f"- {a['n']:,} {a['kind']}: refresh {a['refresh']:.3f} s on {small['stored']['responses']:,} stored "
            f"responses, {b['refresh']:.3f} s on {large['stored']['responses']:,} ({growth:.0f}x the rows): "
            f"**{b['refresh'] / a['refresh']:.2f}x**; the rebuild grew {_ratio(large['rebuild'] / small['rebuild'], 'x')}; "
            f"the import with its checkpoint {before:.2f} s and {after:.2f} s (**{after / before:.2f}x**)"
        )
    copies = ", ".join(f"x{r['scale']}" for r in results)
    lines.append(f"- demo of {customers:,} customers, copied {copies}")
    loads = "; ".join(f"x{r['scale']}: {r['load'][0]:.1f} -> {r['load'][1]:.1f}" for r in results)
    lines.append(f"- load average (1 min) when each store's measurements began and ended: {loads}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=65_000)
    parser.add_argument("--scales", default="1,10", help="Copies of the demo per store, comma-separated.")
    parser.add_argument("--batches", default="10000,100000", help="Rows per imported batch, comma-separated.")
    parser.add_argument(
        "--repeat", type=int, default=2, help="Batches imported per size (best refresh kept)."
    )
    parser.add_argument("--rebuilds", type=int, default=2, help="Timings of each baseline (fastest kept).")
    parser.add_argument("--keep", type=Path, default=None, help="Folder keeping the built stores for reuse.")
    parser.add_argument(
        "--postgres", default=None, help="A PostgreSQL server URL: measure there (a database per scale)."
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for scale in scales:
            results.append(
                _measure_scale(
                    args.customers,
                    scale,
                    batches,
                    args.repeat,
                    Path(tmp),
                    args.keep,
                    args.rebuilds,
                    args.postgres,
                )
            )
    engine = "PostgreSQL" if args.postgres else "DuckDB"
    title = (
        f"### Incremental summaries on {engine}: an import's refresh against the stored size ({machine()})"
    )
    emit("\n".join([title, "", *_lines(results, args.customers), ""]), args.out)


if __name__ == "__main__":
    main()
