"""Malformed webhook bodies: a record the ingest cannot read is a 400 whose one sentence names the record,
the field and what was expected, in a webhook caller's terms (never a 500, never the mappings of a file
import)."""

from __future__ import annotations

from typing import Any

import pytest

BASE = {"response_id": "R12", "responded_at": "2026-11-20", "survey_kind": "relational", "nps": 5}


@pytest.mark.parametrize("items", [[1, 2], "x"])
def test_items_that_are_not_an_object_are_a_400_naming_record_and_field(api: Any, items: Any) -> None:
    client, h, _ = api
    answer = client.post("/api/ingest/responses", json={**BASE, "items": items}, headers=h["ana"])
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"].startswith("Record 1: items must be an object of item name to ratings")


def test_item_ratings_that_are_not_an_object_stay_a_400(api: Any) -> None:
    client, h, _ = api
    answer = client.post(
        "/api/ingest/responses", json={**BASE, "items": {"reliability": 5}}, headers=h["ana"]
    )
    assert answer.status_code == 400 and "items.reliability must map" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body", "sentence"),
    [
        (
            "responses",
            {"response_id": "R20", "responded_at": "2026-11-20", "nps": 5},
            "Record 1 has no survey_kind, which every response needs (one of relational, transactional).",
        ),
        (
            "responses",
            [
                {"response_id": "R21", "survey_kind": "relational"},
                {"response_id": "R22", "survey_kind": "relational"},
            ],
            "Records 1 to 2 have no responded_at, which every response needs (when the response was "
            "recorded: a date in ISO 8601, e.g. 2024-03-31 or 2024-03-31T14:05:00).",
        ),
        (
            "feedback",
            {"feedback_id": "F1", "source": "review"},
            "Record 1 has no text, which every feedback record needs (the text itself).",
        ),
    ],
)
def test_a_field_every_record_lacks_is_a_400_in_the_callers_terms(
    api: Any, path: str, body: Any, sentence: str
) -> None:
    client, h, _ = api
    answer = client.post(f"/api/ingest/{path}", json=body, headers=h["ana"])
    assert answer.status_code == 400 and answer.json()["detail"] == sentence


def test_a_field_some_records_lack_quarantines_those_records(api: Any) -> None:
    client, h, _ = api
    batch = [
        {"feedback_id": "F1", "source": "review", "text": "Slow."},
        {"feedback_id": "F2", "source": "review"},
    ]
    body = client.post("/api/ingest/feedback", json=batch, headers=h["ana"]).json()
    assert (body["loaded"], body["quarantined"]) == (1, 1)
    assert body["problems"][0].startswith("record 2: column 'text'")


def test_text_that_is_not_unicode_is_a_400_not_a_500(api: Any) -> None:
    client, h, _ = api
    raw = b'{"response_id": "R30", "responded_at": "2026-11-20", "survey_kind": "relational", "comment": "\\ud800"}'
    headers = h["ana"] | {"Content-Type": "application/json"}
    answer = client.post("/api/ingest/responses", content=raw, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"].startswith(
        "Record 1: field 'comment' holds text that is not valid Unicode"
    )
