"""One customer's page: who they are, the timeline of interactions, answers, comments and cases, the open
cases, and churn risk and health with the reasons (analysts and admins only: customer-level data)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from cxgap.api.records import csv_response, require_customer_level
from cxgap.api.routes import Board
from cxgap.engine import ALL
from cxgap.errors import NotFound
from cxgap.records import KINDS, CustomerRecord, TimelineEvent, customer_record
from cxgap.web.pages.links import records_url
from cxgap.web.pages.records import shown
from cxgap.web.pages.render import TEMPLATES, render_page

router = APIRouter()
TIMELINE_COLUMNS = tuple(f.name for f in fields(TimelineEvent))


def customer_context(found: CustomerRecord) -> dict[str, Any]:
    """What customer.html.j2 shows: attributes as shown, the timeline, open cases, risk, and the links to
    the customer's records on the records pages."""
    here = f"/customers/{quote(found.customer_id, safe='')}"
    return {
        "title": f"Customer {found.customer_id}",
        "customer": found,
        "attributes": [(k.replace("_", " "), shown(v)) for k, v in found.attributes.items()],
        "events": [
            {"event": e, "at": shown(e.at), "incidents": ", ".join(e.incidents)} for e in found.events
        ],
        "records": {k: records_url(k, ALL, customer_id=found.customer_id) for k in KINDS if k != "customers"},
        "export": f"{here}?format=csv",
        "json": f"/api{here}",
        "risk": f"{here}/risk",
    }


@router.get(
    "/customers/{customer_id}", response_class=HTMLResponse, dependencies=[Depends(require_customer_level)]
)
def customer_page(request: Request, dashboard: Board, customer_id: str, format: str = "html") -> Response:  # noqa: A002
    """A customer's timeline, open cases and churn risk with its reasons (or why it is not measured) once
    the risk computation has answered, filled in by htmx until then; `format=csv` downloads the timeline
    (analysts and admins only). An unknown customer is the page that says there is no such page."""
    known = dashboard.risk_known()  # shown at once when answered; else htmx fills it in when it is
    try:
        found = customer_record(dashboard.engine, dashboard.settings, customer_id, known)
    except NotFound:
        raise HTTPException(404) from None
    if format == "csv":
        rows = tuple(asdict(e) | {"incidents": ", ".join(e.incidents)} for e in found.events)
        return csv_response(f"cxgap-customer-{customer_id}", TIMELINE_COLUMNS, iter([rows]))

    here = f"/customers/{quote(customer_id, safe='')}"
    risk = "risk=pending" if known is None else "risk=known"  # a page rendered while scoring is not reused
    html = render_page(
        dashboard,
        request,
        here,
        ALL,
        "customer.html.j2",
        lambda: customer_context(found),
        risk,
        filtered=False,
    )
    return HTMLResponse(html)


@router.get(
    "/customers/{customer_id}/risk",
    response_class=HTMLResponse,
    dependencies=[Depends(require_customer_level)],
)
def customer_risk_part(dashboard: Board, customer_id: str) -> str:
    """The customer's churn risk and health with the reasons, as the part of the customer page htmx fills in
    once the risk model has scored everyone (the first time takes a while; the timeline shows at once)."""
    found = customer_record(dashboard.engine, dashboard.settings, customer_id, dashboard.risk())
    return TEMPLATES.get_template("customer_risk.html.j2").render(customer=found)
