"""Several webhook deliveries from one source loaded as one batch: each delivery is told its own outcome,
its records numbered as it sent them, and the outcomes add up to what the batch stored."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from cxgap.io.ingest import check_delivery, ingest_deliveries, ingest_records
from cxgap.store import Store


def _rows(*specs: tuple[str, Any]) -> list[dict[str, Any]]:
    return [
        {"response_id": rid, "responded_at": "2024-01-05", "survey_kind": "relational", "nps": nps}
        for rid, nps in specs
    ]


def test_each_delivery_gets_its_own_counts_and_record_numbers(store: Store) -> None:
    ingest_records(store, "responses", _rows(("OLD1", 5)), "hook")  # already stored before the batch
    first = check_delivery("responses", _rows(("A1", 9), ("A2", "ten"), ("A3", 3)))
    second = check_delivery("responses", _rows(("OLD1", 5), ("B2", 7)))
    third = [
        {**row, "items": {"speed": {"perception": 4}, "price": {"perception": 2}}}
        for row in _rows(("C1", 8), ("C2", 12))
    ]
    parts = ingest_deliveries(store, "responses", [first, second, check_delivery("responses", third)], "hook")
    assert [(p.rows_read, p.rows_loaded, p.rows_existing, p.rows_quarantined) for p in parts] == [
        (3, 2, 0, 1),
        (2, 1, 1, 0),
        (2, 1, 0, 1),
    ]
    assert all(p.reconciles for p in parts) and len({p.batch_id for p in parts}) == 1
    assert [p.items_loaded for p in parts] == [0, 0, 2]
    assert [(p.row, p.column) for p in parts[0].problems] == [(2, "nps")]
    assert [(p.row, p.column) for p in parts[2].problems] == [(2, "nps")]
    with store.engine.connect() as conn:
        batch = conn.execute(
            sa.text(
                "SELECT rows_read, rows_loaded, rows_existing, rows_quarantined FROM import_batches "
                "WHERE batch_id = :b"
            ),
            {"b": parts[0].batch_id},
        ).one()
        stored = (
            conn.execute(
                sa.text("SELECT source_row FROM quarantine WHERE batch_id = :b ORDER BY 1"),
                {"b": parts[0].batch_id},
            )
            .scalars()
            .all()
        )
    assert tuple(batch) == (7, 4, 1, 2)
    assert stored == [2, 7]  # lines of the batch as one file: the third delivery starts at line 6
    assert store.count("responses") == 5


def test_deliveries_that_share_a_key_are_not_one_batch(store: Store) -> None:
    first = check_delivery("responses", _rows(("A1", 9)))
    again = check_delivery("responses", _rows(("A1", 9), ("A2", 4)))
    repeats = check_delivery("responses", _rows(("D1", 9), ("D1", 4)))
    assert not again.joins([first]) and not repeats.joins([first]) and repeats.joins([])
    assert first.joins([]) and check_delivery("responses", _rows(("E1", 1))).joins([first])
    with pytest.raises(ValueError, match="share a key"):
        ingest_deliveries(store, "responses", [first, again], "hook")
    alone = ingest_deliveries(store, "responses", [repeats], "hook")[0]
    assert (alone.rows_loaded, alone.rows_quarantined) == (1, 1)
    assert "repeats the response_id 'D1' of line 1" in alone.problems[0].reason


def test_a_big_delivery_is_a_batch_of_its_own() -> None:
    small = check_delivery("responses", _rows(("S1", 1)))
    big = check_delivery("responses", _rows(*((f"B{i}", 1) for i in range(50))))
    assert not big.joins([small], most=40) and big.joins([], most=40)
