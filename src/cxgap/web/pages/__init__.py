"""Server-rendered pages: the API's result objects in HTML with inline SVG charts; the filters live in the
URL (a shared link shows the same view) and HTMX swaps the page body when a filter changes. One module per
area; `render` holds what they share."""

from fastapi import APIRouter

from cxgap.web.pages import (
    customer,
    drivers,
    export,
    gaps,
    glossary,
    journeys,
    overview,
    records,
    risk,
    text,
    views,
)
from cxgap.web.pages.render import PAGES, TEMPLATES

router = APIRouter(include_in_schema=False)
for area in (overview, gaps, drivers, text, journeys, risk, records, customer, glossary, export, views):
    router.include_router(area.router)

__all__ = ["PAGES", "TEMPLATES", "router"]
