"""Webhook calls that arrive while a batch from the same token is written are stored as one batch, and
each caller reads its own outcome. The first batch is held open until the others wait behind it, so the
grouping is certain, not a matter of timing."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import httpx

from cxgap.access import add_user, issue_token
from cxgap.api import create_app
from cxgap.config import StoreSettings, demo_settings
from cxgap.store import Store
from tests.api.conftest import response
from tests.api.on_demand import ON_DEMAND
from tests.api.server import serving


def test_calls_waiting_behind_a_batch_are_one_batch_each_told_its_own_outcome(store_url: str) -> None:
    with Store(store_url) as store:
        add_user(store, "hook", "analyst")
        token = issue_token(store, "hook")
    app = create_app(demo_settings(store=StoreSettings(url=store_url), server=ON_DEMAND))
    intake = app.state.dashboard.intake
    write, held, release = intake._work, threading.Event(), threading.Event()

    def first_waits(key: Any, deliveries: Sequence[Any]) -> Any:
        if not held.is_set():
            held.set()
            release.wait()
        return write(key, deliveries)

    intake._work = first_waits
    calls = {
        "first": [response("F1", 9)],
        "second": [
            response("S1", 2),
            response("S2", 0) | {"nps": "ten"},
            response("S3", 10),
        ],  # a detractor, a bad value
        "third": [response("T1", 3), response("T2", 8)],  # a detractor
    }
    answers: dict[str, httpx.Response] = {}
    with (
        serving(app) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client,
    ):

        def send(name: str) -> None:
            answers[name] = client.post("/api/ingest/responses", json=calls[name])

        threads = {name: threading.Thread(target=send, args=(name,)) for name in calls}
        threads["first"].start()
        held.wait()
        threads["second"].start()
        threads["third"].start()
        with intake._changed:
            while len(intake._waiting) < 2:  # both wait behind the held batch
                intake._changed.wait(0.01)
        release.set()
        for thread in threads.values():
            thread.join()
    app.state.store.close()
    got = {name: reply.json() for name, reply in answers.items()}
    assert all(reply.status_code == 200 for reply in answers.values())
    assert got["second"]["batch_id"] == got["third"]["batch_id"] != got["first"]["batch_id"]
    counts = {name: (g["read"], g["loaded"], g["quarantined"], g["cases_opened"]) for name, g in got.items()}
    assert counts == {"first": (1, 1, 0, 0), "second": (3, 2, 1, 1), "third": (2, 2, 0, 1)}
    assert got["second"]["problems"][0].startswith("record 2:")
    assert intake.groups == 2 and intake.items == 3
