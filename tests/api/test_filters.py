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


def test_a_filter_given_twice_a_format_not_offered_and_a_view_with_unknown_fields_are_refused(
    api: Any,
) -> None:
    """Each used to be dropped silently: the last segment won, xml answered JSON, a `filters` object saved
    a view of nothing."""
    client, h, _ = api
    twice = client.get("/api/scores?segment=a&segment=b", headers=h["ana"])
    assert (
        twice.status_code == 400
        and twice.json()["detail"] == "segment is given 2 times; a filter takes one value."
    )
    xml = client.get("/api/records/comments", params={"format": "xml"}, headers=h["ana"])
    assert xml.status_code == 422 and "format" in xml.json()["detail"]
    view = {"name": "mine", "path": "/risk", "filters": {"segment": "a"}}
    saved = client.post("/api/views", json=view, headers=h["ana"])
    assert saved.status_code == 422 and "filters" in saved.json()["detail"]
