"""Stale-while-revalidate in the result cache: after the store's version moves, the last result is served
at once (flagged stale) while exactly one background job per key computes the next; a key never computed is
computed in the request; a failed recomputation keeps the old result. Every wait is on an Event, never a
sleep, so the order of events is certain."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cxgap.access import add_user, issue_token
from cxgap.api import create_app
from cxgap.api.results import Cached, ResultCache, UpdatingHeader
from cxgap.config import ServerSettings, StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.io import ingest_records
from cxgap.store import Store

WAIT = 60.0  # only ever reached when the cache is wrong


class Clock:
    """A store version the test moves by hand (the cache reads it through `version=`)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> tuple[int, str]:
        return self.count, "t"


def _cache(store: Store) -> tuple[ResultCache, Clock]:
    clock = Clock()
    return ResultCache(store, version=clock), clock


def test_the_old_value_is_served_while_exactly_one_recomputation_runs(duck_store: Store) -> None:
    cache, clock = _cache(duck_store)
    assert cache.lookup(("k",), lambda: "old") == Cached("old", False)
    clock.count += 1
    started, release = threading.Event(), threading.Event()
    calls: Counter[str] = Counter()
    ran_in: list[str] = []

    def recompute() -> str:
        calls["k"] += 1
        ran_in.append(threading.current_thread().name)
        started.set()
        assert release.wait(WAIT)
        return "new"

    everyone = threading.Barrier(10)
    got: list[Cached] = []

    def caller() -> None:
        everyone.wait()
        got.extend(cache.lookup(("k",), recompute) for _ in range(5))

    threads = [threading.Thread(target=caller) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert started.wait(WAIT)  # the recomputation is running, and blocked
    assert got == [Cached("old", True)] * 50  # every caller got the old value at once
    assert cache.lookup(("k",), recompute) == Cached("old", True)
    release.set()
    cache.settle(WAIT)
    assert calls == {"k": 1} and ran_in[0].startswith("cxgap-revalidate")
    assert cache.lookup(("k",), recompute) == Cached("new", False)
    assert calls == {"k": 1}
    cache.close()


def test_while_the_store_keeps_moving_a_key_is_recomputed_at_most_once_per_refresh_interval(
    duck_store: Store,
) -> None:
    clock = Clock()
    cache = ResultCache(
        duck_store, version=clock, refresh_seconds=3600
    )  # computed just now: not before an hour
    calls: list[int] = []
    assert cache.lookup(("k",), lambda: calls.append(1) or "first") == Cached("first", False)
    for _ in range(5):
        clock.count += 1  # an ingest
        assert cache.lookup(("k",), lambda: calls.append(1) or "again") == Cached("first", True)
    assert calls == [1]  # one computation; the next waits its turn
    cache.close()  # drops the recomputation still waiting
    assert cache.lookup(("k",), lambda: "x") == Cached("first", True)
    assert calls == [1]


def test_rollups_are_rebuilt_at_most_once_per_refresh_interval_and_results_say_which_version_they_show(
    duck_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    cache = ResultCache(duck_store, version=clock, refresh_seconds=3600)
    rebuilds: list[int] = []
    monkeypatch.setattr(duck_store, "refresh_stale", lambda: rebuilds.append(clock.count) or True)
    assert cache.lookup(("a",), lambda: "a0") == Cached("a0", False)
    clock.count += 1  # an ingest: the rollups are stale again
    assert cache.lookup(("b",), lambda: "b1") == Cached("b1", False)  # computed on the last rebuild
    assert rebuilds == [0]  # not rebuilt again within the hour
    assert cache.lookup(("b",), lambda: "b2") == Cached("b1", True)  # stamped with the rebuild's version
    cache.close()


def test_a_key_never_computed_is_computed_in_the_request(duck_store: Store) -> None:
    cache, clock = _cache(duck_store)
    here = threading.current_thread().name
    assert cache.lookup(("cold",), lambda: threading.current_thread().name) == Cached(here, False)
    clock.count += 1
    assert cache.lookup(("other",), lambda: "computed now") == Cached("computed now", False)
    cache.close()


def test_a_failed_recomputation_keeps_the_old_value_and_the_next_request_tries_again(
    duck_store: Store,
) -> None:
    cache, clock = _cache(duck_store)
    cache.lookup(("k",), lambda: 1)
    clock.count += 1

    def fail() -> int:
        raise RuntimeError("the backend went away")

    assert cache.lookup(("k",), fail) == Cached(1, True)
    cache.settle(WAIT)
    assert cache.lookup(("k",), lambda: 2) == Cached(1, True)  # still stale: starts another try
    cache.settle(WAIT)
    assert cache.lookup(("k",), fail) == Cached(2, False)
    cache.close()


def test_a_result_recomputed_in_the_background_reads_current_results_not_stale_ones(
    duck_store: Store,
) -> None:
    cache, clock = _cache(duck_store)
    part = {"value": "part 1"}

    def page() -> str:
        return f"page of {cache.get(('part',), lambda: part['value'])}"

    assert cache.get(("page",), page) == "page of part 1"
    clock.count += 1
    part["value"] = "part 2"
    assert cache.lookup(("page",), page) == Cached("page of part 1", True)
    cache.settle(WAIT)
    # the page's recomputation computed its part afresh rather than take the part's stale copy
    assert cache.lookup(("page",), page) == Cached("page of part 2", False)
    assert cache.lookup(("part",), lambda: "not called") == Cached("part 2", False)
    cache.close()


def test_an_answer_built_from_a_stale_result_says_updating(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'u.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(200, seed=3))
        add_user(store, "hook", "analyst")
        token = issue_token(store, "hook")
    app = create_app(
        demo_settings(
            store=StoreSettings(url=url), server=ServerSettings(refresh_seconds=0, precompute=False)
        )
    )
    dashboard = app.state.dashboard
    held = threading.Event()
    release = threading.Event()
    with TestClient(UpdatingHeader(app), headers={"Authorization": f"Bearer {token}"}) as client:
        first = client.get("/api/scores")
        assert first.status_code == 200 and "x-cxgap-updating" not in first.headers
        ingest_records(
            dashboard.store,
            "responses",
            [
                {
                    "response_id": "NEW-1",
                    "responded_at": "2025-01-02T03:04:05",
                    "survey_kind": "relational",
                    "nps": 0,
                }
            ],
            "test",
        )
        cache = dashboard.cache
        compute = cache._compute

        def blocked(key: tuple[object, ...], fn: Callable[[], object], version: tuple[int, str]) -> object:
            held.set()
            assert release.wait(WAIT)
            return compute(key, fn, version)

        cache._compute = blocked  # type: ignore[method-assign]
        during = client.get("/api/scores")
        assert during.status_code == 200 and during.headers["x-cxgap-updating"] == "1"
        assert during.json() == first.json()  # the last result, at once
        assert held.wait(WAIT)
        release.set()
        cache.settle(WAIT)
        cache._compute = compute  # type: ignore[method-assign]
        after = client.get("/api/scores")
        assert after.status_code == 200 and "x-cxgap-updating" not in after.headers
        assert after.json() != first.json()  # the new response is counted
    dashboard.close()
