"""Rules open exactly the right cases, routed and due as configured, and never twice."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from cxgap.cases import events, list_cases, open_cases
from cxgap.config import Settings, demo_settings
from cxgap.store import Store
from tests.cases.conftest import NOW, ungrouped


def _routed(store: Store) -> dict[tuple[str, str], str | None]:
    """(rule, triggering record) -> team, for every case."""
    return {(c.rule or "", c.trigger_id or ""): c.team for c in list_cases(store, limit=1000)}


def test_each_rule_opens_one_case_per_matching_record(loop_store: Store) -> None:
    run = open_cases(loop_store, ungrouped(), now=NOW)
    assert run.opened == {"detractor": 2, "low_csat": 1, "negative_feedback": 1, "unresolved_interaction": 1}
    assert _routed(loop_store) == {
        ("detractor", "R1"): "support",
        ("detractor", "R3"): "key_accounts",  # the enterprise route comes first
        ("low_csat", "R3"): "field_service",
        ("negative_feedback", "F1"): "cx",
        ("unresolved_interaction", "I1"): "support",
    }


def test_a_second_run_opens_nothing_and_logs_each_case_once(loop_store: Store) -> None:
    open_cases(loop_store, ungrouped(), now=NOW)
    again = open_cases(loop_store, ungrouped(), now=NOW + dt.timedelta(hours=1))
    assert again.total == 0
    for case in list_cases(loop_store, limit=1000):
        log = events(loop_store, case.case_id)
        assert [(e.actor, e.action, e.to_status) for e in log] == [("rules", "created", "open")]
        assert case.status == "open" and case.version == 0


def test_deadlines_follow_each_rules_sla(loop_store: Store) -> None:
    open_cases(loop_store, ungrouped(), now=NOW)
    due = {c.rule: c.due_at - c.created_at for c in list_cases(loop_store, limit=1000)}
    assert due["detractor"] == dt.timedelta(hours=48) and due["unresolved_interaction"] == dt.timedelta(
        hours=24
    )


def test_an_older_since_reaches_back_and_only_named_rules_run(loop_store: Store) -> None:
    run = open_cases(loop_store, ungrouped(), now=NOW, since=dt.datetime(2020, 1, 1), only=("detractor",))
    assert run.opened == {"detractor": 3}  # R4 is two years old
    assert {c.trigger_id for c in list_cases(loop_store)} == {"R1", "R3", "R4"}


def test_configured_thresholds_and_touchpoints_are_honoured(loop_store: Store) -> None:
    settings = Settings.model_validate(
        {"cases": {"rules": {"harsh": {"when": "detractor", "at_most": 3, "touchpoints": ["support"]}}}}
    )
    run = open_cases(loop_store, settings, now=NOW)
    assert run.opened == {"harsh": 1}
    assert [c.trigger_id for c in list_cases(loop_store)] == ["R1"]


def test_cases_carry_what_they_are_about(loop_store: Store) -> None:
    open_cases(loop_store, demo_settings(), now=NOW)
    with loop_store.engine.connect() as conn:
        summary = conn.execute(
            sa.text("SELECT summary, customer_id, segment FROM cases WHERE trigger_id = 'R1'")
        ).one()
    assert tuple(summary) == ("NPS 3 (transactional): kept on hold", "C2", "consumer")


def test_named_records_are_the_only_ones_a_run_considers(loop_store: Store) -> None:
    """A webhook batch names the records it wrote; the rules look those up by key (R3 matches two rules)."""
    run = open_cases(loop_store, ungrouped(), now=NOW, records=["R3", "F2"], only=("detractor", "low_csat"))
    assert run.opened == {"detractor": 1, "low_csat": 1}
    assert sorted(run.triggers) == ["R3", "R3"]
    assert open_cases(loop_store, ungrouped(), now=NOW, records=[]).total == 0


def test_the_creation_event_names_rule_and_team_as_json(loop_store: Store) -> None:
    """A team with a quote in its name still gives a readable event (the detail is built as JSON)."""
    settings = Settings.model_validate(
        {"cases": {"rules": {"detractor": {"when": "detractor", "routes": [{"team": 'the "A" team'}]}}}}
    )
    open_cases(loop_store, settings, now=NOW)
    for case in list_cases(loop_store, limit=1000):
        (created,) = events(loop_store, case.case_id)
        assert json.loads(created.detail or "") == {"rule": "detractor", "team": 'the "A" team'}


def test_matching_records_without_a_date_are_counted_not_silently_skipped(loop_store: Store) -> None:
    with loop_store.begin() as conn:  # two one-star reviews of an export without dates, one five-star
        conn.execute(
            sa.text(
                "INSERT INTO feedback (feedback_id, source, received_at, customer_id, rating, text) VALUES "
                "('U1', 'review', NULL, NULL, 1, 'dirty room'), ('U2', 'review', NULL, NULL, 2, 'noisy'),"
                "('U3', 'review', NULL, NULL, 5, 'lovely')"
            )
        )
    run = open_cases(loop_store, ungrouped(), now=NOW)
    assert run.undated == {"negative_feedback": 2}
    assert run.opened["negative_feedback"] == 1  # the dated one-star review (F1) still opens its case
