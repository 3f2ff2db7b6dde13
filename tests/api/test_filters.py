"""The API's filters offer and accept what the store holds: feedback's channels and months too."""

from __future__ import annotations

from typing import Any


def test_feedback_channels_and_months_are_offered_and_a_typo_refused(api: Any) -> None:
    client, h, _ = api
    reviews = [
        {
            "feedback_id": f"F{i}",
            "source": "review",
            "text": "fine stay",
            "channel": "tripadvisor",
            "received_at": "2024-03-10",
        }
        for i in range(3)
    ]
    assert client.post("/api/ingest/feedback", json=reviews, headers=h["ana"]).status_code == 200
    choices = client.get("/api/filters", headers=h["ana"]).json()
    assert choices["channels"] == ["tripadvisor"] and choices["months"] == ["2024-03"]
    assert client.get("/api/text", params={"channel": "tripadvisor"}, headers=h["ana"]).status_code == 200
    refused = client.get("/api/text", params={"channel": "zzz"}, headers=h["ana"])
    assert refused.status_code == 400
    assert refused.json()["detail"] == "channel = 'zzz' is not in the data; choose one of: tripadvisor."
