"""Benchmark: `import_file` on a generated survey CSV against DuckDB's own CSV reader in the same run.

Usage: python benchmarks/import_speed.py [--rows 1000000] [--row-path] [--out docs/benchmarks.md]

The baseline is DuckDB `read_csv` straight into a table (typed by DuckDB's sniffer, no validation, no
quarantine, no keys): the fastest a file can reach a table here. cxgap does more on purpose (row-level
validation with reasons, value maps, content keys, idempotence), so the ratio says what that costs.
The file is generated a million rows at a time, so `--rows 10000000` never holds it in memory; `--row-path`
also times the row path (Python's csv reader and pandas), which files DuckDB cannot read faithfully take.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from cxgap.io import import_file, importer, mapping_from_dict
from cxgap.store import Store

from report import emit, machine

MAPPING = {
    "table": "responses",
    "columns": {
        "response_id": "id",
        "responded_at": "date",
        "customer_id": "customer",
        "nps": "nps",
        "csat": "csat",
        "channel": "channel",
        "comment": "comment",
    },
    "constants": {"survey_kind": "transactional"},
}


GENERATED_ROWS = 1_000_000  # rows generated and written at a time, so 10M rows never sit in memory at once


def _write_csv(path: Path, rows: int) -> None:
    """The survey file, written in parts of GENERATED_ROWS rows with the header once."""
    rng = np.random.default_rng(1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        for start in range(0, rows, GENERATED_ROWS):
            size = min(GENERATED_ROWS, rows - start)
            days = rng.integers(0, 700, size).astype("timedelta64[D]") + np.datetime64("2024-01-01")
            pd.DataFrame(
                {
                    "id": [f"R{i}" for i in range(start, start + size)],
                    "date": days.astype(str),
                    "customer": [f"C{i}" for i in rng.integers(0, rows // 3 + 1, size)],
                    "nps": rng.integers(0, 11, size),
                    "csat": rng.integers(1, 6, size),
                    "channel": rng.choice(["web", "app", "phone"], size),
                    "comment": rng.choice(["", "slow support", "great, thanks", "bill was wrong"], size),
                }
            ).to_csv(handle, index=False, header=start == 0)


def _existing_store(path: Path) -> Store:
    """A migrated, empty store opened again, as `cxgap import` opens an existing store in a process of its
    own: migrating is not part of an import, and the migration's leftovers (alembic's objects and the
    connection they hold, in reference cycles) are collected before the import is timed."""
    Store(f"duckdb:///{path}").close()
    gc.collect()
    return Store(f"duckdb:///{path}")


def _store_floor_seconds(folder: Path, path: Path) -> float:
    """DuckDB `read_csv` straight into a cxgap store's responses table (its schema and checks, one transaction),
    with no validation: what any import into the store pays to write the rows."""
    Store(f"duckdb:///{folder / 'floor.duckdb'}").close()
    gc.collect()
    con = duckdb.connect(str(folder / "floor.duckdb"))
    start = time.perf_counter()
    con.execute("BEGIN")
    con.execute(
        "INSERT INTO responses (response_id, responded_at, customer_id, nps, csat, channel, comment, survey_kind) "
        f"SELECT id, date, customer, nps, csat, channel, comment, 'transactional' FROM read_csv('{path}')"
    )
    con.execute("COMMIT")
    seconds = time.perf_counter() - start
    con.close()
    return seconds


def _lookup_ms(folder: Path, customers: int) -> tuple[float, float]:
    """Median milliseconds to read one customer's responses (as the customer page does) from the floor's
    store as it is (no customer index on DuckDB: a scan) and again after CREATE INDEX on customer_id."""
    con = duckdb.connect(str(folder / "floor.duckdb"))
    wanted = [f"C{n}" for n in np.random.default_rng(2).integers(0, customers, 21)]

    def median() -> float:
        times = []
        for customer in wanted:
            start = time.perf_counter()
            con.execute("SELECT * FROM responses WHERE customer_id = ?", [customer]).fetchall()
            times.append(time.perf_counter() - start)
        return float(np.median(times)) * 1000

    scan = median()
    con.execute("CREATE INDEX lookup_test ON responses (customer_id)")
    indexed = median()
    con.close()
    return scan, indexed


def _row_path_seconds(folder: Path, path: Path) -> float:
    """The same import forced onto the row path (Python's csv reader and pandas, chunk by chunk), which
    the vectorised path replaced for files DuckDB reads as Python would."""
    store = _existing_store(folder / "rows.duckdb")
    original = importer.scan_csv
    importer.scan_csv = lambda *args: None  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        import_file(store, path, mapping_from_dict(MAPPING))
        return time.perf_counter() - start
    finally:
        importer.scan_csv = original
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--row-path", action="store_true", help="also time the row path on the same file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "responses.csv"
        _write_csv(path, args.rows)
        store = _existing_store(folder / "cxgap.duckdb")
        start = time.perf_counter()
        summary = import_file(store, path, mapping_from_dict(MAPPING))
        cxgap_s = time.perf_counter() - start
        start = time.perf_counter()
        again = import_file(store, path, mapping_from_dict(MAPPING))
        rerun_s = time.perf_counter() - start
        store.close()
        assert summary.rows_loaded == args.rows and again.rows_existing == args.rows
        con = duckdb.connect(str(folder / "bare.duckdb"))
        start = time.perf_counter()
        con.execute(f"CREATE TABLE responses AS SELECT * FROM read_csv('{path}')")
        bare_s = time.perf_counter() - start
        con.close()
        floor_s = _store_floor_seconds(folder, path)
        scan_ms, indexed_ms = _lookup_ms(folder, args.rows // 3 + 1)
        rows_s = _row_path_seconds(folder, path) if args.row_path else None
    lines = [
        f"### Import of a {args.rows:,}-row survey CSV ({machine()})",
        "",
        f"- `import_file` (validate every value, quarantine, keys, one transaction): **{cxgap_s:.1f} s**"
        f" ({cxgap_s / 60:.2f} min, {args.rows / cxgap_s:,.0f} rows/s); re-import of the same file (nothing"
        f" loaded twice): {rerun_s:.1f} s",
        f"- baseline, DuckDB `read_csv` into a table: {bare_s:.1f} s; ratio **{cxgap_s / bare_s:.1f}x**",
        f"- DuckDB `read_csv` into a cxgap store's responses table (its schema and checks, one transaction, no"
        f" validation): {floor_s:.1f} s ({floor_s / bare_s:.1f}x the baseline); cxgap / this floor ="
        f" **{cxgap_s / floor_s:.1f}x**",
        f"- one customer's responses (the customer page's lookup), median of 21: {scan_ms:.1f} ms by a scan"
        f" (DuckDB stores keep no customer index), {indexed_ms:.1f} ms with an index on customer_id",
    ]
    if rows_s is not None:
        lines.append(
            f"- the row path on the same file (Python's csv reader, pandas per chunk): {rows_s:.1f} s"
            f" ({rows_s / bare_s:.1f}x the baseline; the vectorised path is {rows_s / cxgap_s:.1f}x faster)"
        )
    emit("\n".join([*lines, ""]), args.out)


if __name__ == "__main__":
    main()
