"""Concurrent deliveries of the same new records: the ledger and every `loaded` answer come from what the
INSERT wrote, so they add up to the rows stored, on both backends."""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa

from cxgap.io import ingest_records
from cxgap.store import Store

RECORDS = [
    {"response_id": f"R{i}", "responded_at": "2024-01-05", "survey_kind": "relational", "nps": i}
    for i in range(10)
]


def test_twenty_concurrent_deliveries_count_each_row_once(store_url: str) -> None:
    stores = [Store(store_url) for _ in range(2)]
    answers: list[Any] = []
    errors: list[BaseException] = []
    start = threading.Barrier(20)

    def deliver(number: int) -> None:
        try:
            start.wait()
            answers.append(ingest_records(stores[number % 2], "responses", RECORDS, f"test:{number}"))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert all(a.reconciles and a.rows_read == 10 for a in answers)
    assert sum(a.rows_loaded for a in answers) == 10
    with stores[0].engine.connect() as conn:
        ledger = conn.execute(
            sa.text("SELECT sum(rows_loaded), sum(rows_existing) FROM import_batches")
        ).one()
    assert tuple(ledger) == (10, 190)
    assert stores[0].count("responses") == 10
    for s in stores:
        s.close()
