"""One writer at a time per DuckDB table whose keys cxgap checks itself.

DuckDB's imported tables carry no primary-key index (migration 0016), so no index refuses a key stored
twice: a batch's new rows are picked by an anti-join on the key, which cannot see another transaction's
uncommitted rows. A writer therefore holds its table's lock from its key check until its transaction has
committed or rolled back; a second writer of the same table waits, then sees the first one's rows. DuckDB
lets one process write a store file, so a lock per file and table within the process covers every writer.
The lock is taken inside `Store.begin()` and released by it, after the commit.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy.engine import Connection

from cxgap.errors import CxgapError

# DuckDB tables whose keys are checked by cxgap rather than by an index (migration 0016)
UNKEYED = frozenset({"customers", "responses", "response_items", "feedback", "interactions"})
HELD = "cxgap_writers"

_locks: dict[tuple[str, str], threading.Lock] = {}
_owners: dict[tuple[str, str], int] = {}
_guard = threading.Lock()


class Writers:
    """The table locks one `Store.begin()` transaction holds, released together when it has ended."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.held: list[tuple[str, str]] = []
        self.open = True

    def hold(self, table: str) -> None:
        """Take `table`'s lock for the rest of the transaction (waits for another transaction's writer)."""
        key = (self.database, table)
        if key in self.held:
            return
        with _guard:
            lock = _locks.setdefault(key, threading.Lock())
            if _owners.get(key) == threading.get_ident():  # waiting would wait on this very thread
                raise CxgapError(
                    f"Two open transactions of one thread both write {table}; finish one before the other."
                )
        lock.acquire()
        with _guard:
            _owners[key] = threading.get_ident()
        self.held.append(key)

    def release(self) -> None:
        """Release every lock taken (the transaction has committed or rolled back)."""
        self.open = False
        with _guard:
            for key in self.held:
                _owners.pop(key, None)
                _locks[key].release()
        self.held.clear()


def database_of(conn: Connection) -> str:
    """The DuckDB file a connection writes, as one absolute path (an in-memory database: its engine)."""
    name = str(conn.engine.url.database or ":memory:")
    return f":memory:{id(conn.engine)}" if name.startswith(":memory:") else str(Path(name).resolve())


def hold_writer(conn: Connection, table: str) -> None:
    """On DuckDB, hold `table`'s writer lock for the rest of `conn`'s transaction when cxgap checks its
    keys; a no-op elsewhere. Writes to such a table go through `Store.begin()`, which releases the lock."""
    if conn.dialect.name != "duckdb" or table not in UNKEYED:
        return
    writers = conn.info.get(HELD)
    if not isinstance(writers, Writers) or not writers.open:
        raise CxgapError(f"Rows of {table} are written inside Store.begin(), which checks their keys.")
    writers.hold(table)
