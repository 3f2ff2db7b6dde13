"""The result cache: one lock per view, so different views compute in parallel and one view computes once
however many requests ask for it at the same time."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from cxgap.api import ResultCache
from cxgap.store import Store

# only ever reached when the cache computes one view at a time (then the two views wait for each other)
WAIT = 60.0
CALLERS = 10  # per view


def test_two_views_compute_in_parallel_and_each_once_for_many_callers(duck_store: Store) -> None:
    cache = ResultCache(duck_store)
    started = {"a": threading.Event(), "b": threading.Event()}
    met: dict[str, bool] = {}
    calls: Counter[str] = Counter()
    count = threading.Lock()

    def compute(name: str, other: str) -> Callable[[], object]:
        def run() -> object:
            with count:
                calls[name] += 1
            started[name].set()
            # each view finishes only once the other has started: with one lock for all, never
            met[name] = started[other].wait(WAIT)
            return object()

        return run

    everyone = threading.Barrier(2 * CALLERS)
    got: dict[str, list[Any]] = {"a": [], "b": []}

    def caller(name: str, other: str) -> None:
        everyone.wait()
        got[name].append(cache.get((name,), compute(name, other)))

    threads = [
        threading.Thread(target=caller, args=(name, other))
        for name, other in (("a", "b"), ("b", "a"))
        for _ in range(CALLERS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert met == {"a": True, "b": True}  # both views were computing at the same time
    assert calls == {"a": 1, "b": 1}
    assert all(len(results) == CALLERS and len({id(r) for r in results}) == 1 for results in got.values())


def test_a_failed_computation_is_not_kept(duck_store: Store) -> None:
    cache = ResultCache(duck_store)

    def fail() -> int:
        raise RuntimeError("the backend went away")

    with pytest.raises(RuntimeError):
        cache.get(("x",), fail)
    assert cache.get(("x",), lambda: 2) == 2
    assert cache.get(("x",), fail) == 2
