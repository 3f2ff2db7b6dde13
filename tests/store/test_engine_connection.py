"""The engine's DuckDB connection is the store's own, outside SQLAlchemy's pool: whatever the pool closes
(an overflow connection, an invalidated one), the engine keeps answering; each thread has its own cursor."""

from __future__ import annotations

import threading
from typing import Any

import duckdb
import pytest

from cxgap.engine import Engine
from cxgap.store import Store, insert_new
from tests.store.test_store import _responses


def test_the_engine_survives_the_pool_closing_every_connection(duck_store: Store) -> None:
    with duck_store.begin() as conn:
        insert_new(conn, "responses", _responses("a", "b"))
    engine = Engine(duck_store)
    assert engine.table("responses").count().execute() == 2
    pool = duck_store.engine.pool
    held = [duck_store.engine.connect() for _ in range(pool.size() + 10)]  # every one it may hand out
    for conn in held:
        conn.invalidate()  # the pool closes the DuckDB connection under it
        conn.close()
    assert engine.table("responses").count().execute() == 2


def test_each_thread_queries_through_a_cursor_of_its_own(duck_store: Store) -> None:
    engine = Engine(duck_store)
    seen: list[Any] = []
    thread = threading.Thread(target=lambda: seen.append((engine.con, engine.table("responses"))))
    thread.start()
    thread.join()
    ((theirs, table),) = seen
    assert theirs is not engine.con and theirs.con is not engine.con.con
    assert table.op().source is theirs and engine.table("responses").op().source is engine.con
    assert table.count().execute() == engine.table("responses").count().execute() == 0


def test_closing_the_store_closes_the_engine_cursors(duckdb_url: str) -> None:
    store = Store(duckdb_url)
    engine = Engine(store)
    cursor = engine.con.con
    store.close()
    with pytest.raises(duckdb.ConnectionException):
        cursor.execute("SELECT 1")
