"""The case page: its triggers, the customer behind it, its deadline, the actions and its history.

Every action is a small form that carries the case's version as the page read it. The workflow refuses a
change to a case someone else changed since (`CaseConflict`), so a stale page never overwrites anything: it
says who changed what meanwhile and offers a reload. After a change the page reloads itself (POST, then a
303 to the case), so a second reload never repeats an action.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxgap.access import AccessDenied, Principal
from cxgap.api.auth import check_csrf
from cxgap.api.dashboard import Dashboard
from cxgap.api.routes import Board
from cxgap.cases.clock import loop_now
from cxgap.cases.history import describe_event
from cxgap.cases.triggers import case_triggers
from cxgap.cases.workflow import CaseConflict, CaseRecord, events, get_case
from cxgap.errors import CxgapError, NotFound
from cxgap.records import customer_record
from cxgap.web.loop.case_actions import ACTIONS, DONE, perform, version_of
from cxgap.web.loop.case_customer import customer_part
from cxgap.web.loop.page import WORKERS, case_reader, loop_page
from cxgap.web.loop.shown import deadline, first, people, posted, when
from cxgap.web.pages.render import TEMPLATES

router = APIRouter()


def case_path(case_id: str) -> str:
    """The case page's address."""
    return f"/cases/{quote(case_id, safe='')}"


def history(dashboard: Dashboard, case_id: str) -> list[dict[str, str]]:
    """The audit log as sentences, oldest first."""
    return [
        {"at": when(e.happened_at), "actor": e.actor, "what": describe_event(e)}
        for e in events(dashboard.store, case_id)
    ]


def case_context(dashboard: Dashboard, who: Principal, record: CaseRecord) -> dict[str, Any]:
    """What the case templates show: the case, its deadline against the loop's clock, its triggers, its
    customer, the actions this person may take now and the history."""
    now = loop_now(dashboard.store, dashboard.settings)
    may_act = who.role in WORKERS
    customer = customer_part(dashboard, who, record)
    records = customer["records"] if customer else {}
    return {
        "case": record,
        "here": case_path(record.case_id),
        "now": now,
        "deadline": deadline(record.due_at, record.status, now),
        "due": when(record.due_at),
        "opened": when(record.created_at),
        "triggers": [
            {"trigger": t, "at": when(t.added_at), "record": records.get(t.trigger_id)}
            for t in case_triggers(dashboard.store, record.case_id)
        ],
        "opened_by": records.get(record.trigger_id or ""),
        "customer": customer,
        "may_act": may_act,
        "actions": [a for a in ACTIONS if may_act and record.status in ACTIONS[a]],
        "people": people(dashboard.store, who.scope),
        "root_causes": dashboard.settings.cases.root_causes,
        "history": history(dashboard, record.case_id),
    }


def render_case(
    request: Request,
    dashboard: Dashboard,
    record: CaseRecord,
    *,
    message: str = "",
    problem: str = "",
    conflict: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The case page for the person asking, with what just happened (a status, a refusal or a conflict)."""
    who = case_reader(request)
    context = case_context(dashboard, who, record)
    return loop_page(
        request,
        dashboard,
        "loop_case.html.j2",
        context["here"],
        f"Case {record.case_id}",
        status,
        message=message,
        problem=problem,
        conflict=conflict,
        **context,
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, dashboard: Board, case_id: str, done: str = "") -> HTMLResponse:
    """One case; another team's case is not found (404), as if it did not exist."""
    who = case_reader(request)
    record = get_case(dashboard.store, case_id, who.scope)
    return render_case(request, dashboard, record, message=DONE.get(done, ""))


@router.get("/cases/{case_id}/risk", response_class=HTMLResponse)
def case_risk(request: Request, dashboard: Board, case_id: str) -> str:
    """The case's customer's churn risk and health with the reasons, as the part htmx fills in once the
    risk model has scored everyone (the customer page's own part, for whoever may see this case)."""
    who = case_reader(request)
    record = get_case(dashboard.store, case_id, who.scope)
    if not record.customer_id:
        return '<p class="muted" id="customer-risk">This case names no customer.</p>'
    found = customer_record(dashboard.engine, dashboard.settings, record.customer_id, dashboard.risk())
    return TEMPLATES.get_template("customer_risk.html.j2").render(customer=found)


@router.post("/cases/{case_id}", response_class=HTMLResponse)
async def act_on_case(request: Request, dashboard: Board, case_id: str) -> Response:
    """Take one action on the case at the version the page read; a stale version is refused and shown
    with what changed meanwhile, any other refusal as its sentence in the page."""
    fields = first(await posted(request))
    check_csrf(request, fields)
    who = case_reader(request)
    who.require(*WORKERS)
    record = get_case(dashboard.store, case_id, who.scope)
    action = fields.get("action", "")
    try:
        version = version_of(fields)
        now = loop_now(dashboard.store, dashboard.settings)
        with dashboard.writing():
            perform(dashboard, who, case_id, action, fields, version, now)
    except CaseConflict as refusal:
        return refused(request, dashboard, who, case_id, fields, str(refusal))
    except (NotFound, AccessDenied):
        raise  # the app's pages for 404 and 403
    except CxgapError as error:
        return render_case(request, dashboard, record, problem=str(error), status=400)
    return RedirectResponse(f"{case_path(case_id)}?done={quote(action)}", status_code=303)


def refused(
    request: Request, dashboard: Dashboard, who: Principal, case_id: str, fields: dict[str, str], why: str
) -> HTMLResponse:
    """The page after a refused change: when the case moved on since the page read it, who changed what
    meanwhile (the audit lines past the version sent; each change writes one) and a reload; otherwise the
    workflow's sentence. What the person typed is shown back to them, never stored."""
    record = get_case(dashboard.store, case_id, who.scope)
    sent = fields.get("version", "")
    if sent.isdigit() and int(sent) < record.version:
        since = events(dashboard.store, case_id)[-(record.version - int(sent)) :]
        conflict = {
            "changes": [{"at": when(e.happened_at), "what": describe_event(e)} for e in since],
            "typed": fields.get("note", "").strip(),
        }
        return render_case(request, dashboard, record, conflict=conflict, status=409)
    return render_case(request, dashboard, record, problem=why, status=409)
