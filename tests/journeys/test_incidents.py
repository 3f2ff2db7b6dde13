"""Each incident trigger on both backends, on a store small enough to count by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from cxgap.config import ConfigError, Settings, demo_settings, settings_from_dict
from cxgap.engine import Engine
from cxgap.errors import CxgapError, NotFound
from cxgap.journeys import analyze_journeys, customer_journey, incident_events
from cxgap.store import Store

OLD = (
    (dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
    .replace(tzinfo=None)
    .isoformat(sep=" ", timespec="seconds")
)
ROWS = (
    "INSERT INTO customers (customer_id, segment, churned) VALUES ('C1', 'consumer', false), ('C2', 'consumer', false), ('C3', 'enterprise', false)",
    "INSERT INTO standards (touchpoint, metric, target, direction, unit) VALUES ('support', 'wait_seconds@call', 60, 'at_most', 'seconds')",
    "INSERT INTO interactions (interaction_id, customer_id, occurred_at, touchpoint, channel, kind, reason, wait_seconds, resolved) VALUES "
    "('I1', 'C1', '2025-01-01 09:00:00', 'support', 'phone', 'call', 'fault', 300, false),"  # long wait
    "('I2', 'C1', '2025-01-03 09:00:00', 'support', 'phone', 'call', 'fault', 30, true),"  # same reason 2 days later
    "('I3', 'C1', '2025-03-01 09:00:00', 'support', 'chat', 'chat', 'fault', 500, true),"  # a chat: no call standard
    "('I4', 'C2', '2025-01-01 09:00:00', 'support', 'phone', 'call', 'move', 90, true),"  # long wait
    "('I5', 'C2', '2025-01-04 09:00:00', 'support', 'phone', 'call', 'fault', 10, true),"  # other reason: no repeat
    "('I6', 'C3', '2025-01-01 09:00:00', 'billing', 'phone', 'call', 'bill_error', 20, true)",
    "INSERT INTO feedback (feedback_id, source, received_at, customer_id, touchpoint, rating, text) VALUES "
    "('F1', 'review', '2025-02-01 10:00:00', 'C2', 'support', 1, 'awful'), ('F2', 'review', '2025-02-01 10:00:00', 'C3', NULL, 5, 'great')",
    "INSERT INTO cases (case_id, created_at, customer_id, touchpoint, trigger_kind, status) VALUES "
    f"('K1', '{OLD}', 'C3', 'billing', 'response', 'open'), ('K2', '{OLD}', 'C1', 'support', 'response', 'resolved')",
)
RULES: dict[str, Any] = {
    "long_wait": {"when": "missed_standard", "standard": "wait_seconds@call", "touchpoints": ["support"]},
    "asked_again": {
        "when": "repeat_contact",
        "within_days": 3,
        "touchpoints": ["support"],
        "max_per_journey": 1,
    },
    "stuck_case": {"when": "open_case", "at_least": 7},
    "bad_review": {"source": "feedback", "column": "rating", "at_most": 2},
    "bill_error": {"column": "reason", "equals": "bill_error", "internal": True},
}


@pytest.fixture
def small(store: Store) -> Store:
    with store.begin() as conn:
        for sql in ROWS:
            conn.execute(sa.text(sql))
    return store


def _settings(incidents: dict[str, Any]) -> Settings:
    return settings_from_dict({"journeys": {"incidents": incidents}, "analysis": {"min_n": 2}})


def test_each_trigger_finds_exactly_its_records(small: Store) -> None:
    events = incident_events(Engine(small), _settings(RULES))
    assert events is not None
    found = pd.DataFrame(events.execute())
    got = sorted(zip(found.incident, found.customer_id, found.record_id, strict=True))
    assert got == [
        ("asked_again", "C1", "I2"),
        ("bad_review", "C2", "F1"),
        ("bill_error", "C3", "I6"),
        ("long_wait", "C1", "I1"),
        ("long_wait", "C2", "I4"),
        ("stuck_case", "C3", "K1"),
    ]
    internal = found[found.incident == "bill_error"].internal.tolist()
    assert internal == [True] and not found[found.incident != "bill_error"].internal.any()


def test_internal_failures_are_not_counted_and_caps_hold(small: Store) -> None:
    report = analyze_journeys(Engine(small), _settings(RULES))
    everyone = report.load[0]
    # C1: long_wait + asked_again; C2: long_wait + bad_review; C3: stuck_case (bill_error is internal)
    assert everyone.customers == 3 and everyone.mean.value == pytest.approx(5 / 3)
    assert everyone.shares["1"].value == pytest.approx(1 / 3) and everyone.shares["2"].value == pytest.approx(
        2 / 3
    )
    assert report.synergy.status == "insufficient data"  # no survey answers to measure damage on


def test_a_rule_naming_an_unknown_column_is_one_sentence(small: Store) -> None:
    with pytest.raises(
        CxgapError, match="journeys.incidents.odd: column = 'mood' is not a column of interactions"
    ):
        incident_events(Engine(small), _settings({"odd": {"column": "mood", "equals": 1}}))
    with pytest.raises(ConfigError, match="needs a column and exactly one of equals, at_most, at_least"):
        _settings({"odd": {"column": "resolved"}})
    with pytest.raises(ConfigError, match="not one of value, missed_standard, repeat_contact, open_case"):
        _settings({"odd": {"when": "sometimes"}})


def test_an_empty_store_says_there_are_no_interactions_to_follow(store: Store) -> None:
    report = analyze_journeys(Engine(store), demo_settings())
    assert report.synergy.status == "insufficient data" and report.upstream == ()
    assert not report.measured and report.load == () and report.repeats == ()
    assert len(report.notes) == 1 and report.notes[0].startswith("The store has no interactions yet")
    assert "interactions table" in report.notes[0]


def test_a_rule_whose_standard_is_missing_is_named(small: Store) -> None:
    report = analyze_journeys(Engine(small), demo_settings())
    assert report.measured
    assert any("late_visit" in note and "standards table" in note for note in report.notes)


def test_a_customers_journey_is_every_record_in_order_with_its_incidents(small: Store) -> None:
    journey = customer_journey(Engine(small), _settings(RULES), "C2")
    steps = [(e.source, e.record_id, e.incidents) for e in journey.events]
    assert steps == [
        ("interaction", "I4", ("long_wait",)),
        ("interaction", "I5", ()),
        ("feedback", "F1", ("bad_review",)),
    ]
    assert journey.incidents == 2 and journey.events[0].what == "call: move (resolved)"
    assert journey.events[2].what == "review rated 1" and list(journey.to_frame().columns)[:3] == [
        "at",
        "source",
        "record_id",
    ]
    c3 = customer_journey(Engine(small), _settings(RULES), "C3")
    assert [e.source for e in c3.events] == ["interaction", "feedback", "case"]
    with pytest.raises(NotFound, match="There is no customer 'C9'"):
        customer_journey(Engine(small), _settings(RULES), "C9")
