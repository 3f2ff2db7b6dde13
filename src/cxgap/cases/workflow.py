"""The case workflow: open -> in progress -> resolved -> closed, reopen; assign, note, root cause, follow-up.

Every change is one conditional UPDATE (the case must be in a state the action allows, at the version the
caller read when it names one) and one audit event, in one transaction: two people acting on the same case
at once both succeed in turn or one is told the case changed, and no change is silently lost. What a person
typed (a note, an owner, a team, the actor) is redacted in that transaction before either is written.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cxgap.cases.clock import store_now
from cxgap.cases.typed import TypedText
from cxgap.errors import CxgapError, NotFound
from cxgap.store import Store

ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "start": (("open",), "in_progress"),
    "resolve": (("open", "in_progress"), "resolved"),
    "close": (("resolved",), "closed"),
    "reopen": (("resolved", "closed"), "open"),
}
PAST = {"start": "started", "resolve": "resolved", "close": "closed", "reopen": "reopened"}
OPEN_STATUSES = ("open", "in_progress")
ALL_STATUSES = ("open", "in_progress", "resolved", "closed")
FIELDS = (
    "case_id",
    "created_at",
    "customer_id",
    "touchpoint",
    "segment",
    "trigger_kind",
    "trigger_id",
    "rule",
    "team",
    "owner",
    "status",
    "due_at",
    "root_cause",
    "resolved_at",
    "closed_at",
    "first_action_at",
    "updated_at",
    "reopen_count",
    "follow_up_score",
    "follow_up_at",
    "issue_id",
    "summary",
    "version",
)


class CaseNotFound(NotFound):
    """No such case (or not one the caller may see)."""


class CaseConflict(CxgapError):
    """The case is not in a state the action allows, or changed since the caller read it."""


@dataclass(frozen=True)
class CaseRecord:
    """One case as stored."""

    case_id: str
    created_at: dt.datetime
    customer_id: str | None
    touchpoint: str | None
    segment: str | None
    trigger_kind: str
    trigger_id: str | None
    rule: str | None
    team: str | None
    owner: str | None
    status: str
    due_at: dt.datetime | None
    root_cause: str | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    first_action_at: dt.datetime | None
    updated_at: dt.datetime | None
    reopen_count: int
    follow_up_score: float | None
    follow_up_at: dt.datetime | None
    issue_id: str | None
    summary: str | None
    version: int

    def overdue(self, now: dt.datetime) -> bool:
        """Still open past its deadline."""
        return self.status in OPEN_STATUSES and self.due_at is not None and self.due_at < now


@dataclass(frozen=True)
class CaseEvent:
    """One line of a case's audit log."""

    event_id: str
    case_id: str
    happened_at: dt.datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    detail: str | None


def record_of(row: Any) -> CaseRecord:
    """A case from a row holding every column of `FIELDS`."""
    data = dict(row._mapping)
    data["reopen_count"] = int(data["reopen_count"] or 0)
    data["version"] = int(data["version"] or 0)
    return CaseRecord(**{k: data[k] for k in FIELDS})


def _scoped(sql: str, params: dict[str, Any], team: str | None) -> str:
    if team is None:
        return sql
    params["scope_team"] = team
    return sql + " AND team = :scope_team"


def get_case(store: Store, case_id: str, team: str | None = None) -> CaseRecord:
    """A case by id; `team` limits what may be seen (a team member's scope)."""
    params: dict[str, Any] = {"id": case_id}
    sql = _scoped(f"SELECT {', '.join(FIELDS)} FROM cases WHERE case_id = :id", params, team)
    with store.engine.connect() as conn:
        row = conn.execute(sa.text(sql), params).first()
    if row is None:
        raise CaseNotFound(f"There is no case {case_id!r}{' in team ' + repr(team) if team else ''}.")
    return record_of(row)


def list_cases(
    store: Store,
    *,
    team: str | None = None,
    status: str | None = None,
    touchpoint: str | None = None,
    owner: str | None = None,
    issue_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[CaseRecord]:
    """Cases, newest first, narrowed by team, status, touchpoint, owner and systemic issue."""
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    where = ["1 = 1"]
    narrowing = (
        ("team", team),
        ("status", status),
        ("touchpoint", touchpoint),
        ("owner", owner),
        ("issue_id", issue_id),
    )
    for name, value in narrowing:
        if value is not None:
            params[name] = value
            where.append(f"{name} = :{name}")
    sql = (
        f"SELECT {', '.join(FIELDS)} FROM cases WHERE {' AND '.join(where)} "
        "ORDER BY created_at DESC, case_id LIMIT :limit OFFSET :offset"
    )
    with store.engine.connect() as conn:
        return [record_of(r) for r in conn.execute(sa.text(sql), params)]


def events(store: Store, case_id: str) -> list[CaseEvent]:
    """The case's audit log, oldest first (at one moment: the creation first, then in the order written)."""
    sql = (
        "SELECT event_id, case_id, happened_at, actor, action, from_status, to_status, detail FROM case_events "
        "WHERE case_id = :id ORDER BY happened_at, CASE WHEN action = 'created' THEN 0 ELSE 1 END, event_id"
    )
    with store.engine.connect() as conn:
        return [CaseEvent(**dict(r._mapping)) for r in conn.execute(sa.text(sql), {"id": case_id})]


def event_id() -> str:
    """A new event id that sorts in the order events are written (the nanosecond clock, then randomness):
    steps logged at the same loop time, as a seeded history does, keep their order."""
    return f"{time.time_ns():016x}{uuid.uuid4().hex[:16]}"


def _log(
    conn: Connection,
    case_id: str,
    actor: str,
    action: str,
    before: str | None,
    after: str | None,
    detail: dict[str, Any],
    now: dt.datetime,
) -> None:
    """One audit line; callers pass the actor and the detail already redacted (`TypedText`)."""
    conn.execute(
        sa.text(
            "INSERT INTO case_events (event_id, case_id, happened_at, actor, action, from_status, to_status, detail) "
            "VALUES (:event, :case, :at, :actor, :action, :before, :after, :detail)"
        ),
        {
            "event": event_id(),
            "case": case_id,
            "at": now,
            "actor": actor,
            "action": action,
            "before": before,
            "after": after,
            "detail": json.dumps(detail, default=str) if detail else None,
        },
    )


def _why_not(
    conn: Connection,
    case_id: str,
    team: str | None,
    allowed: tuple[str, ...],
    version: int | None,
    action: str,
) -> CxgapError:
    """Why a conditional update changed nothing: missing, wrong status or a newer version."""
    params: dict[str, Any] = {"id": case_id}
    row = conn.execute(
        sa.text(_scoped("SELECT status, version FROM cases WHERE case_id = :id", params, team)), params
    ).first()
    if row is None:
        return CaseNotFound(f"There is no case {case_id!r}{' in team ' + repr(team) if team else ''}.")
    if row.status not in allowed:
        return CaseConflict(
            f"Case {case_id} is {row.status}; it can be {action} only when {' or '.join(allowed)}."
        )
    return CaseConflict(
        f"Case {case_id} changed since you read it (version {int(row.version or 0)}, you sent {version}); "
        "read it again and retry."
    )


def _update(
    store: Store,
    case_id: str,
    actor: str,
    action: str,
    sets: dict[str, Any],
    allowed: tuple[str, ...],
    detail: dict[str, Any],
    version: int | None,
    team: str | None,
    now: dt.datetime,
    expressions: tuple[str, ...] = (),
) -> CaseRecord:
    """One conditional UPDATE (values in `sets`, SQL `expressions` such as a counter) plus its audit event
    at `now`, in one transaction; what a person typed (in `sets`, `detail` and the actor) is stored
    redacted."""
    params: dict[str, Any] = {"id": case_id, "now": now}
    assignments = (
        [f"{k} = :set_{k}" for k in sets]
        + list(expressions)
        + [
            "version = COALESCE(version, 0) + 1",
            "updated_at = :now",
            "first_action_at = COALESCE(first_action_at, :now)",
        ]
    )
    names = [f":allowed{i}" for i in range(len(allowed))]
    params |= {f"allowed{i}": s for i, s in enumerate(allowed)}
    where = f"case_id = :id AND status IN ({', '.join(names)})"
    if version is not None:
        params["version"] = version
        where += " AND COALESCE(version, 0) = :version"
    sql = _scoped(f"UPDATE cases SET {', '.join(assignments)} WHERE {where}", params, team)
    # on PostgreSQL the row is locked first, so the logged status before is the one the update changes;
    # the embedded store serialises its writers itself
    lock = " FOR UPDATE" if store.backend == "postgresql" else ""
    with store.begin() as conn:
        typed = TypedText(conn)  # before the row lock: the name lookups need not hold it
        sets, detail, actor = typed.fields(sets), typed.fields(detail), typed.text(actor)
        params |= {f"set_{k}": v for k, v in sets.items()}
        before = conn.execute(sa.text("SELECT status FROM cases WHERE case_id = :id" + lock), params).scalar()
        changed = conn.execute(sa.text(sql + " RETURNING case_id"), params).first()
        if changed is None:
            raise _why_not(conn, case_id, team, allowed, version, action)
        _log(conn, case_id, actor, action, before, sets.get("status", before), detail, now)
    return get_case(store, case_id)


def transition(
    store: Store,
    case_id: str,
    action: str,
    actor: str,
    *,
    root_cause: str | None = None,
    root_causes: tuple[str, ...] = (),
    note: str | None = None,
    version: int | None = None,
    team: str | None = None,
    now: dt.datetime | None = None,
) -> CaseRecord:
    """Move a case: start, resolve (needs a root cause from the configured list), close, reopen; `now` is
    the loop's clock (default: the store's own), the time of the event and of the change."""
    if action not in ACTIONS:
        raise CxgapError(f"'{action}' is not a case action; choose one of {', '.join(ACTIONS)}.")
    allowed, after = ACTIONS[action]
    at = now or store_now(store)
    sets: dict[str, Any] = {"status": after}
    if action == "resolve":
        if root_cause is None:
            choices = f": one of {', '.join(root_causes)}" if root_causes else ""
            raise CxgapError(f"Resolving case {case_id} needs a root cause{choices}.")
        sets |= {"resolved_at": at}
    if root_cause is not None:
        if root_causes and root_cause not in root_causes:
            raise CxgapError(f"root_cause = '{root_cause}' is not one of {', '.join(root_causes)}.")
        sets["root_cause"] = root_cause
    if action == "close":
        sets["closed_at"] = at
    if action == "reopen":
        sets |= {"resolved_at": None, "closed_at": None}
    detail = {k: v for k, v in (("root_cause", root_cause), ("note", note)) if v is not None}
    counter = ("reopen_count = COALESCE(reopen_count, 0) + 1",) if action == "reopen" else ()
    return _update(store, case_id, actor, PAST[action], sets, allowed, detail, version, team, at, counter)


def assign(
    store: Store,
    case_id: str,
    actor: str,
    *,
    team: str | None = None,
    owner: str | None = None,
    version: int | None = None,
    scope: str | None = None,
    now: dt.datetime | None = None,
) -> CaseRecord:
    """Give a case to another team and/or owner."""
    sets = {k: v for k, v in (("team", team), ("owner", owner)) if v is not None}
    if not sets:
        raise CxgapError("Assigning a case needs a team, an owner or both.")
    at = now or store_now(store)
    return _update(store, case_id, actor, "assigned", sets, ALL_STATUSES, sets, version, scope, at)


def add_note(
    store: Store,
    case_id: str,
    actor: str,
    text: str,
    *,
    team: str | None = None,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> CaseRecord:
    """Add a note to a case's log (it counts as an action on the case)."""
    if not text.strip():
        raise CxgapError("A note needs some text.")
    at = now or store_now(store)
    return _update(store, case_id, actor, "noted", {}, ALL_STATUSES, {"note": text}, version, team, at)


def record_follow_up(
    store: Store,
    case_id: str,
    actor: str,
    score: float,
    *,
    team: str | None = None,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> CaseRecord:
    """Attach the customer's follow-up survey answer to a resolved or closed case."""
    at = now or store_now(store)
    sets = {"follow_up_score": float(score), "follow_up_at": at}
    allowed = ("resolved", "closed")
    return _update(store, case_id, actor, "follow_up", sets, allowed, {"score": score}, version, team, at)


def cases_frame(records: list[CaseRecord]) -> pd.DataFrame:
    """Cases as a table, one row each."""
    return pd.DataFrame([asdict(r) for r in records], columns=list(FIELDS))
