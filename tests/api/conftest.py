"""Shared API fixtures: a client on a store with one user of each role, and webhook records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxgap.access import add_user, issue_token
from cxgap.api import create_app
from cxgap.config import StoreSettings, demo_settings
from cxgap.store import Store
from tests.api.browser_pages import Site, demo_site
from tests.api.on_demand import ON_DEMAND

TODAY = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def response(key: str, nps: int, touchpoint: str = "support", **extra: Any) -> dict[str, Any]:
    return {
        "response_id": key,
        "responded_at": TODAY,
        "survey_kind": "transactional",
        "touchpoint": touchpoint,
        "nps": nps,
    } | extra


@pytest.fixture
def api(store_url: str) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], Store]]:
    """A client on a store with an analyst, a viewer and one team member each in support and field service."""
    with Store(store_url) as store:
        people = {
            "ana": ("analyst", None),
            "vic": ("viewer", None),
            "sam": ("team_member", "support"),
            "fay": ("team_member", "field_service"),
        }
        for name, (role, team) in people.items():
            add_user(store, name, role, team)
        headers = {name: {"Authorization": f"Bearer {issue_token(store, name)}"} for name in people}
    settings = demo_settings(store=StoreSettings(url=store_url), server=ON_DEMAND)
    app = create_app(settings)
    with TestClient(app) as client:
        yield client, headers, app.state.store
    app.state.store.close()


@pytest.fixture(scope="session")
def shared_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One real server on the 3,000-customer demo for the browser tests that only read (one per test
    worker): each server computes every default view once, so sharing it keeps the suite's time down."""
    with demo_site(tmp_path_factory.mktemp("site")) as site:
        yield site
