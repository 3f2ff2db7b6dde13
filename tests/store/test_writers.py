"""DuckDB's imported tables have no key index: a writer lock per table, held until the transaction ends,
keeps a key stored once, and a transaction whose snapshot predates another writer's commit is refused
rather than left to store that writer's keys again."""

from __future__ import annotations

import datetime as dt
import threading

import pyarrow as pa
import pytest
import sqlalchemy as sa

from cxgap.errors import WriteConflict
from cxgap.io import ingest_records
from cxgap.store import Store, insert_new


def _response(key: str, batch: str) -> pa.Table:
    return pa.table(
        {
            "response_id": [key],
            "responded_at": [dt.datetime(2026, 1, 1)],
            "survey_kind": ["relational"],
            "batch_id": [batch],
        }
    )


def test_a_transaction_that_read_before_another_writer_committed_is_refused(duckdb_url: str) -> None:
    """B reads (its snapshot is fixed), A stores X and commits, then B would check X against a snapshot
    without it: B is refused with WriteConflict instead of storing X a second time."""
    store = Store(duckdb_url)
    b_read, a_stored = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer_b() -> None:
        try:
            with store.begin() as conn:
                conn.execute(sa.text("SELECT count(*) FROM customers")).all()
                b_read.set()
                a_stored.wait()
                insert_new(conn, "responses", _response("X", "B"))
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            errors.append(error)

    other = threading.Thread(target=writer_b)
    other.start()
    b_read.wait()
    with store.begin() as conn:
        insert_new(conn, "responses", _response("X", "A"))
        a_stored.set()
    other.join()
    assert len(errors) == 1 and isinstance(errors[0], WriteConflict)
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT response_id, batch_id FROM responses")).all() == [("X", "A")]
    store.close()


def test_concurrent_webhook_batches_with_free_text_store_a_response_once(duckdb_url: str) -> None:
    """The redactor reads the customers before the rows are inserted; the import takes its tables' locks
    before that read, so four batches delivering the same response store it once."""
    store = Store(duckdb_url)
    record = {
        "response_id": "R1",
        "responded_at": "2026-01-01 10:00:00",
        "survey_kind": "relational",
        "comment": "slow delivery, thanks Anna",
        "nps": 3,
    }
    start = threading.Barrier(4)
    loaded: list[int] = []

    def deliver() -> None:
        start.wait()
        loaded.append(ingest_records(store, "responses", [record], "hook").rows_loaded)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(loaded) == [0, 0, 0, 1]
    assert store.count("responses") == 1
    store.close()


def test_writing_an_imported_table_outside_store_begin_is_refused(duckdb_url: str) -> None:
    store = Store(duckdb_url)
    with store.engine.begin() as conn, pytest.raises(Exception, match="must be written inside Store.begin"):
        insert_new(conn, "responses", _response("X", "A"))
    store.close()
