"""The background computation of the default views after an import: /api/progress as JSON, /progress as
the banner every page shows while it runs (htmx swaps it in every 2 s until the views are ready)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from cxgap.api.results import plain
from cxgap.api.routes import Board

router = APIRouter()


@router.get("/api/progress", tags=["api"])
def progress(dashboard: Board) -> dict[str, Any]:
    """Which default views are ready, which is computing and which wait, for which store version (the
    import count and when the last one finished); `done` once every one is ready."""
    if dashboard.precomputes:
        dashboard.precompute.ensure()
    now = dashboard.precompute.progress()
    return {"version": now.version, "done": now.done, "ready": now.ready, "views": plain(now.views)}


@router.get("/progress", response_class=HTMLResponse, include_in_schema=False)
def banner(dashboard: Board) -> str:
    """The progress banner alone (empty and hidden once the default views are ready)."""
    from cxgap.web.pages.render import TEMPLATES  # the pages import the routes this module uses

    if dashboard.precomputes:
        dashboard.precompute.ensure()
    return TEMPLATES.get_template("progress.html.j2").render(progress=dashboard.precompute.progress())
