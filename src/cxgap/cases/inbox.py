"""The case inbox: a person's queues ("mine", "team", "overdue", "due today", "unassigned", "all") with
counts, search, filters, sorting and paging, judged at the loop's clock.

Two statements per read, whatever the number of cases: one for the page (the filters, the queue, the sort,
LIMIT/OFFSET) and one for the counts of every queue under the same filters (the chosen queue's count is the
page's total). A team member's or lead's scope keeps other teams' cases out of both, as everywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from cxgap.cases.workflow import ALL_STATUSES, FIELDS, CaseRecord, cases_frame, record_of
from cxgap.errors import CxgapError
from cxgap.store import Store

QUEUES = ("mine", "team", "overdue", "due_today", "unassigned", "all")
SORTS = ("due_at", "created_at", "updated_at", "status", "touchpoint", "customer_id")
MAX_PER_PAGE = 500
_OPEN = "status IN ('open', 'in_progress')"


@dataclass(frozen=True)
class InboxQuery:
    """Which cases a person asks for. `status` None means open and in progress, "any" every status;
    `search` finds a case id, a customer id, or words in the summary or a trigger's summary; `team`
    narrows an analyst's or lead's view to one team (never beyond the person's scope)."""

    queue: str = "all"
    search: str | None = None
    rule: str | None = None
    touchpoint: str | None = None
    segment: str | None = None
    status: str | None = None
    root_cause: str | None = None
    older_than_days: int | None = None
    team: str | None = None
    sort: str = "due_at"
    page: int = 1
    per_page: int = 50
    owner: str | None = None  # one person's cases (a lead looking at who holds what)


@dataclass(frozen=True)
class Inbox:
    """One page of a queue, its total, and the count of every queue under the same search and filters."""

    cases: tuple[CaseRecord, ...]
    total: int
    page: int
    per_page: int
    counts: dict[str, int]
    now: dt.datetime

    @property
    def pages(self) -> int:
        """How many pages the queue fills (at least one)."""
        return max(1, -(-self.total // self.per_page))

    def to_frame(self) -> pd.DataFrame:
        """The page as a table, one row per case, with whether each is overdue at the inbox's clock."""
        frame = cases_frame(list(self.cases))
        frame["overdue"] = [c.overdue(self.now) for c in self.cases]
        return frame


def check_query(query: InboxQuery) -> None:
    """Refuse a query that names an unknown queue, status or sort, or pages out of range (one sentence)."""
    if query.queue not in QUEUES:
        raise CxgapError(f"queue = '{query.queue}' is not one of {', '.join(QUEUES)}.")
    if query.status is not None and query.status not in (*ALL_STATUSES, "any"):
        raise CxgapError(f"status = '{query.status}' is not one of {', '.join(ALL_STATUSES)} or any.")
    if query.sort.removeprefix("-") not in SORTS:
        raise CxgapError(
            f"sort = '{query.sort}' is not one of {', '.join(SORTS)} (a leading '-' sorts descending)."
        )
    if query.page < 1:
        raise CxgapError(f"page = {query.page} is not a page; pages start at 1.")
    if not 1 <= query.per_page <= MAX_PER_PAGE:
        raise CxgapError(f"per_page = {query.per_page} is out of range; choose 1 to {MAX_PER_PAGE}.")
    if query.older_than_days is not None and query.older_than_days < 0:
        raise CxgapError(f"older_than_days = {query.older_than_days} is negative; give 0 or more days.")


def _search(words: str, params: dict[str, Any]) -> str:
    """SQL matching a case id or customer id exactly, or every word in the summary or a trigger's."""
    params["search"] = words.strip()
    matches = []
    for i, word in enumerate(words.lower().split()[:8]):
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params[f"word{i}"] = f"%{escaped}%"
        matches.append(
            f"(lower(summary) LIKE :word{i} ESCAPE '\\' OR EXISTS (SELECT 1 FROM case_triggers t "
            f"WHERE t.case_id = cases.case_id AND lower(t.summary) LIKE :word{i} ESCAPE '\\'))"
        )
    by_words = " AND ".join(matches) or "1 = 0"
    return f"(case_id = :search OR customer_id = :search OR ({by_words}))"


def _filters(query: InboxQuery, scope: str | None, now: dt.datetime, params: dict[str, Any]) -> list[str]:
    """The WHERE conditions every queue shares: scope, search, the named filters, status and age."""
    where: list[str] = []
    team = scope if scope is not None else query.team
    for name, value in (
        ("team", team),
        ("rule", query.rule),
        ("touchpoint", query.touchpoint),
        ("segment", query.segment),
        ("root_cause", query.root_cause),
        ("owner", query.owner),
    ):
        if value is not None:
            params[f"f_{name}"] = value
            where.append(f"{name} = :f_{name}")
    if query.status is None:
        where.append(_OPEN)
    elif query.status != "any":
        params["f_status"] = query.status
        where.append("status = :f_status")
    if query.older_than_days is not None:
        params["f_before"] = now - dt.timedelta(days=query.older_than_days)
        where.append("created_at < :f_before")
    if query.search and query.search.strip():
        where.append(_search(query.search, params))
    return where or ["1 = 1"]


def _queues(user_id: str, team: str | None, now: dt.datetime, params: dict[str, Any]) -> dict[str, str]:
    """Each queue's own condition, on top of the shared filters."""
    params |= {"q_user": user_id, "q_now": now, "q_tomorrow": dt.datetime.combine(now.date(), dt.time())}
    params["q_tomorrow"] += dt.timedelta(days=1)
    if team is not None:
        params["q_team"] = team
    return {
        "mine": "owner = :q_user",
        "team": "team = :q_team" if team is not None else "1 = 0",
        "overdue": f"{_OPEN} AND due_at < :q_now",
        "due_today": f"{_OPEN} AND due_at >= :q_now AND due_at < :q_tomorrow",
        "unassigned": "owner IS NULL",
        "all": "1 = 1",
    }


def _order(sort: str) -> str:
    column = sort.removeprefix("-")
    direction = "DESC" if sort.startswith("-") else "ASC"
    return f"{column} {direction} NULLS LAST, case_id {direction}"


def find_cases(
    store: Store,
    query: InboxQuery,
    *,
    user_id: str,
    scope: str | None,
    team: str | None,
    now: dt.datetime,
    limit: int,
    offset: int,
) -> tuple[tuple[CaseRecord, ...], dict[str, int]]:
    """The cases of `query.queue` from `offset` (at most `limit`; `query.page` and `per_page` are not
    read), and the count of every queue: the inbox's two statements, for callers that page by offset."""
    check_query(query)
    params: dict[str, Any] = {}
    where = " AND ".join(_filters(query, scope, now, params))
    queues = _queues(user_id, team, now, params)
    counts_sql = ", ".join(
        f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {name}" for name, cond in queues.items()
    )
    params |= {"limit": limit, "offset": offset}
    page_sql = (
        f"SELECT {', '.join(FIELDS)} FROM cases WHERE {where} AND ({queues[query.queue]}) "
        f"ORDER BY {_order(query.sort)} LIMIT :limit OFFSET :offset"
    )
    with store.engine.connect() as conn:
        row = conn.execute(sa.text(f"SELECT {counts_sql} FROM cases WHERE {where}"), params).one()
        found = tuple(record_of(r) for r in conn.execute(sa.text(page_sql), params))
    return found, {name: int(row._mapping[name] or 0) for name in queues}


def inbox(
    store: Store,
    query: InboxQuery,
    *,
    user_id: str,
    scope: str | None,
    team: str | None,
    now: dt.datetime,
) -> Inbox:
    """One page of `query.queue` for `user_id` (whose own team is `team`; `scope`, a team member's or
    lead's team, limits everything), with the counts of all queues, judged at the loop clock `now`."""
    check_query(query)
    offset = (query.page - 1) * query.per_page
    found, counts = find_cases(
        store, query, user_id=user_id, scope=scope, team=team, now=now, limit=query.per_page, offset=offset
    )
    return Inbox(found, counts[query.queue], query.page, query.per_page, counts, now)
