"""The outer-loop API (/api/issues): recurring root causes, systemic issues with owners and actions, and the
effect of each action on the gap it should close.

Analysts and admins raise and move issues; viewers read; team members read their team's issues only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from cxgap import cases
from cxgap.api.loop import ANALYSTS, Assignment, User
from cxgap.api.results import plain
from cxgap.api.routes import Board

GapKind = Literal["perception", "knowledge", "design", "implementation", "communication", "customer"]
READERS = (*ANALYSTS, "viewer", "team_lead", "team_member")


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def issue_json(record: cases.IssueRecord) -> dict[str, Any]:
    """An issue as JSON."""
    return dict(plain(asdict(record)))


class NewIssue(BaseModel):
    """A systemic issue: the root cause and touchpoint whose cases it groups, who owns it, what to do."""

    model_config = ConfigDict(extra="forbid")
    root_cause: str = Field(min_length=1, max_length=64, description="One of [cases] root_causes.")
    touchpoint: str | None = Field(None, min_length=1, max_length=64)
    title: str | None = Field(None, min_length=1, max_length=500)
    owner: str | None = Field(None, min_length=1, max_length=128)
    team: str | None = Field(None, min_length=1, max_length=64)
    action: str | None = Field(None, min_length=1, max_length=10_000)
    gap_kind: GapKind | None = None
    gap_subject: str | None = Field(None, min_length=1, max_length=128, description="As in /api/gaps.")


class Plan(BaseModel):
    """The improvement action, when it takes effect, and the gap it should close."""

    model_config = ConfigDict(extra="forbid")
    action: str = Field(min_length=1, max_length=10_000)
    action_at: dt.datetime
    gap_kind: GapKind | None = None
    gap_subject: str | None = Field(None, min_length=1, max_length=128)
    version: int | None = Field(None, ge=0, description="The version you read; a newer one answers 409.")


class Version(BaseModel):
    """The version you read (optional)."""

    model_config = ConfigDict(extra="forbid")
    version: int | None = Field(None, ge=0)


router = APIRouter(prefix="/api/issues", tags=["outer loop"])


@router.get("/patterns")
def patterns(
    dashboard: Board,
    user: User,
    min_cases: Annotated[int, Query(ge=1, le=100_000)] = 5,
) -> list[dict[str, Any]]:
    """Root cause x touchpoint groups of cases not yet in an issue, largest first, with their share."""
    user.require(*ANALYSTS, "viewer")
    return [plain(asdict(p)) for p in cases.find_patterns(dashboard.store, min_cases=min_cases)]


@router.get("")
def list_issues(
    dashboard: Board,
    user: User,
    status: Literal["open", "acting", "done"] | None = None,
) -> list[dict[str, Any]]:
    """Systemic issues, newest first; a team member sees only their team's."""
    user.require(*READERS)
    return [issue_json(i) for i in cases.list_issues(dashboard.store, status=status, team=user.scope)]


@router.post("")
def raise_issue(dashboard: Board, user: User, body: NewIssue) -> dict[str, Any]:
    """Raise an issue and link its cases (409 when one is already open for that root cause and touchpoint)."""
    user.require(*ANALYSTS)
    with dashboard.writing():
        record = cases.raise_issue(
            dashboard.store,
            user.user_id,
            **body.model_dump(),
            root_causes=tuple(dashboard.settings.cases.root_causes),
        )
    return issue_json(record)


@router.get("/{issue_id}")
def get_issue(dashboard: Board, user: User, issue_id: str) -> dict[str, Any]:
    """One issue with its audit log."""
    user.require(*READERS)
    record = cases.get_issue(dashboard.store, issue_id, user.scope)
    log = [plain(asdict(e)) for e in cases.issue_events(dashboard.store, issue_id)]
    return issue_json(record) | {"events": log}


@router.post("/{issue_id}/plan")
def plan(dashboard: Board, user: User, issue_id: str, body: Plan) -> dict[str, Any]:
    """Record the improvement action and its date; the issue becomes 'acting'."""
    user.require(*ANALYSTS)
    with dashboard.writing():
        record = cases.plan_action(
            dashboard.store,
            issue_id,
            user.user_id,
            action=body.action,
            action_at=_naive_utc(body.action_at),
            gap_kind=body.gap_kind,
            gap_subject=body.gap_subject,
            version=body.version,
        )
    return issue_json(record)


@router.post("/{issue_id}/assign")
def assign(dashboard: Board, user: User, issue_id: str, body: Assignment) -> dict[str, Any]:
    """Give an issue to another owner and/or team."""
    user.require(*ANALYSTS)
    with dashboard.writing():
        record = cases.assign_issue(
            dashboard.store, issue_id, user.user_id, owner=body.owner, team=body.team, version=body.version
        )
    return issue_json(record)


@router.post("/{issue_id}/done")
def done(dashboard: Board, user: User, issue_id: str, body: Version | None = None) -> dict[str, Any]:
    """Mark an acting issue done."""
    user.require(*ANALYSTS)
    with dashboard.writing():
        record = cases.finish_issue(
            dashboard.store, issue_id, user.user_id, version=body.version if body else None
        )
    return issue_json(record)


@router.post("/{issue_id}/reopen")
def reopen(dashboard: Board, user: User, issue_id: str, body: Version | None = None) -> dict[str, Any]:
    """Reopen a done issue."""
    user.require(*ANALYSTS)
    with dashboard.writing():
        record = cases.reopen_issue(
            dashboard.store, issue_id, user.user_id, version=body.version if body else None
        )
    return issue_json(record)


@router.post("/{issue_id}/link")
def link(dashboard: Board, user: User, issue_id: str) -> dict[str, Any]:
    """Link cases of the issue's root cause and touchpoint that arrived since it was raised."""
    user.require(*ANALYSTS)
    with dashboard.writing():
        linked = cases.link_cases(dashboard.store, issue_id, user.user_id)
    return {"linked": linked, "issue": issue_json(cases.get_issue(dashboard.store, issue_id))}


@router.get("/{issue_id}/effect")
def effect(
    dashboard: Board,
    user: User,
    issue_id: str,
    months: Annotated[int, Query(ge=1, le=36, description="Months compared on each side.")] = 6,
) -> dict[str, Any]:
    """The issue's gap before and after its action, the change with its interval, and the change beyond
    the same gap's change at the other touchpoints."""
    user.require(*READERS)
    record = cases.get_issue(dashboard.store, issue_id, user.scope)
    now = cases.loop_now(dashboard.store, dashboard.settings)
    result = cases.issue_effect(dashboard.engine, dashboard.settings, record, months=months, now=now)
    return dict(plain(asdict(result))) | {"sentence": result.sentence()}
