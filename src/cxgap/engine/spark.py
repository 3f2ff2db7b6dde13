"""Warehouse mode: the analyses' own Ibis expressions run on Spark over the company's tables.

`[engine] url = "pyspark://local[2]"` (or a cluster master, `pyspark://spark://host:7077`) starts one
SparkSession per process; `[engine.tables]` maps each cxgap data table to a Parquet/Delta path or a catalog
table, read with cxgap's column names and types (warehouse.py). The summaries analyze reads are built and
kept in the warehouse (summaries.py). Closed-loop tables (cases, beliefs, standards, surveys, users...) stay
in cxgap's store and are brought into Spark when an analysis reads them: they are small.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from cxgap.config import EngineSettings
from cxgap.engine import Engine
from cxgap.engine.manifest import LakeFiles, Stamp
from cxgap.engine.summaries import SUMMARY_TABLES, Summaries, items_in_context
from cxgap.engine.warehouse import (
    ITEM_CONTEXT,
    WAREHOUSE_TABLES,
    Source,
    conformed,
    from_store,
    read_raw,
    source_of,
    unmapped,
)
from cxgap.errors import ConfigError, StoreError
from cxgap.store import Store
from cxgap.store.kept import store_version
from cxgap.store.models import TABLES

_SESSION: Any = None
log = logging.getLogger(__name__)
_SESSION_LOCK = threading.Lock()
# Spark's logging reduced to errors, so the CLI's output stays cxgap's
_QUIET_LOGS = resources.files("cxgap.engine").joinpath("log4j2.properties")
_LOCAL = re.compile(r"local(\[(\d+|\*)(,\d+)?\])?")


def master_of(url: str) -> str:
    """The Spark master an `[engine] url` names (what follows `pyspark://`)."""
    master = url.removeprefix("pyspark://")
    if not master:
        raise ConfigError(
            "[engine] url = 'pyspark://' names no Spark master; write pyspark://local[2] or pyspark://spark://host:7077."
        )
    return master


def _local_cores(master: str) -> int | None:
    """Cores of a local master (None for a cluster)."""
    match = _LOCAL.fullmatch(master)
    if not match:
        return None
    cores = match.group(2)
    return os.cpu_count() or 1 if cores == "*" else int(cores or 1)


def _require_spark() -> None:
    """One sentence saying what to install when pyspark or Java is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise StoreError(
            "Warehouse mode needs pyspark and Java 17: pip install 'cxgap[spark]' and install Java 17 "
            "(apt-get install openjdk-17-jre-headless)."
        ) from None
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise StoreError(
            "Warehouse mode needs Java 17 for Spark: install it (apt-get install openjdk-17-jre-headless) "
            "or set JAVA_HOME."
        )


def spark_session(url: str, conf: dict[str, str]) -> Any:
    """The process's SparkSession for the master `url` names (made on first use, shared afterwards): no web
    UI, UTC session time, lenient casts and division as on DuckDB, results through Arrow, Spark's own log
    reduced to errors, few shuffle partitions on a local master, then `[engine] spark`."""
    global _SESSION
    master = master_of(url)
    _require_spark()
    from pyspark.sql import SparkSession

    with _SESSION_LOCK:
        if _SESSION is not None and _SESSION.sparkContext._jsc is not None:
            running = _SESSION.sparkContext.master
            if running != master:
                raise StoreError(
                    f"This process already runs Spark on {running}; [engine] url = '{url}' needs a new process."
                )
            return _SESSION
        builder = SparkSession.builder.master(master).appName("cxgap")
        defaults = {
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.ansi.enabled": "false",
            "spark.sql.execution.arrow.pyspark.enabled": "true",  # results reach pandas through Arrow
            "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={_QUIET_LOGS}",
        }
        cores = _local_cores(master)
        if cores is not None:
            defaults["spark.sql.shuffle.partitions"] = str(max(2, 2 * cores))
        for key, value in {**defaults, **conf}.items():
            builder = builder.config(key, value)
        try:
            _SESSION = builder.getOrCreate()
        except Exception as error:  # the gateway's and the JVM's errors differ; all mean "no Spark"
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise StoreError(f"Spark could not start on {master}: {first[:300]}.") from None
        _SESSION.sparkContext.setLogLevel("ERROR")
        return _SESSION


def summaries_folder(store: Store, settings: EngineSettings) -> str:
    """Where the warehouse keeps cxgap's summaries: `[engine] summaries`, else `<store stem>.warehouse`
    beside a DuckDB store file."""
    if settings.summaries:
        folder = settings.summaries
        return folder if "://" in folder else str(Path(folder).resolve())
    if store.url.startswith("duckdb:///") and not store.url.startswith("duckdb:///:memory:"):
        file = Path(store.url.removeprefix("duckdb:///")).resolve()
        return str(file.with_name(f"{file.stem}.warehouse"))
    raise ConfigError(
        "Set [engine] summaries to a folder Spark can write: the store is not a DuckDB file to keep the "
        "warehouse's summaries beside."
    )


def _checked_sources(settings: EngineSettings) -> dict[str, Source]:
    sources = {}
    for name, entry in settings.tables.items():
        if name in SUMMARY_TABLES:
            raise ConfigError(
                f"[engine.tables] {name}: cxgap builds its summaries in the warehouse itself; leave it out."
            )
        if name not in TABLES:
            raise ConfigError(
                f"[engine.tables] {name} is not a cxgap table; map one of: {', '.join(WAREHOUSE_TABLES)}."
            )
        sources[name] = source_of(name, entry)
    return sources


class SparkEngine(Engine):
    """An Engine whose data tables are the warehouse's (`[engine.tables]`), reached through Ibis's pyspark
    backend; the store keeps only the closed loop.

    One Ibis backend serves every thread: Spark runs concurrent jobs of one session (PySpark pins each
    Python thread to a JVM thread) and Ibis's pyspark backend keeps no per-query state but uniquely named
    temporary views; making the tables is serialised by a lock.
    """

    def __init__(self, store: Store, settings: EngineSettings) -> None:
        import ibis

        self.store = store
        self.settings = settings
        self._sources = _checked_sources(settings)
        self.session = spark_session(settings.url or "", settings.spark)
        self.files = LakeFiles(self.session)
        self._backend = ibis.pyspark.connect(self.session)
        self._prefix = f"cxgap_{uuid.uuid4().hex[:8]}_"
        self._lock = threading.RLock()
        self._tables: dict[str, Any] = {}
        self._frames: dict[str, tuple[Any, list[str]]] = {}
        self._stamps: dict[str, Stamp] = {}
        self._views: list[str] = []
        self._transient = threading.local()  # per thread: views to drop at the end of transient_views
        self._copied: dict[str, tuple[int, str]] = {}  # store table -> the store's version when copied
        self._looked = time.monotonic()  # when the lake's files were last listed
        self._looking = False  # a thread is listing them (follow_lake)
        self.summaries = Summaries(self, summaries_folder(store, settings))

    @property
    def backend(self) -> str:
        """'pyspark'."""
        return "pyspark"

    @property
    def con(self) -> Any:
        """The Ibis pyspark backend (shared by every thread)."""
        return self._backend

    def table(self, name: str) -> Any:
        """An Ibis table for a cxgap table: a summary kept in the warehouse, a mapped warehouse table, or a
        closed-loop table from the store; a data table that is not mapped is an error naming the key to add."""
        with self._lock:
            if name not in self._tables:
                self._tables[name] = self._make(name)
            if name in self._copied and self._copied[name] != store_version(self.store):
                self._tables[name] = self._make(name)  # the store took an import since it was copied
            return self._tables[name]

    def version(self) -> tuple[int, str]:
        """The store's version (the closed loop's imports) and what every mapped table holds (its stamp):
        a result kept for it is read back only while neither the store nor the lake has changed."""
        stamps = {name: self.stamp(name) for name in sorted(self._sources)}
        digest = hashlib.sha256(json.dumps(stamps, sort_keys=True, default=str).encode()).hexdigest()[:16]
        count, last = store_version(self.store)
        return count, f"{last}|lake {digest}"

    def follow_lake(self) -> None:
        """For a long-running process (the dashboard calls it before reading the data's version): once
        `lake_check_seconds` have passed since the last look, list the mapped tables again, and where one
        changed, read it, the tables made from it and the summaries again on next use. One thread lists
        at a time, outside the engine's lock (other requests go on meanwhile); a listing that fails
        changes nothing and is tried again after the next interval. A one-off command never calls it, so
        it reads one state of the lake from start to end."""
        with self._lock:
            if self._looking or time.monotonic() - self._looked < self.settings.lake_check_seconds:
                return
            self._looking, before = True, dict(self._stamps)
        try:
            now = {name: self._take_stamp(name) for name in before}
        except Exception:  # the lake could not be listed (a network file system's hiccup): next time
            log.warning(
                "listing the lake's tables failed; the dashboard keeps the data it read", exc_info=True
            )
            now = before
        with self._lock:
            self._looking, self._looked = False, time.monotonic()
            if now == before:
                return
            self._stamps = now
            self._frames = {}
            self._tables = {name: table for name, table in self._tables.items() if name in self._copied}
            self.summaries = Summaries(self, self.summaries.folder)

    def _make(self, name: str) -> Any:
        if name in SUMMARY_TABLES:
            return self.summaries.table(name)
        if name in self._sources:
            frame, missing = self.source_frame(name)
            table = self.view(frame, name)  # one view per table, replaced when the lake changed
            if name == "response_items" and any(c in missing for c in ITEM_CONTEXT):
                return items_in_context(table, self.table("responses"), self.table("customers"))
            return table
        if name in WAREHOUSE_TABLES:
            raise unmapped(name)
        if name not in TABLES:
            raise StoreError(f"{name} is not a cxgap table.")
        self._copied[name] = store_version(self.store)
        return self.view(from_store(self.session, self.store, name), f"store_{name}")

    def stamp(self, name: str) -> Stamp:
        """What the mapped table `name` holds, taken once (and again by `follow_lake` where it changed)."""
        with self._lock:
            if name not in self._stamps:
                self._stamps[name] = self._take_stamp(name)
            return self._stamps[name]

    def _take_stamp(self, name: str) -> Stamp:
        """What the mapped table `name` holds now: its data files with size and modification time (a
        Parquet path), every file with the log (Delta), or its row count (catalog)."""
        source = self._mapped(name)
        if source.table is not None:
            return self._catalog_stamp(source.table)
        if source.format == "delta":
            return {"log": self.files.listing(source.path or "", data_only=False)}
        return {"files": self.files.listing(source.path or "")}

    def _catalog_stamp(self, table: str) -> Stamp:
        """A catalog table's row count and, for a Delta table, its version (a table without files to list)."""
        stamp: Stamp = {"rows": int(self.session.table(table).count())}
        from pyspark.errors import AnalysisException  # pyspark is imported only in warehouse mode

        try:
            stamp["version"] = int(self.session.sql(f"DESCRIBE HISTORY {table} LIMIT 1").first()["version"])
        except AnalysisException:  # not a Delta table, or no Delta in the session: the row count is all
            pass
        return stamp

    def source_frame(self, name: str, files: list[str] | None = None) -> tuple[Any, list[str]]:
        """The mapped table as a conformed Spark frame (the files stamped for it, or only `files`), and the
        cxgap columns the warehouse lacked."""
        source = self._mapped(name)
        if files is None:
            with self._lock:
                if name not in self._frames:
                    stamped = self.stamp(name).get("files")
                    single = source.path is not None and self.files.is_file(source.path)
                    listed = sorted(stamped) if stamped and not single else None
                    self._frames[name] = conformed(source, read_raw(self.session, source, listed))
                return self._frames[name]
        return conformed(source, read_raw(self.session, source, files))

    def _mapped(self, name: str) -> Source:
        if name not in self._sources:
            raise unmapped(name)
        return self._sources[name]

    def view(self, frame: Any, name: str | None = None) -> Any:
        """An Ibis table reading a Spark frame, through a temporary view (`name`, replaced when it is
        there, or a new one) that this engine drops on close, or at the end of `transient_views`."""
        with self._lock:
            view = f"{self._prefix}{name or uuid.uuid4().hex[:12]}"
            if view not in self._views:
                self._views.append(view)
            transient = getattr(self._transient, "views", None)
            if name is None and transient is not None:
                transient.append(view)
        frame.createOrReplaceTempView(view)
        return self._backend.table(view)

    @contextlib.contextmanager
    def transient_views(self) -> Iterator[None]:
        """Views made without a name inside are dropped at its end (a summary's build: its expression is
        written out before the end, and a process following the lake for weeks must not keep them all)."""
        outer = getattr(self._transient, "views", None)
        made: list[str] = []
        self._transient.views = made
        try:
            yield
        finally:
            self._transient.views = outer
            with self._lock:
                self._views = [v for v in self._views if v not in made]
            for view in made:
                self.session.catalog.dropTempView(view)

    def close(self) -> None:
        """Drop this engine's temporary views (the process's SparkSession stays for the next engine)."""
        with self._lock:
            views, self._views = self._views, []
            self._tables, self._frames, self._stamps, self._copied = {}, {}, {}, {}
            self.summaries = Summaries(self, self.summaries.folder)  # read (and refreshed) again on next use
        for name in views:
            self.session.catalog.dropTempView(name)
