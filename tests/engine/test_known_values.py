"""The values a filter may take come from the data: a survey-only store knows its answers' touchpoints."""

from __future__ import annotations

import pytest

from cxgap.engine import Engine, Filters
from cxgap.engine.filters import checked, known_values
from cxgap.errors import CxgapError
from cxgap.io import ingest_records
from cxgap.store import Store


def test_a_survey_only_store_refuses_a_touchpoint_its_answers_do_not_hold(store: Store) -> None:
    answers = [
        {
            "response_id": f"R{i}",
            "responded_at": "2024-01-05",
            "survey_kind": "transactional",
            "nps": i % 11,
            "touchpoint": ("billing", "support")[i % 2],
        }
        for i in range(6)
    ]
    ingest_records(store, "responses", answers, "test")
    engine = Engine(store)
    assert known_values(engine)["touchpoint"] == ("billing", "support")
    assert checked(Filters(touchpoint="support"), engine).touchpoint == "support"
    with pytest.raises(
        CxgapError, match="touchpoint = 'suport' is not in the data; choose one of: billing, support"
    ):
        checked(Filters(touchpoint="suport"), engine)
    engine.close()


def _reviews(store: Store) -> None:
    reviews = [
        {"feedback_id": f"F{i}", "source": "review", "text": "fine stay", "channel": "tripadvisor"}
        | ({"received_at": f"2024-0{1 + i % 2}-10"} if i else {})
        for i in range(4)
    ]
    ingest_records(store, "feedback", reviews, "test")


def test_a_store_of_reviews_offers_their_channel_and_months_and_refuses_what_it_lacks(store: Store) -> None:
    """Feedback counts as data to filter by (it used not to: no channel offered, every typo accepted), and
    once anything is stored a value no record holds is refused, also for a kind of value none holds."""
    _reviews(store)
    engine = Engine(store)
    known = known_values(engine)
    assert (known["channel"], known["month"], known["touchpoint"]) == (
        ("tripadvisor",),
        ("2024-01", "2024-02"),
        (),
    )
    assert checked(Filters(channel="tripadvisor"), engine).channel == "tripadvisor"
    with pytest.raises(CxgapError, match="channel = 'web' is not in the data; choose one of: tripadvisor"):
        checked(Filters(channel="web"), engine)
    with pytest.raises(
        CxgapError, match="touchpoint = 'x' is not in the data: no stored record names a touchpoint"
    ):
        checked(Filters(touchpoint="x"), engine)
    engine.close()


def test_an_empty_store_refuses_no_filter_value_so_its_pages_explain_how_to_import(store: Store) -> None:
    engine = Engine(store)
    assert checked(Filters(channel="web", touchpoint="x"), engine).channel == "web"
    with pytest.raises(CxgapError, match="control character"):
        checked(Filters(channel="we\nb"), engine)
    engine.close()
