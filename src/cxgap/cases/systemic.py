"""The outer loop: cases that share a root cause at a touchpoint become one systemic issue, with an owner,
an improvement action and the gap it is meant to close.

`find_patterns` shows where resolved cases cluster; `raise_issue` turns a cluster into an issue and links
its cases (and later ones, through `link_cases`); `plan_action`, `assign_issue`, `finish_issue` and
`reopen_issue` move it on. Like cases, every change is one conditional UPDATE plus one line in an
append-only log (`issue_events`), and a caller that names the version it read is told when it changed.
What a person typed (a title, an action, an owner, a team, the actor) is redacted in the same
transaction, before it reaches a column or an audit detail.
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
from cxgap.cases.workflow import CaseConflict, CaseNotFound
from cxgap.errors import CxgapError
from cxgap.gaps import GAP_KINDS
from cxgap.stats import Estimate, wilson_interval
from cxgap.store import Store

ISSUE_STATUSES = ("open", "acting", "done")
ISSUE_FIELDS = (
    "issue_id",
    "created_at",
    "root_cause",
    "touchpoint",
    "title",
    "owner",
    "team",
    "action",
    "action_at",
    "gap_kind",
    "gap_subject",
    "status",
    "updated_at",
    "done_at",
    "version",
)


@dataclass(frozen=True)
class Pattern:
    """Cases with one root cause at one touchpoint not yet part of an issue: a candidate systemic issue.
    `share` is their share of all root-caused cases at the touchpoint, with a Wilson interval."""

    root_cause: str
    touchpoint: str | None
    cases: int
    customers: int
    reopened: int
    first_at: dt.datetime
    last_at: dt.datetime
    share: Estimate


@dataclass(frozen=True)
class IssueRecord:
    """One systemic issue as stored, with how many cases are linked to it."""

    issue_id: str
    created_at: dt.datetime
    root_cause: str
    touchpoint: str | None
    title: str
    owner: str | None
    team: str | None
    action: str | None
    action_at: dt.datetime | None
    gap_kind: str | None
    gap_subject: str | None
    status: str
    updated_at: dt.datetime | None
    done_at: dt.datetime | None
    version: int
    cases: int = 0


@dataclass(frozen=True)
class IssueEvent:
    """One line of an issue's audit log."""

    event_id: str
    issue_id: str
    happened_at: dt.datetime
    actor: str
    action: str
    detail: str | None


def _same_group(touchpoint: str | None, params: dict[str, Any]) -> str:
    """SQL condition for cases of the issue's root cause and touchpoint (NULL matches NULL)."""
    if touchpoint is None:
        return "root_cause = :root_cause AND touchpoint IS NULL"
    params["touchpoint"] = touchpoint
    return "root_cause = :root_cause AND touchpoint = :touchpoint"


def find_patterns(store: Store, *, min_cases: int = 5, since: dt.datetime | None = None) -> list[Pattern]:
    """Root cause x touchpoint groups of at least `min_cases` unlinked cases, largest first."""
    params: dict[str, Any] = {"since": since or dt.datetime(1900, 1, 1), "min": min_cases}
    sql = (
        "WITH c AS (SELECT * FROM cases WHERE root_cause IS NOT NULL AND created_at >= :since), "
        "t AS (SELECT touchpoint, COUNT(*) AS total FROM c GROUP BY touchpoint) "
        "SELECT c.root_cause, c.touchpoint, COUNT(*) AS n, COUNT(DISTINCT c.customer_id) AS customers, "
        "SUM(CASE WHEN COALESCE(c.reopen_count, 0) > 0 THEN 1 ELSE 0 END) AS reopened, "
        "MIN(c.created_at) AS first_at, MAX(c.created_at) AS last_at, MAX(t.total) AS total "
        "FROM c JOIN t ON c.touchpoint IS NOT DISTINCT FROM t.touchpoint WHERE c.issue_id IS NULL "
        "GROUP BY c.root_cause, c.touchpoint HAVING COUNT(*) >= :min ORDER BY n DESC, c.root_cause"
    )
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text(sql), params).all()
    return [
        Pattern(
            r.root_cause,
            r.touchpoint,
            int(r.n),
            int(r.customers),
            int(r.reopened),
            r.first_at,
            r.last_at,
            wilson_interval(int(r.n), int(r.total)),
        )
        for r in rows
    ]


def patterns_frame(patterns: list[Pattern]) -> pd.DataFrame:
    """Patterns as a table: one row each, the share with its interval."""
    rows = [
        {k: v for k, v in asdict(p).items() if k != "share"}
        | {"share": p.share.value, "share_low": p.share.low, "share_high": p.share.high}
        for p in patterns
    ]
    return pd.DataFrame(rows)


def _log(
    conn: Connection, issue_id: str, actor: str, action: str, detail: dict[str, Any], now: dt.datetime
) -> None:
    """One audit line; callers pass the actor and the detail already redacted (`TypedText`)."""
    conn.execute(
        sa.text(
            "INSERT INTO issue_events (event_id, issue_id, happened_at, actor, action, detail) "
            "VALUES (:event, :issue, :at, :actor, :action, :detail)"
        ),
        {
            "event": f"{time.time_ns():020d}{uuid.uuid4().hex[:12]}",  # sorts in the order written
            "issue": issue_id,
            "at": now,
            "actor": actor,
            "action": action,
            "detail": json.dumps(detail, default=str) if detail else None,
        },
    )


def _scoped(sql: str, params: dict[str, Any], team: str | None) -> str:
    if team is None:
        return sql
    params["scope_team"] = team
    return sql + " AND i.team = :scope_team"


_SELECT = (
    f"SELECT {', '.join('i.' + f for f in ISSUE_FIELDS)}, "
    "(SELECT COUNT(*) FROM cases c WHERE c.issue_id = i.issue_id) AS cases FROM systemic_issues i"
)


def _record(row: Any) -> IssueRecord:
    data = dict(row._mapping)
    data["version"] = int(data["version"] or 0)
    data["cases"] = int(data["cases"] or 0)
    return IssueRecord(**data)


def get_issue(store: Store, issue_id: str, team: str | None = None) -> IssueRecord:
    """An issue by id; `team` limits what may be seen (a team member's scope)."""
    params: dict[str, Any] = {"id": issue_id}
    sql = _scoped(f"{_SELECT} WHERE i.issue_id = :id", params, team)
    with store.engine.connect() as conn:
        row = conn.execute(sa.text(sql), params).first()
    if row is None:
        raise CaseNotFound(
            f"There is no systemic issue {issue_id!r}{' in team ' + repr(team) if team else ''}."
        )
    return _record(row)


def list_issues(store: Store, *, status: str | None = None, team: str | None = None) -> list[IssueRecord]:
    """Issues, newest first, narrowed by status and team."""
    params: dict[str, Any] = {}
    where = "WHERE 1 = 1"
    if status is not None:
        if status not in ISSUE_STATUSES:
            raise CxgapError(f"status = '{status}' is not one of {', '.join(ISSUE_STATUSES)}.")
        params["status"] = status
        where += " AND i.status = :status"
    sql = _scoped(f"{_SELECT} {where}", params, team) + " ORDER BY i.created_at DESC, i.issue_id"
    with store.engine.connect() as conn:
        return [_record(r) for r in conn.execute(sa.text(sql), params)]


def issue_events(store: Store, issue_id: str) -> list[IssueEvent]:
    """The issue's audit log, oldest first."""
    sql = (
        "SELECT event_id, issue_id, happened_at, actor, action, detail FROM issue_events "
        "WHERE issue_id = :id ORDER BY happened_at, event_id"
    )
    with store.engine.connect() as conn:
        return [IssueEvent(**dict(r._mapping)) for r in conn.execute(sa.text(sql), {"id": issue_id})]


def issues_frame(records: list[IssueRecord]) -> pd.DataFrame:
    """Issues as a table, one row each."""
    return pd.DataFrame([asdict(r) for r in records], columns=[*ISSUE_FIELDS, "cases"])


def _check_gap(gap_kind: str | None, gap_subject: str | None) -> None:
    if gap_kind is not None and gap_kind not in GAP_KINDS:
        raise CxgapError(f"gap_kind = '{gap_kind}' is not one of {', '.join(GAP_KINDS)}.")
    if (gap_kind is None) != (gap_subject is None):
        raise CxgapError("The gap an issue should close needs both its kind and its subject.")


def _link(
    conn: Connection, issue: str, root_cause: str, touchpoint: str | None, actor: str, now: dt.datetime
) -> int:
    """Link the group's unlinked cases to the issue: one audit line on each case, then one UPDATE."""
    params: dict[str, Any] = {"issue": issue, "root_cause": root_cause, "actor": actor, "now": now}
    group = _same_group(touchpoint, params) + " AND issue_id IS NULL"
    conn.execute(
        sa.text(
            "INSERT INTO case_events (event_id, case_id, happened_at, actor, action, from_status, to_status, detail) "
            "SELECT md5('linked/' || case_id || '/' || :issue), case_id, :now, :actor, 'linked', status, status, "
            f"'{{\"issue_id\": \"' || :issue || '\"}}' FROM cases WHERE {group}"
        ),
        params,
    )
    linked = conn.execute(
        sa.text(
            "UPDATE cases SET issue_id = :issue, version = COALESCE(version, 0) + 1, updated_at = :now "
            f"WHERE {group} RETURNING case_id"
        ),
        params,
    ).all()
    if linked:
        _log(conn, issue, actor, "linked", {"cases": len(linked)}, now)
    return len(linked)


def raise_issue(
    store: Store,
    actor: str,
    *,
    root_cause: str,
    touchpoint: str | None,
    title: str | None = None,
    owner: str | None = None,
    team: str | None = None,
    action: str | None = None,
    gap_kind: str | None = None,
    gap_subject: str | None = None,
    root_causes: tuple[str, ...] = (),
    now: dt.datetime | None = None,
) -> IssueRecord:
    """Raise a systemic issue for a root cause at a touchpoint and link its cases; only one issue per
    root cause and touchpoint may be open or acting at a time. `now`: the loop's clock (default: the
    store's own), the time of the issue and its audit lines."""
    if root_causes and root_cause not in root_causes:
        raise CxgapError(f"root_cause = '{root_cause}' is not one of {', '.join(root_causes)}.")
    _check_gap(gap_kind, gap_subject)
    now = now or store_now(store)
    issue_id = "SI-" + uuid.uuid4().hex[:10]
    title = (
        title or f"{root_cause.replace('_', ' ').capitalize()} failures at {touchpoint or 'no touchpoint'}"
    )
    with store.begin() as conn:
        typed = TypedText(conn)  # before the table lock: the name lookups need not hold it
        actor = typed.text(actor)
        values = typed.fields(
            {
                "issue_id": issue_id,
                "created_at": now,
                "root_cause": root_cause,
                "touchpoint": touchpoint,
                "title": title,
                "owner": owner,
                "team": team,
                "action": action,
                "gap_kind": gap_kind,
                "gap_subject": gap_subject,
                "status": "open",
                "updated_at": now,
                "version": 1,
            }
        )
        root_cause, touchpoint = values["root_cause"], values["touchpoint"]  # match the group as stored
        params: dict[str, Any] = {"root_cause": root_cause}
        if (
            store.backend == "postgresql"
        ):  # two people raising the same issue at once: one waits, then sees it
            conn.execute(sa.text("LOCK TABLE systemic_issues IN SHARE ROW EXCLUSIVE MODE"))
        active = conn.execute(
            sa.text(
                f"SELECT issue_id FROM systemic_issues WHERE {_same_group(touchpoint, params)} AND status <> 'done'"
            ),
            params,
        ).scalar()
        if active is not None:
            raise CaseConflict(
                f"Systemic issue {active} already covers {root_cause} at {touchpoint}; update that one."
            )
        names = ", ".join(values)
        conn.execute(
            sa.text(f"INSERT INTO systemic_issues ({names}) VALUES ({', '.join(':' + k for k in values)})"),
            values,
        )
        _log(conn, issue_id, actor, "raised", {k: v for k, v in values.items() if v is not None}, now)
        _link(conn, issue_id, root_cause, touchpoint, actor, now)
    return get_issue(store, issue_id)


def link_cases(store: Store, issue_id: str, actor: str, *, now: dt.datetime | None = None) -> int:
    """Link cases resolved since the issue was raised (same root cause and touchpoint); how many."""
    issue = get_issue(store, issue_id)
    if issue.status == "done":
        raise CaseConflict(f"Systemic issue {issue_id} is done; reopen it before linking cases.")
    with store.begin() as conn:
        actor = TypedText(conn).text(actor)
        return _link(conn, issue_id, issue.root_cause, issue.touchpoint, actor, now or store_now(store))


def _update(
    store: Store,
    issue_id: str,
    actor: str,
    action: str,
    sets: dict[str, Any],
    allowed: tuple[str, ...],
    version: int | None,
    now: dt.datetime | None,
) -> IssueRecord:
    """One conditional UPDATE of an issue plus its audit line at `now` (default: the store's clock), in one
    transaction; what a person typed (in `sets` and the actor) is stored redacted, in both alike."""
    now = now or store_now(store)
    params: dict[str, Any] = {"id": issue_id, "now": now}
    params |= {f"allowed{i}": s for i, s in enumerate(allowed)}
    assignments = [f"{k} = :set_{k}" for k in sets] + [
        "version = COALESCE(version, 0) + 1",
        "updated_at = :now",
    ]
    where = f"issue_id = :id AND status IN ({', '.join(f':allowed{i}' for i in range(len(allowed)))})"
    if version is not None:
        params["version"] = version
        where += " AND COALESCE(version, 0) = :version"
    with store.begin() as conn:
        typed = TypedText(conn)
        sets, actor = typed.fields(sets), typed.text(actor)
        params |= {f"set_{k}": v for k, v in sets.items()}
        sql = f"UPDATE systemic_issues SET {', '.join(assignments)} WHERE {where} RETURNING issue_id"
        if conn.execute(sa.text(sql), params).first() is None:
            row = conn.execute(
                sa.text("SELECT status, version FROM systemic_issues WHERE issue_id = :id"), params
            ).first()
            if row is None:
                raise CaseNotFound(f"There is no systemic issue {issue_id!r}.")
            if row.status not in allowed:
                raise CaseConflict(
                    f"Systemic issue {issue_id} is {row.status}; it can be {action} only when {' or '.join(allowed)}."
                )
            raise CaseConflict(
                f"Systemic issue {issue_id} changed since you read it (version {int(row.version or 0)}, "
                f"you sent {version}); read it again and retry."
            )
        _log(conn, issue_id, actor, action, sets, now)
    return get_issue(store, issue_id)


def plan_action(
    store: Store,
    issue_id: str,
    actor: str,
    *,
    action: str,
    action_at: dt.datetime,
    gap_kind: str | None = None,
    gap_subject: str | None = None,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> IssueRecord:
    """Record the improvement action and when it took (or takes) effect; the issue is then 'acting'."""
    if not action.strip():
        raise CxgapError("An improvement action needs some text.")
    _check_gap(gap_kind, gap_subject)
    sets: dict[str, Any] = {"action": action, "action_at": action_at, "status": "acting"}
    if gap_kind is not None:
        sets |= {"gap_kind": gap_kind, "gap_subject": gap_subject}
    return _update(store, issue_id, actor, "planned", sets, ("open", "acting"), version, now)


def assign_issue(
    store: Store,
    issue_id: str,
    actor: str,
    *,
    owner: str | None = None,
    team: str | None = None,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> IssueRecord:
    """Give an issue to another owner and/or team."""
    sets = {k: v for k, v in (("owner", owner), ("team", team)) if v is not None}
    if not sets:
        raise CxgapError("Assigning a systemic issue needs an owner, a team or both.")
    return _update(store, issue_id, actor, "assigned", sets, ISSUE_STATUSES, version, now)


def finish_issue(
    store: Store, issue_id: str, actor: str, *, version: int | None = None, now: dt.datetime | None = None
) -> IssueRecord:
    """Mark an issue done (its action taken); its effect stays measurable."""
    now = now or store_now(store)
    sets = {"status": "done", "done_at": now}
    return _update(store, issue_id, actor, "done", sets, ("acting",), version, now)


def reopen_issue(
    store: Store, issue_id: str, actor: str, *, version: int | None = None, now: dt.datetime | None = None
) -> IssueRecord:
    """Reopen a done issue (the action did not close the gap)."""
    sets = {"status": "acting", "done_at": None}
    return _update(store, issue_id, actor, "reopened", sets, ("done",), version, now)
