"""What the API says about refused input never quotes personal data, and a NUL byte costs its record
only, alike on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxgap.access import add_user, issue_token
from cxgap.api import create_app
from cxgap.config import StoreSettings, demo_settings
from cxgap.store import Store
from tests.api.conftest import response as _response
from tests.api.on_demand import ON_DEMAND

EMAIL, CARD = "jane.doe@example.com", "4111 1111 1111 1111"


def test_problems_quote_values_only_after_redaction(api: Any) -> None:
    client, h, _ = api
    batch = [_response("W1", 5), {**_response("W2", 5), "nps": EMAIL}, {**_response("W3", 5), "csat": CARD}]
    body = client.post("/api/ingest/responses", json=batch, headers=h["ana"]).json()
    assert (body["loaded"], body["quarantined"]) == (1, 2)
    text = " ".join(body["problems"])
    assert "[EMAIL]" in text and "[CARD]" in text
    assert EMAIL not in text and "4111" not in text


def test_a_malformed_body_is_refused_without_echoing_it(api: Any) -> None:
    client, h, _ = api
    refused = client.post("/api/ingest/responses", json=f"call {EMAIL}", headers=h["ana"])
    assert refused.status_code == 422
    assert EMAIL not in refused.text and refused.json()["detail"]


def test_a_nul_byte_quarantines_its_record_only(api: Any) -> None:
    client, h, store = api
    batch = [_response("W1", 5, comment="fine"), _response("W2", 5, comment="bad\x00byte")]
    answer = client.post("/api/ingest/responses", json=batch, headers=h["ana"])
    assert answer.status_code == 200, answer.text
    assert (answer.json()["loaded"], answer.json()["quarantined"]) == (1, 1)
    assert "NUL" in answer.json()["problems"][0]
    with store.engine.connect() as conn:
        raw = conn.execute(sa.text("SELECT raw FROM quarantine")).scalar_one()
    assert "\x00" not in raw


def test_an_ingest_on_a_full_disk_is_a_507_with_one_sentence(full_disk: Path) -> None:
    url = f"duckdb:///{full_disk / 'cxgap.duckdb'}"
    with Store(url) as store:
        add_user(store, "ana", "analyst", None)
        headers = {"Authorization": f"Bearer {issue_token(store, 'ana')}"}
    app = create_app(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    text = "the room was cold and the staff kind " * 8
    answers = []
    with TestClient(app, raise_server_exceptions=False) as client:
        for start in range(0, 80_000, 8_000):  # batches under the body limit until the 3 MB disk is full
            batch = [
                {
                    "feedback_id": f"F{i}",
                    "source": "review",
                    "received_at": "2024-01-05",
                    "text": f"{text}{i}",
                }
                for i in range(start, start + 8_000)
            ]
            answers.append(client.post("/api/ingest/feedback", json=batch, headers=headers))
            if answers[-1].status_code != 200:
                break
    app.state.store.close()
    assert answers[-1].status_code == 507, answers[-1].text
    assert answers[-1].json()["detail"].startswith("The store's disk is full")
