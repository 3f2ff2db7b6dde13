"""Above `max_rows` the driver analysis runs on a deterministic sample: the same rows on every backend, so
DuckDB and PostgreSQL (and Spark, tests/engine/test_spark.py) give the same weights and intervals."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxgap.config import demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.drivers import drivers
from cxgap.engine import Engine
from cxgap.store import Store


def _report(url: str, max_rows: int) -> tuple[int, list[tuple[str, float, float, float]]]:
    store = Store(url)
    try:
        write_demo(store, simulate(1_500, seed=5))
        engine = Engine(store)
        report = drivers(engine, demo_settings(), "nps", "items", replicates=30, max_rows=max_rows)
        engine.close()
    finally:
        store.close()
    return report.rows, [(d.name, d.relative_weight, d.relative_low, d.relative_high) for d in report.drivers]


@pytest.mark.postgres
def test_the_sample_is_the_same_on_duckdb_and_postgresql(tmp_path: Path, pg_url: str) -> None:
    rows, on_duckdb = _report(f"duckdb:///{tmp_path / 'a.duckdb'}", max_rows=400)
    pg_rows, on_postgres = _report(pg_url, max_rows=400)
    whole, _ = _report(f"duckdb:///{tmp_path / 'b.duckdb'}", max_rows=1_000_000)
    assert 300 < rows < 500 < whole  # a sample of about max_rows out of every answer
    assert pg_rows == rows
    assert [d[0] for d in on_postgres] == [d[0] for d in on_duckdb]
    assert [x for d in on_postgres for x in d[1:]] == pytest.approx(
        [x for d in on_duckdb for x in d[1:]], abs=1e-9
    )
