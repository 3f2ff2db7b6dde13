"""Benchmark: `import_file` on a generated survey CSV against DuckDB's own CSV reader in the same run.

Usage: python benchmarks/import_speed.py [--rows 1000000] [--out docs/benchmarks.md]

The baseline is DuckDB `read_csv` straight into a table (typed by DuckDB's sniffer, no validation, no
quarantine, no keys): the fastest a file can reach a table here. cxgap does more on purpose (row-level
validation with reasons, value maps, content keys, idempotence), so the ratio says what that costs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from cxgap.io import import_file, mapping_from_dict
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


def _write_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(1)
    days = rng.integers(0, 700, rows).astype("timedelta64[D]") + np.datetime64("2024-01-01")
    pd.DataFrame(
        {
            "id": [f"R{i}" for i in range(rows)],
            "date": days.astype(str),
            "customer": [f"C{i}" for i in rng.integers(0, rows // 3 + 1, rows)],
            "nps": rng.integers(0, 11, rows),
            "csat": rng.integers(1, 6, rows),
            "channel": rng.choice(["web", "app", "phone"], rows),
            "comment": rng.choice(["", "slow support", "great, thanks", "bill was wrong"], rows),
        }
    ).to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "responses.csv"
        _write_csv(path, args.rows)
        store = Store(f"duckdb:///{folder / 'cxgap.duckdb'}")
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
    text = "\n".join(
        [
            f"### Import of a {args.rows:,}-row survey CSV ({machine()})",
            "",
            f"- `import_file` (validate every value, quarantine, keys, one transaction): **{cxgap_s:.1f} s**"
            f" ({args.rows / cxgap_s:,.0f} rows/s); re-import of the same file (nothing loaded twice): {rerun_s:.1f} s",
            f"- baseline, DuckDB `read_csv` into a table: {bare_s:.1f} s; ratio **{cxgap_s / bare_s:.1f}x**",
            "",
        ]
    )
    emit(text, args.out)


if __name__ == "__main__":
    main()
