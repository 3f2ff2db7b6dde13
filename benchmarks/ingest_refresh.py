"""Benchmark: the refresh after API ingests merges their batches, against the full rebuild it replaced.

Usage: python benchmarks/ingest_refresh.py [--customers 65000] [--scale 10] [--batches 10] [--rows 2000]
       [--keep DIR] [--postgres URL] [--out docs/benchmarks.md]

On incremental_import.py's store of `--customers` customers copied `--scale` times (built, or kept in
`--keep`; copied into PostgreSQL with `--postgres`, as that script does), `--batches` ingests of `--rows`
new rows each (alternately responses with their ratings and interactions: copies of stored rows under new
ids) are loaded as the API loads them (`import_file(..., defer_rollups=True)`), then the next analysis's
refresh (`Store.refresh_stale`) is timed: it merges the noted batches. Baseline, in the same run on the same
store right after: the full rebuild of both rollups, which that refresh did before (the stale mark set by
hand, `refresh_stale` again). The rollups are checked against a recount after each.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
import sqlalchemy as sa
from incremental_import import _check, _contact_file, _kept, _response_file, _store

from cxgap.io import import_file, mapping_from_dict
from cxgap.store import Store

from report import emit, machine


def _ingest(store: Store, con: duckdb.DuckDBPyConnection, folder: Path, batches: int, rows: int) -> float:
    """Load the batches as the API does (rollups left to the next analysis); seconds taken."""
    seconds = 0.0
    stamp = time.time_ns() % 10**9
    for n in range(batches):
        make = _response_file if n % 2 == 0 else _contact_file
        path, mapping = make(con, folder, rows, f"api{n}x{stamp}")
        start = time.perf_counter()
        import_file(store, path, mapping_from_dict(mapping), defer_rollups=True)
        seconds += time.perf_counter() - start
    return seconds


def _refresh(store: Store) -> float:
    start = time.perf_counter()
    store.refresh_stale()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=65_000)
    parser.add_argument("--scale", type=int, default=10, help="Copies of the demo in the store.")
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--keep", type=Path, default=None, help="Folder keeping the built stores for reuse.")
    parser.add_argument("--postgres", default=None, help="A PostgreSQL server URL: measure there.")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        kept = _kept(args.customers, args.scale, folder, args.keep)
        store = _store(kept, args.scale, folder, args.postgres)
        store.refresh_stale()  # whatever an earlier run left
        con = duckdb.connect(str(kept), read_only=True) if args.postgres else store.duckdb_connection()
        stored = store.counts()
        ingest = _ingest(store, con, folder, args.batches, args.rows)
        merged = _refresh(store)
        _check(store)
        with store.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO derived_state (name, stale_since) VALUES ('rollups', CURRENT_TIMESTAMP)")
            )
        rebuilt = _refresh(store)
        _check(store)
        store.close()
    engine = "PostgreSQL" if args.postgres else "DuckDB"
    lines = [
        f"### Refresh after API ingests on {engine} ({machine()})",
        "",
        f"- store: {stored['responses']:,} responses, {stored['interactions']:,} interactions, "
        f"{stored['customers']:,} customers",
        f"- {args.batches} ingests of {args.rows:,} rows (responses and interactions in turn): {ingest:.2f} s",
        f"- the next analysis's refresh, merging their batches: **{merged:.2f} s**",
        f"- baseline, the full rebuild of both rollups on the same store: {rebuilt:.2f} s; "
        f"rebuild / merge = **{rebuilt / merged:.0f}x**",
        "",
    ]
    emit("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
