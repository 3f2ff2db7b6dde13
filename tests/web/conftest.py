"""Fixtures of the closed loop's page tests: one real server on a seeded demo for the browser tests (one per
test worker), and a TestClient on a small demo whose rules have opened their cases, once per backend, for the
fast route tests (the demo's full seeding, with its worked cases, issues and playbooks, takes too long to
repeat for every test: the browser site has it)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cxgap.access import add_user, set_password
from cxgap.api import create_app
from cxgap.cases import open_cases
from cxgap.cases.clock import set_loop_calendar
from cxgap.config import Settings, StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.demo.loop import DEMO_STAFF, data_end
from cxgap.store import Store
from tests.api.on_demand import ON_DEMAND
from tests.api.signing import PASSWORD, sign_in, signed_up
from tests.web.loop_site import SIGNING_IN, LoopSite, loop_site_at


@pytest.fixture(scope="session")
def loop_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopSite]:
    """A real server on the 3,000-customer demo with its loop seeded, shared by the loop's browser tests."""
    with loop_site_at(tmp_path_factory.mktemp("loop-site")) as site:
        yield site


@dataclass
class LoopApp:
    """A TestClient app on a small seeded demo: `client(name)` is a client signed in as that person."""

    app: object
    store: Store
    settings: Settings

    def client(self, name: str) -> TestClient:
        """A new client (its own cookies) signed in through the form."""
        client = TestClient(self.app)  # type: ignore[arg-type]
        answer = sign_in(client, name)
        assert answer.status_code == 303, answer.text
        return client


def _small_loop(store: Store, settings: Settings) -> None:
    """A 400-customer demo on its own calendar, with the demo's people (those who sign in with the test
    password), an analyst and a viewer, and the cases its rules open (none worked yet)."""
    write_demo(store, simulate(400, seed=7))
    end = data_end(store)
    set_loop_calendar(store, end)
    for name, (role, team) in DEMO_STAFF.items():
        add_user(store, name, role, team)
    open_cases(store, settings, now=end)
    for name in SIGNING_IN:
        set_password(store, name, PASSWORD)
    signed_up(store)


@pytest.fixture(scope="session")
def small_loop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small loop as a DuckDB file, built once per test worker and copied for each test."""
    path = tmp_path_factory.mktemp("small-loop") / "loop.duckdb"
    url = f"duckdb:///{path}"
    with Store(url) as store:
        _small_loop(store, demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    return path


@pytest.fixture
def loop_app(store_url: str, request: pytest.FixtureRequest) -> Iterator[LoopApp]:
    """The app on the small loop (`_small_loop`), a fresh one per test, once per backend (on DuckDB a copy
    of the file built once)."""
    settings = demo_settings(store=StoreSettings(url=store_url), server=ON_DEMAND)
    if store_url.startswith("duckdb:///"):
        built: Path = request.getfixturevalue("small_loop_file")
        shutil.copyfile(built, store_url.removeprefix("duckdb:///"))
    else:
        with Store(store_url) as store:
            _small_loop(store, settings)
    app = create_app(settings)
    with TestClient(app):  # runs the app's startup and shutdown once
        yield LoopApp(app, app.state.store, settings)
    app.state.store.close()
