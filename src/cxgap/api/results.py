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


@dataclasses.dataclass
class _Slot:
    """One key's lock, and how many callers hold or wait for it (the slot goes when none do)."""

    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    users: int = 0


class ResultCache:
    """Results per (store version, name, filters); an import changes the version and so empties it.

    Each key has a lock of its own: twenty requests for one view compute it once (the others wait for that
    result), while different views compute in parallel, so a slow one (text, risk) blocks only itself.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._version: tuple[int, str] | None = None
        self._results: dict[tuple[Any, ...], tuple[tuple[int, str], Any]] = {}
        self._slots: dict[tuple[Any, ...], _Slot] = {}
        self._guard = threading.Lock()  # guards the dictionaries above, held for no query or computation
        self._refresh = threading.Lock()  # one refresh of stale rollups at a time, per new version

    def _current_version(self) -> tuple[int, str]:
        """The store's version; on a new one, stale rollups are rebuilt (once) and older results dropped."""
        version = store_version(self.store)
        if version != self._version:
            with self._refresh:
                if version != self._version:
                    self.store.refresh_stale()  # an ingest since the last view may have left rollups stale
                    with self._guard:
                        self._version = version
                        self._results = {k: v for k, v in self._results.items() if v[0] == version}
        return version

    def get(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """The cached result for `key`, computed once per store version (callers asking for a key while it
        is computed wait for that result rather than compute it again)."""
        version = self._current_version()
        with self._guard:
            slot = self._slots.setdefault(key, _Slot())
            slot.users += 1
        try:
            with slot.lock:
                with self._guard:
                    cached = self._results.get(key)
                if cached is not None and cached[0] == version:
                    return cached[1]
                result = compute()  # an error leaves nothing cached: the next caller tries again
                with self._guard:
                    self._results[key] = (version, result)
                return result
        finally:
            with self._guard:
                slot.users -= 1
                if slot.users == 0:
                    del self._slots[key]
