"""Results kept in the store (table view_results): a restarted server reads the default views it already
computed instead of computing them again, and the engine keeps costly parts of an analysis (the derived
importance's bootstrap) for as long as the data they were computed on.

A result is kept as a pickle under the text of its cache key, stamped with the store version it was
computed for and a fingerprint of the cxgap code that computed it: a result of other data or of other code
(an upgrade changes the result classes and the page templates) is never read back. The store is the
server's own: whoever can write its tables can already change every figure the dashboard shows, so reading
its pickles trusts no one new.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import pickle
import threading
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from cxgap.store.core import Store
from cxgap.store.models import ViewResult

log = logging.getLogger(__name__)
KEY_LENGTH = 512  # view_results.view_key
PACKAGE = Path(__file__).parents[1]  # src/cxgap: its code and templates make the results


@cache
def code_fingerprint() -> str:
    """A short hash of the cxgap package's Python files and templates (computed once per process)."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in (".py", ".j2") and path.is_file():
            digest.update(str(path.relative_to(PACKAGE)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def key_text(key: tuple[Any, ...]) -> str | None:
    """A cache key as the text it is kept under (None when too long to keep)."""
    text = repr(key)
    return text if len(text) <= KEY_LENGTH else None


BATCH_EVENTS = "SELECT count(*) + count(removed_at), max(finished_at), max(removed_at) FROM import_batches"
"""Imports and removals so far, the last import's end and the last removal's time (see `store_version`)."""


def store_version(store: Store) -> tuple[int, str]:
    """Changes with every import and every batch taken back out (batches are never deleted, a removal
    stamps its batch): the key under which results stay valid. A store without removals keeps the version
    it had before removals existed, so the results kept for it stay valid."""
    with store.engine.connect() as conn:
        events, last, removed = conn.execute(sa.text(BATCH_EVENTS)).one()
    return int(events), str(last) if removed is None else f"{last}|removed {removed}"


def version_text(version: tuple[int, str]) -> str:
    """The store version and the code fingerprint, as kept beside each result."""
    return f"{version[0]}|{version[1]}|{code_fingerprint()}"


class KeptResults:
    """Read and write results in view_results; writes take the store's writer lock on DuckDB."""

    def __init__(self, store: Store, write_lock: threading.Lock | None = None) -> None:
        self.store = store
        self._write_lock = write_lock

    def read(self, key: tuple[Any, ...], version: tuple[int, str]) -> tuple[bool, Any]:
        """(True, the result) when one is kept for this key, store version and code; else (False, None).
        A payload that no longer loads counts as absent (it is computed again)."""
        text = key_text(key)
        if text is None:
            return False, None
        table = ViewResult.__table__
        query = sa.select(table.c.payload, table.c.store_version).where(table.c.view_key == text)
        with self.store.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.store_version != version_text(version):
            return False, None
        try:
            return True, pickle.loads(row.payload)
        except Exception:  # written by other code, or damaged: compute it again
            log.warning("the kept result %s does not load; it is computed again", text, exc_info=True)
            return False, None

    def write(self, key: tuple[Any, ...], version: tuple[int, str], value: Any, seconds: float) -> bool:
        """Keep `value` for `key` (replacing what was kept); False when it cannot be pickled or kept."""
        text = key_text(key)
        if text is None:
            return False
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # an object holding a lock or an open handle: it stays in memory only
            log.warning("the result %s cannot be kept in the store (%s); it stays in memory", text, error)
            return False
        row = {
            "view_key": text,
            "store_version": version_text(version),
            "payload": payload,
            "computed_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
            "seconds": seconds,
        }
        with self._write_lock or contextlib.nullcontext(), self.store.engine.begin() as conn:
            conn.execute(sa.delete(ViewResult).where(ViewResult.view_key == text))
            conn.execute(sa.insert(ViewResult).values(**row))
        return True

    def prune(self, version: tuple[int, str]) -> None:
        """Drop every kept result of another store version or other code."""
        with self._write_lock or contextlib.nullcontext(), self.store.engine.begin() as conn:
            conn.execute(sa.delete(ViewResult).where(ViewResult.store_version != version_text(version)))

    def keys(self) -> dict[str, str]:
        """Every kept key and the version text it is for (tests, the progress view)."""
        table = ViewResult.__table__
        with self.store.engine.connect() as conn:
            rows = conn.execute(sa.select(table.c.view_key, table.c.store_version)).all()
        return {str(r.view_key): str(r.store_version) for r in rows}
