"""What a slice holds and which filter values the store allows: the checks a command and the pages make
before they measure anything."""

from __future__ import annotations

import pytest

from cxgap.config import demo_settings
from cxgap.engine import ALL, Engine, Filters
from cxgap.engine.filters import checked, known_values, slice_rows
from cxgap.errors import CxgapError


def test_the_allowed_values_are_the_stores_and_the_configured_touchpoints(demo_engine: Engine) -> None:
    touchpoints = ("sales", "support", "a_configured_but_unused_touchpoint")
    known = known_values(demo_engine, touchpoints)
    assert set(known["segment"]) == {"consumer", "small_business", "enterprise"}
    assert {"phone", "email", "chat"} <= set(known["channel"])
    assert set(touchpoints) <= set(known["touchpoint"]) and "installation" in known["touchpoint"]


def test_a_value_the_store_does_not_hold_is_refused_with_what_is_allowed(demo_engine: Engine) -> None:
    with pytest.raises(CxgapError, match=r"segment = 'nope' is not in the data; choose one of: consumer"):
        checked(Filters(segment="nope"), demo_engine)
    allowed = Filters(segment="enterprise", channel="chat", touchpoint="support")
    assert checked(allowed, demo_engine, demo_settings().touchpoints) is allowed
    assert checked(ALL, demo_engine) is ALL


def test_a_slice_counts_its_answers_feedback_and_interactions(demo_engine: Engine) -> None:
    whole = slice_rows(demo_engine, ALL)
    assert whole["responses"] == demo_engine.table("responses").count().execute()
    assert whole["feedback"] == demo_engine.table("feedback").count().execute()
    events = demo_engine.table("interactions").count().execute()
    assert whole["interactions"] == events
    assert slice_rows(demo_engine, Filters(since="2030-01")) == {
        "responses": 0,
        "feedback": 0,
        "interactions": 0,
    }
    one = slice_rows(demo_engine, Filters(segment="enterprise", channel="chat", touchpoint="support"))
    assert 0 < one["responses"] < whole["responses"] and 0 < one["interactions"] < events
