"""A real server under load: 400 mixed requests at concurrency 50 (status, pages, scores, gaps and
bad-token requests) must leave every page and analytics endpoint answering 200, on both backends.

The load once closed the DuckDB connection the engine used (the SQLAlchemy pool closed it when more
connections were checked out than it keeps), and every uncached view answered 500 until a restart."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from cxgap.api import create_app
from cxgap.config import StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.store import Store
from tests.api.on_demand import ON_DEMAND
from tests.api.server import serving
from tests.api.signing import sign_in, signed_up

REQUESTS, CONCURRENCY = 400, 50
# generous: the test fails on a wrong status, never on a slow (cold) computation
TIMEOUT = httpx.Timeout(600.0)
PAGES = ("/", "/gaps", "/perception", "/operations", "/drivers")
ANALYTICS = ("/api/gaps", "/api/scores", "/api/operations", "/api/drivers", "/api/filters", "/api/status")


@dataclass(frozen=True)
class Server:
    """A running server, and what a signed-in analyst sends: an API token and a page session's cookies."""

    base: str
    headers: dict[str, str]
    cookies: httpx.Cookies

    def client(self, **extra: Any) -> httpx.Client:
        """A client that sends the analyst's token and cookies (unless `extra` says otherwise)."""
        options: dict[str, Any] = {"headers": self.headers, "cookies": self.cookies} | extra
        return httpx.Client(base_url=self.base, timeout=TIMEOUT, **options)


@pytest.fixture
def demo_server(store_url: str) -> Iterator[Server]:
    """A real server on 127.0.0.1 on a small demo company (2,000 customers), stopped afterwards."""
    with Store(store_url) as store:
        write_demo(store, simulate(2_000, seed=3))
        tokens = signed_up(store)
    app = create_app(demo_settings(store=StoreSettings(url=store_url), server=ON_DEMAND))
    try:
        with serving(app) as base, httpx.Client(base_url=base, timeout=TIMEOUT) as browser:
            assert sign_in(browser, "ana").status_code == 303
            yield Server(base, {"Authorization": f"Bearer {tokens['ana']}"}, browser.cookies)
    finally:
        app.state.dashboard.close()


def _mix(choices: dict[str, Any]) -> list[tuple[str, dict[str, str], dict[str, str], tuple[int, ...]]]:
    """400 requests (path, parameters, headers, statuses allowed), shuffled with a fixed seed: status,
    pages and scores/gaps for each segment and month (so many views compute at once), and bad tokens."""
    rng = random.Random(15)
    slices: list[dict[str, str]] = [{}]
    slices += [{"segment": s} for s in choices["segments"]]
    slices += [{"since": m, "until": m} for m in choices["months"][-3:]]
    bad = {"Authorization": "Bearer nonsense"}
    kinds: list[tuple[str, dict[str, str], dict[str, str], tuple[int, ...]]] = []
    for i in range(REQUESTS):
        kind, where = i % 5, rng.choice(slices)
        if kind == 0:
            kinds.append(("/api/status", {}, {}, (200,)))
        elif kind == 1:
            kinds.append(("/", where, {}, (200,)))
        elif kind == 2:
            kinds.append(("/api/scores", where, {}, (200,)))
        elif kind == 3:
            kinds.append(("/api/gaps", where, {}, (200,)))
        else:  # refused, perhaps rate limited; never a server error
            kinds.append(("/api/cases", {}, bad, (401, 429)))
    rng.shuffle(kinds)
    return kinds


@pytest.mark.slow
def test_the_server_holds_under_mixed_concurrent_load(demo_server: Server) -> None:
    with demo_server.client() as client:
        choices = client.get("/api/filters").json()
    assert choices["segments"] and choices["months"] and choices["channels"]
    requests = _mix(choices)

    def send(request: tuple[str, dict[str, str], dict[str, str], tuple[int, ...]]) -> str | None:
        path, params, headers, allowed = request
        with demo_server.client(**({"headers": headers, "cookies": None} if headers else {})) as client:
            reply = client.get(path, params=params)
        return None if reply.status_code in allowed else f"{path} {params}: {reply.status_code}"

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        wrong = Counter(problem for problem in pool.map(send, requests) if problem)
    assert not wrong, wrong.most_common(10)

    # afterwards every view answers, uncached ones included: a channel slice the load never asked for
    with demo_server.client() as client:
        for params in ({}, {"channel": choices["channels"][0]}):
            statuses = {path: client.get(path, params=params).status_code for path in PAGES + ANALYTICS}
            assert statuses == dict.fromkeys(PAGES + ANALYTICS, 200), params
