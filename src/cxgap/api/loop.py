"""The closed-loop API: cases (/api/cases) and webhook ingest (/api/ingest/...), behind API tokens with roles.

Team members and team leads see and work only their team's cases (another team's case answers 404, as if
it did not exist); viewers read no case (cases name customers and quote them), only the
accountability figures; analysts and admins do everything. Ingest is rate-limited per person.
Every judgement of time (overdue, due today, rule lookbacks, the time of each change) is made at the loop's
clock (`cxgap.cases.clock.loop_now`): `[cases] as_of`, else the store's own calendar, else now; reads and
the rules also take an explicit `as_of`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from cxgap import cases
from cxgap.access import TEAM_ROLES, Forbidden, Principal, authenticate, bearer_token
from cxgap.api.auth import CASES_WITHHELD
from cxgap.api.dashboard import Dashboard
from cxgap.api.results import plain
from cxgap.api.routes import Board
from cxgap.cases.bulk import MAX_BULK
from cxgap.cases.inbox import find_cases
from cxgap.errors import CxgapError
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


def case_reader(user: Annotated[Principal, Depends(principal)]) -> Principal:
    """Someone who may read cases, which name customers and quote them: analysts and admins, and team
    members and leads (their team's, which the route checks); a viewer is refused (403) with the reason."""
    if user.role not in (*ANALYSTS, *TEAM_ROLES):
        raise Forbidden(CASES_WITHHELD)
    return user


CaseReader = Annotated[Principal, Depends(case_reader)]


def case_json(record: cases.CaseRecord, now: dt.datetime) -> dict[str, Any]:
    """A case as JSON, with whether it is overdue at the loop clock `now`."""
    return dict(plain(asdict(record))) | {"overdue": record.overdue(now)}


def event_json(event: cases.CaseEvent) -> dict[str, Any]:
    """An audit line as JSON: its detail as an object (never JSON text inside JSON) and as a sentence."""
    return dict(plain(asdict(event))) | {
        "detail": cases.detail_of(event),
        "sentence": cases.describe_event(event),
    }


def loop_clock(dashboard: Dashboard, as_of: dt.datetime | None = None) -> dt.datetime:
    """The loop's present for this request: `as_of` when given, else `[cases] as_of` or the store's clock."""
    return cases.loop_now(dashboard.store, dashboard.settings, as_of=as_of)


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
    """Run the case rules over records since a date (default: each rule's lookback), judged at `as_of`
    (default: the loop's clock)."""

    model_config = ConfigDict(extra="forbid")
    since: dt.date | None = None
    as_of: dt.datetime | None = None


class Bulk(BaseModel):
    """Assign, start or close several cases at once (each refused alone when it cannot be)."""

    model_config = ConfigDict(extra="forbid")
    case_ids: list[str] = Field(min_length=1, max_length=MAX_BULK)
    action: Literal["assign", "start", "close"]
    owner: str | None = Field(None, min_length=1, max_length=128)
    team: str | None = Field(None, min_length=1, max_length=64)


router = APIRouter(prefix="/api", tags=["closed loop"])


Status = Literal["open", "in_progress", "resolved", "closed"]
Text64 = Annotated[str | None, Query(max_length=64)]


@router.get("/cases")
def list_cases(
    dashboard: Board,
    user: CaseReader,
    response: Response,
    status: Status | None = None,
    team: Text64 = None,
    touchpoint: Text64 = None,
    owner: Annotated[str | None, Query(max_length=128)] = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
    rule: Text64 = None,
    segment: Text64 = None,
    root_cause: Text64 = None,
    overdue: bool = False,
    due_today: bool = False,
    as_of: dt.datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[dict[str, Any]]:
    """Cases, newest first; a team member or lead sees only their team's. The `X-Total-Count` header says
    how many match, so a client pages through any number with `offset` (1,000 at a time at most).
    `overdue` / `due_today` keep open cases past or within today of their deadline at the loop clock
    (`as_of`, default the loop's own); `search` finds a case id, a customer id or words in the summary."""
    if overdue and due_today:
        raise CxgapError("Ask for overdue or due_today cases, not both: a case is one or the other.")
    if user.scope is not None and team not in (None, user.scope):
        response.headers["X-Total-Count"] = "0"
        return []
    now = loop_clock(dashboard, as_of)
    query = cases.InboxQuery(
        queue="overdue" if overdue else "due_today" if due_today else "all",
        search=search,
        rule=rule,
        touchpoint=touchpoint,
        segment=segment,
        status=status or "any",
        root_cause=root_cause,
        team=team,
        owner=owner,
        sort="-created_at",
    )
    found, counts = find_cases(
        dashboard.store,
        query,
        user_id=user.user_id,
        scope=user.scope,
        team=user.team,
        now=now,
        limit=limit,
        offset=offset,
    )
    response.headers["X-Total-Count"] = str(counts[query.queue])
    return [case_json(c, now) for c in found]


@router.get("/cases/inbox")
def inbox(
    dashboard: Board,
    user: CaseReader,
    queue: Literal["mine", "team", "overdue", "due_today", "unassigned", "all"] = "all",
    search: Annotated[str | None, Query(max_length=200)] = None,
    rule: Text64 = None,
    touchpoint: Text64 = None,
    segment: Text64 = None,
    status: Literal["open", "in_progress", "resolved", "closed", "any"] | None = None,
    root_cause: Text64 = None,
    older_than_days: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    team: Text64 = None,
    owner: Annotated[str | None, Query(max_length=128)] = None,
    sort: Annotated[str, Query(max_length=32)] = "due_at",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
    as_of: dt.datetime | None = None,
) -> dict[str, Any]:
    """The caller's inbox: one page of a queue (mine, team, overdue, due_today, unassigned, all) with
    the count of every queue under the same search and filters; status defaults to open and in progress."""
    query = cases.InboxQuery(
        queue,
        search,
        rule,
        touchpoint,
        segment,
        status,
        root_cause,
        older_than_days,
        team,
        sort,
        page,
        per_page,
        owner,
    )
    found = cases.inbox(
        dashboard.store,
        query,
        user_id=user.user_id,
        scope=user.scope,
        team=user.team,
        now=loop_clock(dashboard, as_of),
    )
    return {
        "cases": [case_json(c, found.now) for c in found.cases],
        "total": found.total,
        "page": found.page,
        "per_page": found.per_page,
        "pages": found.pages,
        "counts": found.counts,
        "now": found.now.isoformat(),
    }


@router.post("/cases/bulk")
def bulk(dashboard: Board, user: User, body: Bulk) -> dict[str, Any]:
    """Assign, start or close several cases; each case is changed, or refused with its reason, on its own."""
    user.require(*WORKERS)
    if body.team is not None and user.scope is not None and body.team != user.scope:
        raise Forbidden(
            f"User {user.user_id} may assign owners in team {user.scope} but not move cases to another team."
        )
    with dashboard.writing():
        done = cases.bulk(
            dashboard.store,
            body.case_ids,
            body.action,
            user.user_id,
            owner=body.owner,
            team=body.team,
            scope=user.scope,
            root_causes=tuple(dashboard.settings.cases.root_causes),
            now=loop_clock(dashboard),
        )
    return {"done": list(done.done), "refused": [{"case_id": c, "reason": r} for c, r in done.refused]}


@router.get("/cases/accountability")
def accountability(
    dashboard: Board,
    user: User,
    by: Literal["team", "owner", "touchpoint", "rule", "month"] = "team",
    team: Text64 = None,
    as_of: dt.datetime | None = None,
) -> dict[str, Any]:
    """Loop metrics per group: share acted on, unresolved, overdue, reopened; hours to act and to resolve
    (`by=month` for the trend). Team members and leads get their own team's; others all, or one `team`."""
    if user.scope is not None:
        team = user.scope
    a = dashboard.settings.analysis
    report = cases.accountability(
        dashboard.engine,
        by,
        team=team,
        now=loop_clock(dashboard, as_of),
        min_n=a.min_n,
        confidence=a.confidence,
    )
    return {
        "by": by,
        "team": team,
        "now": report.now.isoformat(),
        "min_n": report.min_n,
        "groups": plain(report.as_dicts()),
    }


@router.get("/cases/{case_id}")
def get_case(dashboard: Board, user: CaseReader, case_id: str) -> dict[str, Any]:
    """One case with its triggers, the customer's other open cases (within the caller's scope) and its
    audit log (each event's detail as an object, and as a sentence)."""
    store = dashboard.store
    record = cases.get_case(store, case_id, user.scope)
    now = loop_clock(dashboard)
    others = []
    if record.customer_id is not None:
        others = [
            case_json(c, now)
            for c in cases.customer_cases(store, record.customer_id, scope=user.scope)
            if c.case_id != case_id
        ]
    return case_json(record, now) | {
        "triggers": [plain(asdict(t)) for t in cases.case_triggers(store, case_id)],
        "other_open_cases": others,
        "events": [event_json(e) for e in cases.events(store, case_id)],
    }


@router.post("/cases/{case_id}/actions")
def act(dashboard: Board, user: User, case_id: str, body: Action) -> dict[str, Any]:
    """Start, resolve (with a root cause), close or reopen a case."""
    user.require(*WORKERS)
    now = loop_clock(dashboard)
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
            now=now,
        )
    return case_json(record, now)


@router.post("/cases/{case_id}/assign")
def assign(dashboard: Board, user: User, case_id: str, body: Assignment) -> dict[str, Any]:
    """Give a case to another owner (team members and leads, within their team) or team (analysts, admins)."""
    user.require(*WORKERS)
    if body.team is not None and user.scope is not None and body.team != user.scope:
        raise Forbidden(
            f"User {user.user_id} may assign owners in team {user.scope} but not move cases to another team."
        )
    now = loop_clock(dashboard)
    with dashboard.writing():
        record = cases.assign(
            dashboard.store,
            case_id,
            user.user_id,
            team=body.team,
            owner=body.owner,
            version=body.version,
            scope=user.scope,
            now=now,
        )
    return case_json(record, now)


@router.post("/cases/{case_id}/notes")
def note(dashboard: Board, user: User, case_id: str, body: Note) -> dict[str, Any]:
    """Add a note to a case's log."""
    user.require(*WORKERS)
    now = loop_clock(dashboard)
    with dashboard.writing():
        record = cases.add_note(dashboard.store, case_id, user.user_id, body.text, team=user.scope, now=now)
    return case_json(record, now)


@router.post("/cases/{case_id}/follow-up")
def follow_up(dashboard: Board, user: User, case_id: str, body: FollowUp) -> dict[str, Any]:
    """Attach the customer's follow-up answer to a resolved or closed case."""
    user.require(*WORKERS)
    now = loop_clock(dashboard)
    with dashboard.writing():
        record = cases.record_follow_up(
            dashboard.store, case_id, user.user_id, body.score, team=user.scope, now=now
        )
    return case_json(record, now)


@router.post("/cases/run-rules")
def run_rules(dashboard: Board, user: User, body: RuleRequest | None = None) -> dict[str, Any]:
    """Open cases for every record the rules match (none twice), or add a record to its customer's open
    case; lookbacks end at the loop's clock (or `as_of`), so a store on its own calendar finds its cases."""
    user.require(*ANALYSTS)
    since = dt.datetime.combine(body.since, dt.time()) if body and body.since else None
    now = loop_clock(dashboard, body.as_of if body else None)
    with dashboard.writing():
        run = cases.open_cases(dashboard.store, dashboard.settings, since=since, now=now)
    return {
        "run_id": run.run_id,
        "opened": run.opened,
        "joined": run.joined,
        "undated": run.undated,
        "total": run.total,
        "now": now.isoformat(),
    }


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
