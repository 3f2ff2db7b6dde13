"""One writer at a time per DuckDB table whose keys cxgap checks itself.

DuckDB's imported tables carry no primary-key index (migration 0016), so no index refuses a key stored
twice: a batch's new rows are picked by an anti-join on the key, which sees only what had committed when
its transaction read its first row. A writer therefore holds its table's lock from before its key check
until its transaction has committed or rolled back, and a second writer of the same table waits. Once the
lock is its, the waiting transaction must still see the first one's rows: it does when it had not read
anything yet (DuckDB fixes a transaction's snapshot at its first statement: an import takes its tables'
locks before it reads, `hold_writers`), and a transaction that had read before a writer of the table
committed is refused with `WriteConflict`, to be run again. DuckDB lets one process write a store file,
so a lock per file and table within the process covers every writer. `Store.begin()` gives each
transaction its `Writers` and releases them after the commit.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from cxgap.errors import CxgapError, WriteConflict

# DuckDB tables whose keys are checked by cxgap rather than by an index (migration 0016)
UNKEYED = frozenset({"customers", "responses", "response_items", "feedback", "interactions"})
HELD = "cxgap_writers"

_locks: dict[tuple[str, str], threading.Lock] = {}
_owners: dict[tuple[str, str], int] = {}
_commits: dict[tuple[str, str], int] = {}  # writers of each table that committed, so far
_guard = threading.Lock()


class Writers:
    """The table locks one `Store.begin()` transaction holds, released together when it has ended."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.held: list[tuple[str, str]] = []
        self.open = True
        self.seen: dict[tuple[str, str], int] | None = None  # the commits counted at its first statement

    def statement(self) -> None:
        """Note the transaction's first statement (its snapshot): later commits are not visible to it."""
        if self.seen is None:
            with _guard:
                self.seen = dict(_commits)

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
        try:
            with _guard:
                _owners[key] = threading.get_ident()
                stale = self.seen is not None and self.seen.get(key, 0) != _commits.get(key, 0)
            self.held.append(key)
        except BaseException:
            lock.release()
            raise
        if stale:
            raise WriteConflict(
                f"Another import wrote {table} while this one was reading the store; run it again."
            )

    def release(self, committed: bool) -> None:
        """Release every lock taken, counting a commit for each table written."""
        self.open = False
        with _guard:
            for key in self.held:
                if committed:
                    _commits[key] = _commits.get(key, 0) + 1
                _owners.pop(key, None)
                _locks[key].release()
        self.held.clear()


def database_of(conn: Connection) -> str:
    """The DuckDB file a connection writes, as one absolute path (an in-memory database: its engine)."""
    name = str(conn.engine.url.database or ":memory:")
    return f":memory:{id(conn.engine)}" if name.startswith(":memory:") else str(Path(name).resolve())


def note_statement(conn: Connection, *_: Any) -> None:
    """SQLAlchemy's before_cursor_execute hook: the transaction's first statement fixes its snapshot."""
    writers = conn.info.get(HELD)
    if isinstance(writers, Writers) and writers.open:
        writers.statement()


def checks_keys(conn: Connection, table: str) -> bool:
    """Whether cxgap, not a key index, checks `table`'s keys on this connection (DuckDB's imported tables)."""
    return conn.dialect.name == "duckdb" and table in UNKEYED


def hold_writers(conn: Connection, *tables: str) -> None:
    """On DuckDB, hold each of `tables`' writer locks for the rest of `conn`'s transaction where cxgap
    checks their keys; a no-op elsewhere. Writes to such a table must go through `Store.begin()`, which
    releases the locks; take them before the transaction reads anything, or a commit of another writer
    in between is refused (`WriteConflict`)."""
    for table in tables:
        if not checks_keys(conn, table):
            continue
        writers = conn.info.get(HELD)
        if not isinstance(writers, Writers) or not writers.open:
            raise CxgapError(
                f"Rows of {table} must be written inside Store.begin(), which checks their keys."
            )
        writers.hold(table)
