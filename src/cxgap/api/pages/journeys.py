"""Journeys: where customers fall out, what compounds and what causes what downstream."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cxgap.api.pages.chart_view import chart
from cxgap.api.pages.render import render_page
from cxgap.api.routes import Board, Slice
from cxgap.report import journey_risk_charts
from cxgap.report.findings import journey_finding

router = APIRouter()


@router.get("/journeys", response_class=HTMLResponse)
def journeys(request: Request, dashboard: Board, slice_: Slice) -> str:
    """Where customers fall out, what compounds and what causes what downstream (the whole store)."""

    def build() -> dict[str, Any]:
        report = dashboard.journeys()
        return {
            "title": "Journeys: where customers fall out",
            "report": report,
            "chart": chart(journey_risk_charts.flow_chart(report), journey_finding(report)),
        }

    return render_page(dashboard, request, "/journeys", slice_, "journeys.html.j2", build, filtered=False)
