"""`analyze` on summaries kept batch by batch gives what it gives on summaries rebuilt from the raw tables."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from cxgap.config import Settings
from cxgap.demo import simulate
from cxgap.engine import Engine
from cxgap.gaps import analyze
from cxgap.store import Store, insert_all, refresh_derived


def _flat(value: Any) -> Any:
    """A report as nested plain values, for a comparison that tolerates the last bits of a float."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _flat(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_flat(v) for v in value]
    if isinstance(value, dict):
        return {k: _flat(v) for k, v in value.items()}
    return value


def _same(a: Any, b: Any, where: str = "report") -> None:
    if isinstance(a, float) and isinstance(b, float):
        assert (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{n}]")
    else:
        assert a == b, where


def _halves(table: pa.Table) -> tuple[pa.Table, pa.Table]:
    half = table.num_rows // 2
    return table.slice(0, half), table.slice(half)


def test_analyze_after_incremental_batches_equals_analyze_after_a_rebuild(duckdb_url: str) -> None:
    tables = simulate(1_500, seed=7).tables
    store = Store(duckdb_url)
    early, late = _halves(tables["responses"])
    first_items = pc.is_in(tables["response_items"]["response_id"], early["response_id"])
    contacts = _halves(tables["interactions"])
    batches = [  # interactions and ratings before their customers, then the customers, then more of both
        ("interactions", [("interactions", contacts[0])]),
        (
            "responses",
            [("responses", early), ("response_items", tables["response_items"].filter(first_items))],
        ),
        ("customers", [("customers", tables["customers"])]),
        (
            "responses",
            [
                ("responses", late),
                ("response_items", tables["response_items"].filter(pc.invert(first_items))),
            ],
        ),
        ("interactions", [("interactions", contacts[1])]),
    ]
    with store.begin() as conn:
        for name in ("standards", "promises", "beliefs", "outcomes", "feedback"):
            insert_all(conn, name, tables[name])
    for n, (table, parts) in enumerate(batches):
        batch = f"batch{n}"
        with store.begin() as conn:
            for name, data in parts:
                insert_all(
                    conn, name, data.append_column("batch_id", pa.repeat(pa.scalar(batch), data.num_rows))
                )
            refresh_derived(conn, table, batch)
    settings = Settings()
    kept = analyze(Engine(store), settings, replicates=20)
    with store.begin() as conn:
        refresh_derived(conn)
    rebuilt = analyze(Engine(store), settings, replicates=20)
    assert len(kept.gaps) > 20
    _same(_flat(kept), _flat(rebuilt))
    store.close()
