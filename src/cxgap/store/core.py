"""The Store: one storage URL, migrated to the current schema, and the only place transactions commit."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cxgap.errors import StoreError, StoreInUse
from cxgap.store.context import refresh_derived, refresh_stale
from cxgap.store.models import DATA_TABLES, table_of
from cxgap.store.writers import HELD, Writers, database_of, note_statement

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import Script

# The newest migration's revision: a store at it opens without loading Alembic (0.1 s of every command);
# a test holds it to Alembic's own head, so a new migration cannot be forgotten here.
SCHEMA_HEAD = "0018"
_DUCKDB_FOR_ALEMBIC: list[type] = []


def alembic_for_duckdb() -> None:
    """Let Alembic drive DuckDB through duckdb_engine (PostgreSQL-like DDL); once, before it migrates."""
    if _DUCKDB_FOR_ALEMBIC:
        return
    from alembic.ddl.impl import DefaultImpl

    class DuckDBImpl(DefaultImpl):
        __dialect__ = "duckdb"
        transactional_ddl = True

    _DUCKDB_FOR_ALEMBIC.append(DuckDBImpl)


def _alembic_config() -> Config:
    from alembic.config import Config

    alembic_for_duckdb()
    config = Config()
    config.set_main_option("script_location", str(resources.files("cxgap.store").joinpath("migrations")))
    return config


def _rederives(revisions: Iterable[Script]) -> bool:
    """Whether any of these migrations changes what the derived data holds, so that it must be rebuilt after
    them (a full rebuild takes 39 s at 10M responses). A migration that changes only other tables says so with
    a module-level `rederives = False`; one that does not say is taken to change it."""
    return any(getattr(r.module, "rederives", True) for r in revisions)


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def _open_failure(url: str, error: Exception) -> StoreError:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if "lock" in text.lower():  # DuckDB's words for a file another process holds
        holder = _holder(text)
        return StoreInUse(
            f"The store {describe_url(url)} is in use by {holder or 'another process'}; close it (or use PostgreSQL for several users).",
            holder,
        )
    if url.startswith("postgresql"):
        return StoreError(f"Cannot open the PostgreSQL store {describe_url(url)}: {text}.")
    return StoreError(f"Cannot open the store {describe_url(url)}: {text}.")


def _holder(lock_error: str) -> str | None:
    """The process DuckDB says holds the file ("... (PID 123)"), named by its command line where this
    system shows it (`cxgap text` (pid 123)), else by its pid; None when DuckDB named none."""
    found = re.search(r"\(PID (\d+)\)", lock_error)
    if not found:
        return None
    pid = found.group(1)
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return f"process {pid}"
    args = [w.decode(errors="replace") for w in words if w]
    if "cxgap" in args or any(a.endswith("/cxgap") for a in args):
        start = next(i for i, a in enumerate(args) if a == "cxgap" or a.endswith("/cxgap")) + 1
        command = " ".join(["cxgap", *args[start : start + 1]])
        return f"`{command}` (pid {pid})"
    return f"{Path(args[0]).name if args else 'a process'} (pid {pid})"


def _quiet_duckdb(dbapi_connection: Any, _record: object) -> None:
    """DuckDB draws its own progress bar on long queries; cxgap shows its own progress instead."""
    dbapi_connection.execute("SET enable_progress_bar = false")


class Store:
    """A cxgap store at a SQLAlchemy URL (`duckdb:///file.duckdb` or `postgresql+psycopg://...`)."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        self.url = url
        # the DuckDB connection the engine's cursors come from (see duckdb_connection), once asked for
        self._own: Any = None
        self._own_lock = threading.Lock()
        if url.startswith("duckdb:///") and not url.startswith("duckdb:///:memory:"):
            Path(url.removeprefix("duckdb:///")).parent.mkdir(parents=True, exist_ok=True)
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        try:
            self.engine: Engine = sa.create_engine(url)
            if self.engine.dialect.name == "duckdb":
                sa.event.listen(self.engine, "connect", _quiet_duckdb)
                sa.event.listen(self.engine, "before_cursor_execute", note_statement)
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except Exception as error:  # driver errors differ per backend; all mean "cannot open"
            raise _open_failure(self.url, error) from None
        if upgrade:
            self.upgrade()
            self.refresh_stale()

    @property
    def backend(self) -> str:
        """'duckdb' or 'postgresql'."""
        return self.engine.dialect.name

    def upgrade(self) -> None:
        """Migrate the schema to the newest revision this cxgap knows (idempotent)."""
        current = self.revision()
        if current == SCHEMA_HEAD:
            return
        from alembic import command
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(_alembic_config())
        known = {s.revision for s in script.walk_revisions()}
        if current is not None and current not in known:
            raise StoreError(
                f"The store {describe_url(self.url)} is at schema revision {current}, newer than this cxgap knows; upgrade cxgap."
            )
        with self.engine.begin() as conn:
            config = _alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            if current is None or _rederives(script.iterate_revisions("head", current)):
                refresh_derived(conn)

    def refresh_stale(self) -> bool:
        """Bring the rollups in step with what API ingests added (True when there was anything to do)."""
        with self.engine.begin() as conn:
            return refresh_stale(conn)

    def revision(self) -> str | None:
        """The store's current schema revision (None for an empty database), read from Alembic's table."""
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            versions = [
                str(v) for v in conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
            ]
        if len(versions) > 1:
            raise StoreError(
                f"The store {describe_url(self.url)} has several schema revisions ({', '.join(versions)}); "
                "it was migrated by something other than cxgap."
            )
        return versions[0] if versions else None

    @contextmanager
    def begin(self, keep: bool = True) -> Iterator[Connection]:
        """One transaction: commits when the block ends (always rolled back without `keep`: a dry run),
        rolls back on any error or kill. On DuckDB the table locks its writes took
        (`cxgap.store.writers`) are released once it has ended."""
        writers: Writers | None = None
        committed = False
        try:
            with self.engine.connect() as conn:
                transaction = conn.begin()
                try:
                    if self.backend == "duckdb":
                        writers = conn.info[HELD] = Writers(database_of(conn))
                    yield conn
                    if keep:
                        transaction.commit()
                        committed = True
                finally:
                    if transaction.is_active:
                        transaction.rollback()
        finally:
            if writers is not None:
                writers.release(committed)

    def counts(self) -> dict[str, int]:
        """Rows per data table."""
        with self.engine.connect() as conn:
            return {
                m.__tablename__: int(
                    conn.execute(
                        sa.select(sa.func.count()).select_from(table_of(m.__tablename__))
                    ).scalar_one()
                )
                for m in DATA_TABLES
            }

    def latest_batches(self, limit: int = 10) -> list[dict[str, Any]]:
        """The latest import batches, newest first: when, which table, from where, and their row counts."""
        batches = table_of("import_batches")
        query = sa.select(batches).order_by(batches.c.finished_at.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def count(self, table: str) -> int:
        """Rows in one table."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table_of(table))).scalar_one())

    def duckdb_connection(self) -> Any:
        """The store's own DuckDB connection, for the engine layer: held outside SQLAlchemy's pool for
        this Store's life and closed by `close()`, so no pool can close it under the engine's feet.

        DuckDB allows one configuration per file and process, so the engine must share the store's
        instance rather than open the file again. A connection must not run queries from several threads
        at once: give each thread a cursor of its own (`duckdb_cursor()`).
        """
        if self.backend != "duckdb":
            raise StoreError(f"The store {describe_url(self.url)} is not a DuckDB store.")
        with self._own_lock:
            if self._own is None:
                raw = self.engine.raw_connection()
                wrapper: Any = raw.driver_connection
                raw.detach()  # ours now: the pool forgets it and will never close it, nor hand it out
                self._own = wrapper._ConnectionWrapper__c  # duckdb_engine keeps the DuckDB one private
            return self._own

    def duckdb_cursor(self) -> Any:
        """A new cursor of the store's own DuckDB connection: a connection of its own to the same database
        instance, for one thread at a time; `close()` closes it with the store's connection."""
        cursor = self.duckdb_connection().cursor()
        cursor.execute("SET enable_progress_bar = false")
        return cursor

    def close(self) -> None:
        """Release every connection (a DuckDB file can then be opened by another process)."""
        with self._own_lock:
            if self._own is not None:
                self._own.close()  # DuckDB closes the cursors made from it too
                self._own = None
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
