"""The workflow: every transition, its audit line, conflicts instead of lost updates, team scope."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from cxgap.cases import (
    CaseConflict,
    CaseNotFound,
    add_note,
    assign,
    events,
    get_case,
    list_cases,
    open_cases,
    record_follow_up,
    transition,
)
from cxgap.config import DEFAULT_ROOT_CAUSES
from cxgap.errors import CxgapError
from cxgap.store import Store
from tests.cases.conftest import NOW, ungrouped

CAUSES = tuple(DEFAULT_ROOT_CAUSES)


@pytest.fixture
def case_id(loop_store: Store) -> str:
    open_cases(loop_store, ungrouped(), now=NOW)
    return next(c.case_id for c in list_cases(loop_store) if c.trigger_id == "R1")


def test_a_case_goes_through_every_state_and_each_step_is_logged(loop_store: Store, case_id: str) -> None:
    s = loop_store
    assert transition(s, case_id, "start", "ana").status == "in_progress"
    assert add_note(s, case_id, "ana", "called the customer back").version == 2
    resolved = transition(s, case_id, "resolve", "ana", root_cause="staffing", root_causes=CAUSES)
    assert resolved.status == "resolved" and resolved.root_cause == "staffing" and resolved.resolved_at
    assert record_follow_up(s, case_id, "ana", 8).follow_up_score == 8
    assert transition(s, case_id, "close", "bob").closed_at is not None
    reopened = transition(s, case_id, "reopen", "bob", note="customer called again")
    assert reopened.status == "open" and reopened.reopen_count == 1 and reopened.closed_at is None
    assert assign(s, case_id, "lead", owner="cara").owner == "cara"
    log = [(e.actor, e.action, e.from_status, e.to_status) for e in events(s, case_id)]
    assert log == [
        ("rules", "created", None, "open"),
        ("ana", "started", "open", "in_progress"),
        ("ana", "noted", "in_progress", "in_progress"),
        ("ana", "resolved", "in_progress", "resolved"),
        ("ana", "follow_up", "resolved", "resolved"),
        ("bob", "closed", "resolved", "closed"),
        ("bob", "reopened", "closed", "open"),
        ("lead", "assigned", "open", "open"),
    ]
    details = [json.loads(e.detail) for e in events(s, case_id) if e.detail]
    assert {"note": "called the customer back"} in details and {"owner": "cara"} in details
    final = get_case(s, case_id)
    assert final.version == 7 and final.first_action_at is not None


def test_moves_the_state_does_not_allow_are_refused(loop_store: Store, case_id: str) -> None:
    with pytest.raises(CaseConflict, match="is open; it can be closed only when resolved"):
        transition(loop_store, case_id, "close", "ana")
    with pytest.raises(CxgapError, match="needs a root cause: one of staffing"):
        transition(loop_store, case_id, "resolve", "ana", root_causes=CAUSES)
    with pytest.raises(CxgapError, match="root_cause = 'gremlins' is not one of"):
        transition(loop_store, case_id, "resolve", "ana", root_cause="gremlins", root_causes=CAUSES)
    with pytest.raises(CaseConflict, match="can be follow_up only when resolved"):
        record_follow_up(loop_store, case_id, "ana", 9)
    assert [e.action for e in events(loop_store, case_id)] == ["created"]


def test_an_update_from_a_stale_read_is_refused_not_lost(loop_store: Store, case_id: str) -> None:
    read = get_case(loop_store, case_id)
    assign(loop_store, case_id, "ana", owner="ana", version=read.version)
    with pytest.raises(CaseConflict, match="changed since you read it"):
        assign(loop_store, case_id, "bob", owner="bob", version=read.version)
    assert get_case(loop_store, case_id).owner == "ana"


def test_a_team_scope_hides_other_teams_cases(loop_store: Store, case_id: str) -> None:
    assert get_case(loop_store, case_id, team="support").team == "support"
    with pytest.raises(CaseNotFound):
        get_case(loop_store, case_id, team="field_service")
    with pytest.raises(CaseNotFound):
        transition(loop_store, case_id, "start", "eve", team="field_service")
    assert get_case(loop_store, case_id).status == "open"


@pytest.mark.postgres
def test_the_audit_log_refuses_updates_and_deletes_on_postgres(pg_url: str) -> None:
    store = Store(pg_url)
    with store.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO case_events (event_id, case_id, happened_at, actor, action) "
                "VALUES ('e1', 'c1', now(), 'ana', 'noted')"
            )
        )
    for sql in ("UPDATE case_events SET actor = 'mallory'", "DELETE FROM case_events"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.begin() as conn:
            conn.execute(sa.text(sql))
    store.close()
