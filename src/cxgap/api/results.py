"""Result objects as plain JSON-ready data (NaN becomes null), and a cache keyed by the store's version."""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from cxgap.store import Store


def plain(value: Any) -> Any:
    """Dataclasses, tuples and dicts as JSON-ready data; NaN and infinities become None; fields a dataclass
    keeps out of its repr are left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # fields left out of repr are handles (a fitted model, its reference data), not part of the result
        data = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.repr}
        for name in ("direction", "priority"):
            if hasattr(type(value), name) and isinstance(getattr(type(value), name), property):
                data[name] = plain(getattr(value, name))
        return data
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return plain(value.item())
    return value


def store_version(store: Store) -> tuple[int, str]:
    """Changes with every import (batches are never deleted): the key under which results stay valid."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT count(*), max(finished_at) FROM import_batches")).one()
    return int(row[0]), str(row[1])


class ResultCache:
    """Results per (store version, name, filters); an import changes the version and so empties it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._version: tuple[int, str] | None = None
        self._results: dict[tuple[Any, ...], Any] = {}
        # the server answers requests on several threads; one computation at a time keeps the store's
        # connection to one user and lets a second request for the same view wait for the first
        self._lock = threading.RLock()

    def get(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """The cached result for `key`, computed once per store version."""
        with self._lock:
            version = store_version(self.store)
            if version != self._version:
                self.store.refresh_stale()  # an ingest since the last view may have left rollups stale
                self._version, self._results = version, {}
            if key not in self._results:
                self._results[key] = compute()
            return self._results[key]
