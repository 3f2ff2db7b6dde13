"""The outer loop: recurring root causes become systemic issues with owners, actions and audit lines."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from cxgap.cases import (
    CaseConflict,
    CaseNotFound,
    assign_issue,
    events,
    find_patterns,
    finish_issue,
    get_case,
    get_issue,
    issue_events,
    issues_frame,
    link_cases,
    list_issues,
    patterns_frame,
    plan_action,
    raise_issue,
    reopen_issue,
)
from cxgap.errors import CxgapError
from cxgap.store import Store

AT = dt.datetime(2026, 5, 1)


def _add_cases(store: Store, rows: list[tuple[str, str | None, str | None, str]]) -> None:
    """(case id, touchpoint, root cause, status) rows; customers C1..C3 in turn."""
    with store.begin() as conn:
        for i, (case_id, touchpoint, cause, status) in enumerate(rows):
            conn.execute(
                sa.text(
                    "INSERT INTO cases (case_id, created_at, customer_id, touchpoint, trigger_kind, status, "
                    "root_cause, team, version, reopen_count) "
                    "VALUES (:id, :at, :customer, :tp, 'response', :status, :cause, 'field', 1, 0)"
                ),
                {
                    "id": case_id,
                    "at": AT + dt.timedelta(hours=i),
                    "customer": f"C{i % 3 + 1}",
                    "tp": touchpoint,
                    "status": status,
                    "cause": cause,
                },
            )


@pytest.fixture
def clustered(store: Store) -> Store:
    """Six 'process' cases at installation, two 'staffing' at installation, three 'process' at support."""
    rows = [(f"K{i}", "installation", "process", "resolved") for i in range(6)]
    rows += [("S1", "installation", "staffing", "closed"), ("S2", "installation", "staffing", "resolved")]
    rows += [(f"P{i}", "support", "process", "closed") for i in range(3)]
    rows += [("X1", "installation", None, "open")]  # no root cause yet: in no pattern
    _add_cases(store, rows)
    return store


def test_patterns_group_cases_by_root_cause_and_touchpoint(clustered: Store) -> None:
    patterns = find_patterns(clustered, min_cases=3)
    assert [(p.root_cause, p.touchpoint, p.cases) for p in patterns] == [
        ("process", "installation", 6),
        ("process", "support", 3),
    ]
    top = patterns[0]
    assert top.customers == 3 and top.share.value == pytest.approx(6 / 8)
    assert top.share.low < 0.75 < top.share.high and top.share.n == 8
    frame = patterns_frame(patterns)
    assert list(frame.columns[-3:]) == ["share", "share_low", "share_high"]


def test_raising_an_issue_links_its_cases_and_logs_each_one(clustered: Store) -> None:
    issue = raise_issue(
        clustered, "lead", root_cause="process", touchpoint="installation", owner="dana", team="field"
    )
    assert issue.cases == 6 and issue.status == "open" and issue.version == 1
    assert issue.title == "Process failures at installation"
    assert get_case(clustered, "K0").issue_id == issue.issue_id
    assert get_case(clustered, "S1").issue_id is None and get_case(clustered, "P0").issue_id is None
    linked = [e for e in events(clustered, "K3") if e.action == "linked"]
    assert len(linked) == 1 and json.loads(linked[0].detail or "{}") == {"issue_id": issue.issue_id}
    assert [(p.root_cause, p.touchpoint) for p in find_patterns(clustered, min_cases=3)] == [
        ("process", "support")
    ]
    log = issue_events(clustered, issue.issue_id)
    assert [e.action for e in log] == ["raised", "linked"] and json.loads(log[1].detail or "{}") == {
        "cases": 6
    }


def test_one_active_issue_per_root_cause_and_touchpoint(clustered: Store) -> None:
    first = raise_issue(clustered, "lead", root_cause="process", touchpoint="installation")
    with pytest.raises(CaseConflict, match=f"{first.issue_id} already covers process at installation"):
        raise_issue(clustered, "lead", root_cause="process", touchpoint="installation")
    with pytest.raises(CxgapError, match="root_cause = 'gremlins' is not one of"):
        raise_issue(clustered, "lead", root_cause="gremlins", touchpoint=None, root_causes=("process",))
    with pytest.raises(CxgapError, match="gap_kind = 'vibes' is not one of perception"):
        raise_issue(
            clustered, "lead", root_cause="staffing", touchpoint="x", gap_kind="vibes", gap_subject="y"
        )


def test_an_issue_moves_from_open_to_acting_to_done_and_back(clustered: Store) -> None:
    s = clustered
    issue = raise_issue(s, "lead", root_cause="process", touchpoint="installation")
    with pytest.raises(CaseConflict, match="is open; it can be done only when acting"):
        finish_issue(s, issue.issue_id, "lead")
    planned = plan_action(
        s,
        issue.issue_id,
        "lead",
        action="Book visits with a 30-minute buffer",
        action_at=dt.datetime(2026, 6, 1),
        gap_kind="implementation",
        gap_subject="on_time_rate",
        version=issue.version,
    )
    assert planned.status == "acting" and planned.gap_subject == "on_time_rate" and planned.version == 2
    with pytest.raises(CaseConflict, match="changed since you read it"):
        assign_issue(s, issue.issue_id, "lead", owner="eve", version=issue.version)
    assert assign_issue(s, issue.issue_id, "lead", owner="eve").owner == "eve"
    done = finish_issue(s, issue.issue_id, "lead")
    assert done.status == "done" and done.done_at is not None
    again = reopen_issue(s, issue.issue_id, "cx")
    assert again.status == "acting" and again.done_at is None
    actions = [(e.actor, e.action) for e in issue_events(s, issue.issue_id)]
    assert actions == [
        ("lead", "raised"),
        ("lead", "linked"),
        ("lead", "planned"),
        ("lead", "assigned"),
        ("lead", "done"),
        ("cx", "reopened"),
    ]


def test_later_cases_are_linked_to_the_open_issue(clustered: Store) -> None:
    issue = raise_issue(clustered, "lead", root_cause="process", touchpoint="support")
    assert link_cases(clustered, issue.issue_id, "lead") == 0
    _add_cases(clustered, [("P9", "support", "process", "resolved")])
    assert link_cases(clustered, issue.issue_id, "lead") == 1
    assert get_issue(clustered, issue.issue_id).cases == 4


def test_lists_are_scoped_and_missing_issues_are_named(clustered: Store) -> None:
    raise_issue(clustered, "lead", root_cause="process", touchpoint="support", team="care")
    raise_issue(clustered, "lead", root_cause="staffing", touchpoint="installation", team="field")
    assert [i.team for i in list_issues(clustered, team="field")] == ["field"]
    assert len(list_issues(clustered, status="open")) == 2
    frame = issues_frame(list_issues(clustered))
    assert len(frame) == 2 and "cases" in frame.columns
    with pytest.raises(CaseNotFound, match="There is no systemic issue 'SI-nope'"):
        get_issue(clustered, "SI-nope")
    care = list_issues(clustered, team="care")[0]
    with pytest.raises(CaseNotFound, match="in team 'field'"):
        get_issue(clustered, care.issue_id, team="field")
    with pytest.raises(CxgapError, match="status = 'closed' is not one of open, acting, done"):
        list_issues(clustered, status="closed")


@pytest.mark.postgres
def test_the_issue_log_is_append_only_on_postgres(pg_url: str) -> None:
    with Store(pg_url) as s:
        _add_cases(s, [("K1", "installation", "process", "resolved")])
        issue = raise_issue(s, "lead", root_cause="process", touchpoint="installation")
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), s.begin() as conn:
            conn.execute(sa.text("DELETE FROM issue_events WHERE issue_id = :id"), {"id": issue.issue_id})
        assert len(issue_events(s, issue.issue_id)) == 2
