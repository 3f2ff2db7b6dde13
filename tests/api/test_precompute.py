"""Fast from the first visit: after an import the server computes the default views in the background and
keeps them in the store, so a restarted server reads them instead of computing again (computations are
counted, never timed); /api/progress says which are ready; a page whose results are not ready answers at
once that it is computing, then shows them (the computation is held on an Event, so the order is certain)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cxgap.api import create_app
from cxgap.api.dashboard import Dashboard
from cxgap.api.results import ResultCache
from cxgap.config import StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.engine import ALL
from cxgap.store import Store
from cxgap.store.kept import KeptResults
from tests.api.signing import sign_in, signed_up

WAIT = 600.0  # only ever reached when something is wrong (the views compute on a shared machine)
PAGES = ("/", "/gaps", "/perception", "/operations", "/drivers", "/text", "/journeys", "/risk")
HTML = {"Accept": "text/html"}  # a browser: a page not ready yet answers that it is computing


def _app(url: str) -> FastAPI:
    """`cxgap serve`'s app, with the progress routes (until the app includes them itself)."""
    app = create_app(demo_settings(store=StoreSettings(url=url)))
    if not any(getattr(r, "path", None) == "/api/progress" for r in app.routes):
        from cxgap.api import progress

        app.include_router(progress.router)
    return app


def _variable(page: str) -> str:
    """A page without what differs per request (CSRF token, the progress banner)."""
    page = re.sub(r'"X-CSRF-Token": "[0-9a-f]*"', "", page)
    page = re.sub(r'name="csrf_token" value="[0-9a-f]*"', "", page)
    return re.sub(r'<section id="progress".*?</section>', "", page, flags=re.S)


class Counted:
    """Every result the caches compute, by key (ResultCache._compute wrapped at the class, so a cache
    made before the test reads it is counted too)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.keys: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()
        original = ResultCache._compute

        def counting(
            cache: ResultCache, key: tuple[Any, ...], compute: Callable[[], Any], version: Any
        ) -> Any:
            with self._lock:
                self.keys.append(key)
            return original(cache, key, compute, version)

        monkeypatch.setattr(ResultCache, "_compute", counting)

    def kept(self) -> list[tuple[Any, ...]]:
        """The computed keys that are default views (kept in the store)."""
        with self._lock:
            return [k for k in self.keys if Dashboard.keeps(k)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A 3,000-customer demo store with an analyst and a viewer; their API tokens."""
    url = f"duckdb:///{tmp_path_factory.mktemp('precompute') / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(3_000, seed=42))
        tokens = signed_up(store)
    yield url, tokens


def _visit(client: TestClient) -> dict[str, str]:
    """Every page, as a script asks for it (it waits for the whole page)."""
    sign_in(client, "ana")
    pages = {}
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text[:500])
        assert 'id="loading"' not in answer.text
        pages[path] = _variable(answer.text)
    return pages


def test_default_views_are_computed_after_an_import_and_a_restart_reads_them_back(
    demo: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, tokens = demo
    counted = Counted(monkeypatch)
    first = _app(url)
    dashboard: Dashboard = first.state.dashboard
    assert dashboard.precompute.wait(WAIT)  # started by the app itself: nobody asked for a page
    ready = dashboard.precompute.progress()
    assert ready.done and {v.state for v in ready.views} == {"ready"}
    names = {v.name for v in ready.views}
    assert {"gaps", "scores", "text", "risk", "journeys", "drivers by items"} <= names
    computed_before_any_visit = set(counted.kept())
    assert ("risk", ALL) in computed_before_any_visit and ("text", ALL) in computed_before_any_visit
    with TestClient(first) as client:
        progress = client.get("/api/progress", headers={"Authorization": f"Bearer {tokens['ana']}"})
        assert progress.status_code == 200
        body = progress.json()
        assert (
            body["done"] and body["ready"] == len(ready.views) and "imports, the last at" in body["version"]
        )
        before = _visit(client)
    # each default result computed once, however many pages read it
    assert len(counted.kept()) == len(set(counted.kept()))
    dashboard.close()  # the results computed are in the store once it has closed
    with Store(url) as store:
        kept = KeptResults(store).keys()
    assert {k for k in kept if k.startswith("('page', '/risk'")} and len(set(kept.values())) == 1

    counted.keys.clear()
    second = _app(url)  # a restart on the same store
    assert second.state.dashboard.precompute.wait(WAIT)
    with TestClient(second) as client:
        after = _visit(client)
    assert counted.kept() == []  # nothing computed again: every default view was read from the store
    assert after == before
    second.state.dashboard.close()


def test_a_slow_slice_answers_at_once_that_it_is_computing_then_shows_its_results(
    demo: tuple[str, dict[str, str]],
) -> None:
    url, _ = demo
    app = _app(url)
    dashboard: Dashboard = app.state.dashboard
    dashboard.precompute.close()  # this test is about one slice, not the default views
    release = threading.Event()
    original = dashboard.gaps

    def held(filters: Any) -> Any:
        assert release.wait(WAIT)
        return original(filters)

    dashboard.gaps = held  # type: ignore[method-assign]
    with TestClient(app) as client:
        sign_in(client, "ana")
        waiting = client.get("/gaps?segment=consumer", headers=HTML)
        assert waiting.status_code == 200
        assert 'id="loading"' in waiting.text and 'hx-get="/gaps?segment=consumer"' in waiting.text
        assert 'hx-trigger="load delay:1s"' in waiting.text and 'id="filters"' in waiting.text
        again = client.get("/gaps?segment=consumer", headers=HTML | {"HX-Request": "true"})
        assert 'id="loading"' in again.text  # still held: the same computation, still running
        release.set()
        for running in dashboard.answers.pending():
            running.result(WAIT)
        done = client.get("/gaps?segment=consumer", headers=HTML | {"HX-Request": "true"})
        assert done.status_code == 200 and 'id="loading"' not in done.text
        assert "Showing: segment consumer" in done.text and "<table" in done.text
    dashboard.close()


def test_a_result_that_cannot_be_pickled_stays_in_memory(tmp_path: Path) -> None:
    with Store(f"duckdb:///{tmp_path / 'p.duckdb'}") as store:
        cache = ResultCache(store, keep=lambda key: True)
        handle = threading.Lock()  # a lock does not pickle
        assert cache.get(("gaps", ALL), lambda: handle) is handle
        cache.close()  # the writer has tried by now
        assert cache.kept.keys() == {}
        assert cache.get(("gaps", ALL), lambda: "other") is handle  # still served from memory
