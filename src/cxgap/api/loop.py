"""The closed-loop API: cases (/api/cases) and webhook ingest (/api/ingest/...), behind API tokens with roles.

Team members see and work only their team's cases (another team's case answers 404, as if it did not
exist); viewers read; analysts and admins do everything. Ingest is rate-limited per token.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from cxgap import cases
from cxgap.access import Forbidden, Principal, authenticate, bearer_token
from cxgap.api.dashboard import Dashboard
from cxgap.api.results import plain
from cxgap.api.routes import Board
from cxgap.io.ingest import check_delivery
from cxgap.io.summary import ImportSummary

WORKERS = ("admin", "analyst", "team_lead", "team_member")
ANALYSTS = ("admin", "analyst")


def principal(
    request: Request,
    dashboard: Board,
    authorization: Annotated[str | None, Header(description="Bearer cxg_<id>_<secret>")] = None,
) -> Principal:
    """The request's user, from its bearer token (401 without a valid one), or the signed-in person the
    gate (cxgap.api.auth) already found."""
    known: Principal | None = getattr(request.state, "principal", None)
    if known is not None:
        return known
    return authenticate(dashboard.store, bearer_token(authorization))


User = Annotated[Principal, Depends(principal)]


def case_json(record: cases.CaseRecord, now: dt.datetime | None = None) -> dict[str, Any]:
    """A case as JSON, with whether it is overdue."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return dict(plain(asdict(record))) | {"overdue": record.overdue(now)}


def summary_json(summary: ImportSummary, opened: int) -> dict[str, Any]:
    """An ingest batch's outcome: read = loaded + existing + quarantined, the problems, cases opened."""
    return {
        "batch_id": summary.batch_id,
        "read": summary.rows_read,
        "loaded": summary.rows_loaded,
        "existing": summary.rows_existing,
        "quarantined": summary.rows_quarantined,
        "items": summary.items_loaded,
        "problems": [p.reason if not p.row else f"record {p.row}: {p.reason}" for p in summary.problems],
        "cases_opened": opened,
    }


class Action(BaseModel):
    """Move a case along its workflow."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["start", "resolve", "close", "reopen"]
    root_cause: str | None = Field(
        None, max_length=64, description="Needed to resolve; from [cases] root_causes."
    )
    note: str | None = Field(None, max_length=10_000)
    version: int | None = Field(None, ge=0, description="The version you read; a newer one answers 409.")


class Assignment(BaseModel):
    """Give a case or a systemic issue to a team and/or owner."""

    model_config = ConfigDict(extra="forbid")
    team: str | None = Field(None, min_length=1, max_length=64)
    owner: str | None = Field(None, min_length=1, max_length=128)
    version: int | None = Field(None, ge=0)


class Note(BaseModel):
    """A note for the case's log."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=10_000)


class FollowUp(BaseModel):
    """The customer's answer to the follow-up survey."""

    model_config = ConfigDict(extra="forbid")
    score: float = Field(ge=0, le=10)


class RuleRequest(BaseModel):
    """Run the case rules over records since a date (default: each rule's lookback)."""

    model_config = ConfigDict(extra="forbid")
    since: dt.date | None = None


router = APIRouter(prefix="/api", tags=["closed loop"])


@router.get("/cases")
def list_cases(
    dashboard: Board,
    user: User,
    status: Literal["open", "in_progress", "resolved", "closed"] | None = None,
    team: Annotated[str | None, Query(max_length=64)] = None,
    touchpoint: Annotated[str | None, Query(max_length=64)] = None,
    owner: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[dict[str, Any]]:
    """Cases, newest first; a team member sees only their team's."""
    if user.scope is not None:
        if team not in (None, user.scope):
            return []
        team = user.scope
    found = cases.list_cases(
        dashboard.store,
        team=team,
        status=status,
        touchpoint=touchpoint,
        owner=owner,
        limit=limit,
        offset=offset,
    )
    return [case_json(c) for c in found]


@router.get("/cases/accountability")
def accountability(
    dashboard: Board,
    user: User,
    by: Literal["team", "owner", "touchpoint", "rule", "month"] = "team",
) -> dict[str, Any]:
    """Loop metrics per group: share acted on, unresolved, overdue, reopened; hours to act and to resolve."""
    user.require(*ANALYSTS, "viewer")
    a = dashboard.settings.analysis
    report = cases.accountability(dashboard.engine, by, min_n=a.min_n, confidence=a.confidence)
    return {
        "by": by,
        "now": report.now.isoformat(),
        "min_n": report.min_n,
        "groups": plain(report.as_dicts()),
    }


@router.get("/cases/{case_id}")
def get_case(dashboard: Board, user: User, case_id: str) -> dict[str, Any]:
    """One case with its audit log."""
    record = cases.get_case(dashboard.store, case_id, user.scope)
    return case_json(record) | {"events": [plain(asdict(e)) for e in cases.events(dashboard.store, case_id)]}


@router.post("/cases/{case_id}/actions")
def act(dashboard: Board, user: User, case_id: str, body: Action) -> dict[str, Any]:
    """Start, resolve (with a root cause), close or reopen a case."""
    user.require(*WORKERS)
    with dashboard.writing():
        record = cases.transition(
            dashboard.store,
            case_id,
            body.action,
            user.user_id,
            root_cause=body.root_cause,
            root_causes=tuple(dashboard.settings.cases.root_causes),
            note=body.note,
            version=body.version,
            team=user.scope,
        )
    return case_json(record)


@router.post("/cases/{case_id}/assign")
def assign(dashboard: Board, user: User, case_id: str, body: Assignment) -> dict[str, Any]:
    """Give a case to another owner (team members) or team (analysts and admins)."""
    user.require(*WORKERS)
    if body.team is not None and user.scope is not None and body.team != user.scope:
        raise Forbidden(
            f"User {user.user_id} may assign owners in team {user.scope} but not move cases to another team."
        )
    with dashboard.writing():
        record = cases.assign(
            dashboard.store,
            case_id,
            user.user_id,
            team=body.team,
            owner=body.owner,
            version=body.version,
            scope=user.scope,
        )
    return case_json(record)


@router.post("/cases/{case_id}/notes")
def note(dashboard: Board, user: User, case_id: str, body: Note) -> dict[str, Any]:
    """Add a note to a case's log."""
    user.require(*WORKERS)
    with dashboard.writing():
        return case_json(cases.add_note(dashboard.store, case_id, user.user_id, body.text, team=user.scope))


@router.post("/cases/{case_id}/follow-up")
def follow_up(dashboard: Board, user: User, case_id: str, body: FollowUp) -> dict[str, Any]:
    """Attach the customer's follow-up answer to a resolved or closed case."""
    user.require(*WORKERS)
    with dashboard.writing():
        return case_json(
            cases.record_follow_up(dashboard.store, case_id, user.user_id, body.score, team=user.scope)
        )


@router.post("/cases/run-rules")
def run_rules(dashboard: Board, user: User, body: RuleRequest | None = None) -> dict[str, Any]:
    """Open cases for every record the rules match (none twice)."""
    user.require(*ANALYSTS)
    since = dt.datetime.combine(body.since, dt.time()) if body and body.since else None
    with dashboard.writing():
        run = cases.open_cases(dashboard.store, dashboard.settings, since=since)
    return {"run_id": run.run_id, "opened": run.opened, "total": run.total}


def _ingest(dashboard: Dashboard, user: Principal, table: str, payload: Any) -> dict[str, Any]:
    user.require(*ANALYSTS)
    dashboard.rate_limiter.take(user.user_id)  # per person or system, however many tokens it holds
    records = payload if isinstance(payload, list) else [payload]
    delivery = check_delivery(table, records)
    done = dashboard.intake.submit((table, f"api:{user.user_id}:{user.token_id}"), delivery)
    return summary_json(done.summary, done.cases_opened)


Records = Annotated[
    dict[str, Any] | list[dict[str, Any]],
    Body(description="One record or a list, with the schema's column names (see docs/schema.md)."),
]


@router.post("/ingest/responses")
def ingest_responses(dashboard: Board, user: User, payload: Records) -> dict[str, Any]:
    """Survey responses as they arrive (responses may carry `items`: {code: {perception, expectation}});
    idempotent by response_id; the rules open cases for the new ones."""
    return _ingest(dashboard, user, "responses", payload)


@router.post("/ingest/feedback")
def ingest_feedback(dashboard: Board, user: User, payload: Records) -> dict[str, Any]:
    """Feedback texts as they arrive; idempotent by feedback_id; the rules open cases for the new ones."""
    return _ingest(dashboard, user, "feedback", payload)
