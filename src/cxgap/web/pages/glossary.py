"""The six gaps and the dashboard's terms, defined in plain words one click from any page: every gap kind
on the overview and the gap pages links to its entry here (/glossary#gap-<kind>)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cxgap.api.routes import Board
from cxgap.store import describe_url
from cxgap.web.pages.render import PAGES, TEMPLATES, personalise

router = APIRouter()


@router.get("/glossary", response_class=HTMLResponse)
def glossary(request: Request, dashboard: Board) -> str:
    """The glossary: each term with an anchor, in the company's currency."""
    page = TEMPLATES.get_template("glossary.html.j2").render(
        title="Glossary",
        store=describe_url(dashboard.store.url),
        pages=PAGES,
        path="/glossary",
        filters=None,
        personal=True,
        choices=None,
        currency=dashboard.settings.company.currency,
        min_n=dashboard.settings.analysis.min_n,
        confidence=dashboard.settings.analysis.confidence,
    )
    return personalise(page, request)
