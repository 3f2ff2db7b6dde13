"""What the loop's screens share: a page rendered for the person asking (the loop changes with every action,
so nothing here is cached), in the dashboard's frame, with their CSRF token and account links."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from cxgap.access import Forbidden, Principal
from cxgap.api.auth import CASES_WITHHELD, csrf_of, person
from cxgap.api.dashboard import Dashboard
from cxgap.errors import CxgapError
from cxgap.store import describe_url
from cxgap.web.pages.render import PAGES, TEMPLATES, personalise

WORKERS = ("admin", "analyst", "team_lead", "team_member")  # who reads and works cases; not viewers


def signed(request: Request) -> Principal:
    """The person asking (the gate lets nobody anonymous reach the loop's pages)."""
    who = person(request)
    if who is None:  # the gate redirects anonymous requests to the sign-in page before this runs
        raise CxgapError("Sign in to see the closed loop's cases.")
    return who


def case_reader(request: Request) -> Principal:
    """The person asking, when they may read cases (customer-level records): everyone but a viewer, who is
    refused (403) with the reason."""
    who = signed(request)
    if who.role not in WORKERS:
        raise Forbidden(CASES_WITHHELD)
    return who


def loop_page(
    request: Request,
    dashboard: Dashboard,
    template: str,
    path: str,
    title: str,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A loop page in the dashboard's frame, for this person (their name, sign-out and CSRF token)."""
    html = TEMPLATES.get_template(template).render(
        store=describe_url(dashboard.store.url),
        pages=PAGES,
        path=path,
        title=title,
        personal=True,
        csrf=csrf_of(request),
        who=person(request),
        **context,
    )
    return HTMLResponse(personalise(html, request), status_code=status)
