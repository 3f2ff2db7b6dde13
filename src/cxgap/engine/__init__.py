"""The engine: Ibis expressions executed by the store's backend, so only aggregates reach Python."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import ibis
import ibis.expr.operations as ops
import sqlalchemy as sa

from cxgap.config import Settings
from cxgap.engine.filters import ALL, Filters, items_of, touchpoints_of, with_data_defaults
from cxgap.errors import StoreError
from cxgap.store import Store, describe_url
from cxgap.store.kept import KeptResults, store_version

log = logging.getLogger(__name__)
T = TypeVar("T")


class Engine:
    """Ibis on the same data as a Store, one backend connection per thread (DuckDB: a cursor of the store's
    own connection, so every thread shares the store's instance; PostgreSQL: a connection of its own).

    A DuckDB or psycopg connection must not run queries from two threads at once, and the server answers
    requests on many threads: each thread that uses the engine gets its own connection on first use.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._schemas: dict[str, Any] = {}
        self._schemas_lock = threading.Lock()
        self._local = threading.local()
        # every backend still alive, to close them all (a thread's own dies with the thread)
        self._opened: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        self._opened_lock = threading.Lock()
        _ = self.con  # connect now: an unreachable backend is an error here, not at the first query

    @property
    def backend(self) -> str:
        """'duckdb', 'postgresql' or 'pyspark'."""
        return self.store.backend

    @property
    def con(self) -> Any:
        """This thread's Ibis backend (made on the thread's first use)."""
        backend = getattr(self._local, "backend", None)
        if backend is None:
            backend = self._connect()
            self._local.backend, self._local.tables = backend, {}
            with self._opened_lock:
                self._opened[id(backend)] = backend
        return backend

    def _connect(self) -> Any:
        if self.store.backend == "duckdb":
            return ibis.duckdb.from_connection(self.store.duckdb_cursor())
        url = sa.make_url(self.store.url)
        try:
            return ibis.postgres.connect(
                host=url.host or "127.0.0.1",
                port=url.port or 5432,
                user=url.username,
                password=url.password,
                database=url.database,
            )
        except Exception as error:  # driver errors differ; all mean "cannot open"
            raise StoreError(f"The engine cannot reach {describe_url(self.store.url)}: {error}.") from None

    def table(self, name: str) -> Any:
        """An Ibis table expression for a cxgap table, bound to this thread's backend. Its schema is looked
        up once per Engine (the schema is fixed while the store is open, since migrations run only when a
        Store opens); each thread binds it to its own connection."""
        backend = self.con
        tables: dict[str, Any] = self._local.tables
        if name not in tables:
            with self._schemas_lock:
                if name not in self._schemas:
                    self._schemas[name] = backend.get_schema(name)
                schema = self._schemas[name]
            tables[name] = ops.DatabaseTable(
                name, schema=schema, source=backend, namespace=ops.Namespace(catalog=None, database=None)
            ).to_expr()
        return tables[name]

    def version(self) -> tuple[int, str]:
        """What the analyses' data is now: changes with every import into the store (the key under which
        a result computed from the data stays valid)."""
        return store_version(self.store)

    def follow_lake(self) -> None:
        """Nothing to follow: every change to the store moves its version (a Spark engine looks at the
        lake's files again here, see SparkEngine.follow_lake)."""

    def remembered(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """`compute()`, kept in the store for this data version and cxgap code, so a later run on the same
        data reads it back instead of computing it again. `key` says what was computed (with every setting
        it depends on); keeping is best effort: a store that cannot be written to (read-only, or another
        writer holding it) only costs the computation next time."""
        kept, version = KeptResults(self.store), self.version()
        try:
            found, value = kept.read(key, version)
        except Exception:  # an older store without view_results, or one that cannot be read now
            log.debug("no kept result could be read for %r", key, exc_info=True)
            found, value = False, None
        if found:
            return value  # type: ignore[no-any-return]
        started = time.perf_counter()
        value = compute()
        try:
            kept.write(key, version, value, time.perf_counter() - started)
        except Exception:  # best effort: the result is correct, only not kept
            log.debug("the result of %r could not be kept", key, exc_info=True)
        return value

    def close(self) -> None:
        """Close every thread's connection (the Store's own connections stay the Store's to close)."""
        with self._opened_lock:
            backends, self._opened = list(self._opened.values()), weakref.WeakValueDictionary()
        for backend in backends:
            backend.disconnect()
        self._local = threading.local()


def settings_digest(settings: Settings) -> str:
    """A short hash of every setting, for the key of a result that depends on the configuration."""
    return hashlib.sha256(settings.model_dump_json().encode()).hexdigest()[:16]


def whole(value: Any) -> int:
    """A count or sum an aggregate returned, as an int: 0 where it is missing (an empty aggregate's NULL
    arrives as None from DuckDB and PostgreSQL, as NaN from Spark)."""
    return 0 if value is None or value != value else int(value)


def number(value: Any) -> float:
    """A sum an aggregate returned, as a float: 0.0 where it is missing (None or NaN; see `whole`)."""
    return 0.0 if value is None or value != value else float(value)


def engine_for(store: Store, settings: Settings) -> Engine:
    """The engine the analyses run on: the store's own, or the warehouse `[engine] url` names (Spark), where
    the data tables live outside cxgap's store and the store keeps only the closed loop."""
    url = settings.engine.url
    if url is None or url == store.url:
        return Engine(store)
    if url.startswith("pyspark://"):
        from cxgap.engine.spark import SparkEngine  # pyspark and Java are needed only here

        return SparkEngine(store, settings.engine)
    raise StoreError(
        f"[engine] url = '{describe_url(url)}' is neither the store's URL nor a Spark session (pyspark://...); "
        "DuckDB and PostgreSQL run the analyses on the store itself: leave [engine] url out."
    )


__all__ = [
    "ALL",
    "Engine",
    "engine_for",
    "number",
    "settings_digest",
    "whole",
    "Filters",
    "items_of",
    "touchpoints_of",
    "with_data_defaults",
]
