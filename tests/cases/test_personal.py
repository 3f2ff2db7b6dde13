"""Personal data typed into the closed loop (notes, owners, teams, titles, actions, the actor named with
--as, route owners in cxgap.toml) is redacted before it is stored: in the columns of cases and systemic
issues and in the details their append-only logs copy, on both backends, through the domain and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cxgap.cases import (
    add_note,
    assign,
    assign_issue,
    events,
    finish_issue,
    get_case,
    issue_events,
    link_cases,
    list_cases,
    open_cases,
    plan_action,
    raise_issue,
    record_follow_up,
    reopen_issue,
    transition,
)
from cxgap.config import DEFAULT_ROOT_CAUSES, demo_settings, settings_from_dict
from cxgap.store import Store
from tests.cases.conftest import NOW, ROWS, ungrouped
from tests.cases.typed import TEAM, TYPED, add_named_customer, assert_no_personal_data, redacted

CAUSES = tuple(DEFAULT_ROOT_CAUSES)


@pytest.fixture
def case_id(loop_store: Store) -> str:
    """The support detractor's case, in a store that knows the customer named in `TYPED`."""
    add_named_customer(loop_store)
    open_cases(loop_store, ungrouped(), now=NOW)
    return next(c.case_id for c in list_cases(loop_store) if c.trigger_id == "R1")


def _notes(store: Store, case_id: str) -> list[str]:
    return [json.loads(e.detail)["note"] for e in events(store, case_id) if e.detail and "note" in e.detail]


def test_notes_owners_teams_and_the_actor_of_a_case_are_stored_redacted(
    loop_store: Store, case_id: str
) -> None:
    s = loop_store
    transition(s, case_id, "start", TYPED, note=TYPED)
    add_note(s, case_id, "ana", TYPED)
    moved = assign(s, case_id, "ana", owner=TYPED, team=TEAM)
    assert redacted(moved.owner) and moved.team == "[EMAIL]"
    transition(s, case_id, "resolve", "ana", root_cause="staffing", root_causes=CAUSES, note=TYPED)
    record_follow_up(s, case_id, "ana", 9)
    transition(s, case_id, "close", "ana", note=TYPED)
    transition(s, case_id, "reopen", "ana", note=TYPED)
    assert get_case(s, case_id).root_cause == "staffing"  # a configured code is left as it is
    notes = _notes(s, case_id)
    assert len(notes) == 5 and all(redacted(n) for n in notes)
    log = events(s, case_id)
    assert redacted(log[1].actor) and [e.actor for e in log[2:]] == ["ana"] * 6
    assigned = json.loads(log[3].detail or "{}")
    assert redacted(assigned["owner"]) and assigned["team"] == "[EMAIL]"
    assert_no_personal_data(s)


def test_a_root_cause_no_configured_list_checks_is_redacted_too(loop_store: Store, case_id: str) -> None:
    resolved = transition(loop_store, case_id, "resolve", "ana", root_cause=TEAM)
    assert resolved.root_cause == "[EMAIL]"
    assert json.loads(events(loop_store, case_id)[-1].detail or "{}") == {"root_cause": "[EMAIL]"}
    assert_no_personal_data(loop_store)


def test_titles_actions_owners_and_the_actor_of_an_issue_are_stored_redacted(
    loop_store: Store, case_id: str
) -> None:
    s = loop_store
    transition(s, case_id, "resolve", "ana", root_cause="staffing", root_causes=CAUSES)
    issue = raise_issue(
        s,
        TYPED,
        root_cause="staffing",
        touchpoint="support",
        title=TYPED,
        owner=TYPED,
        team=TEAM,
        action=TYPED,
        root_causes=CAUSES,
    )
    assert issue.cases == 1 and redacted(issue.title) and redacted(issue.owner) and redacted(issue.action)
    assert issue.team == "[EMAIL]" and issue.root_cause == "staffing" and issue.touchpoint == "support"
    planned = plan_action(
        s,
        issue.issue_id,
        "ana",
        action=TYPED,
        action_at=dt.datetime(2026, 6, 1),
        gap_kind="implementation",
        gap_subject="wait_seconds@call",
    )
    assert redacted(planned.action)
    assert planned.gap_subject == "wait_seconds@call"  # an identifier the gap engine must match, kept
    assert redacted(assign_issue(s, issue.issue_id, "ana", owner=TYPED, team=TEAM).owner)
    link_cases(s, issue.issue_id, TYPED)
    reopen_issue(s, finish_issue(s, issue.issue_id, "ana").issue_id, "ana")
    log = issue_events(s, issue.issue_id)
    raised = json.loads(log[0].detail or "{}")
    assert all(redacted(raised[k]) for k in ("title", "owner", "action")) and raised["team"] == "[EMAIL]"
    assert redacted(log[0].actor) and redacted(events(s, case_id)[-1].actor)  # the case's 'linked' line
    assert_no_personal_data(s)


def test_a_route_owner_typed_into_the_configuration_is_stored_redacted(loop_store: Store) -> None:
    add_named_customer(loop_store)
    route = {"team": TEAM, "owner": TYPED}
    settings = settings_from_dict(
        {"cases": {"rules": {"detractor": {"when": "detractor", "routes": [route]}}}}
    )
    assert open_cases(loop_store, settings, now=NOW).total == 2
    for case in list_cases(loop_store):
        assert redacted(case.owner) and case.team == "[EMAIL]"
        assert json.loads(events(loop_store, case.case_id)[0].detail or "{}")["team"] == "[EMAIL]"
    assert_no_personal_data(loop_store)


def test_what_is_typed_on_the_command_line_is_stored_redacted(
    cli: Callable[..., Any], store_url: str, tmp_path: Path
) -> None:
    (tmp_path / "cxgap.toml").write_text(f'[store]\nurl = "{store_url}"\n', encoding="utf-8")
    with Store(store_url) as store:
        with store.begin() as conn:
            for sql in ROWS:
                conn.execute(sa.text(sql))
        add_named_customer(store)
        open_cases(store, demo_settings(), now=NOW)
        case_id = next(c.case_id for c in list_cases(store) if c.trigger_id == "R1")
    assert cli("cases", "note", case_id, TYPED, "--as", TYPED).exit_code == 0
    assert cli("cases", "act", case_id, "start", "--note", TYPED).exit_code == 0
    assert cli("cases", "assign", case_id, "--owner", TYPED, "--team", TEAM).exit_code == 0
    resolved = cli("cases", "act", case_id, "resolve", "--root-cause", "staffing", "--note", TYPED)
    assert resolved.exit_code == 0
    typed = ("--title", TYPED, "--owner", TYPED, "--team", TEAM, "--action", TYPED, "--as", TYPED)
    raised = cli("issues", "raise", "staffing", "support", *typed)
    assert raised.exit_code == 0 and "(1 cases linked)" in raised.stdout
    issue_id = re.search(r"Raised (SI-\w+)", raised.stdout).group(1)  # type: ignore[union-attr]
    assert cli("issues", "plan", issue_id, TYPED, "--at", "2026-06-01").exit_code == 0
    assert cli("issues", "assign", issue_id, "--owner", TYPED).exit_code == 0
    with Store(store_url) as store:
        values = assert_no_personal_data(store)
    assert {(table, column) for table, column, value in values if redacted(value)} >= {
        ("cases", "owner"),
        ("case_events", "actor"),
        ("case_events", "detail"),
        ("systemic_issues", "title"),
        ("systemic_issues", "owner"),
        ("systemic_issues", "action"),
        ("issue_events", "actor"),
        ("issue_events", "detail"),
    }
