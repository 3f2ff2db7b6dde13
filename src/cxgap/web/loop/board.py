"""The systemic-issue board: recurring root causes per touchpoint (with "raise an issue"), the issues in
columns open / acting / done, and each issue's page with its cases, history and the effect of its action
on the gap it should close (before/after and the difference in differences, as a chart).

Everyone signed in reads the board (a team lead or member only their team's issues, and no patterns, which
span teams); analysts and admins raise and move issues, and a team lead moves their own team's. Every form
carries the version it was read at: a stale one answers "someone else changed it" with a reload.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxgap import cases
from cxgap.access import Forbidden, Principal
from cxgap.api.auth import ANALYSTS, User, check_csrf, form_fields
from cxgap.api.dashboard import Dashboard
from cxgap.api.routes import Board
from cxgap.cases.clock import loop_now
from cxgap.engine.filters import ALL
from cxgap.errors import CxgapError
from cxgap.gaps import Gap
from cxgap.report.effect_chart import effect_chart
from cxgap.web.loop.page import loop_page
from cxgap.web.pages.chart_view import chart

router = APIRouter()
Fields = Annotated[dict[str, str], Depends(form_fields)]
MOVES = ("plan", "assign", "done", "reopen")
STALE = "Someone else changed this issue since you opened it; reload to see it as it is now, then try again."


def may_change(who: Principal, issue: cases.IssueRecord | None = None) -> bool:
    """Analysts and admins change any issue; a team lead their own team's."""
    if who.role in ANALYSTS:
        return True
    return who.role == "team_lead" and issue is not None and issue.team == who.team


def gap_choices(dashboard: Dashboard, touchpoint: str | None) -> list[Gap]:
    """The gaps an issue at this touchpoint may close, the likeliest (`suggest_gap`) first."""
    report = dashboard.gaps(ALL)
    first = cases.suggest_gap(report, touchpoint)
    rest = [g for g in report.act_first(limit=1000) if g.touchpoint == touchpoint and g.segment is None]
    return ([first] if first else []) + [g for g in rest if g is not first]


def gap_of(value: str) -> tuple[str | None, str | None]:
    """A gap picked in a form ('kind|subject'; empty: none) as (kind, subject)."""
    if not value:
        return None, None
    kind, _, subject = value.partition("|")
    return kind, subject or None


@router.get("/issues", response_class=HTMLResponse)
def board(request: Request, dashboard: Board, who: User) -> HTMLResponse:
    """Recurring root causes with "raise an issue", and the issues by status."""
    issues = cases.list_issues(dashboard.store, team=who.scope)
    columns = [(s, [i for i in issues if i.status == s]) for s in cases.ISSUE_STATUSES]
    patterns = [] if who.scope else cases.find_patterns(dashboard.store)
    raising = who.role in ANALYSTS
    return loop_page(
        request,
        dashboard,
        "loop_board.html.j2",
        "/issues",
        title="Issues",
        columns=columns,
        patterns=patterns,
        gap_options={p.touchpoint: gap_choices(dashboard, p.touchpoint) for p in patterns} if raising else {},
        raising=raising,
        may_change=lambda issue: may_change(who, issue),
        scope=who.scope,
        root_causes=dashboard.settings.cases.root_causes,
    )


@router.post("/issues")
def raise_issue(request: Request, dashboard: Board, who: User, fields: Fields) -> Response:
    """Raise an issue from a pattern: its title, owner, team, action and the gap it should close."""
    check_csrf(request, fields)
    if not may_change(who):
        raise Forbidden("Only analysts and admins raise systemic issues.")
    kind, subject = gap_of(fields.get("gap", ""))
    with dashboard.writing():
        issue = cases.raise_issue(
            dashboard.store,
            who.user_id,
            root_cause=fields.get("root_cause", ""),
            touchpoint=fields.get("touchpoint") or None,
            title=fields.get("title", "").strip() or None,
            owner=fields.get("owner", "").strip() or None,
            team=fields.get("team", "").strip() or None,
            action=fields.get("action", "").strip() or None,
            gap_kind=kind,
            gap_subject=subject,
            root_causes=tuple(dashboard.settings.cases.root_causes),
        )
    return RedirectResponse(f"/issues/{issue.issue_id}", status_code=303)


def readable(event: cases.IssueEvent) -> str:
    """One line of an issue's history: what changed, in words."""
    try:
        detail = json.loads(event.detail) if event.detail else {}
    except ValueError:
        detail = {"detail": event.detail}
    if not isinstance(detail, dict):
        detail = {"detail": detail}
    shown = {k: v for k, v in detail.items() if k not in ("issue_id", "created_at", "updated_at", "version")}
    parts = [f"{k.replace('_', ' ')}: {v}" for k, v in shown.items() if v not in (None, "")]
    return "; ".join(parts)


def issue_cases(dashboard: Dashboard, issue: cases.IssueRecord, scope: str | None) -> list[cases.CaseRecord]:
    """The cases linked to the issue (within the reader's team), newest first."""
    return cases.list_cases(dashboard.store, team=scope, issue_id=issue.issue_id, limit=1_000_000)


def effect_of(dashboard: Dashboard, issue: cases.IssueRecord) -> dict[str, Any] | None:
    """The effect chart of an issue whose action is planned and whose gap is named (None before)."""
    if issue.action_at is None or issue.gap_kind is None:
        return None
    now = cases.loop_now(dashboard.store, dashboard.settings)
    effect = cases.issue_effect(dashboard.engine, dashboard.settings, issue, now=now)
    return chart(effect_chart(effect), effect.sentence())


def issue_page(
    request: Request,
    dashboard: Dashboard,
    who: Principal,
    issue_id: str,
    problem: str = "",
    status: int = 200,
) -> HTMLResponse:
    """The issue, its actions (for who may change it), its cases, history and effect."""
    issue = cases.get_issue(dashboard.store, issue_id, who.scope)
    linked = issue_cases(dashboard, issue, who.scope)
    changing = may_change(who, issue)
    return loop_page(
        request,
        dashboard,
        "loop_issue.html.j2",
        f"/issues/{issue_id}",
        title=f"Issue {issue.issue_id}",
        status=status,
        issue=issue,
        cases=linked[:100],
        total=len(linked),
        history=[(e, readable(e)) for e in cases.issue_events(dashboard.store, issue_id)],
        effect=effect_of(dashboard, issue),
        changing=changing,
        team_lead=who.role == "team_lead",
        gap_options=gap_choices(dashboard, issue.touchpoint) if changing else [],
        problem=problem,
        now=loop_now(dashboard.store, dashboard.settings),
    )


@router.get("/issues/{issue_id}", response_class=HTMLResponse)
def show_issue(request: Request, dashboard: Board, who: User, issue_id: str) -> HTMLResponse:
    """One issue: its plan, owner, cases, history and the effect of its action on its gap."""
    return issue_page(request, dashboard, who, issue_id)


def version_of(fields: dict[str, str]) -> int:
    """The version a form was read at (every form carries one)."""
    try:
        return int(fields.get("version", ""))
    except ValueError:
        raise CxgapError("The form lacks the issue's version; reload the page and try again.") from None


def action_date(text: str) -> dt.datetime:
    """The action's date from the form (YYYY-MM-DD), as midnight of that day."""
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text.strip()), dt.time(0))
    except ValueError:
        raise CxgapError(f"The action's date '{text[:20]}' is not a date such as 2025-07-01.") from None


def move(
    dashboard: Dashboard, who: Principal, issue: cases.IssueRecord, how: str, fields: dict[str, str]
) -> None:
    """Apply one change from a form: plan, assign, done or reopen, at the version the form was read."""
    version, store, actor = version_of(fields), dashboard.store, who.user_id
    if how == "plan":
        kind, subject = gap_of(fields.get("gap", ""))
        cases.plan_action(
            store,
            issue.issue_id,
            actor,
            action=fields.get("action", ""),
            action_at=action_date(fields.get("action_at", "")),
            gap_kind=kind,
            gap_subject=subject,
            version=version,
        )
    elif how == "assign":
        team = fields.get("team", "").strip() or None
        if who.role not in ANALYSTS and team not in (None, who.team):
            raise Forbidden(f"A team lead gives issues to people of their own team ({who.team}).")
        owner = fields.get("owner", "").strip() or None
        cases.assign_issue(store, issue.issue_id, actor, owner=owner, team=team, version=version)
    elif how == "done":
        cases.finish_issue(store, issue.issue_id, actor, version=version)
    else:
        cases.reopen_issue(store, issue.issue_id, actor, version=version)


@router.post("/issues/{issue_id}/{how}", response_model=None)
def change_issue(
    request: Request, dashboard: Board, who: User, issue_id: str, how: str, fields: Fields
) -> Response:
    """Plan, assign, finish or reopen an issue; a stale version shows the issue as it is now, saying so."""
    check_csrf(request, fields)
    if how not in MOVES:
        raise CxgapError(f"'{how}' is not something an issue can do; choose {', '.join(MOVES)}.")
    issue = cases.get_issue(dashboard.store, issue_id, who.scope)
    if not may_change(who, issue):
        raise Forbidden("Only analysts, admins and the issue's team lead change a systemic issue.")
    try:
        with dashboard.writing():
            move(dashboard, who, issue, how, fields)
    except cases.CaseConflict as error:
        stale = "changed since you read it" in str(error)
        return issue_page(request, dashboard, who, issue_id, STALE if stale else str(error), 409)
    back = "/issues" if fields.get("back") == "board" else f"/issues/{issue_id}"
    return RedirectResponse(back, status_code=303)
