"""The case inbox: queues with counts, search, filters, sorting, paging, bulk assign and close.

Everything the inbox shows is in its URL (a shared link opens the same queue, filters, sort and page), and
htmx swaps the queue tabs and the list when a filter changes. A team member or lead sees only their team's
cases; analysts and admins see all; viewers none (cases name customers). The queues, their counts and what each
person may see are `cxgap.cases.inbox`'s; this module words them.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cxgap.access import Principal
from cxgap.api.auth import check_csrf
from cxgap.api.dashboard import Dashboard
from cxgap.api.routes import Board
from cxgap.cases.bulk import BulkResult, bulk
from cxgap.cases.clock import loop_now
from cxgap.cases.inbox import QUEUES, InboxQuery, inbox
from cxgap.errors import CxgapError
from cxgap.web.loop.page import WORKERS, case_reader, loop_page
from cxgap.web.loop.shown import deadline, first, people, posted, when

router = APIRouter()
LABELS = {
    "mine": "Mine",
    "team": "My team",
    "overdue": "Overdue",
    "due_today": "Due today",
    "unassigned": "Unassigned",
    "all": "All",
}
COLUMNS = (  # (sort key or "" where the column does not sort, heading); "-key" sorts descending
    ("", "Case"),
    ("customer_id", "Customer"),
    ("status", "Status"),
    ("due_at", "Deadline"),
    ("created_at", "Opened"),
    ("", "Owner"),
    ("", "Team"),
)
AGES = (1, 2, 3, 7, 14, 30)
NUMBERS = ("older_than_days", "page", "per_page")
STATUSES = ("open", "in_progress", "resolved", "closed", "any")  # none chosen: open or in progress
BULK = ("assign", "start", "close")
DEFAULTS = InboxQuery()


def default_queue(who: Principal) -> str:
    """Where a person lands: a team member on their own cases, a lead on the team's, others on all."""
    return {"team_member": "mine", "team_lead": "team"}.get(who.role, "all")


def number(name: str, value: str) -> int:
    """A whole number from the URL, or the sentence that says what was expected."""
    try:
        found = int(value)
    except ValueError:
        raise CxgapError(f"{name} = '{value[:40]}' is not a whole number; the inbox expects one.") from None
    if found < (0 if name == "older_than_days" else 1):
        raise CxgapError(f"{name} = {found} is too small; the inbox expects a positive number.")
    return found


def inbox_query(params: dict[str, str], who: Principal) -> InboxQuery:
    """The inbox's query from the URL's parameters (unknown names are ignored; empty means no filter)."""
    names = {f.name for f in fields(InboxQuery)}
    given: dict[str, Any] = {k: v.strip() for k, v in params.items() if k in names and v.strip()}
    for name in NUMBERS:
        if name in given:
            given[name] = number(name, given[name])
    given.setdefault("queue", default_queue(who))
    return InboxQuery(**given)


def link(query: InboxQuery, **changes: Any) -> str:
    """The inbox's URL for `query` with `changes` (a new filter, queue or sort starts at page 1)."""
    if any(k != "page" for k in changes):
        changes.setdefault("page", 1)
    changed = replace(query, **changes)
    kept = {
        f.name: getattr(changed, f.name)
        for f in fields(changed)
        if f.name == "queue" or getattr(changed, f.name) not in (None, "", getattr(DEFAULTS, f.name))
    }
    return "/cases?" + urlencode(kept)


def headings(query: InboxQuery) -> list[dict[str, Any]]:
    """The sortable columns: each heading's link sorts by it (again: the other way round)."""
    shown = []
    for key, label in COLUMNS:
        if not key:
            shown.append({"key": "", "label": label, "href": None, "order": None})
            continue
        order = "ascending" if query.sort == key else "descending" if query.sort == f"-{key}" else None
        target = f"-{key}" if query.sort == key else key
        shown.append({"key": key, "label": label, "href": link(query, sort=target), "order": order})
    return shown


def inbox_context(dashboard: Dashboard, who: Principal, query: InboxQuery) -> dict[str, Any]:
    """What the inbox templates show: tabs with counts, rows with deadlines, headings, the pager, the
    filters' choices and whom the selected cases can be given to."""
    settings = dashboard.settings
    now = loop_now(dashboard.store, settings)
    found = inbox(dashboard.store, query, user_id=who.user_id, scope=who.scope, team=who.team, now=now)
    start = (found.page - 1) * found.per_page
    choices = dashboard.choices()
    return {
        "query": query,
        "inbox": found,
        "tabs": [
            {
                "queue": q,
                "label": LABELS.get(q, q),
                "count": found.counts.get(q, 0),
                "href": link(query, queue=q),
            }
            for q in QUEUES
            if q != "team" or who.team is not None
        ],
        "rows": [
            {"case": c, "deadline": deadline(c.due_at, c.status, found.now), "opened": when(c.created_at)}
            for c in found.cases
        ],
        "headings": headings(query),
        "first": start + 1 if found.total else 0,
        "last": start + len(found.cases),
        "previous": link(query, page=found.page - 1) if found.page > 1 else None,
        "next": link(query, page=found.page + 1) if found.page < found.pages else None,
        "options": {
            "rule": sorted(settings.cases.rules),
            "touchpoint": list(choices.touchpoints),
            "segment": list(choices.segments),
            "status": STATUSES,
            "root_cause": list(settings.cases.root_causes),
        },
        "ages": AGES,
        "teams": sorted({p.team for p in people(dashboard.store, None)}) if who.scope is None else [],
        "may_act": who.role in WORKERS,
        "people": people(dashboard.store, who.scope),
        "here": link(query, page=query.page),
    }


def render_inbox(
    request: Request, dashboard: Dashboard, query: InboxQuery, message: str = "", status: int = 200
) -> HTMLResponse:
    """The inbox page for the person asking (htmx picks the part it swaps from it)."""
    who = case_reader(request)
    context = inbox_context(dashboard, who, query)
    return loop_page(
        request, dashboard, "loop_inbox.html.j2", "/cases", "Cases", status, message=message, **context
    )


@router.get("/cases", response_class=HTMLResponse)
def inbox_page(request: Request, dashboard: Board) -> HTMLResponse:
    """The case inbox; its queue, search, filters, sort and page come from the URL."""
    who = case_reader(request)
    return render_inbox(request, dashboard, inbox_query(dict(request.query_params), who))


@router.post("/cases/bulk", response_class=HTMLResponse)
async def bulk_page(request: Request, dashboard: Board) -> HTMLResponse:
    """Assign or close the ticked cases, then show the same inbox with what was done and what was refused."""
    sent = await posted(request)
    single = first(sent)
    check_csrf(request, single)
    who = case_reader(request)
    who.require(*WORKERS)
    query = inbox_query(dict(request.query_params), who)
    ticked = [c for c in sent.get("case_id", []) if c]
    action = single.get("action", "")
    if not ticked:
        return render_inbox(request, dashboard, query, "Tick at least one case first.", status=400)
    if action not in BULK:
        raise CxgapError(f"action = '{action[:40]}' is not a bulk action; choose {', '.join(BULK)}.")
    owner, team = None, None
    if action == "assign":
        owner = single.get("owner", "")
        known = {p.user_id: p for p in people(dashboard.store, who.scope)}
        if owner not in known:
            return render_inbox(request, dashboard, query, "Pick the person to assign the cases to.", 400)
        team = known[owner].team if who.scope is None else None
    now = loop_now(dashboard.store, dashboard.settings)
    with dashboard.writing():
        done = bulk(
            dashboard.store,
            ticked,
            action,
            who.user_id,
            owner=owner,
            team=team,
            scope=who.scope,
            root_causes=tuple(dashboard.settings.cases.root_causes),
            now=now,
        )
    return render_inbox(request, dashboard, query, bulk_message(action, owner, done))


def bulk_message(action: str, owner: str | None, done: BulkResult) -> str:
    """What a bulk action did, in a sentence or two: how many, to whom, and why any case was refused."""
    count = len(done.done)
    what = {"assign": f"assigned to {owner}", "start": "started", "close": "closed"}[action]
    said = f"{count} case{'s' if count != 1 else ''} {what}."
    if done.refused:
        reasons = " ".join(reason for _, reason in done.refused[:3])
        more = f" ({len(done.refused) - 3} more refused likewise.)" if len(done.refused) > 3 else ""
        said += f" {len(done.refused)} refused: {reasons}{more}"
    return said
