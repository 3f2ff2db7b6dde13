"""The team lead's view, the systemic-issue board, an issue's page and notification preferences through
TestClient on a seeded demo (DuckDB only: see `store_url`): the figures are the services', roles and team scope hold,
every change carries its version and a stale one is refused with a reload, bad input is one sentence."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxgap import cases
from cxgap.cases.clock import loop_now
from cxgap.notify import preferences
from cxgap.notify.outbox import Outgoing, queue
from cxgap.web.loop.team import hours, share
from tests.api.signing import csrf
from tests.web.conftest import LoopApp


@pytest.fixture
def store_url(duckdb_url: str) -> str:
    """DuckDB only: these pages call services the case tests run on both backends, and the case page
    tests run on both (tests/web/test_case_pages.py)."""
    return duckdb_url


def _fresh_issue(loop_app: LoopApp, team: str, touchpoint: str) -> cases.IssueRecord:
    """A new issue of a team (a root cause at a touchpoint no active issue of the demo covers)."""
    return cases.raise_issue(
        loop_app.store,
        "ana",
        root_cause="staffing",
        touchpoint=touchpoint,
        team=team,
        title=f"{team} staffing",
    )


def _open_cases(loop_app: LoopApp, team: str) -> list[cases.CaseRecord]:
    return [
        c
        for status in ("open", "in_progress")
        for c in cases.list_cases(loop_app.store, team=team, status=status, limit=100_000)
    ]


def _post(client: TestClient, path: str, page: str, **fields: str) -> Any:
    return client.post(path, data={"csrf_token": csrf(page), **fields}, follow_redirects=False)


def test_a_team_lead_sees_their_team_figures_and_never_another_team(loop_app: LoopApp) -> None:
    lea = loop_app.client("lea")
    page = lea.get("/team")
    assert page.status_code == 200 and "<h2>Team support</h2>" in page.text
    dashboard = loop_app.app.state.dashboard  # type: ignore[attr-defined]
    now = loop_now(loop_app.store, loop_app.settings)
    report = cases.accountability(dashboard.engine, "team", team="support", now=now)
    (support,) = report.groups
    shown = dict(re.findall(r'<dd id="metric-(\w+)">([^<]*)</dd>', page.text))
    assert shown == {
        "cases": f"{support.cases:,}",
        "acted": share(support.acted_on),
        "unresolved": share(support.unresolved),
        "overdue": f"{support.overdue:,}",
        "reopened": share(support.reopened),
        "first": hours(support.hours_to_first_action),
        "resolve": hours(support.hours_to_resolve),
    }
    held = re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td>', page.text)
    assert sum(int(n) for _, n in held) == len(_open_cases(loop_app, "support")) > 0
    assert {o for o, _ in held} <= {"unassigned", "lea", "sam", "sue"}  # support's people only
    other = lea.get("/team?team=field_service")
    assert other.status_code == 403 and "only your own team's figures (support)" in html.unescape(other.text)
    assert "fay" not in lea.get("/team").text


def test_an_analyst_picks_any_team_and_an_unknown_one_is_one_sentence(loop_app: LoopApp) -> None:
    ana = loop_app.client("ana")
    page = ana.get("/team?team=field_service")
    assert page.status_code == 200 and "<h2>Team field_service</h2>" in page.text
    assert '<option value="support">' in page.text  # the team picker
    cx = ana.get("/team?team=cx").text
    assert "thank healthy customers" in cx  # the team's playbook, with its effect or why there is none
    assert "Effect against its holdout:" in cx
    bad = ana.get("/team?team=nobody")
    assert bad.status_code == 400 and "There is no team 'nobody'; choose one of" in html.unescape(bad.text)
    assert "Traceback" not in html.unescape(bad.text)


def test_an_analyst_raises_an_issue_from_a_pattern_plans_it_and_sees_its_effect(loop_app: LoopApp) -> None:
    now = loop_now(loop_app.store, loop_app.settings)
    support = [c for c in _open_cases(loop_app, "support") if c.touchpoint == "support"][:6]
    assert len(support) == 6, "the rules opened support cases on the demo"
    for case in support:  # support's people resolve six cases with one root cause: a pattern
        cases.transition(
            loop_app.store,
            case.case_id,
            "resolve",
            "sam",
            root_cause="staffing",
            root_causes=tuple(loop_app.settings.cases.root_causes),
            now=now,
        )
    found = cases.find_patterns(loop_app.store)
    assert found, "six resolved cases with one root cause at one touchpoint recur"
    pattern = found[0]
    ana = loop_app.client("ana")
    board = ana.get("/issues")
    assert 'class="loop-card pattern"' in board.text and "Raise the issue" in board.text
    gap = re.search(r'<option value="([^"]+)" selected>[^<]*\(suggested\)', board.text)
    assert gap, "the raise form suggests the gap to close"
    raised = _post(
        ana,
        "/issues",
        board.text,
        root_cause=pattern.root_cause,
        touchpoint=pattern.touchpoint or "",
        title="Callbacks get lost",
        owner="lea",
        team="support",
        action="Staff the callback queue",
        gap=gap.group(1),
    )
    assert raised.status_code == 303
    issue_path = raised.headers["location"]
    issue_id = issue_path.rsplit("/", 1)[1]
    page = ana.get(issue_path)
    assert page.status_code == 200 and "Callbacks get lost" in page.text
    assert f"Its cases ({pattern.cases})" in page.text
    assert page.text.count('<a href="/cases/') == min(pattern.cases, 100)  # its linked cases
    assert 'id="no-effect"' in page.text  # no date yet: no effect
    planned = _post(
        ana,
        f"{issue_path}/plan",
        page.text,
        version="1",
        action="Staff the callback queue",
        action_at="2025-07-01",
    )
    assert planned.status_code == 303
    page = ana.get(issue_path)
    issue = cases.get_issue(loop_app.store, issue_id)
    assert (
        issue.status == "acting"
        and issue.action_at is not None
        and issue.action_at.isoformat() == "2025-07-01T00:00:00"
    )
    engine = loop_app.app.state.dashboard.engine  # type: ignore[attr-defined]
    effect = cases.issue_effect(engine, loop_app.settings, issue)
    assert 'id="chart-issue-effect"' in page.text
    assert effect.sentence() in html.unescape(page.text)
    stale = _post(ana, f"{issue_path}/done", page.text, version="1")
    assert stale.status_code == 409 and "Someone else changed this issue" in html.unescape(stale.text)
    assert 'id="reload"' in html.unescape(stale.text)
    done = _post(ana, f"{issue_path}/done", page.text, version=str(issue.version), back="board")
    assert done.headers["location"] == "/issues"
    assert cases.get_issue(loop_app.store, issue_id).status == "done"
    log = [e.action for e in cases.issue_events(loop_app.store, issue_id)]
    assert log == ["raised", "linked", "planned", "done"]


def test_roles_and_team_scope_hold_on_the_board(loop_app: LoopApp) -> None:
    store = loop_app.store
    support = _fresh_issue(loop_app, "support", "billing")
    field = _fresh_issue(loop_app, "field_service", "installation")
    vic = loop_app.client("vic")
    board = vic.get("/issues").text
    assert support.issue_id in board and field.issue_id in board and "Raise the issue" not in board
    assert _post(vic, "/issues", board, root_cause="process").status_code == 403
    sam = loop_app.client("sam")
    mine = sam.get("/issues").text
    assert support.issue_id in mine and field.issue_id not in mine and 'id="patterns"' not in mine
    assert sam.get(f"/issues/{field.issue_id}").status_code == 404
    page = sam.get(f"/issues/{support.issue_id}").text
    assert 'id="issue-actions"' not in page
    refused = _post(sam, f"/issues/{support.issue_id}/assign", page, version="1", owner="sam")
    assert refused.status_code == 403
    lea = loop_app.client("lea")
    page = lea.get(f"/issues/{support.issue_id}").text
    assert 'id="issue-actions"' in page and 'id="assign-team"' not in page  # a lead keeps it in the team
    given = _post(lea, f"/issues/{support.issue_id}/assign", page, version="1", owner="sue")
    assert given.status_code == 303 and cases.get_issue(store, support.issue_id).owner == "sue"
    away = _post(lea, f"/issues/{support.issue_id}/assign", page, version="2", team="cx")
    assert away.status_code == 403
    flo = loop_app.client("flo")
    assert flo.get(f"/issues/{support.issue_id}").status_code == 404
    no_csrf = lea.post(f"/issues/{support.issue_id}/done", data={"version": "2"}, follow_redirects=False)
    assert no_csrf.status_code == 403


def test_bad_input_on_the_board_is_one_sentence(loop_app: LoopApp) -> None:
    issue = _fresh_issue(loop_app, "support", "billing")
    ana = loop_app.client("ana")
    page = ana.get(f"/issues/{issue.issue_id}").text
    path = f"/issues/{issue.issue_id}"
    bad_date = _post(ana, f"{path}/plan", page, version="1", action="Fix it", action_at="July")
    assert bad_date.status_code == 400 and "is not a date such as 2025-07-01" in html.unescape(bad_date.text)
    no_version = _post(ana, f"{path}/done", page)
    assert no_version.status_code == 400 and "lacks the issue's version" in html.unescape(no_version.text)
    unknown = _post(ana, f"{path}/explode", page, version="1")
    assert unknown.status_code == 400 and "'explode' is not something an issue can do" in html.unescape(
        unknown.text
    )
    wrong_state = _post(ana, f"{path}/done", page, version="1")
    assert wrong_state.status_code == 409 and "can be done only when acting" in html.unescape(
        wrong_state.text
    )
    bad_cause = _post(ana, "/issues", page, root_cause="gremlins", touchpoint="support")
    assert bad_cause.status_code == 400 and "root_cause = 'gremlins' is not one of" in html.unescape(
        bad_cause.text
    )
    assert ana.get("/issues/SI-nothing").status_code == 404


def test_each_person_sets_their_own_notification_preferences(loop_app: LoopApp) -> None:
    sam = loop_app.client("sam")
    page = sam.get("/notifications")
    assert page.status_code == 200 and 'name="case_due" value="now" checked' in page.text
    assert 'name="case_assigned" value="digest"' not in page.text  # only deadline events go in the digest
    saved = _post(
        sam, "/notifications", page.text, case_due="digest", playbook_run="off", case_assigned="now"
    )
    assert saved.status_code == 303
    chosen = {p.event: (p.enabled, p.in_digest) for p in preferences(loop_app.store, "sam")}
    assert chosen["case_due"] == (True, True) and chosen["playbook_run"] == (False, False)
    assert chosen["case_assigned"] == (True, False)
    again = sam.get("/notifications?saved=true").text
    assert 'name="case_due" value="digest" checked' in again and 'id="prefs-saved"' in again
    assert {p.event: p.enabled for p in preferences(loop_app.store, "lea")}["playbook_run"] is True
    bad = _post(sam, "/notifications", page.text, case_assigned="digest")
    assert bad.status_code == 400 and "'digest' is not a choice for case_assigned" in html.unescape(bad.text)
    assert sam.post("/notifications", data={"case_due": "off"}, follow_redirects=False).status_code == 403


def test_each_person_sees_only_the_messages_queued_for_them(loop_app: LoopApp) -> None:
    sam = loop_app.client("sam")
    assert 'id="no-deliveries"' in sam.get("/notifications").text
    now = loop_now(loop_app.store, loop_app.settings)
    rows = [
        Outgoing("case_overdue", "case-1", "sam", "email", "Case 1 is overdue", "body"),
        Outgoing("case_assigned", "case-2", "lea", "email", "Case 2 was assigned to support", "body"),
    ]
    with loop_app.store.begin() as conn:
        assert queue(conn, rows, now) == 2
    page = sam.get("/notifications").text
    assert "Case 1 is overdue" in page and "A case of mine is overdue" in page
    assert "Case 2 was assigned" not in page  # another person's message
    assert "Case 2 was assigned to support" in loop_app.client("lea").get("/notifications").text
