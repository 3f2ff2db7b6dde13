"""A case's history for people: triggers, the customer's other cases, events as objects and sentences."""

from __future__ import annotations

import datetime as dt

from cxgap.cases import (
    CaseEvent,
    add_note,
    assign,
    case_triggers,
    customer_cases,
    describe_event,
    detail_of,
    events,
    list_cases,
    open_cases,
    record_follow_up,
    transition,
)
from cxgap.config import demo_settings
from cxgap.store import Store
from tests.cases.conftest import NOW, ungrouped


def test_events_read_as_sentences_and_details_as_objects(loop_store: Store) -> None:
    open_cases(loop_store, demo_settings(), now=NOW)
    case = next(c for c in list_cases(loop_store) if c.customer_id == "C2")
    at = NOW + dt.timedelta(hours=1)
    transition(loop_store, case.case_id, "start", "sam", now=at)
    add_note(loop_store, case.case_id, "sam", "called back", now=at)
    assign(loop_store, case.case_id, "lead", owner="ana", team="cx", now=at)
    transition(loop_store, case.case_id, "resolve", "ana", root_cause="staffing", now=at)
    record_follow_up(loop_store, case.case_id, "ana", 9, now=at)
    log = events(loop_store, case.case_id)
    sentences = [describe_event(e) for e in log]
    assert sentences[0] == "rules opened the case by rule detractor for team support"
    assert sentences[-5:] == [
        "sam started the case",
        'sam added a note: "called back"',
        "lead assigned it to team cx and ana",
        "ana resolved it: root cause staffing",
        "ana recorded the customer's follow-up: 9",
    ]
    assert detail_of(log[-4]) == {"note": "called back"}
    assert detail_of(log[-5]) == {} and isinstance(log[-4].detail, str)  # the stored JSON text stays


def test_a_detail_that_is_not_json_is_kept_as_text() -> None:
    event = CaseEvent("e", "c", NOW, "import", "noted", None, None, "legacy text")
    assert (
        detail_of(event) == {"text": "legacy text"}
        and describe_event(event) == "import added a note (legacy text)"
    )


def test_triggers_and_a_customers_other_cases_within_a_scope(loop_store: Store) -> None:
    open_cases(loop_store, ungrouped(), now=NOW)
    c1 = customer_cases(loop_store, "C1", scope=None)
    assert sorted(c.team or "" for c in c1) == ["field_service", "key_accounts"]
    assert [c.team for c in customer_cases(loop_store, "C1", scope="field_service")] == ["field_service"]
    transition(loop_store, c1[0].case_id, "resolve", "ana", root_cause="other", now=NOW)
    assert len(customer_cases(loop_store, "C1", scope=None)) == 1
    assert len(customer_cases(loop_store, "C1", scope=None, open_only=False)) == 2
    (trigger,) = case_triggers(loop_store, c1[1].case_id)
    assert (trigger.trigger_id, trigger.added_at) == ("R3", NOW) and trigger.summary
