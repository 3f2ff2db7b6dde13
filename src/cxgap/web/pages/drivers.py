"""What drives NPS: importance with intervals against performance."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cxgap.api.auth import person, sees_customers
from cxgap.api.routes import Board, Slice
from cxgap.config import Settings
from cxgap.drivers import DriverReport
from cxgap.engine import Filters
from cxgap.report import charts
from cxgap.report.content import drivers_finding
from cxgap.web.pages.chart_view import chart
from cxgap.web.pages.links import records_url
from cxgap.web.pages.render import render_page

LEVELS = ("dimensions", "items", "touchpoints")
router = APIRouter()


@router.get("/drivers", response_class=HTMLResponse)
def key_drivers(request: Request, dashboard: Board, slice_: Slice, level: str = "dimensions") -> str:
    """What drives NPS: importance with intervals against performance (quadrants)."""

    shown = sees_customers(person(request))

    def build() -> dict[str, Any]:
        report = dashboard.drivers(slice_, level)
        found = None if isinstance(report, str) else report
        links = driver_links(found, level, slice_, dashboard.settings) if found and shown else {}
        return {
            "title": "Drivers of NPS",
            "level": level,
            "levels": LEVELS,
            "links": links,
            "report": found,
            "reason": report if isinstance(report, str) else None,
            "chart": chart(
                charts.quadrant_chart(found) if found else None,
                drivers_finding(found) if found else f"Not measured: {report}",
            ),
        }

    extra = (level, f"customers={shown}")
    return render_page(dashboard, request, "/drivers", slice_, "drivers.html.j2", build, *extra)


def driver_links(report: DriverReport, level: str, filters: Filters, settings: Settings) -> dict[str, str]:
    """Each driver's survey responses in the slice: those that rated its dimension or item, or those at its
    touchpoint (drivers the configuration does not name get no link)."""
    links = {}
    for d in report.ranked():
        if level == "dimensions" and d.name in settings.dimensions:
            links[d.name] = records_url("responses", filters, dimension=d.name)
        elif level == "items" and d.name in settings.items:
            links[d.name] = records_url("responses", filters, item=d.name)
        elif level == "touchpoints":
            links[d.name] = records_url("responses", filters, touchpoint=d.name)
    return links
