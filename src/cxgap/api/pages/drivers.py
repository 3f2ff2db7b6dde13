"""What drives NPS: importance with intervals against performance."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cxgap.api.pages.chart_view import chart
from cxgap.api.pages.render import render_page
from cxgap.api.routes import Board, Slice
from cxgap.report import charts
from cxgap.report.content import drivers_finding

LEVELS = ("dimensions", "items", "touchpoints")
router = APIRouter()


@router.get("/drivers", response_class=HTMLResponse)
def key_drivers(request: Request, dashboard: Board, slice_: Slice, level: str = "dimensions") -> str:
    """What drives NPS: importance with intervals against performance (quadrants)."""

    def build() -> dict[str, Any]:
        report = dashboard.drivers(slice_, level)
        found = None if isinstance(report, str) else report
        return {
            "title": "Drivers of NPS",
            "level": level,
            "levels": LEVELS,
            "report": found,
            "reason": report if isinstance(report, str) else None,
            "chart": chart(
                charts.quadrant_chart(found) if found else None,
                drivers_finding(found) if found else f"Not measured: {report}",
            ),
        }

    return render_page(dashboard, request, "/drivers", slice_, "drivers.html.j2", build, level)
