"""The JSON routes (a person's own preferences, the delivery log for admins and analysts) and the server's
scheduler, which runs only where a channel is configured."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cxgap.access import issue_token
from cxgap.api import create_app
from cxgap.config import CaseSettings, ServerSettings, Settings
from cxgap.store import Store
from tests.notify.conftest import NOW, RULES, add_detractors, add_staff, settings_for

QUIET = ServerSettings(precompute=False)


def _app(settings: Settings) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    with Store(settings.store.url) as store:
        add_staff(store)
        headers = {n: {"Authorization": f"Bearer {issue_token(store, n)}"} for n in ("sam", "ana", "vic")}
    app = create_app(settings)
    with TestClient(app) as client:
        yield client, headers
    app.state.store.close()


@pytest.fixture
def api(store_url: str) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    """A client on an app without any channel (so without a scheduler)."""
    yield from _app(settings_for(store_url).model_copy(update={"server": QUIET}))


def test_a_person_reads_and_changes_only_their_own_preferences(api) -> None:
    client, headers = api
    mine = client.get("/api/notify/preferences", headers=headers["sam"]).json()
    assert mine["user"] == "sam" and len(mine["preferences"]) == 6
    assert all(p["enabled"] and not p["in_digest"] for p in mine["preferences"])
    body = {"preferences": [{"event": "case_due", "enabled": True, "in_digest": True}]}
    changed = client.put("/api/notify/preferences", json=body, headers=headers["sam"]).json()
    assert {p["event"]: p["in_digest"] for p in changed["preferences"]}["case_due"] is True
    theirs = client.get("/api/notify/preferences", headers=headers["ana"]).json()["preferences"]
    assert not any(p["in_digest"] for p in theirs)
    bad = {"preferences": [{"event": "case_assigned", "enabled": True, "in_digest": True}]}
    refused = client.put("/api/notify/preferences", json=bad, headers=headers["sam"])
    assert refused.status_code == 400 and "Only case_due and case_overdue" in refused.text
    unknown = client.put(
        "/api/notify/preferences",
        json={"preferences": [{"event": "x", "enabled": 1}]},
        headers=headers["sam"],
    )
    assert unknown.status_code == 400 and "is not one of" in unknown.text
    assert client.get("/api/notify/preferences").status_code == 401


def test_the_delivery_log_is_for_admins_and_analysts(api) -> None:
    client, headers = api
    assert client.get("/api/notify/log", headers=headers["ana"]).json() == {"deliveries": []}
    assert client.get("/api/notify/log", headers=headers["sam"]).status_code == 403
    assert client.get("/api/notify/log", headers=headers["vic"]).status_code == 403
    assert client.get("/api/notify/log?limit=0", headers=headers["ana"]).status_code in (400, 422)


def test_no_channel_no_scheduler_thread(api) -> None:
    client, _ = api
    assert client.app.state.notify_scheduler is None  # type: ignore[attr-defined]
    assert not [t for t in threading.enumerate() if t.name == "cxgap-notify"]


def test_the_server_sends_what_is_due_on_its_own(duckdb_url: str, receiver) -> None:
    settings = settings_for(duckdb_url, None, receiver.url, every_seconds=0.05)
    settings = settings.model_copy(update={"server": QUIET, "cases": CaseSettings(rules=RULES, as_of=NOW)})
    with Store(duckdb_url) as store:
        (case_id,) = add_detractors(store, settings, NOW, ("R1", "support"))
    for client, headers in _app(settings):
        assert receiver.arrived.wait(30), "the scheduler sent nothing within 30 s"
        scheduler = client.app.state.notify_scheduler  # type: ignore[attr-defined]
        assert scheduler is not None and any(t.name == "cxgap-notify" for t in threading.enumerate())
        assert receiver.verified and all(receiver.verified)
        assert any(case_id in b["text"] for b in receiver.bodies)
        log = client.get("/api/notify/log", headers=headers["ana"]).json()["deliveries"]
        assert {d["recipient"] for d in log} == {"ops"} and {d["status"] for d in log} >= {"sent"}
    assert not [t for t in threading.enumerate() if t.name == "cxgap-notify"]  # stopped with the app
