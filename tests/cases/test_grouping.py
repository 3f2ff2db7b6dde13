"""Customer grouping: a customer's records open one case with several triggers, never a record twice."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from cxgap.cases import case_triggers, describe_event, events, get_case, list_cases, open_cases, transition
from cxgap.config import Settings, demo_settings
from cxgap.store import Store
from tests.cases.conftest import NOW, RECENT, ungrouped


def _triggers(store: Store) -> dict[str | None, list[tuple[str, str]]]:
    """customer -> (rule, record) of every trigger of their cases, in order."""
    found: dict[str | None, list[tuple[str, str]]] = {}
    for case in list_cases(store, limit=1000):
        found.setdefault(case.customer_id, []).extend(
            (t.rule, t.trigger_id) for t in case_triggers(store, case.case_id)
        )
    return found


def _rows(store: Store, *sql: str) -> None:
    with store.begin() as conn:
        for statement in sql:
            conn.execute(sa.text(statement))


def test_a_customers_answer_and_unresolved_call_open_one_case_with_both_triggers(loop_store: Store) -> None:
    run = open_cases(loop_store, demo_settings(), now=NOW)
    assert run.opened == {"detractor": 2, "low_csat": 0, "negative_feedback": 0, "unresolved_interaction": 0}
    assert run.joined == {"detractor": 0, "low_csat": 1, "negative_feedback": 1, "unresolved_interaction": 1}
    cases = {c.customer_id: c for c in list_cases(loop_store, limit=1000)}
    assert set(cases) == {"C1", "C2"} and cases["C2"].trigger_id == "R1"
    assert _triggers(loop_store) == {
        "C1": [("detractor", "R3"), ("low_csat", "R3")],
        "C2": [("detractor", "R1"), ("negative_feedback", "F1"), ("unresolved_interaction", "I1")],
    }
    log = [describe_event(e) for e in events(loop_store, cases["C2"].case_id)]
    assert log[0] == "rules opened the case by rule detractor for team support"
    assert "rules added a trigger: review rated 1: the app logs me out" in log
    assert "rules added a trigger: Unresolved call" in log and len(log) == 3
    again = open_cases(loop_store, demo_settings(), now=NOW + dt.timedelta(hours=1))
    assert (again.total, again.total_joined) == (0, 0)
    assert len(events(loop_store, cases["C2"].case_id)) == 3


def test_a_later_record_joins_the_open_case_and_a_resolved_case_is_not_joined(loop_store: Store) -> None:
    first = open_cases(loop_store, demo_settings(), now=NOW, only=("detractor",))
    assert first.opened == {"detractor": 2}
    joined = open_cases(loop_store, demo_settings(), now=NOW, only=("unresolved_interaction",))
    assert (joined.opened, joined.joined) == ({"unresolved_interaction": 0}, {"unresolved_interaction": 1})
    (c2,) = [c for c in list_cases(loop_store) if c.customer_id == "C2"]
    transition(loop_store, c2.case_id, "resolve", "ana", root_cause="process", now=NOW)
    later = "2026-05-31 10:00:00"
    _rows(
        loop_store,
        "INSERT INTO interactions (interaction_id, customer_id, occurred_at, touchpoint, kind, resolved) "
        f"VALUES ('I9', 'C2', '{later}', 'support', 'chat', false)",
    )
    fresh = open_cases(loop_store, demo_settings(), now=NOW, only=("unresolved_interaction",))
    assert fresh.opened == {"unresolved_interaction": 1}  # C2's only case is resolved: a new one opens
    assert get_case(loop_store, c2.case_id).status == "resolved"


def test_one_rules_records_of_one_customer_open_one_case_led_by_the_earliest(loop_store: Store) -> None:
    _rows(
        loop_store,
        "INSERT INTO responses (response_id, customer_id, responded_at, survey_kind, touchpoint, nps) VALUES "
        "('R0', 'C2', '2026-05-29 08:00:00', 'relational', NULL, 2)",
        "INSERT INTO feedback (feedback_id, source, received_at, customer_id, rating, text) VALUES "
        f"('F8', 'review', '{RECENT}', NULL, 1, 'slow'), ('F9', 'review', '{RECENT}', NULL, 2, 'rude')",
    )
    run = open_cases(loop_store, demo_settings(), now=NOW, only=("detractor", "negative_feedback"))
    assert run.opened == {"detractor": 2, "negative_feedback": 2}  # records without a customer stay apart
    found = _triggers(loop_store)
    assert found["C2"] == [("detractor", "R0"), ("detractor", "R1"), ("negative_feedback", "F1")]
    assert sorted(found[None]) == [("negative_feedback", "F8"), ("negative_feedback", "F9")]


def test_a_rule_that_does_not_group_opens_a_case_per_record_and_is_not_joined(loop_store: Store) -> None:
    settings = Settings.model_validate(
        {
            "cases": {
                "rules": {
                    "detractor": {"when": "detractor", "group_by_customer": False},
                    "unresolved": {"when": "unresolved_interaction", "touchpoints": ["support"]},
                }
            }
        }
    )
    run = open_cases(loop_store, settings, now=NOW)
    assert run.opened == {"detractor": 2, "unresolved": 1} and run.total_joined == 0
    assert sorted(_triggers(loop_store)["C2"]) == [("detractor", "R1"), ("unresolved", "I1")]


def test_cases_opened_before_triggers_were_kept_are_not_taken_up_again(loop_store: Store) -> None:
    """A store migrated from before 0011: one case per record, no trigger rows. Each record is recognised
    by its case's derived id, so grouping does not make it join a case, or open one, again."""
    assert open_cases(loop_store, ungrouped(), now=NOW).total == 5
    _rows(loop_store, "DELETE FROM case_triggers")
    again = open_cases(loop_store, demo_settings(), now=NOW)
    assert (again.total, again.total_joined) == (0, 0)
